"""The chart grid on a market copy fed with the engine's updates: one, two or four charts
with their own asset, timeframe and indicators, a LIVE / HISTORICAL tag each, history asked
for while an asset is not live, the focus (and the traded asset) moved by a click, and the
layout saved and read back at the next start."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from qfdesk.browser.capabilities.stream_asset import stop_stream, stream_asset
from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import AssetInfo, AssetTable, Favourites, SymbolChangeRequested, Tick
from qfdesk.engine.market_state import MarketPublisher
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.chart_grid import ChartGrid, read_layout
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.page_streams import PageStreams
from qfdesk.ui.source_state import SourceState

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
T0 = 1_761_000_000
SYMBOLS = ("EURUSD_otc", "GBPUSD_otc", "USDJPY_otc", "AUDCAD_otc", "NZDUSD_otc")


def info(symbol: str, payout: float, active: bool = True) -> AssetInfo:
    return AssetInfo(
        1, symbol, symbol.replace("_otc", " OTC"), "currency", payout, True, active, (60,)
    )


TABLE = AssetTable(
    (*(info(s, 90 - i) for i, s in enumerate(SYMBOLS)), info("CLOSED_otc", 95, active=False))
)


class Feed:
    """The engine's book and publisher: ticks in, the market copy's updates out."""

    def __init__(self, market: MarketModel) -> None:
        self.market = market
        self.book = CandleBook((60, 300))
        self.publisher = MarketPublisher(self.book)

    def ticks(self, assets: tuple[str, ...], minutes: int = 30) -> None:
        ticks = [
            Tick(asset, T0 + 60 * m + 1 + k, round(1.0 + 0.1 * k + 0.001 * m, 4))
            for m in range(minutes)
            for k, asset in enumerate(assets)
        ]
        closed = [event for tick in ticks for event in self.book.on_tick(tick)]
        self.market.apply([*ticks, self.publisher.update(assets, closed, 7200.0)])


class Main:
    """What the window gives the grid for its own chart (pane 0)."""

    def __init__(self) -> None:
        self.asset = SYMBOLS[0]
        self.timeframe = 60
        self.history: list[str] = []

    def choose_asset(self, symbol: str, sync_page: bool = True) -> None:
        self.asset = symbol


def make_grid(qtbot, store, market: MarketModel, main: Main, connected: bool = True) -> ChartGrid:
    grid = ChartGrid(
        market,
        ChartWidget(),
        store,
        main=lambda: (main.asset, main.timeframe),
        choose_main_asset=main.choose_asset,
        choose_main_timeframe=lambda seconds: setattr(main, "timeframe", seconds),
        connected=lambda: connected,
        load_history=main.history.append,
    )
    qtbot.addWidget(grid)
    grid.resize(1200, 800)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


@pytest.fixture
def market() -> MarketModel:
    market = MarketModel()
    market.apply([TABLE, Favourites((SYMBOLS[0], SYMBOLS[3]))])
    return market


def test_four_charts_show_their_own_asset_and_timeframe_favourites_first(qtbot, store, market):
    main = Main()
    grid = make_grid(qtbot, store, market, main)
    Feed(market).ticks(SYMBOLS)
    assert [p.isVisible() for p in grid.panes] == [True, False, False, False]
    assert not grid.panes[0].header.isVisible(), "one chart: the toolbar's pickers serve it"

    grid.set_count(4)
    assets = [p.asset for p in grid.panes]
    assert assets == [SYMBOLS[0], SYMBOLS[3], SYMBOLS[1], SYMBOLS[2]], "favourites first"
    assert all(p.isVisible() and p.header.isVisible() for p in grid.panes)
    for pane in grid.panes[1:]:
        assert pane.chart.series is not None and pane.chart.series.asset == pane.asset
        assert len(pane.chart.series) == 30

    grid.panes[2].timeframes.setCurrentIndex(grid.panes[2].timeframes.findData(300))
    grid.panes[2].timeframes.activated.emit(grid.panes[2].timeframes.currentIndex())
    assert grid.panes[2].chart.series.timeframe == 300
    assert len(grid.panes[2].chart.series) == 6
    assert grid.panes[1].chart.series.timeframe == 60, "each pane keeps its own"

    grid.panes[3].assets.choose(SYMBOLS[4])
    assert grid.panes[3].chart.series.asset == SYMBOLS[4]
    grid.panes[0].assets.choose(SYMBOLS[1])
    assert main.asset == SYMBOLS[1], "pane 0's picker chooses the window's asset"
    grid.refresh()
    assert grid.panes[0].assets.current_symbol() == SYMBOLS[1]


def test_each_pane_is_live_while_its_asset_ticks_and_historical_otherwise(qtbot, store, market):
    main = Main()
    grid = make_grid(qtbot, store, market, main)
    grid.set_count(2)
    Feed(market).ticks((SYMBOLS[0],))
    grid.refresh()
    assert grid.panes[0].state is SourceState.LIVE
    assert grid.panes[0].tag.text() == "LIVE"
    assert grid.panes[1].state is SourceState.HISTORICAL, grid.panes[1].asset
    assert main.history == [grid.panes[1].asset], "its history is asked for, from the folder"
    grid.refresh()
    assert main.history == [grid.panes[1].asset], "once a minute at most"

    Feed(market).ticks((grid.panes[1].asset,))
    grid.refresh()
    assert grid.panes[1].tag.text() == "LIVE"
    grid.live_window = 0.0
    grid.refresh()
    assert grid.panes[1].tag.text() == "HISTORICAL"


def test_clicking_a_chart_focuses_it_and_the_traded_asset_follows(qtbot, store, market):
    main = Main()
    grid = make_grid(qtbot, store, market, main)
    grid.set_count(4)
    traded: list[str] = []
    grid.tradeAssetChanged.connect(traded.append)
    viewport = grid.panes[2].chart.graphics.viewport()
    with qtbot.waitSignal(grid.focusedChanged) as focused:
        QTest.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport.rect().center())
    assert focused.args == [2]
    assert grid.trade_asset() == grid.panes[2].asset == traded[-1]

    grid.panes[2].assets.choose(SYMBOLS[4])
    assert traded[-1] == SYMBOLS[4] == grid.trade_asset()
    grid.follow_page(SYMBOLS[3])
    assert grid.panes[2].asset == SYMBOLS[3], "a change on the page goes to the focused chart"
    assert main.asset == SYMBOLS[0]

    grid.set_count(2)
    assert grid.focused == 0 and grid.trade_asset() == main.asset == traded[-1]
    assert not grid.panes[2].isVisible()


def test_the_layout_is_saved_on_every_change_and_restored_at_the_next_start(qtbot, store, market):
    main = Main()
    grid = make_grid(qtbot, store, market, main)
    Feed(market).ticks(SYMBOLS)
    grid.set_count(4)
    grid.panes[1].assets.choose(SYMBOLS[4])
    grid.choose_timeframe(3, 300)
    grid.panes[2].chart.add_indicator({"kind": "rsi"})
    grid.focus(3)
    ARTIFACTS.mkdir(exist_ok=True)
    assert grid.grab().save(str(ARTIFACTS / "chart_grid_widget.png"))
    saved = grid.layout_now()

    again = make_grid(qtbot, store, market, main)
    assert again.restore() == []
    assert again.layout_now() == saved
    assert again.count == 4 and again.focused == 3
    assert again.panes[1].chart.series.asset == SYMBOLS[4]
    assert again.panes[3].chart.series.timeframe == 300
    kinds = [s["kind"] for s in again.panes[2].chart.indicator_specs()]
    assert kinds == ["ema", "rsi"]


@pytest.mark.parametrize(
    "raw",
    ['{"count": 3}', '{"count": true, "focused": 1}', "[1, 2]", "{bad", '{"panes": 5}'],
)
def test_a_saved_layout_not_understood_shows_one_chart(qtbot, store, market, raw):
    store.settings.setValue("chart/grid", raw)
    grid = make_grid(qtbot, store, market, Main())
    assert grid.restore() == []
    assert grid.count == 1 and grid.focused == 0
    assert read_layout({"count": 4, "focused": 9, "panes": [{"timeframe": 7}]}).focused == 0
    assert read_layout({"count": 4, "panes": [{"timeframe": 7}]}).panes[0].timeframe == 60


def test_streams_end_what_is_no_longer_wanted_first_and_ask_again_for_what_the_page_left(
    tmp_path,
):
    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    try:
        market = MarketModel()
        streams = PageStreams(bridge, market)
        streams.want([SYMBOLS[1], SYMBOLS[2], ""])
        assert streams.task is None, "not connected: only remembered"
        assert streams.next_step() == (stream_asset, SYMBOLS[1])
        streams.streaming = {SYMBOLS[0], SYMBOLS[1], SYMBOLS[2]}
        streams.refused[SYMBOLS[3]] = "the platform streams at most 4 assets at once"
        assert streams.next_step() == (stop_stream, SYMBOLS[0])
        streams.streaming.discard(SYMBOLS[0])
        assert streams.next_step() is None

        market.apply([SymbolChangeRequested(SYMBOLS[1], 60)])
        market.apply([SymbolChangeRequested(SYMBOLS[4], 60)])
        assert streams.streaming == {SYMBOLS[2]}, "the page's unsubfor ended its stream"
        assert streams.next_step() == (stream_asset, SYMBOLS[1])
        streams.want([SYMBOLS[2], SYMBOLS[3]])
        assert streams.refused == {}, "other charts: a refusal is tried again"
    finally:
        bridge.stop()


def test_with_more_charts_every_asset_is_wanted_streamed_and_a_refusal_shows_on_its_tag(
    qtbot, store, market, tmp_path
):
    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    try:
        main = Main()
        streams = PageStreams(bridge, market)
        grid = ChartGrid(
            market,
            ChartWidget(),
            store,
            main=lambda: (main.asset, main.timeframe),
            choose_main_asset=main.choose_asset,
            choose_main_timeframe=lambda seconds: None,
            connected=lambda: True,
            load_history=main.history.append,
            streams=streams,
        )
        qtbot.addWidget(grid)
        assert streams.wanted == set(), "one chart: the page's own"
        grid.set_count(4)
        assert streams.wanted == {p.asset for p in grid.panes}
        why = "The platform streams at most 4 assets at once"
        streams.refused[grid.panes[3].asset] = why
        grid.refresh()
        assert grid.panes[3].tag.toolTip() == why and grid.panes[3].tag.text() == "HISTORICAL"
        assert grid.panes[1].tag.toolTip() == ""
        grid.set_count(2)
        assert streams.wanted == {main.asset, grid.panes[1].asset}
    finally:
        bridge.stop()
