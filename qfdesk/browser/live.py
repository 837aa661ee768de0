"""The live source for ``qfdesk collect`` and the app: Chrome (launched or attached) + tail.

source = LiveSource(settings, on_entries=pipeline.feed, launch=True)
source.start()          # raises a ChromeError subclass with a clear message
... source.health(), source.state, source.gaps ...
source.stop()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from qfdesk.browser.attach import attach
from qfdesk.browser.chrome_launcher import ChromeEndpoint, ensure_chrome
from qfdesk.browser.health import TailHealth
from qfdesk.browser.settings import BrowserSettings
from qfdesk.browser.tabs import PlatformEntryFilter
from qfdesk.browser.tail import Gap, TailState, TailTiming, TailWorker

if TYPE_CHECKING:
    from selenium import webdriver

log = logging.getLogger(__name__)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (or just ``PORT``) -> (host, port)."""
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"{text!r} is not HOST:PORT (for example 127.0.0.1:9222)")
    return host or "127.0.0.1", int(port)


class LiveSource:
    """Launches or attaches to Chrome, then drains its performance log into ``on_entries``.

    ``launch`` False only attaches (``--attach HOST:PORT``); True attaches when a Chrome
    already listens on the port and starts one otherwise. The first attach happens on
    ``start`` so that a wrong chromedriver or an absent Chrome fails at once with its
    message; after that the tail reconnects by itself. ``on_state`` gets every TailState.
    With several platform tabs open only one is read (see PlatformEntryFilter).
    """

    def __init__(
        self,
        settings: BrowserSettings,
        on_entries: Callable[[list[dict[str, Any]]], object],
        *,
        launch: bool = False,
        on_state: Callable[[TailState], None] | None = None,
        decode_errors: Callable[[], int] | None = None,
        timing: TailTiming | None = None,
    ) -> None:
        self.settings = settings
        self._on_entries = on_entries
        self._launch = launch
        self._on_state = on_state
        self._decode_errors = decode_errors
        self._timing = timing or TailTiming()
        self.endpoint: ChromeEndpoint | None = None
        self.tail: TailWorker | None = None
        self.tab_filter: PlatformEntryFilter | None = None

    def _connect(self) -> webdriver.Chrome:
        return attach(
            self.settings.address,
            performance_log=True,
            chromedriver_path=self.settings.chromedriver_path,
            command_timeout=5.0,
        )

    def start(self) -> Self:
        self.endpoint = ensure_chrome(self.settings, launch=self._launch)
        first = self._connect()
        handed = [first]

        def connect() -> webdriver.Chrome:
            return handed.pop() if handed else self._connect()

        tab_filter = PlatformEntryFilter(self.settings.address, self.settings.url_mark)
        self.tab_filter = tab_filter

        def on_entries(entries: list[dict[str, Any]]) -> None:
            kept = tab_filter(entries)
            if kept:
                self._on_entries(kept)

        self.tail = TailWorker(
            connect,
            on_entries,
            on_state=self._on_state,
            decode_errors=self._decode_errors,
            timing=self._timing,
        )
        self.tail.start()
        return self

    @property
    def state(self) -> TailState:
        return self.tail.state if self.tail else TailState.DISCONNECTED

    @property
    def reconnects(self) -> int:
        """How often the tail re-attached after losing Chrome (a restarted Chrome is one)."""
        return self.tail.reconnects if self.tail else 0

    @property
    def gaps(self) -> list[Gap]:
        return self.tail.gaps if self.tail else []

    def health(self) -> TailHealth | None:
        return self.tail.health() if self.tail else None

    def stop(self, close_chrome: bool = False) -> None:
        """Stop the tail (after a last drain). ``close_chrome`` ends a Chrome we started."""
        if self.tail is not None:
            self.tail.stop()
        if close_chrome and self.endpoint is not None and self.endpoint.process is not None:
            self.endpoint.process.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
