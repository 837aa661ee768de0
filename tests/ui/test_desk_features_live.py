"""The trader's desk in the real window on the simulated platform and real headless Chromium:
a BUY journaled with its latencies, its open-trade line following ticks until it becomes the
result marker, a drawn line alerting on live ticks, stake plans checked against the maximum
stake, and a paper session of the auto-trader journaled, its markers kept across a switch and
its report card made from the candles it saved."""

from __future__ import annotations

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, wait_until
from PySide6 import QtCore

from qfdesk.engine.events import Direction
from qfdesk.engine.journal import Outcome, Source
from qfdesk.engine.journal.reader import read_rows
from qfdesk.engine.journal.schema import journal_path
from qfdesk.engine.stake_plan import PlanKind
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.alerts import LINE_PREFIX
from qfdesk.ui.chart import TradeResult
from qfdesk.ui.chart.drawings import Drawing, DrawKind
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

TF = 5


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=4, seed=7) as platform:
        yield platform


@pytest.fixture(scope="module")
def live(sim, qloop, tmp_path_factory):
    desk = Desk(tmp_path_factory.mktemp("desk"))
    try:
        desk.connect(qloop, sim)
        assert wait_until(qloop, lambda: desk.window.source_state is SourceState.LIVE, 30)
        assert wait_until(qloop, lambda: desk.window.market.payout(desk.window.asset), 10)
        yield desk
    finally:
        desk.close()


@pytest.fixture
def desk(live, qloop, sim):
    window = live.window
    assert wait_until(qloop, lambda: not window.trading.busy, 40)
    sim.control("close_orders_now")
    assert wait_until(qloop, lambda: not window.book.open_trades(), 30)
    box = window.trade_panel.stake_plan
    box.kind.setCurrentIndex(0)
    window.trade_panel.amount.setValue(5)
    return live


def journal_rows(desk: Desk):
    assert desk.window.services.journal.flush(10)
    return read_rows(journal_path(desk.data_root))


def test_a_buy_is_journaled_with_its_latencies_its_deal_and_its_result(desk, qloop, qtbot, sim):
    window = desk.window
    panel = window.trade_panel
    panel.set_expiry(3)
    qtbot.mouseClick(panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
    assert wait_until(qloop, lambda: any(r.status.finished for r in window.book.records), 40)
    order = sim.orders()[-1]
    assert order.status == "closed"

    def settled():
        rows = [r for r in journal_rows(desk) if r.deal_id == order.deal_id]
        return rows and rows[0].outcome is not None and rows

    assert wait_until(qloop, settled, 10), "the BUY's result never reached the journal"
    (row,) = settled()
    assert (row.asset, row.direction, row.amount, row.expiry) == (
        window.asset,
        Direction.CALL,
        5.0,
        3,
    )
    assert row.source is Source.MANUAL and row.allowed is True and row.account == "DEMO"
    assert row.payout == window.market.payout(window.asset)
    assert row.intent_to_click_ms is not None and row.intent_to_click_ms > 0
    assert row.click_to_confirm_ms is not None and row.click_to_confirm_ms > 0
    won = {"win": Outcome.WON, "loss": Outcome.LOST}.get(order.outcome, Outcome.REFUND)
    assert row.outcome is won
    view = window.journal_view
    assert wait_until(qloop, lambda: any(order.deal_id in r for r in view.row_texts()), 10)


def test_the_open_trade_line_follows_the_ticks_then_becomes_the_result_marker(desk, qloop, qtbot):
    window = desk.window
    chart = window.chart
    window.trade_panel.set_expiry(6)
    qtbot.mouseClick(window.trade_panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
    assert wait_until(qloop, lambda: chart.open_trades.count == 1, 30)
    labels = chart.open_trades

    def texts():
        return [state.text for state in labels.states.values()]

    first = texts()
    assert first[0].startswith("BUY \u25b2 ")
    assert wait_until(qloop, lambda: texts() != first, 5), "the countdown never moved"
    assert wait_until(qloop, lambda: chart.open_trades.count == 0, 30)
    (marker,) = [m for m in chart.markers.trades if not m.paper][-1:]
    assert marker.result in (TradeResult.WON, TradeResult.LOST, TradeResult.REFUND)


def test_a_line_drawn_at_the_price_alerts_when_live_ticks_cross_it(desk, qloop):
    window = desk.window
    chart = window.chart
    asset = window.asset
    assert wait_until(qloop, lambda: chart.last_price.price is not None, 10)
    line = Drawing("live-line", DrawKind.HLINE, ((0.0, chart.last_price.price),))
    chart.drawings.add(line)
    alerts = [a for a in window.alerts.alerts if a.id == LINE_PREFIX + "live-line"]
    assert len(alerts) == 1 and alerts[0].asset == asset
    before = len(window.alerts.notified)
    assert wait_until(qloop, lambda: len(window.alerts.notified) > before, 60), (
        "the random walk never crossed the line"
    )
    fired = window.alerts.notified[before]
    assert fired.alert.id == LINE_PREFIX + "live-line" and "crossed" in fired.text
    assert "ALERT:" in "\n".join(window.log_panel.lines())
    assert window.store.drawings(asset) != "[]", "kept for the asset"
    chart.drawings.remove("live-line")
    assert not [a for a in window.alerts.alerts if a.id == LINE_PREFIX + "live-line"]


def test_a_stake_plan_past_the_maximum_stake_is_refused_and_a_usable_one_stakes_the_buy(
    desk, qloop, qtbot, sim
):
    window = desk.window
    panel = window.trade_panel
    box = panel.stake_plan
    limit = window.risk.limits.max_stake
    panel.amount.setValue(limit / 2)
    box.kind.setCurrentIndex(box.kind.findData(PlanKind.MARTINGALE.value))
    box.steps.setValue(3)
    assert window.trading.stakes is None, "refused: the typed amount stays in use"
    assert box.problem.isVisibleTo(window) and f"maximum stake {limit:g}" in box.problem.text()

    panel.amount.setValue(2)
    box.steps.setValue(2)
    assert window.trading.stakes is not None and box.worst.isVisibleTo(window)
    before = len(sim.orders())
    panel.set_expiry(3)
    qtbot.mouseClick(panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
    assert wait_until(qloop, lambda: len(sim.orders()) > before, 30)
    assert sim.orders()[-1].amount == 2


def test_a_paper_session_is_journaled_keeps_its_markers_and_gets_a_report_card(desk, qloop):
    window = desk.window
    controller = window.autotrade
    asset = window.asset
    window.toolbar.save_candles.trigger()
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2 expiry=5")
    dialog.choose_assets([asset])
    dialog.choose_timeframe(TF)
    dialog.paper.setChecked(True)
    dialog.stake.setValue(2)
    dialog.max_per_hour.setValue(1000)
    dialog.start_button.click()
    assert wait_until(qloop, lambda: controller.running, 30)
    assert wait_until(qloop, lambda: controller.paper and len(controller.paper.settled) >= 3, 150)
    controller.switch.trigger()
    assert not controller.running
    settled = list(controller.paper.settled)

    def paper_markers():
        return {m.id for m in window.chart.markers.trades if m.paper}

    assert {f"paper-{t.id}" for t in settled} <= paper_markers()
    other = next(a for a in window.market.assets if a != asset)
    window.choose_asset(other, sync_page=False)
    assert not paper_markers() & {f"paper-{t.id}" for t in settled}
    window.choose_asset(asset, sync_page=False)
    window.choose_timeframe(60)
    window.choose_timeframe(TF)
    assert {f"paper-{t.id}" for t in settled} <= paper_markers(), "back after the switch"

    window.toolbar.save_candles.trigger()
    pause(qloop, 0.5)
    rows = [r for r in journal_rows(desk) if r.source is Source.PAPER]
    journaled = {r.intent_id: r for r in rows if r.outcome is not None}
    assert {t.id for t in settled} <= set(journaled), "every settled paper trade journaled"
    assert all(r.strategy == "sma-cross" and r.timeframe == TF for r in journaled.values())
    card = window._report_card(rows)
    assert len(card) == 1, card
    assert card[0].startswith("sma-cross") and asset in card[0]
    assert "trading as tested" in card[0] or "worse than tested (p = " in card[0], card[0]
