"""What every capability takes (Context) and gives back (Result)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from qfdesk.browser.errors import ChromeError
from qfdesk.browser.event_source import EventSource
from qfdesk.browser.selectors import Selectors
from qfdesk.browser.settings import PLATFORM_URL_MARK
from qfdesk.browser.tabs import PlatformTab
from qfdesk.engine.trading_halt import TradingHalt

log = logging.getLogger(__name__)


@dataclass
class Context:
    """The action session and what capabilities need around it.

    ``driver`` is the action session (not the tail's). ``events`` is fed by whoever decodes
    the tail (see :class:`qfdesk.browser.event_source.EventHub`); without it, trades fall back
    to the DOM's open-trade count. ``allow_real`` is the trader's explicit consent to trade on
    a REAL account. ``address`` (``host:port``) lets capabilities find the platform tab.
    ``halt`` is the session's trading alarm: a trade click refuses while it is tripped and
    trips it when a placed trade differs from the one meant.
    """

    driver: WebDriver
    selectors: Selectors
    artifacts_dir: Path
    events: EventSource | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    allow_real: bool = False
    address: str | None = None
    url_mark: str = PLATFORM_URL_MARK
    halt: TradingHalt | None = None

    def setting(self, name: str, default: Any) -> Any:
        return self.settings.get(name, default)

    def ensure_tab(self) -> None:
        """Switch to the platform tab and close the first-visit tutorial if it shows."""
        if self.address:
            PlatformTab(self.driver, self.address, self.url_mark).ensure(
                float(self.setting("tab_timeout", 10.0))
            )
        tutorial = self.selectors.find(self.driver, "tutorial_close")
        if tutorial is not None and tutorial.element.is_displayed():
            tutorial.element.click()
            log.info("closed the platform's tutorial overlay")

    def artifact_path(self, stem: str, suffix: str) -> Path:
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return self.artifacts_dir / f"{stamp}-{stem}{suffix}"


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    artifacts: tuple[Path, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)


class CapabilityFailure(Exception):
    """A failure a capability explains itself: the message is what the trader sees."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


def capability(name: str) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Make ``fn(ctx, ...)`` safe to call: the platform tab first, no exception escapes."""

    def wrap(fn: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(fn)
        def run(ctx: Context, *args: Any, **kwargs: Any) -> Result:
            started = time.monotonic()
            try:
                ctx.ensure_tab()
                result = fn(ctx, *args, **kwargs)
            except CapabilityFailure as exc:
                result = Result(False, exc.data, str(exc))
            except ChromeError as exc:
                result = Result(False, error=str(exc))
            except WebDriverException as exc:
                message = (exc.msg or type(exc).__name__).splitlines()[0]
                result = Result(
                    False,
                    error=f"{name}: the browser refused ({message}). Check that Chrome is open "
                    "on the trading page and try again.",
                )
            except Exception as exc:
                log.exception("%s: unexpected error", name)
                result = Result(False, error=f"{name}: unexpected error ({type(exc).__name__}).")
            elapsed = time.monotonic() - started
            log.info(
                "%s: %s in %.2f s%s",
                name,
                "ok" if result.ok else "failed",
                elapsed,
                "" if result.ok else f" ({result.error})",
            )
            return result

        return run

    return wrap
