"""*Load older history* and scrolling the chart past its oldest candle: older pages of the
chart's asset, asked of the trader's page the way the page asks when its own chart scrolls.

The requests go out on the bridge's action executor (``history_page`` capability); the
answers come back through the tail into the bridge's pipeline like every frame, so the market
state inserts them (the chart redraws from its copy) and the sink writes them when saving is
on. The paging itself (:class:`qfdesk.engine.backfill.HistoryPager`) runs on a worker thread
of its own; the GUI thread only starts it and shows its progress in the status bar.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.browser.capabilities.history_page import request_history_page
from qfdesk.engine.backfill import BackfillProgress, HistoryPager, Outcome, PageRequest
from qfdesk.engine.events import Event
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel

log = logging.getLogger(__name__)

ACTION_DAYS = 1.0
"""How far back one *Load older history* goes from the chart's oldest candle."""
SCROLL_PAGES = 1
PAGE_CANDLES = 500
PACE = 2.0
SEND_TIMEOUT = 30.0
MAX_EMPTY = 86400 * 4


class OlderHistory(QtCore.QObject):
    """The action, the scroll trigger and the progress bar; one paging at a time."""

    progressed = QtCore.Signal(object)  # BackfillProgress (from the worker thread)

    def __init__(
        self,
        *,
        bridge: LiveBridge,
        market: MarketModel,
        chart: ChartWidget,
        status: QtWidgets.QStatusBar,
        show_message: Callable[[str, str], None],
        current_asset: Callable[[], str],
        current_timeframe: Callable[[], int],
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._market = market
        self._chart = chart
        self._show_message = show_message
        self._asset = current_asset
        self._timeframe = current_timeframe
        self._pager: HistoryPager | None = None
        self._stop = threading.Event()
        self._first: tuple[str, int, int] | None = None  # the chart's oldest candle shown
        self.last: BackfillProgress | None = None
        self.action = QtGui.QAction("Load older history", self)
        self.action.setToolTip("Ask the platform's page for a day of candles before the oldest")
        self.action.triggered.connect(lambda: self.load_older(ACTION_DAYS))
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(220)
        self.bar.setFormat("older history %p%")
        self.bar.hide()
        status.addPermanentWidget(self.bar)
        chart.addAction(self.action)
        chart.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.ActionsContextMenu)
        bridge.pipeline.add_listener(self._on_events)
        self.progressed.connect(self._on_progress, QtCore.Qt.ConnectionType.QueuedConnection)
        chart.price_plot.vb.sigXRangeChanged.connect(self._on_view)
        market.candlesChanged.connect(self._keep_view)
        app = QtCore.QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    @property
    def busy(self) -> bool:
        return self._pager is not None

    def stop(self) -> None:
        self._stop.set()

    # ----- starting (GUI thread) --------------------------------------------------------

    def load_older(self, days: float) -> bool:
        """Page back ``days`` from the chart's oldest candle; False (with a message) if not."""
        asset, timeframe = self._asset(), self._timeframe()
        if self._pager is not None:
            return False
        if not self._bridge.connected:
            self._show_message("Not connected to the platform's Chrome.", "warning")
            return False
        if not asset:
            self._show_message("Choose an asset first.", "warning")
            return False
        if timeframe < 60:
            self._show_message(
                "Older history comes in 1m and longer candles: switch the chart to 1m or more.",
                "warning",
            )
            return False
        series = self._market.candles.series(asset, timeframe)
        if not len(series):
            self._show_message(f"No {asset} candles yet to page back from.", "warning")
            return False
        start = int(series.start[0])
        target = start - int(days * 86400)
        self._pager = HistoryPager(
            asset,
            timeframe,
            start,
            target - target % timeframe,
            self._send,
            page_candles=PAGE_CANDLES,
            pace=PACE,
            max_empty=MAX_EMPTY,
        )
        self._stop.clear()
        self.bar.setValue(0)
        self.bar.show()
        worker = threading.Thread(
            target=self._run, args=(self._pager,), name="qfdesk-older-history", daemon=True
        )
        worker.start()
        log.info("paging %s history back %g days from its oldest candle", asset, days)
        return True

    def _on_view(self, *_args: object) -> None:
        """The trader scrolled left of the oldest candle (the view no longer follows the
        newest): one more page."""
        (x0, _x1), _ = self._chart.price_plot.vb.viewRange()
        series = self._chart.series
        if x0 >= 0 or self._chart.is_following() or self._pager is not None:
            return
        if series is None or not len(series):
            return
        if not self._bridge.connected or self._timeframe() < 60:
            return
        self.load_older(SCROLL_PAGES * PAGE_CANDLES * self._timeframe() / 86400)

    # ----- paging (worker thread, action executor) ------------------------------------------

    def _run(self, pager: HistoryPager) -> None:
        try:
            pager.run(self._stop, self._emit)
        except Exception as error:
            log.exception("paging older history failed")
            self._emit(pager.progress(Outcome.FAILED, f"Paging older history failed: {error}"))

    def _emit(self, progress: BackfillProgress) -> None:
        try:
            self.progressed.emit(progress)
        except RuntimeError:  # the window is gone (closed while paging): nobody to tell
            self._stop.set()

    def _send(self, request: PageRequest) -> str | None:
        def send() -> str | None:
            result = request_history_page(
                self._bridge.action_context(),
                request.asset,
                request.timeframe,
                request.end,
                request.count,
            )
            return None if result.ok else result.error or "the request was not sent"

        try:
            return self._bridge.executor.submit(send).result(SEND_TIMEOUT)
        except (RuntimeError, CancelledError, TimeoutError) as error:
            return f"the page could not be asked ({type(error).__name__})"

    def _on_events(self, events: list[Event]) -> None:
        pager = self._pager
        if pager is not None:
            pager.on_events(events)

    # ----- showing (GUI thread) ------------------------------------------------------------

    def _on_progress(self, progress: BackfillProgress) -> None:
        self.bar.setValue(round(progress.fraction * 1000))
        if progress.outcome is Outcome.RUNNING:
            return
        self.last = progress
        self._pager = None
        self.bar.hide()
        text = f"{progress.candles} older {progress.asset} candles loaded"
        if progress.gaps:
            text += f"; {len(progress.gaps)} gaps with no history"
        if progress.outcome is Outcome.FAILED:
            self._show_message(progress.message, "error")
        elif progress.outcome is Outcome.HISTORY_ENDS:
            self._show_message(f"{text}; {progress.message}.", "info")
        else:
            self._show_message(f"{text}.", "info")
        log.info("older history: %s (%s)", text, progress.outcome.value)

    def _keep_view(self, asset: str, rebuilt: bool) -> None:
        """Older candles inserted before the view: move the view with the candles it showed,
        so they stay where the trader was looking."""
        series = self._chart.series
        if series is None or not len(series):
            self._first = None
            return
        first = (series.asset, series.timeframe, int(series.start[0]))
        before, self._first = self._first, first
        if not rebuilt or before is None or before[:2] != first[:2] or before[2] <= first[2]:
            return
        if self._chart.is_following():
            return
        shift = int(series.find(before[2]))
        if shift > 0:
            (x0, x1), _ = self._chart.price_plot.vb.viewRange()
            self._chart.price_plot.vb.setXRange(x0 + shift, x1 + shift, padding=0)


def install_older_history(
    *,
    bridge: LiveBridge,
    market: MarketModel,
    chart: ChartWidget,
    status: QtWidgets.QStatusBar,
    show_message: Callable[[str, str], None],
    current_asset: Callable[[], str],
    current_timeframe: Callable[[], int],
    parent: QtCore.QObject,
) -> OlderHistory:
    """The *Load older history* action (also in the chart's context menu), paging when the
    chart is scrolled past its oldest candle, and the progress bar in ``status``."""
    return OlderHistory(
        bridge=bridge,
        market=market,
        chart=chart,
        status=status,
        show_message=show_message,
        current_asset=current_asset,
        current_timeframe=current_timeframe,
        parent=parent,
    )
