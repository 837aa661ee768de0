"""The action session: the chromedriver session the capabilities click and read with.

A chromedriver session belongs to the Chrome it attached to. When that Chrome dies and a new
one answers on the same port, the tail re-attaches by itself, but the old action session
sees none of the new Chrome's tabs: every action then waited for the platform tab and failed
with "No open tab shows the trading platform". So the session is rebuilt whenever the tail
has re-attached since the session was made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from qfdesk.browser.attach import detach

if TYPE_CHECKING:
    from selenium import webdriver

log = logging.getLogger(__name__)


class ActionSession:
    """One chromedriver session, attached on first use and replaced after a re-attach.

    ``connect`` attaches a new session; ``reattaches`` counts the tail's re-attaches (see
    :attr:`qfdesk.browser.live.LiveSource.reconnects`). Use it from one thread only (the
    bridge's action executor), so that no action runs on a session being replaced.
    """

    def __init__(
        self, connect: Callable[[], webdriver.Chrome], reattaches: Callable[[], int]
    ) -> None:
        self._connect = connect
        self._reattaches = reattaches
        self._driver: webdriver.Chrome | None = None
        self._made_at = 0

    def driver(self) -> webdriver.Chrome:
        """The session on the Chrome the tail reads now (attaching may raise ChromeError)."""
        reattaches = self._reattaches()
        if self._driver is not None and reattaches != self._made_at:
            log.info("action session: Chrome was re-attached; a new session replaces the old")
            self.close()
        if self._driver is None:
            self._driver = self._connect()
            self._made_at = reattaches
        return self._driver

    def close(self) -> None:
        """End the session (the trader's Chrome stays open)."""
        driver, self._driver = self._driver, None
        detach(driver)
