"""The chart grid: one, two or four charts, each with its own asset, timeframe and indicators.

Pane 0 holds the window's own chart, which the window keeps driving (asset, timeframe,
history, trade markers); its header shows them and hands its pickers' choices to the window.
Panes 1 to 3 are driven here from the window's market copy: their candles, history from the
data folder while their asset is not live, and the platform asked to stream their assets
(:class:`PageStreams`). Every pane's header tags it LIVE or HISTORICAL by its own asset's
ticks (``source_state.sense``). The focused pane is the one the trade panel trades
(``trade_asset``; ``tradeAssetChanged`` when it changes). How many charts, which has focus
and the extra panes' asset, timeframe and indicators are saved in the LayoutStore on every
change and read back by ``restore``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.timeframes import TIMEFRAMES
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.chart_pane import DEFAULT_TIMEFRAME, ChartPane
from qfdesk.ui.history_worker import HistoryWorker
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.page_streams import PageStreams
from qfdesk.ui.page_sync import PageSync
from qfdesk.ui.source_state import LIVE_WINDOW, SourceState, sense
from qfdesk.ui.trade_book import TradeBook, TradeRecord, trade_marker
from qfdesk.ui.trade_panel import TradePanel

log = logging.getLogger(__name__)

COUNTS = (1, 2, 4)
PANES = max(COUNTS)
EXTRA_INDICATORS: list[dict[str, Any]] = [{"kind": "ema", "params": {"period": 20}}]
REFRESH_MS = 500
HISTORY_RETRY = 60.0


@dataclass(frozen=True, slots=True)
class PaneLayout:
    asset: str = ""
    timeframe: int = DEFAULT_TIMEFRAME
    indicators: tuple[dict[str, Any], ...] | None = None  # None: the default ones


@dataclass(frozen=True, slots=True)
class GridLayout:
    count: int = 1
    focused: int = 0
    panes: tuple[PaneLayout, ...] = ()  # panes 1 to 3 (pane 0 is the window's)


def read_layout(raw: object) -> GridLayout:
    """The layout in what the store gave back; anything not understood takes the default."""
    if not isinstance(raw, dict):
        return GridLayout()
    count = raw.get("count")
    count = count if count in COUNTS and type(count) is int else 1
    focused = raw.get("focused")
    focused = focused if type(focused) is int and 0 <= focused < count else 0
    panes = []
    saved = raw.get("panes")
    for entry in saved[: PANES - 1] if isinstance(saved, list) else []:
        entry = entry if isinstance(entry, dict) else {}
        asset = entry.get("asset")
        timeframe = entry.get("timeframe")
        indicators = entry.get("indicators")
        panes.append(
            PaneLayout(
                asset if isinstance(asset, str) else "",
                timeframe if _is_timeframe(timeframe) else DEFAULT_TIMEFRAME,
                tuple(indicators) if isinstance(indicators, list) else None,
            )
        )
    return GridLayout(count, focused, tuple(panes))


def _is_timeframe(value: object) -> TypeGuard[int]:
    return type(value) is int and value in TIMEFRAMES.values()


class ChartGrid(QtWidgets.QWidget):
    focusedChanged = QtCore.Signal(int)
    tradeAssetChanged = QtCore.Signal(str)  # the focused pane's asset (the one traded)

    def __init__(
        self,
        market: MarketModel,
        main_chart: ChartWidget,
        store: LayoutStore,
        *,
        main: Callable[[], tuple[str, int]],
        choose_main_asset: Callable[..., None],
        choose_main_timeframe: Callable[[int], None],
        connected: Callable[[], bool],
        load_history: Callable[[str], object],
        streams: PageStreams | None = None,
        live_window: float = LIVE_WINDOW,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._book: TradeBook | None = None
        self.market = market
        self.store = store
        self._main = main
        self._choose_main_asset = choose_main_asset
        self._choose_main_timeframe = choose_main_timeframe
        self._connected = connected
        self._load_history = load_history
        self.streams = streams
        self.live_window = live_window
        self.count = 1
        self.focused = 0
        self._history_at: dict[str, float] = {}
        self._offset: float | None = None
        self._restoring = False
        self.panes = [ChartPane(0, main_chart, self)]
        self.panes += [ChartPane(i, parent=self) for i in range(1, PANES)]
        self._grid = QtWidgets.QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        for pane in self.panes:
            self._wire(pane)
        for pane in self.panes[1:]:
            pane.chart.set_indicator_specs(EXTRA_INDICATORS)
            pane.chart.indicatorsChanged.connect(self.save)
        for pane in self.panes:
            pane.assets.set_assets(market.assets.values(), market.favourites)
        market.candlesChanged.connect(self._on_candles)
        market.assetsChanged.connect(self._on_assets)
        if streams is not None:
            streams.changed.connect(self.refresh)
        self._place()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def _wire(self, pane: ChartPane) -> None:
        index = pane.index
        pane.pressed.connect(lambda: self.focus(index))
        pane.assets.assetChosen.connect(lambda symbol: self.choose_asset(index, symbol))
        pane.timeframes.activated.connect(
            lambda row: self.choose_timeframe(index, pane.timeframes.itemData(row))
        )

    # ----- layout ------------------------------------------------------------------------

    def visible(self) -> list[ChartPane]:
        return self.panes[: self.count]

    def _place(self) -> None:
        for pane in self.panes:
            self._grid.removeWidget(pane)
        for pane in self.panes[self.count :]:
            pane.hide()
        columns = 1 if self.count == 1 else 2
        for pane in self.visible():
            self._grid.addWidget(pane, pane.index // columns, pane.index % columns)
            pane.show()
        for pane in self.panes:
            pane.set_framed(self.count > 1, focused=pane.index == self.focused)

    def set_count(self, count: int) -> None:
        """Show ``count`` charts (1, 2 or 4); new ones take assets not shown yet."""
        if count not in COUNTS:
            raise ValueError(f"the grid shows 1, 2 or 4 charts, not {count}")
        self.count = count
        self._fill_empty()
        self._place()
        for pane in self.visible()[1:]:
            self._show_data(pane)
        if self.focused >= count:
            self.focus(0)
        self._want_streams()
        self.refresh()
        self.save()

    def _fill_empty(self) -> None:
        shown = {self._main()[0], *(p.asset for p in self.panes[1:])}
        free = [s for s in (*self.market.favourites, *self.market.assets) if s not in shown]
        free = [s for s in dict.fromkeys(free) if self._is_open(s)]
        for pane in self.visible()[1:]:
            if not pane.asset and free:
                pane.show_asset(free.pop(0))

    def _is_open(self, symbol: str) -> bool:
        info = self.market.assets.get(symbol)
        return info is None or info.is_active

    def focus(self, index: int) -> None:
        if not 0 <= index < self.count or index == self.focused:
            return
        self.focused = index
        self._place()
        self.focusedChanged.emit(index)
        self.tradeAssetChanged.emit(self.trade_asset())
        self.save()

    def trade_asset(self) -> str:
        """The focused pane's asset: the one the trade panel shows and trades."""
        pane = self.panes[self.focused]
        return self._main()[0] if pane.index == 0 else pane.asset

    # ----- choosing ----------------------------------------------------------------------

    def choose_asset(self, index: int, symbol: str) -> None:
        if index == 0:
            self._choose_main_asset(symbol)
            self.refresh()
            return
        pane = self.panes[index]
        if not symbol or symbol == pane.asset:
            return
        pane.show_asset(symbol)
        self._show_data(pane)
        self._want_streams()
        self.refresh()
        if index == self.focused:
            self.tradeAssetChanged.emit(symbol)
        self.save()

    def choose_timeframe(self, index: int, seconds: int) -> None:
        if index == 0:
            self._choose_main_timeframe(seconds)
            self.refresh()
            return
        pane = self.panes[index]
        pane.show_timeframe(seconds)
        self._show_data(pane)
        self.save()

    def follow_page(self, symbol: str) -> None:
        """The trader chose ``symbol`` on the platform page: the focused chart shows it."""
        if self.focused == 0:
            self._choose_main_asset(symbol, sync_page=False)
        else:
            self.choose_asset(self.focused, symbol)

    # ----- data --------------------------------------------------------------------------

    def _on_candles(self, asset: str, rebuilt: bool) -> None:
        for pane in self.visible()[1:]:
            if pane.asset != asset:
                continue
            candles = self.market.candles
            series = candles.series(asset, pane.timeframe)
            if rebuilt or pane.chart.series is not series:
                self._show_data(pane)
            else:
                pane.chart.series_changed(candles.closed_len(asset, pane.timeframe))

    def show_trades_of(self, book: TradeBook) -> None:
        """The other charts show ``book``'s trades on their assets (the main chart is the
        window's), each marker kept up to date."""
        self._book = book
        book.changed.connect(self._on_trade)

    def _on_trade(self, record: TradeRecord) -> None:
        marker = trade_marker(record)
        if marker is None:
            return
        for pane in self.visible()[1:]:
            if pane.asset == record.asset:
                pane.chart.upsert_trade_marker(marker)

    def _show_trades(self, pane: ChartPane) -> None:
        book = self._book
        if book is not None:
            pane.chart.set_trade_markers(
                [m for r in book.records if r.asset == pane.asset and (m := trade_marker(r))]
            )

    def _show_data(self, pane: ChartPane) -> None:
        chart = pane.chart
        if not pane.asset:
            chart.set_series(None)
            return
        candles = self.market.candles
        series = candles.series(pane.asset, pane.timeframe)
        keep_view = chart.series is series and not chart.is_following()
        (x0, x1), _ = chart.price_plot.vb.viewRange()
        chart.set_price_decimals(self.market.price_decimals(pane.asset))
        chart.set_series(series, candles.closed_len(pane.asset, pane.timeframe))
        if keep_view:
            chart.price_plot.vb.setXRange(x0, x1, padding=0)
        self._show_trades(pane)

    def _on_assets(self) -> None:
        for pane in self.panes:
            pane.assets.set_assets(self.market.assets.values(), self.market.favourites)
        if any(not pane.asset for pane in self.visible()[1:]):
            self._fill_empty()
            for pane in self.visible()[1:]:
                self._show_data(pane)
            self._want_streams()
            self.save()

    def _want_streams(self) -> None:
        """Every chart's asset streamed: the page streams the one it shows itself (the
        focused chart's), the others are asked for; one chart is the page's own."""
        if self.streams is not None:
            assets = [self._main()[0], *(p.asset for p in self.visible()[1:])]
            self.streams.want(assets if self.count > 1 else [])

    def refresh(self) -> None:
        """Headers, source tags, history while not live and the clock offset."""
        asset, timeframe = self._main()
        main = self.panes[0]
        if main.asset != asset:
            main.show_asset(asset)
            self._want_streams()
        if main.timeframe != timeframe:
            main.show_timeframe(timeframe)
        offset = self.market.candles.clock_offset
        follow_offset = offset is not None and offset != self._offset
        self._offset = offset if follow_offset else self._offset
        connected = self._connected()
        refused = self.streams.refused if self.streams is not None else {}
        for pane in self.visible():
            age = self.market.tick_age(pane.asset) if pane.asset else None
            state = sense(connected, age, self.live_window)
            pane.show_state(state, refused.get(pane.asset, ""))
            if pane.index == 0:
                continue
            if follow_offset and offset is not None:
                pane.chart.set_platform_offset(offset)
            if pane.asset and state is not SourceState.LIVE:
                self._history(pane.asset)

    def _history(self, asset: str) -> None:
        last = self._history_at.get(asset)
        if last is not None and time.monotonic() - last < HISTORY_RETRY:
            return
        self._history_at[asset] = time.monotonic()
        self._load_history(asset)

    # ----- saving ------------------------------------------------------------------------

    def layout_now(self) -> GridLayout:
        panes = tuple(
            PaneLayout(p.asset, p.timeframe, tuple(p.chart.indicator_specs()))
            for p in self.panes[1:]
        )
        return GridLayout(self.count, self.focused, panes)

    def save(self) -> None:
        if self._restoring:
            return
        layout = self.layout_now()
        self.store.set_chart_grid(
            {
                "count": layout.count,
                "focused": layout.focused,
                "panes": [
                    {
                        "asset": p.asset,
                        "timeframe": p.timeframe,
                        "indicators": list(p.indicators or ()),
                    }
                    for p in layout.panes
                ],
            }
        )

    def restore(self) -> list[str]:
        """The saved layout back; the indicators that could not be restored, said why."""
        layout = read_layout(self.store.chart_grid())
        problems: list[str] = []
        self._restoring = True
        try:
            for pane, saved in zip(self.panes[1:], layout.panes, strict=False):
                pane.show_asset(saved.asset)
                pane.show_timeframe(saved.timeframe)
                if saved.indicators is not None:
                    problems += pane.chart.set_indicator_specs(list(saved.indicators))
            self.set_count(layout.count)
            self.focus(layout.focused)
        finally:
            self._restoring = False
        return problems


def install_chart_grid(
    *,
    market: MarketModel,
    chart: ChartWidget,
    store: LayoutStore,
    bridge: LiveBridge,
    history: HistoryWorker,
    book: TradeBook,
    page_sync: PageSync,
    trade_panel: TradePanel,
    central: QtWidgets.QBoxLayout,
    view_menu: QtWidgets.QMenu,
    main: Callable[[], tuple[str, int]],
    choose_main_asset: Callable[..., None],
    choose_main_timeframe: Callable[[int], None],
    live_window: float,
) -> ChartGrid:
    """The grid in ``central`` where ``chart`` (the main chart) is, *Charts* in
    ``view_menu``, the trade panel and the platform page following the focused chart, and
    the saved layout back. ``main`` gives the main chart's asset and timeframe; each other
    chart shows the trades of ``book`` on its asset."""
    place = central.indexOf(chart)
    grid = ChartGrid(
        market,
        chart,
        store,
        main=main,
        choose_main_asset=choose_main_asset,
        choose_main_timeframe=choose_main_timeframe,
        connected=lambda: bridge.connected,
        load_history=history.request,
        streams=PageStreams(bridge, market, market),
        live_window=live_window,
        parent=central.parentWidget(),
    )
    central.insertWidget(place, grid, 1)
    grid.show_trades_of(book)
    charts = view_menu.addMenu("Charts")
    group = QtGui.QActionGroup(charts)
    for count in COUNTS:
        action = charts.addAction(f"{count} chart{'s' if count > 1 else ''}")
        action.setCheckable(True)
        action.setObjectName(f"charts{count}")
        group.addAction(action)
        action.triggered.connect(lambda _=False, n=count: grid.set_count(n))

    def follow(asset: str) -> None:
        trade_panel.set_asset(market.display_name(asset) if asset else "", market.payout(asset))
        if asset and bridge.connected:
            page_sync.request(asset)

    grid.tradeAssetChanged.connect(follow)
    for problem in grid.restore():
        log.warning("chart grid: indicator not restored: %s", problem)
    for action in group.actions():
        action.setChecked(action.objectName() == f"charts{grid.count}")
    return grid
