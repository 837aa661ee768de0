"""When the platform's page changes: the real window on the simulator through real headless
Chromium, with the BUY button's class renamed as a platform release would. The banner says
what is off in the trader's words, the order desk refuses BUY by hand and for the auto-trader
with that reason, the chart goes on; a ``selectors.json`` override in the settings folder
fixes it without a new release, and the banner goes."""

from __future__ import annotations

import json
import uuid

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, run, wait_until

from qfdesk.desk.order_desk import Checks
from qfdesk.desk.orders import OrderIntent, Placement, Stage
from qfdesk.engine.events import Direction
from qfdesk.engine.paths import config_dir
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

BANNER = (
    "The BUY button was not found on the page: trading by hand and the auto-trader are off "
    "until it is; Help > Selectors explains how to fix it."
)


@pytest.fixture
def settings_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = config_dir()
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def sim():
    with SimulatedPlatform(assets=4, seed=17) as platform:
        # A platform release renames the BUY button's classes (its own and its block's):
        # none of its three built-in selectors finds it any more.
        platform.control("rename_class", old="btn-call", new="btn-call-v2")
        platform.control("rename_class", old="switch-state-block__item", new="switch-cell")
        yield platform


@pytest.fixture
def desk(settings_folder, sim, qloop, tmp_path):
    desk = Desk(tmp_path)
    desk.bridge.page_check_grace = 2.0
    try:
        desk.connect(qloop, sim)
        window = desk.window
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 30)
        assert wait_until(qloop, lambda: window.market.payout(window.asset), 10)
        window.trade_panel.amount.setValue(1)
        window.trade_panel.set_expiry(60)
        yield desk
    finally:
        desk.close()


def sent_prices(sim, asset: str) -> list[float]:
    return [t.price for t in sim.sent_ticks() if t.asset == asset]


def auto_buy(desk: Desk, qloop) -> object:
    window = desk.window
    intent = OrderIntent(window.asset, Direction.CALL, 1, 60, uuid.uuid4().hex)
    checks = Checks("auto", risk=False, ask_consent=False)
    return run(qloop, window.desk.place(intent, checks), 40)


def test_a_renamed_buy_button_stops_trading_says_why_and_an_override_brings_it_back(
    desk, qloop, sim, settings_folder
):
    window = desk.window
    banner = window.page_check.banner
    assert wait_until(qloop, banner.isVisible, 30), "the check on attach shows the banner"
    assert banner.text() == BANNER

    before = len(sim.orders())
    assert window.trade(Direction.CALL)
    assert wait_until(qloop, lambda: not window.trading.busy, 30)
    message = window.trade_panel.message.text()
    assert "the BUY button was not found on the page: trading by hand is off until it is" in (
        message
    )
    assert "Help > Selectors" in message
    outcome = auto_buy(desk, qloop)
    assert outcome.placement is Placement.REFUSED and outcome.stage is Stage.PAGE_CHECK
    assert outcome.reason.startswith("the BUY button was not found on the page: the auto-trader")
    assert len(sim.orders()) == before, "nothing reached the platform"

    # Charting goes on: ticks sent after the banner reach the chart's candles.
    asset = window.asset
    seen = len(sent_prices(sim, asset))
    series = window.chart.series

    def newer_tick_drawn() -> bool:
        newer = sent_prices(sim, asset)[seen:]
        return len(newer) >= 3 and series.close[len(series) - 1] == newer[-1]

    assert wait_until(qloop, newer_tick_drawn, 20)
    assert window.chart.series is series and series.asset == asset

    # A first try that is not JSON is not used (a copy is kept), and the banner says so.
    user_file = settings_folder / "selectors.json"
    user_file.write_text('{"elements": {"buy_button": ', encoding="utf-8")
    assert wait_until(qloop, lambda: "is not used" in banner.text(), 30)
    pause(qloop, 2)
    assert "is not used (it is not valid JSON" in banner.text() and BANNER in banner.text()
    assert len(list(settings_folder.glob("selectors.unreadable-*.json"))) == 1

    # The trader gives the new selector in the settings folder: checked again, all well.
    override = {"elements": {"buy_button": {"selectors": [{"css": "a.btn.btn-call-v2"}]}}}
    user_file.write_text(json.dumps(override), encoding="utf-8")
    assert wait_until(qloop, lambda: not banner.isVisible(), 30), "the banner goes"
    check = desk.bridge.page_check.current
    assert check is not None and check.ok
    assert str(settings_folder / "selectors.json") in check.sources

    assert window.trade(Direction.CALL)
    assert wait_until(qloop, lambda: not window.trading.busy, 40)
    placed = sim.orders()[before:]
    assert [(o.action, o.amount) for o in placed] == [("call", 1)], window.trade_panel.message
