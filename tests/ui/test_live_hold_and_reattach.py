"""Issue 9 end to end: the real window, real headless Chromium, the simulated platform.

A held BUY hotkey places one trade, however long the key repeats; after Chrome is killed and
started again on the same port, the first BUY reaches the platform. Both assert what reached
the simulator's account, never timings.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, run, wait_until
from key_events import HeldKey
from PySide6 import QtCore

from qfdesk.browser.chrome_launcher import launch_chrome
from qfdesk.engine.events import Direction
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState
from qfdesk.ui.trade_book import TradeStatus

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

REPEAT_S = 0.04
AFTER_TRADE_REPEATS = 25
CHOSEN = "AUDCAD_otc"  # not the page's first asset


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=4, seed=21) as platform:
        yield platform


def ready(window) -> bool:
    market = window.market
    return (
        window.source_state is SourceState.LIVE
        and market.balance is not None
        and market.payout(window.asset) is not None
    )


@pytest.fixture
def desk(sim, qloop, tmp_path):
    desk = Desk(tmp_path)
    try:
        desk.connect(qloop, sim)
        assert wait_until(qloop, lambda: ready(desk.window), 30), "the window never got ready"
        panel = desk.window.trade_panel
        panel.set_expiry(3)
        yield desk
    finally:
        desk.close()


def trade_over(window, qloop) -> None:
    assert wait_until(qloop, lambda: not window.trading.busy, 60), "the trade never ended"


def test_a_held_buy_hotkey_places_one_trade_on_the_platform(desk, qloop, sim):
    window = desk.window
    window.trade_panel.amount.setValue(3)
    before = len(sim.orders())
    key = HeldKey(window)
    key.press()
    assert window.trading.busy, "the press made an intent"

    async def keep_repeating() -> None:
        """As X does while the key is down: through the whole trade and on after its end."""
        while window.trading.busy:
            key.repeats(1)
            await asyncio.sleep(REPEAT_S)
        for _ in range(AFTER_TRADE_REPEATS):
            key.repeats(1)
            await asyncio.sleep(REPEAT_S)

    run(qloop, keep_repeating(), 90)
    key.release()
    placed = sim.orders()[before:]
    assert len(placed) == 1, "one press held down: one trade"
    assert placed[0].action == "call" and placed[0].amount == 3

    key.pause(300)
    key.press()
    trade_over(window, qloop)
    key.release()
    assert len(sim.orders()) - before == 2, "released and pressed again: one more trade"


def test_after_chrome_is_killed_and_restarted_the_first_buy_reaches_the_platform(
    desk, qloop, qtbot, sim
):
    window, bridge = desk.window, desk.bridge
    panel = window.trade_panel
    panel.amount.setValue(4)
    window.toolbar.assets.choose(CHOSEN)
    assert wait_until(qloop, lambda: window.market.page_asset == CHOSEN, 20)
    before = len(sim.orders())
    window.trade(Direction.CALL)
    trade_over(window, qloop)
    assert len(sim.orders()) == before + 1, "the action session is in use before the crash"
    checks: list = []
    bridge.page_check.add_listener(checks.append)

    bridge.source.endpoint.process.kill()  # Chrome crashes
    assert wait_until(qloop, lambda: not bridge.connected, 15)
    restarted = launch_chrome(dataclasses.replace(desk.settings, url=sim.url))
    try:
        assert wait_until(qloop, lambda: bridge.connected and bridge.source.reconnects == 1, 30)
        assert wait_until(qloop, lambda: ready(window), 30), "no live data after the re-attach"
        assert wait_until(qloop, lambda: checks and checks[-1].ok, 20), "the page checked again"
        panel.amount.setValue(6)
        qtbot.mouseClick(panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
        trade_over(window, qloop)
        placed = sim.orders()[before + 1 :]
        assert len(placed) == 1, f"the first BUY after the re-attach: {panel.message.text()}"
        order = placed[0]
        assert order.action == "call" and order.amount == 6 and order.deal_id
        assert order.asset == CHOSEN and window.asset == CHOSEN, "the trader's asset is kept"
        record = window.book.records[-1]
        assert record.status is not TradeStatus.REFUSED and record.deal_id == order.deal_id
    finally:
        restarted.process.kill()
