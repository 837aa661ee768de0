"""``qfdesk --self-test``: the app proves it works, from source and from the built bundle.

It runs the ``--demo`` path (the simulated platform and a headless Chromium of its own) with
the window offscreen, waits until a live tick reaches the chart, and exits 0; with a reason
and a non-zero code when the connection fails or no tick arrives in time. It never touches
the trader's layout, settings or data: those live in a throw-away folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from PySide6 import QtCore

from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.main_window import MainWindow
from qfdesk.ui.source_state import SourceState

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0
CHECK_EVERY_MS = 200
PASSED, FAILED, TIMED_OUT = 0, 1, 2


class SelfTestFolder:
    """A throw-away folder for the self-test's data and window layout."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="qfdesk-self-test-"))
        self.data_root = self.root / "data"

    def layout_store(self) -> LayoutStore:
        ini = QtCore.QSettings(str(self.root / "layout.ini"), QtCore.QSettings.Format.IniFormat)
        return LayoutStore(ini)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def use_offscreen_qt() -> None:
    """The self-test's window is drawn offscreen (call before the QApplication exists)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


class SelfTest(QtCore.QObject):
    """Watches the window until a live tick is on its chart, then closes it.

    ``exit_code`` is 0 when that happened, else 1 (the connection failed, or the window closed
    first) or 2 (no live tick within ``timeout`` seconds); ``reason`` says what happened.
    """

    def __init__(self, window: MainWindow, bridge: LiveBridge, timeout: float) -> None:
        super().__init__(window)
        self.window = window
        self.timeout = timeout
        self.started = time.monotonic()
        self.exit_code: int = FAILED
        self.reason = "the window closed before the self-test finished"
        self.done = False
        bridge.connectFinished.connect(
            self._on_connected, QtCore.Qt.ConnectionType.QueuedConnection
        )
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self._check)
        self._timer.start()
        log.info("self-test: waiting up to %.0f s for a live tick on the chart", timeout)

    def _on_connected(self, ok: bool, text: str) -> None:
        if not ok:
            self._finish(FAILED, f"could not attach to the simulated platform's Chromium: {text}")
        else:
            log.info("self-test: attached (%s)", text)

    def _check(self) -> None:
        window = self.window
        elapsed = time.monotonic() - self.started
        if elapsed > self.timeout:
            self._finish(
                TIMED_OUT,
                f"no live tick reached the chart within {self.timeout:.0f} s "
                f"(source {window.source_state.value}, asset {window.asset or 'none'})",
            )
            return
        asset = window.asset
        price = window.market.last_price.get(asset) if asset else None
        series = window.chart.series
        live = window.source_state is SourceState.LIVE and price is not None
        if not live or series is None or not len(series) or series.close[-1] != price:
            return
        window.chart.flush()  # draw it now rather than at the next repaint
        self._finish(PASSED, f"live tick on the chart after {elapsed:.1f} s: {asset} {price}")

    def _finish(self, code: int, reason: str) -> None:
        if self.done:
            return
        self.done = True
        self.exit_code, self.reason = code, reason
        self._timer.stop()
        if code == PASSED:
            log.info("self-test passed: %s", reason)
        else:
            log.error("self-test failed: %s", reason)
        QtCore.QTimer.singleShot(0, self.window.close)
