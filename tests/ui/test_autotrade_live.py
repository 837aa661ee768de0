"""The auto-trader end to end: the simulated platform, real headless Chromium, the real window.

On (live, DEMO account), sma-cross fast=1 slow=2 on 5 s candles fires on the simulator's
random walk; the trades it places reach the platform as clicks, never more than the limit
(2 trades per hour); switched off, nothing more is placed while candles keep closing. A
trader's own strategy file trades paper from its worker process on the same live feed.
"""

from __future__ import annotations

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, read_strategy_file, wait_until

from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.autotrade_action import OFF_TEXT
from qfdesk.ui.source_state import SourceState
from qfdesk.ui.trade_book import TradeStatus

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

TF = 5
LIMIT = 2


@pytest.fixture
def sim():
    with SimulatedPlatform(assets=4, seed=5) as platform:
        yield platform


@pytest.fixture
def desk(sim, qloop, tmp_path):
    desk = Desk(tmp_path)
    try:
        desk.connect(qloop, sim)
        assert wait_until(qloop, lambda: desk.window.source_state is SourceState.LIVE, 30)
        assert wait_until(qloop, lambda: desk.window.market.payout(desk.window.asset), 10)
        yield desk
    finally:
        desk.close()


def start_live(controller, asset: str, max_per_hour: int) -> None:
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2 expiry=3")
    dialog.choose_assets([asset])
    dialog.choose_timeframe(TF)
    dialog.live.setChecked(True)
    dialog.stake.setValue(2)
    dialog.max_per_hour.setValue(max_per_hour)
    dialog.max_open.setValue(1)
    dialog.start_button.click()


def answer(box, yes: bool) -> None:
    next(b for b in box.buttons() if b.text().startswith("Yes") == yes).click()


def test_on_trades_by_signals_within_the_limits_then_off_nothing_more(desk, qloop, sim):
    window = desk.window
    controller = window.autotrade
    switch = controller.switch
    asset = window.asset
    assert window.market.is_demo is True
    before = len(sim.orders())

    start_live(controller, asset, LIMIT)
    assert wait_until(qloop, lambda: controller.running, 30)
    assert switch.text() == "AUTO ON \u00b7 LIVE"
    assert switch.badge.isVisible() and "LIVE" in switch.badge.text()

    assert wait_until(qloop, lambda: len(sim.orders()) - before >= LIMIT, 120), (
        f"signals {len(controller.trader.signals)}, orders {len(controller.trader.orders)}"
    )
    trader = controller.trader
    # Still on for three more candles: the limit lets nothing more through.
    pause(qloop, 3 * TF)
    assert controller.running
    placed = sim.orders()[before:]
    assert len(placed) == LIMIT, "never more than the limit"
    assert all(o.asset == asset and o.amount == 2 and o.expiry == 3 for o in placed)
    assert all(o.is_demo for o in placed)
    assert len(trader.orders) == LIMIT
    records = [r for r in window.book.records if r.key in trader.orders]
    assert len(records) == LIMIT and all(r.reason.startswith("auto: sma-cross") for r in records)
    by_intent = {r.key: r for r in records}
    for order in trader.orders.values():
        assert by_intent[order.intent_id].direction is order.direction
    assert sorted(o.action for o in placed) == sorted(
        order.direction.value for order in trader.orders.values()
    )
    assert wait_until(qloop, lambda: all(r.status.finished for r in records), 30), [
        r.status for r in records
    ]
    assert all(r.status is not TradeStatus.REFUSED for r in records)
    markers = window.chart.markers.signals
    assert len(markers) == len(trader.signals), "each signal shows on the chart"

    switch.trigger()
    assert not controller.running and switch.text() == OFF_TEXT
    candles_at_off = window.market.candles.closed_len(asset, TF)
    pause(qloop, 4 * TF)
    assert window.market.candles.closed_len(asset, TF) >= candles_at_off + 3, "candles went on"
    assert len(sim.orders()) - before == LIMIT, "off: nothing more placed"
    assert len(trader.orders) == LIMIT
    logs = "\n".join(window.log_panel.lines())
    assert "auto-trader ON (LIVE)" in logs and "auto-trader OFF: switched off" in logs
    assert "max_trades_per_hour" in logs, "the denials are logged with their reason"


def test_a_real_account_without_consent_stops_it_and_nothing_real_is_placed(desk, qloop, sim):
    window = desk.window
    controller = window.autotrade
    asset = window.asset
    start_live(controller, asset, 50)
    assert wait_until(qloop, lambda: controller.running, 30)
    sim.control("account", kind="real")
    try:
        assert wait_until(qloop, lambda: window.market.is_demo is False, 30)
        assert wait_until(qloop, lambda: not controller.running, 60), "it never stopped"
        assert controller.last_stop.reason.value == "REAL account without consent"
        box = controller.stop_box
        assert box is not None and box.isVisible() and "REAL" in box.text()
        assert controller.switch.text() == OFF_TEXT
        pause(qloop, 2 * TF)
        assert not [o for o in sim.orders() if not o.is_demo], "nothing placed on REAL"
        box.close()

        start_live(controller, asset, 50)
        assert wait_until(qloop, lambda: window.consent.dialog is not None, 10), "asks first"
        assert not controller.running and controller.switch.text() == OFF_TEXT
        answer(window.consent.dialog, yes=False)
        assert wait_until(
            qloop, lambda: "consent was refused" in window.trade_panel.message.text(), 5
        )
        assert not controller.running and not window.consent.granted
        pause(qloop, 2 * TF)
        assert not [o for o in sim.orders() if not o.is_demo]
    finally:
        sim.control("account", kind="demo")
        wait_until(qloop, lambda: window.market.is_demo is True, 20)


def test_chrome_going_away_stops_it_saying_why(desk, qloop, sim):
    window = desk.window
    controller = window.autotrade
    start_live(controller, window.asset, 50)
    assert wait_until(qloop, lambda: controller.running, 30)
    window.bridge.source.endpoint.process.kill()  # Chrome crashes
    assert wait_until(qloop, lambda: not controller.running, 30), "it never stopped"
    assert controller.last_stop.reason.value == "disconnected"
    box = controller.stop_box
    assert box is not None and box.isVisible() and "disconnected" in box.text()
    assert controller.switch.text() == OFF_TEXT and not controller.switch.badge.isVisible()
    orders = len(controller.trader.orders)
    pause(qloop, 2 * TF)
    assert len(controller.trader.orders) == orders
    box.close()


def test_consent_given_after_chrome_went_away_does_not_start_it(desk, qloop, sim):
    window = desk.window
    controller = window.autotrade
    sim.control("account", kind="real")
    assert wait_until(qloop, lambda: window.market.is_demo is False, 30)
    start_live(controller, window.asset, 50)
    assert wait_until(qloop, lambda: window.consent.dialog is not None, 10), "asks first"
    window.bridge.source.endpoint.process.kill()  # Chrome crashes while the question is open
    assert wait_until(qloop, lambda: not window.bridge.connected, 30)
    answer(window.consent.dialog, yes=True)
    assert wait_until(
        qloop,
        lambda: "connect to the platform's Chrome first" in window.trade_panel.message.text(),
        5,
    )
    assert not controller.running and controller.switch.text() == OFF_TEXT
    assert not [o for o in sim.orders() if not o.is_demo], "nothing placed on REAL"


MINE = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class Alternate(Strategy):
    name = "alternate"
    PARAMS = {"every": Param(2, "fire on every n-th candle", int, minimum=1)}

    def reset(self):
        self.seen = 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen % self.params["every"] == 0:
            side = Direction.CALL if self.seen % 4 == 0 else Direction.PUT
            return Vote(side, 0.8, f"candle {self.seen} at {candle.close}")
        return None
"""


def test_a_traders_own_strategy_trades_paper_from_its_worker_on_the_live_feed(
    desk, qloop, sim, tmp_path
):
    path = tmp_path / "mine.py"
    path.write_text(MINE)
    window = desk.window
    controller = window.autotrade
    asset = window.asset
    before = len(sim.orders())
    controller.switch.trigger()
    dialog = controller.dialog
    assert read_strategy_file(qloop, dialog, path) == ["alternate"]
    dialog.choose_strategy("alternate", "expiry=5")
    dialog.choose_assets([asset])
    dialog.choose_timeframe(TF)
    dialog.start_button.click()
    assert wait_until(qloop, lambda: controller.running, 30), window.trade_panel.message.text()
    assert controller.switch.text() == "AUTO ON \u00b7 PAPER"
    worker = controller.host.process
    assert worker.alive
    assert wait_until(qloop, lambda: len(controller.paper.settled) >= 2, 90), (
        f"signals {len(controller.trader.signals)}, orders {len(controller.trader.orders)}"
    )
    signals = controller.trader.signals
    assert all(s.strategy == "alternate" and s.asset == asset for s in signals)
    assert all(s.reason.startswith("candle ") for s in signals)
    assert len(sim.orders()) == before, "paper: nothing placed on the platform"
    controller.switch.trigger()
    assert not controller.running and controller.host is None
    assert wait_until(qloop, lambda: worker.process.poll() is not None, 10), "worker ended"
