"""Settings of the live browser path, with the defaults the issue asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 9222
DEFAULT_HOST = "127.0.0.1"
DEFAULT_URL = "https://pocketoption.com/en/cabinet/demo-quick-high-low/"
# Substring that identifies the trading page among the open tabs (demo and real pages).
PLATFORM_URL_MARK = "quick-high-low"


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    """Where Chrome is, how to start it and which page to open.

    ``chrome_path``/``chromedriver_path`` override discovery; ``profile_dir`` None means the
    default profile (``Chrome_profile/`` in a checkout, the user data dir when installed).
    """

    chrome_path: str | None = None
    chromedriver_path: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    profile_dir: Path | None = None
    url: str = DEFAULT_URL
    url_mark: str = PLATFORM_URL_MARK
    headless: bool = False
    no_sandbox: bool = False
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
