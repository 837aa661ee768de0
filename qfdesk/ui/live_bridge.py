"""LiveBridge: the live source and the pipeline, off the GUI thread, talking through signals.

The tail thread feeds the :class:`Pipeline`; each batch of events reaches the GUI thread only
through ``eventsReady`` (connect it with a queued connection). A housekeeping thread closes
candles by the wall clock and reports health. Starting (Chrome launch, attach) runs on its own
thread; capabilities run on ``executor`` (one thread, so actions on the page never overlap)
with their own chromedriver session, rebuilt whenever the tail re-attaches (see
:class:`ActionSession`). After each attach and re-attach (and on :meth:`check_page`) the
page's critical elements are checked on ``executor`` with the selectors as they are then (the
user's override file read again); ``page_check`` holds the result, which the order desk
consults. Nothing here ever blocks the GUI thread, except :meth:`stop` at exit.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6 import QtCore
from selenium import webdriver
from selenium.common.exceptions import WebDriverException

from qfdesk.browser.action_session import ActionSession
from qfdesk.browser.attach import attach
from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.errors import ChromeError
from qfdesk.browser.event_source import EventHub
from qfdesk.browser.live import LiveSource
from qfdesk.browser.page_check import check_page_settled
from qfdesk.browser.selectors import SelectorError, Selectors
from qfdesk.browser.settings import BrowserSettings
from qfdesk.browser.tail import TailState
from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import Event
from qfdesk.engine.page_check import PageCheck, PageChecks
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.recording import Recorder
from qfdesk.engine.timeframes import TIMEFRAMES
from qfdesk.engine.trading_halt import TradingHalt

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 0.5
CONNECT_JOIN_TIMEOUT = 40.0
PAGE_CHECK_GRACE = 10.0
"""Seconds a check waits for a missing element to appear: a page just opened draws late."""


class LiveBridge(QtCore.QObject):
    eventsReady = QtCore.Signal(object)  # list[Event], one batch
    tailStateChanged = QtCore.Signal(str)  # TailState value
    healthChanged = QtCore.Signal(object, object)  # TailHealth | None, clock offset | None
    connectFinished = QtCore.Signal(bool, str)  # ok, what happened (a message for the trader)

    def __init__(
        self,
        data_root: Path,
        artifacts_dir: Path,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_root = Path(data_root)
        self.artifacts_dir = Path(artifacts_dir)
        self.sink = CsvSink(self.data_root, PersistSettings(save_candles=False, save_ticks=False))
        self.pipeline = Pipeline(TIMEFRAMES.values(), self.sink, publish=True)
        self.hub = EventHub()
        self.pipeline.add_listener(self._forward)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="qfdesk-actions")
        self.source: LiveSource | None = None
        self.settings: BrowserSettings | None = None
        self.selectors: Selectors | None = None
        self._actions = ActionSession(self._attach_actions, self._reattaches)
        self._stop = threading.Event()
        self._housekeeper: threading.Thread | None = None
        self._starting = False
        self._stopped = False
        self._connecting: threading.Thread | None = None
        self.launched_chrome = False
        self.halt = TradingHalt()  # the session's trading alarm, in every action context
        self.recorder: Recorder | None = None  # File > Record traffic: gets every batch read
        self.page_check = PageChecks()  # the latest check of the page's critical elements
        self.page_check_grace = PAGE_CHECK_GRACE

    # ----- data path (tail thread) ------------------------------------------------------

    def _on_entries(self, entries: list[dict[str, Any]]) -> None:
        recorder = self.recorder
        if recorder is not None:
            recorder.write(entries)
        self.pipeline.feed(entries)

    def _forward(self, events: list[Event]) -> None:
        if not events:
            return
        self.hub.publish(events)
        self.eventsReady.emit(events)

    # ----- persistence switches (any thread) ----------------------------------------------

    def set_persist(self, *, candles: bool | None = None, ticks: bool | None = None) -> None:
        """Switch saving candles / ticks to CSV at runtime."""
        current = self.sink.settings
        self.sink.settings = dataclasses.replace(
            current,
            save_candles=current.save_candles if candles is None else candles,
            save_ticks=current.save_ticks if ticks is None else ticks,
        )
        log.info(
            "saving candles %s, ticks %s under %s",
            "on" if self.sink.settings.save_candles else "off",
            "on" if self.sink.settings.save_ticks else "off",
            self.data_root,
        )

    # ----- connecting ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.source is not None and self.source.state is TailState.CONNECTED

    def start(
        self, settings: BrowserSettings, *, launch: bool, navigate_to: str | None = None
    ) -> None:
        """Launch or attach on a worker thread; ``connectFinished`` tells how it went.

        ``navigate_to``: open this page once the tail listens (only in a Chrome we started;
        default with ``launch``: ``settings.url``), so the page's first frames are logged.
        """
        if self._starting or self.source is not None:
            return
        self._starting = True
        self.settings = settings
        if launch:
            # A Chrome we start opens a blank page and goes to the platform once the tail
            # listens, so that the page's first frames (asset table, history) are not missed.
            navigate_to = navigate_to or settings.url
            settings = dataclasses.replace(settings, url="about:blank")
        self._connecting = threading.Thread(
            target=self._start,
            args=(settings, launch, navigate_to),
            name="qfdesk-connect",
            daemon=True,
        )
        self._connecting.start()

    def _start(self, settings: BrowserSettings, launch: bool, navigate_to: str | None) -> None:
        source = LiveSource(
            settings,
            self._on_entries,
            launch=launch,
            on_state=self._on_tail_state,
            decode_errors=lambda: self.pipeline.decoder.stats.malformed_total,
        )
        try:
            source.start()
            if self._stopped:  # the window closed while Chrome was starting
                source.stop(close_chrome=True)
                self._starting = False
                return
            self.source = source
            self.launched_chrome = (
                source.endpoint is not None and source.endpoint.process is not None
            )
            if navigate_to and self.launched_chrome:
                self.executor.submit(lambda: self._driver().get(navigate_to)).result()
        except ChromeError as error:
            self.source = None
            source.stop(close_chrome=True)
            self._starting = False
            log.warning("could not connect to Chrome: %s", error)
            self.connectFinished.emit(False, str(error))
            return
        except Exception as error:
            self.source = None
            source.stop(close_chrome=True)
            self._starting = False
            log.exception("could not connect to Chrome")
            self.connectFinished.emit(False, f"Could not connect to Chrome: {error}")
            return
        self._starting = False
        self._housekeeper = threading.Thread(
            target=self._housekeeping, name="qfdesk-housekeeping", daemon=True
        )
        self._housekeeper.start()
        self.connectFinished.emit(True, f"Chrome {settings.address}")
        self.check_page()

    def _on_tail_state(self, state: TailState) -> None:
        """Tail thread. After a re-attach the action session is rebuilt at once (on the
        executor, queued before any action), so the first action after a crash finds it."""
        self.tailStateChanged.emit(state.value)
        if state is TailState.CONNECTED and self._reattaches():
            try:
                self.executor.submit(self._renew_actions)
            except RuntimeError:  # stopping: the executor takes nothing more
                pass

    def _renew_actions(self) -> None:
        if self._stopped:  # the session was closed for good, or is about to be
            return
        try:
            self._driver()
        except ChromeError as error:
            log.warning(
                "Chrome re-attached, but the action session could not attach (%s); "
                "the next action tries again",
                error,
            )
            return
        self._check_page()

    def check_page(self) -> None:
        """Check the page's critical elements again, on ``executor`` (any thread)."""
        try:
            self.executor.submit(self._check_page)
        except RuntimeError:  # stopping: the executor takes nothing more
            pass

    def _housekeeping(self) -> None:
        while not self._stop.wait(HOUSEKEEPING_EVERY):
            try:
                self.pipeline.on_wall_clock()
                source = self.source
                health = source.health() if source is not None else None
                self.healthChanged.emit(health, self.pipeline.clock.offset)
            except Exception:
                log.exception("housekeeping failed; carrying on")

    # ----- actions (executor thread only) ----------------------------------------------

    def _driver(self) -> webdriver.Chrome:
        return self._actions.driver()

    def _attach_actions(self) -> webdriver.Chrome:
        assert self.settings is not None
        return attach(self.settings.address, chromedriver_path=self.settings.chromedriver_path)

    def _reattaches(self) -> int:
        source = self.source
        return source.reconnects if source is not None else 0

    def action_context(self, *, allow_real: bool = False) -> Context:
        """The context capabilities take. Call it on ``executor`` only (it may attach)."""
        if self.settings is None or self.source is None:
            raise ChromeError("Not connected to Chrome: connect first (Connect panel).")
        if self.selectors is None:
            self.selectors = Selectors.load()
        return Context(
            driver=self._driver(),
            selectors=self.selectors,
            artifacts_dir=self.artifacts_dir,
            events=self.hub,
            allow_real=allow_real,
            address=self.settings.address,
            url_mark=self.settings.url_mark,
            halt=self.halt,
        )

    def _check_page(self) -> None:
        """Executor thread: the selectors read again (the user's override as it is now, also
        for the actions that follow), then the page checked with them."""
        if self._stopped:
            return
        try:
            self.selectors = Selectors.load()
            ctx = self.action_context()
            ctx.ensure_tab()
            check = check_page_settled(
                ctx.driver, self.selectors, self.page_check_grace, self._stop.wait
            )
        except SelectorError as error:
            check = PageCheck(error=f"the built-in selectors file is broken ({error})")
        except ChromeError as error:
            check = PageCheck(error=str(error))
        except WebDriverException as error:
            message = (error.msg or type(error).__name__).splitlines()[0]
            check = PageCheck(error=f"the browser refused ({message})")
        self.page_check.update(check)

    def reload_page(self) -> None:
        """Reload the platform tab (executor thread): the page then sends its asset table,
        balance and history again, which an attach to an open page has missed."""
        ctx = self.action_context()
        ctx.ensure_tab()
        ctx.driver.refresh()
        log.info("reloaded the platform page")

    # ----- stopping ---------------------------------------------------------------------------

    def stop(self, *, close_chrome: bool = False) -> None:
        """Stop the tail and housekeeping; ``close_chrome`` also ends a Chrome we started.
        Only the first call does anything."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._connecting is not None:
            # A Chrome being launched right now must not outlive us: let the start finish,
            # it sees the stop and closes what it started.
            self._connecting.join(CONNECT_JOIN_TIMEOUT)
        if self._housekeeper is not None:
            self._housekeeper.join(5)
            self._housekeeper = None
        self.executor.submit(self._actions.close)
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.source is not None:
            self.source.stop(close_chrome=close_chrome)
        self.pipeline.on_wall_clock()
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.close()
