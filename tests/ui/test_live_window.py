"""The main window on the real simulator through real headless Chromium: one of each per module,
put back before every test in the state each test starts from (so each passes alone and in any
order).

Covers: chart == store, history from disk continued by live data, asset isolation and the
page following, a timeframe switch, the crosshair readout, HISTORICAL fallback and return,
a whole BUY from the button to a result in the history table, risk refusals, REAL consent,
the save switches, the GUI stall watchdog and a screenshot of the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, GuiWatchdog, pause, run, until, wait_until
from PySide6 import QtCore, QtWidgets

from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import LIVE_WINDOW, SourceState
from qfdesk.ui.trade_book import TradeStatus

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PLATFORM_OFFSET = 7200
DISK_CANDLES = 30
DISK_ASSET = "AUDCAD_otc"


def write_disk_history(data_root: Path, asset: str) -> list[int]:
    """1m candles ending six hours ago (platform time), as an earlier session saved them."""
    sink = CsvSink(data_root, PersistSettings(save_candles=True, save_ticks=False))
    now = int(time.time()) + PLATFORM_OFFSET
    first = (now - 6 * 3600) // 60 * 60 - DISK_CANDLES * 60
    starts = [first + 60 * i for i in range(DISK_CANDLES)]
    candles = [Candle(asset, 60, s, 1.2, 1.21, 1.19, 1.205) for s in starts]
    sink.write_candles(candles)
    return starts


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=6, seed=11) as platform:
        yield platform


@pytest.fixture(scope="module")
def disk_starts(tmp_path_factory) -> tuple[Path, list[int]]:
    root = tmp_path_factory.mktemp("data")
    return root, write_disk_history(root, DISK_ASSET)


@dataclass(frozen=True)
class StartState:
    """What the window shows when it first goes LIVE, the state every test starts from."""

    amount: float
    expiry: int
    indicators: list[dict[str, Any]]


@pytest.fixture(scope="module")
def live_desk(sim, qloop, disk_starts, tmp_path_factory):
    desk = Desk(tmp_path_factory.mktemp("desk"), data_root=disk_starts[0])
    try:
        desk.connect(qloop, sim)
        assert wait_until(qloop, lambda: desk.window.source_state is SourceState.LIVE, 30), (
            "the window never went LIVE"
        )
        panel = desk.window.trade_panel
        start = StartState(
            panel.amount_value(), panel.expiry_seconds(), desk.window.chart.indicator_specs()
        )
        yield desk, start
    finally:
        desk.close()


@pytest.fixture
def desk(live_desk, sim, qloop):
    """The module's window and simulator, put back in the start state: stream on at its usual
    rate, demo account, no trade open or in flight, no consent question open, EURUSD_otc 1m
    on the page and in the window, LIVE, save switches off, start amount, expiry and
    indicators."""
    desk, start = live_desk
    window = desk.window
    sim.control("resume_stream")
    sim.control("set_tick_rate", rate=None)
    if window.consent.dialog is not None:
        window.consent.dialog.reject()
    assert wait_until(qloop, lambda: not window.trading.busy, 40)
    # Closed on the account that placed them, so the page reports their results.
    sim.control("close_orders_now")
    assert wait_until(qloop, lambda: not window.book.open_trades(), 30), "a trade never closed"
    sim.control("account", kind="demo")
    assert wait_until(qloop, lambda: window.market.is_demo is True, 20)
    window.live_window = LIVE_WINDOW
    for switch in (window.toolbar.save_candles, window.toolbar.save_ticks):
        if switch.isChecked():
            switch.trigger()
    window.toolbar.timeframes.choose(60)
    window.toolbar.assets.choose("EURUSD_otc")
    assert wait_until(
        qloop,
        lambda: window.market.page_asset == "EURUSD_otc" and window.asset == "EURUSD_otc",
        20,
    )
    assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 15)
    window.trade_panel.amount.setValue(start.amount)
    window.trade_panel.set_expiry(start.expiry)
    window.chart.set_indicator_specs(start.indicators)
    return desk


def built_equals_store(window) -> None:
    chart = window.chart
    chart.flush()
    chart.grab()
    built = chart.candle_item.built
    series = chart.series
    assert built is not None and built.group == 1
    closed = chart.closed_len
    assert built.hi <= closed
    for drawn, stored in zip(
        (built.open, built.high, built.low, built.close),
        (series.open, series.high, series.low, series.close),
        strict=True,
    ):
        np.testing.assert_array_equal(drawn, stored[built.lo : built.hi])
    if closed < len(series):
        i = len(series) - 1
        bar = chart.forming_item.bar
        assert bar == (i, series.open[i], series.high[i], series.low[i], series.close[i])


def test_live_chart_draws_what_the_store_holds(desk, qloop):
    window = desk.window
    assert window.asset == "EURUSD_otc"
    assert "QuantumFlux" in window.windowTitle()
    assert window.sim_badge.isVisible() and window.sim_badge.text() == "SIMULATED"
    book = window.market.candles
    assert wait_until(qloop, lambda: len(book.series("EURUSD_otc", 60)) > 10, 15)
    series = window.chart.series
    assert series is book.series("EURUSD_otc", 60)
    assert np.all(np.diff(series.start[: len(series)]) > 0), "in time order, no repeats"
    pause(qloop, 1.5)
    built_equals_store(window)
    assert window.status.state.text() == "LIVE"
    assert "Chrome" in window.status.source.text()
    assert "last tick" in window.status.tick_age.text()
    assert wait_until(qloop, lambda: window._offset is not None, 5)
    assert abs(window._offset - PLATFORM_OFFSET) < 2, "the platform clock runs 2 h ahead"
    assert "clock offset +7" in window.status.clock.text()
    assert "frames/s" in window.status.rate.text()


def test_asset_switch_shows_only_that_asset_and_continues_its_disk_history(
    desk, qloop, sim, disk_starts
):
    window = desk.window
    window.toolbar.assets.choose(DISK_ASSET)
    assert window.chart.series is window.market.candles.series(DISK_ASSET, window.timeframe)
    assert wait_until(qloop, lambda: window.market.page_asset == DISK_ASSET, 20)
    assert DISK_ASSET in sim.state()["streamed"], "the page follows, so the stream does"
    assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 15)
    book = window.market.candles
    _, written = disk_starts
    series = book.series(DISK_ASSET, 60)
    assert wait_until(qloop, lambda: set(written) <= set(series.start[: len(series)].tolist()), 10)
    assert window.chart.series is series and series.asset == DISK_ASSET
    starts = series.start[: len(series)]
    assert np.all(np.diff(starts) > 0), "disk and live candles make one series, in order"
    assert starts[-1] > written[-1] + 3600, "live candles continue the disk history"
    eur = book.series("EURUSD_otc", 60)
    assert not set(eur.start[: len(eur)].tolist()) & set(written), "no other asset's candles"
    built_equals_store(window)
    window.toolbar.assets.choose("EURUSD_otc")
    assert wait_until(qloop, lambda: window.market.page_asset == "EURUSD_otc", 20)
    assert window.chart.series is eur


def test_the_app_follows_the_trader_choosing_on_the_page(desk, qloop):
    window = desk.window
    bridge = desk.bridge
    done = bridge.executor.submit(lambda: asset_select(bridge.action_context(), "EURGBP_otc"))
    assert wait_until(qloop, done.done, 20) and done.result().ok
    assert wait_until(qloop, lambda: window.asset == "EURGBP_otc", 10)
    assert window.chart.series.asset == "EURGBP_otc"
    assert window.toolbar.assets.current_symbol() == "EURGBP_otc"
    window.toolbar.assets.choose("EURUSD_otc")
    assert wait_until(qloop, lambda: window.market.page_asset == "EURUSD_otc", 20)


def test_timeframe_switch_rebuilds_from_the_store(desk, qloop):
    window = desk.window
    window.toolbar.timeframes.choose(5)
    assert window.timeframe == 5
    assert wait_until(qloop, lambda: len(window.chart.series) >= 3, 20)
    series = window.chart.series
    assert series.timeframe == 5 and series is window.market.candles.series(window.asset, 5)
    assert np.all(series.start[: len(series)] % 5 == 0)
    built_equals_store(window)
    window.toolbar.timeframes.choose(60)
    assert window.chart.series.timeframe == 60
    built_equals_store(window)


def test_crosshair_readout_shows_the_hovered_candle(desk, qloop, qtbot):
    window = desk.window
    chart = window.chart
    chart.flush()
    chart.grab()
    series = chart.series
    index = len(series) - 3
    (x0, x1), _ = chart.price_plot.vb.viewRange()
    assert x0 <= index <= x1
    price = float(series.close[index])
    scene = chart.price_plot.vb.mapViewToScene(QtCore.QPointF(index + 0.1, price))
    with qtbot.waitSignal(chart.barHovered, timeout=3000) as hovered:
        qtbot.mouseMove(chart.graphics.viewport(), chart.graphics.mapFromScene(scene))
    assert hovered.args == [index]
    text = chart.readout
    assert f"O {series.open[index]:.5f}" in text and f"C {series.close[index]:.5f}" in text
    assert "EMA(20)" in text and "RSI(14)" in text


def test_historical_when_the_stream_stops_and_live_again(desk, qloop, sim):
    window = desk.window
    window.live_window = 1.5
    try:
        sim.control("pause_stream")
        assert wait_until(qloop, lambda: window.source_state is SourceState.HISTORICAL, 10)
        assert window.status.state.text() == "HISTORICAL"
        assert "session" in window.status.source.text()  # this asset has no CSV files
        assert len(window.chart.series) > 10, "the chart keeps showing what it has"
        sim.control("resume_stream")
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 10)
        assert window.status.state.text() == "LIVE"
    finally:
        sim.control("resume_stream")
        window.live_window = 5.0


def test_save_switches_are_off_by_default_and_write_when_on(desk, qloop, disk_starts):
    window = desk.window
    root, _ = disk_starts
    assert not window.toolbar.save_candles.isChecked() and not window.toolbar.save_ticks.isChecked()
    tick_dir = root / "data_output" / "assets_data" / "realtime_stream" / "1M_tick_data"
    assert not tick_dir.exists()
    window.toolbar.save_ticks.trigger()
    assert desk.bridge.sink.settings.save_ticks
    assert wait_until(qloop, lambda: tick_dir.exists() and any(tick_dir.glob("*.csv")), 10)
    window.toolbar.save_ticks.trigger()
    assert not desk.bridge.sink.settings.save_ticks
    written = desk.bridge.sink.ticks_written
    pause(qloop, 1.0)
    assert desk.bridge.sink.ticks_written == written


def history_rows(window) -> list[list[str]]:
    return window.history_table.row_texts()


def test_buy_from_the_button_to_a_result_in_the_history(desk, qloop, qtbot, sim):
    window = desk.window
    panel = window.trade_panel
    panel.amount.setValue(5)
    panel.set_expiry(3)
    orders_before = len(sim.orders())
    rows_before = len(history_rows(window))
    qtbot.mouseClick(panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
    assert not panel.buy_button.isEnabled() and not panel.sell_button.isEnabled()
    qtbot.mouseClick(panel.buy_button, QtCore.Qt.MouseButton.LeftButton)  # ignored: in flight
    assert wait_until(qloop, lambda: window.open_table.rowCount() == 1, 30)
    assert window.open_table.row_texts()[0][6] == "pending"
    assert wait_until(qloop, lambda: len(history_rows(window)) > rows_before, 40)
    assert panel.buy_button.isEnabled()
    assert len(sim.orders()) - orders_before == 1, "one click, one trade"
    order = sim.orders()[-1]
    assert order.amount == 5 and order.expiry == 3 and order.action == "call"
    assert order.status == "closed" and order.deal_id
    record = next(r for r in window.book.records if r.deal_id == order.deal_id)
    assert record.status is {"win": TradeStatus.WON, "loss": TradeStatus.LOST}.get(
        order.outcome, TradeStatus.REFUND
    )
    assert record.direction is Direction.CALL and record.asset == "EURUSD_otc"
    row = history_rows(window)[0]
    assert row[1] == "EURUSD_otc" and row[2] == "BUY" and row[6] == record.status.value
    assert row[7] == f"{record.profit:+.2f}"
    assert window.open_table.rowCount() == 0
    marker = window.chart.markers
    assert marker.scatter.data.size >= 1
    logs = "\n".join(window.log_panel.lines())
    assert "risk ALLOW" in logs and "placed" in logs and record.status.value in logs


def test_risk_refusal_says_why_and_sends_nothing(desk, qloop, sim):
    window = desk.window
    panel = window.trade_panel
    panel.amount.setValue(5000)
    before = len(sim.orders())
    assert window.trade(Direction.PUT)
    assert wait_until(qloop, lambda: not window.trading.busy, 10)
    assert "risk" in panel.message.text() and "stake 5000" in panel.message.text()
    assert len(sim.orders()) == before
    panel.amount.setValue(5)


def test_page_refusal_says_why(desk, qloop, sim):
    window = desk.window
    window.trade_panel.amount.setValue(3)
    before = len(sim.orders())
    sim.control("reject_next", error="Trading is temporarily unavailable")
    window.trade(Direction.CALL)
    assert wait_until(qloop, lambda: not window.trading.busy, 30)
    text = window.trade_panel.message.text()
    assert "refused" in text and "Trading is temporarily unavailable" in text
    assert len(sim.orders()) - before == 1, "clicked once, never repeated"
    assert window.book.records[-1].status is TradeStatus.REFUSED


def consent_dialog(window) -> QtWidgets.QMessageBox | None:
    return window.consent.dialog


def answer(dialog: QtWidgets.QMessageBox, yes: bool) -> None:
    for button in dialog.buttons():
        if button.text().startswith("Yes") == yes:
            button.click()
            return
    raise AssertionError("no such button")


def test_real_account_asks_consent_once_and_no_blocks(desk, qloop, sim):
    window = desk.window
    panel = window.trade_panel
    panel.amount.setValue(2)
    panel.set_expiry(3)
    sim.control("account", kind="real")
    try:
        assert wait_until(qloop, lambda: window.market.is_demo is False, 30)
        assert window.account_badge.text() == "REAL"
        assert "#ff1744" in window.account_badge.styleSheet()
        before = len(sim.orders())
        window.trade(Direction.CALL)
        assert wait_until(qloop, lambda: consent_dialog(window) is not None, 15)
        answer(consent_dialog(window), yes=False)
        assert wait_until(qloop, lambda: not window.trading.busy, 10)
        assert "consent" in panel.message.text()
        assert len(sim.orders()) == before, "refused: nothing traded"
        assert not window.consent.granted

        window.trade(Direction.CALL)
        assert wait_until(qloop, lambda: consent_dialog(window) is not None, 15)
        answer(consent_dialog(window), yes=True)
        assert wait_until(qloop, lambda: not window.trading.busy, 40)
        assert len(sim.orders()) == before + 1
        assert sim.orders()[-1].is_demo is False
        asked = window.consent.asked
        assert wait_until(qloop, lambda: not window.book.open_trades(), 20)
        window.trade(Direction.PUT)
        assert wait_until(qloop, lambda: not window.trading.busy, 40)
        assert window.consent.asked == asked, "asked once per session"
        assert len(sim.orders()) == before + 2
    finally:
        # The results of real trades reach the app only while the page shows the real account.
        wait_until(qloop, lambda: not window.book.open_trades(), 20)
        sim.control("account", kind="demo")
        assert wait_until(qloop, lambda: window.market.is_demo is True, 20)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux schedstat")
def test_gui_never_stalls_while_data_streams_and_a_trade_runs(desk, qloop, sim):
    window = desk.window
    watchdog = GuiWatchdog(10)
    sim.control("set_tick_rate", rate=200)
    try:
        pause(qloop, 1.0)
        ticks_before = desk.bridge.pipeline.book.stats.ticks
        watchdog.start()
        window.trade_panel.set_expiry(3)
        window.trade(Direction.PUT)

        async def scenario() -> None:
            await until(lambda: not window.trading.busy, 40)
            await until(lambda: False, 3.0)

        run(qloop, scenario(), 60)
        watchdog.stop()
    finally:
        sim.control("set_tick_rate", rate=None)
    ticks = desk.bridge.pipeline.book.stats.ticks - ticks_before
    assert ticks > 300, f"data streamed at a good rate ({ticks} ticks)"
    assert len(watchdog.gaps) > 200
    worst_stall = max(watchdog.stalls[1:])
    print(
        f"GUI watchdog: {len(watchdog.gaps)} beats, {ticks} ticks; worst gap "
        f"{max(watchdog.gaps[1:]):.1f} ms, worst stall (gap minus CPU run-queue wait) "
        f"{watchdog.worst()}; worst collector pause "
        f"{max((p for _, p in watchdog.gc_pauses), default=0):.1f} ms"
    )
    assert worst_stall < 50, f"the GUI thread stalled {worst_stall:.0f} ms"


def test_screenshot_of_the_main_window(desk, qloop):
    window = desk.window
    window.chart.add_indicator({"kind": "macd"})
    window.open_dock.raise_()
    pause(qloop, 1.0)
    chart = window.chart
    n = len(chart.series)
    chart.price_plot.vb.setXRange(n - 90, n + 4, padding=0)
    chart.flush()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "main_window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 20_000
