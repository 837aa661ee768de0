"""Find the platform's tab among the trader's tabs and keep the action session on it.

Tabs are listed through the debugging port's ``/json/list`` (no tab switching needed to read
URLs); chromedriver's window handles are those same target ids. The tab is looked up again
before every action, so a reload, an asset switch or the page reopened in another tab is
followed without the trader doing anything.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from qfdesk.browser.errors import AttachError, PlatformTabNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TabInfo:
    target_id: str
    url: str
    title: str


def list_tabs(address: str, timeout: float = 2.0) -> list[TabInfo]:
    """The page targets of the Chrome at ``address`` (``host:port``), in Chrome's order."""
    with urllib.request.urlopen(f"http://{address}/json/list", timeout=timeout) as response:
        targets = json.loads(response.read().decode("utf-8"))
    return [
        TabInfo(t["id"], t.get("url", ""), t.get("title", ""))
        for t in targets
        if t.get("type") == "page"
    ]


def platform_tabs(address: str, url_mark: str) -> list[TabInfo]:
    return [tab for tab in list_tabs(address) if url_mark in tab.url]


class PlatformTab:
    """Keeps a chromedriver session switched to the platform's tab."""

    def __init__(self, driver: WebDriver, address: str, url_mark: str) -> None:
        self.driver = driver
        self.address = address
        self.url_mark = url_mark

    def ensure(self, timeout: float = 10.0) -> str:
        """Switch to the platform tab (if not there already) and wait until it has loaded.

        Returns the tab's target id; raises PlatformTabNotFoundError if no tab shows the
        platform within ``timeout``, AttachError if Chrome does not answer.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                tabs = platform_tabs(self.address, self.url_mark)
            except (OSError, ValueError) as exc:
                raise AttachError(
                    f"Chrome on {self.address} does not list its tabs ({exc}). Check that Chrome "
                    "is still open, then try again."
                ) from exc
            if tabs:
                handle = self._switch(tabs)
                if handle is not None and self._loaded(deadline):
                    return handle
            if time.monotonic() >= deadline:
                raise PlatformTabNotFoundError(
                    f"No open tab shows the trading platform (URL containing {self.url_mark!r}). "
                    "Open the platform's trading page in Chrome and try again."
                )
            time.sleep(0.2)

    def _switch(self, tabs: list[TabInfo]) -> str | None:
        ids = {tab.target_id for tab in tabs}
        try:
            current = self.driver.current_window_handle
        except WebDriverException:
            current = None
        if current in ids:
            return current
        try:
            handles = set(self.driver.window_handles)
        except WebDriverException as exc:
            log.debug("tabs: window list failed: %s", exc.msg)
            return None
        for tab in tabs:
            if tab.target_id in handles:
                self.driver.switch_to.window(tab.target_id)
                log.info("tabs: platform tab %s (%s)", tab.target_id, tab.url)
                return tab.target_id
        return None

    def _loaded(self, deadline: float) -> bool:
        while True:
            try:
                state = self.driver.execute_script("return document.readyState")
            except WebDriverException:
                state = None
            if state == "complete":
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def entry_webview(entry: dict[str, Any]) -> str | None:
    """The tab (target id) a performance-log entry came from; chromedriver appends it as the
    message's last key, so a suffix search avoids parsing the whole message."""
    message = entry.get("message", "")
    at = message.rfind('"webview":"')
    if at < 0:
        return None
    start = at + len('"webview":"')
    end = message.find('"', start)
    return message[start:end] if end > start else None


class PlatformEntryFilter:
    """Keeps the entries of ONE platform tab when the trader has several open.

    The tail's session logs every tab. With one platform tab (the usual case) everything
    passes; with two or more, their sockets would deliver every tick twice, so only the tab
    Chrome lists first (the most recently active one) is kept. The tab list is refreshed every
    ``refresh`` seconds; if it cannot be read, the last choice stands.
    """

    def __init__(self, address: str, url_mark: str, refresh: float = 1.0) -> None:
        self.address = address
        self.url_mark = url_mark
        self.refresh = refresh
        self._checked = 0.0
        self._keep: str | None = None
        self._refreshing = threading.Lock()
        self.dropped = 0

    def _update(self) -> None:
        """The first tab list is read inline; later ones on a short-lived thread, because the
        filter runs on the tail's delivery path and a busy Chrome can take tens of ms to
        answer ``/json/list``: every batch behind it would wait that long."""
        now = time.monotonic()
        if now - self._checked < self.refresh:
            return
        first = self._checked == 0.0
        self._checked = now
        if first:
            self._refresh()
        elif self._refreshing.acquire(blocking=False):
            threading.Thread(
                target=self._refresh_then_release, name="qfdesk-tabs", daemon=True
            ).start()

    def _refresh_then_release(self) -> None:
        try:
            self._refresh()
        finally:
            self._refreshing.release()

    def _refresh(self) -> None:
        try:
            tabs = platform_tabs(self.address, self.url_mark)
        except (OSError, ValueError) as exc:
            log.debug("tabs: cannot list tabs (%s); keeping the last choice", exc)
            return
        keep = tabs[0].target_id if len(tabs) > 1 else None
        if keep != self._keep:
            log.info(
                "tabs: %s",
                f"several platform tabs; reading {keep}" if keep else "reading every tab",
            )
            self._keep = keep

    def __call__(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._update()
        if self._keep is None:
            return entries
        kept = [e for e in entries if entry_webview(e) in (self._keep, None)]
        self.dropped += len(entries) - len(kept)
        return kept
