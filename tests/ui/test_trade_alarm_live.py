"""Never a trade the trader did not mean, in the real window on the simulator through real
headless Chromium: the trading alarm (a trade placed other than meant stops all trading and
says so in a banner), an unreadable account, and the account switched during a placement.

The alarm lasts for the session, so each test has a window (and simulator) of its own.
"""

from __future__ import annotations

import json
import random

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, wait_until

from qfdesk.engine.autotrader import StopReason
from qfdesk.engine.events import Direction
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState
from qfdesk.ui.trade_book import TradeStatus

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]


@pytest.fixture
def sim():
    with SimulatedPlatform(assets=4, seed=31) as platform:
        yield platform


@pytest.fixture
def desk(sim, qloop, tmp_path):
    desk = Desk(tmp_path)
    try:
        desk.connect(qloop, sim)
        window = desk.window
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 30)
        assert wait_until(qloop, lambda: window.market.payout(window.asset), 10)
        assert wait_until(qloop, lambda: window.market.is_demo is True, 10)
        window.trade_panel.amount.setValue(1)
        window.trade_panel.set_expiry(60)
        yield desk
    finally:
        desk.close()


def start_live_without_signals(controller, asset: str) -> None:
    """Live on hourly candles: it runs, but no candle closes (so no order) during a test."""
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2 expiry=60")
    dialog.choose_assets([asset])
    dialog.choose_timeframe(3600)
    dialog.live.setChecked(True)
    dialog.stake.setValue(1)
    dialog.start_button.click()


def on_page(desk: Desk, script: str) -> None:
    """Run ``script`` in the platform tab through the bridge's own action session."""
    bridge = desk.bridge
    bridge.executor.submit(lambda: bridge.action_context().driver.execute_script(script)).result()


def test_a_trade_placed_other_than_meant_stops_all_trading_and_the_banner_says_what(
    desk, qloop, sim
):
    window = desk.window
    controller = window.autotrade
    start_live_without_signals(controller, window.asset)
    assert wait_until(qloop, lambda: controller.running, 30), "warm and on"
    assert not window.halt_banner.isVisible()
    before = len(sim.orders())

    sim.control("place_other", amount=10)
    assert window.trade(Direction.CALL)
    assert wait_until(qloop, lambda: not window.trading.busy, 40)

    placed = sim.orders()[before:]
    assert [(o.amount, o.is_demo, o.action) for o in placed] == [(10, True, "call")]
    banner = window.halt_banner
    assert wait_until(qloop, banner.isVisible, 5), "the banner shows the alarm"
    text = banner.text()
    assert "TRADING STOPPED" in text
    assert "placed UP (BUY) 10 on" in text and "meant was UP (BUY) 1 on" in text
    assert "DEMO account" in text
    assert text in window.trade_panel.message.text()

    assert wait_until(qloop, lambda: not controller.running, 5), "the auto-trader stopped"
    assert controller.last_stop.reason is StopReason.TRADING_ALARM
    assert controller.stop_box is not None and "TRADING STOPPED" in controller.stop_box.text()
    controller.stop_box.close()

    assert not window.trade(Direction.PUT), "trading by hand is refused"
    assert "TRADING STOPPED" in window.trade_panel.message.text()
    start_live_without_signals(controller, window.asset)
    pause(qloop, 1)
    assert not controller.running and not controller.starting, "it does not start again"
    assert "TRADING STOPPED" in window.trade_panel.message.text()
    pause(qloop, 1.0)
    assert len(sim.orders()) - before == 1, "nothing more was placed"

    logs = "\n".join(window.log_panel.lines())
    assert "ALARM: placed UP (BUY) 10" in logs
    diagnostics = [
        json.loads(p.read_text()) for p in (desk.tmp / "artifacts").glob("*-trade-*.json")
    ]
    alarms = [d["alarm"] for d in diagnostics if "alarm" in d]
    assert len(alarms) == 1 and "10" in alarms[0]["placed"] and "1 on" in alarms[0]["meant"]


def test_an_unreadable_account_refuses_the_trade_and_never_asks_real_consent(desk, qloop, sim):
    window = desk.window
    before = len(sim.orders())
    on_page(desk, "document.querySelector('.balance-info-block__label').textContent = 'QT Real';")
    assert window.trade(Direction.CALL)
    assert wait_until(qloop, lambda: not window.trading.busy, 30)
    text = window.trade_panel.message.text()
    assert "UNKNOWN" in text and "cannot be read" in text and "try again" in text
    assert window.consent.asked == 0 and window.consent.dialog is None
    assert not window.consent.granted
    assert window.book.records[-1].status is TradeStatus.REFUSED
    assert len(sim.orders()) == before, "nothing traded"
    assert not window.halt_banner.isVisible()


def test_switching_to_real_while_a_buy_is_placed_never_trades_real(desk, qloop, sim):
    """The observed bug: BUY on DEMO, the page switched to REAL 0.15-0.5 s later."""
    window = desk.window
    rng = random.Random(9)
    for _ in range(3):
        before = len(sim.orders())
        assert window.trade(Direction.CALL)
        pause(qloop, rng.uniform(0.15, 0.5))
        sim.control("account", kind="real")
        assert wait_until(
            qloop, lambda: not window.trading.busy or window.consent.dialog is not None, 40
        )
        if window.consent.dialog is not None:  # the switch came before the account was read
            window.consent.dialog.reject()
            assert wait_until(qloop, lambda: not window.trading.busy, 10)
        placed = sim.orders()[before:]
        assert not [o for o in placed if not o.is_demo], "nothing reached the REAL account"
        assert all(o.amount == 1 and o.expiry == 60 and o.action == "call" for o in placed)
        assert len(placed) <= 1
        record = window.book.records[-1]
        if not placed:
            assert record.status is TradeStatus.REFUSED, record
            assert "Not traded" in window.trade_panel.message.text()
        sim.control("account", kind="demo")
        assert wait_until(qloop, lambda: window.market.is_demo is True, 20)
        pause(qloop, 1.0)
    assert not window.consent.granted
    assert not [o for o in sim.orders() if not o.is_demo]
