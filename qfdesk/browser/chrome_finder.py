"""Locate a Chrome or Chromium executable on Linux, Windows and macOS."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from qfdesk.browser.errors import ChromeNotFoundError

_LINUX_NAMES = ("google-chrome", "google-chrome-stable", "chromium", "chromium-browser", "chrome")
_LINUX_PATHS = (
    "/usr/bin/google-chrome",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
)
_MAC_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "~/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
_WINDOWS_SUFFIXES = (
    r"Google\Chrome\Application\chrome.exe",
    r"Chromium\Application\chrome.exe",
)


def candidate_paths(platform: str = sys.platform) -> list[Path]:
    """Every place Chrome usually lives on ``platform``, best first."""
    if platform.startswith("win"):
        roots = [os.environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        return [Path(root) / suffix for root in roots if root for suffix in _WINDOWS_SUFFIXES]
    if platform == "darwin":
        return [Path(p).expanduser() for p in _MAC_PATHS]
    found = [shutil.which(name) for name in _LINUX_NAMES]
    return [Path(p) for p in found if p] + [Path(p) for p in _LINUX_PATHS]


def find_chrome(override: str | None = None, platform: str = sys.platform) -> Path:
    """The Chrome executable to use; ``override`` (a setting) wins when given."""
    if override:
        path = Path(override).expanduser()
        if path.is_file():
            return path
        raise ChromeNotFoundError(
            f"The Chrome path set in the settings does not exist: {path}. "
            "Correct the setting or clear it to let qfdesk look for Chrome."
        )
    for path in candidate_paths(platform):
        if path.is_file():
            return path
    raise ChromeNotFoundError(
        "Google Chrome or Chromium was not found. Install Chrome "
        "(https://www.google.com/chrome/) or set its path in the settings."
    )
