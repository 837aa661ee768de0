"""Never a trade the trader did not mean: the trade click against the simulator's page in real
headless Chromium, with the page switching account at chosen moments of a placement and a
page that places a trade other than the one it showed.

The switch is made at an exact step of the placement: a log handler that sees the trade
click's own log line for that step asks the simulator to switch and waits until the page has
gone, before the click goes on. What is asserted is what reached the simulator's accounts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
from browser_helpers import ChromeRig, needs_browser, wait_for

from qfdesk.browser.capabilities.account import DEMO, REAL, UNKNOWN, account_type
from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.capabilities.set_amount import set_amount
from qfdesk.browser.capabilities.set_expiry import set_expiry
from qfdesk.browser.capabilities.trade_click import trade_click
from qfdesk.browser.selectors import Selectors
from qfdesk.engine.trading_halt import TradingHalt
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform(assets=6, seed=23) as platform:
        yield platform


@pytest.fixture(scope="module")
def rig(sim, tmp_path_factory) -> Iterator[ChromeRig]:
    rig = ChromeRig(tmp_path_factory.mktemp("profile"))
    try:
        rig.start_on(sim.url)
        yield rig
    finally:
        rig.close()


@pytest.fixture
def ctx(rig, sim, tmp_path) -> Iterator[Context]:
    """A DEMO page showing 1 USD for 60 s, and a fresh trading alarm; back on DEMO after."""
    context = Context(
        driver=rig.driver,
        selectors=Selectors.load(user_path=tmp_path / "none.json"),
        artifacts_dir=tmp_path / "artifacts",
        events=rig.hub,
        address=rig.address,
        settings={"confirm_timeout": 6.0},
        halt=TradingHalt(),
    )
    assert set_amount(context, 1).ok and set_expiry(context, "M1").ok
    yield context
    if sim.state()["account"] != "demo" or "demo" not in rig.driver.current_url:
        sim.control("account", kind="demo")
        assert wait_for(lambda: "demo" in rig.driver.current_url, 10)
        rig.wait_ready()


class _OnLine(logging.Handler):
    """Runs ``action`` the first time a log line contains ``text`` (in the logging thread)."""

    def __init__(self, text: str, action: Callable[[], None]) -> None:
        super().__init__(logging.INFO)
        self.text = text
        self.action = action
        self.fired = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.fired and self.text in record.getMessage():
            self.fired = True
            self.action()


@pytest.fixture
def on_line() -> Iterator[Callable[[str, Callable[[], None]], _OnLine]]:
    logger = logging.getLogger("qfdesk.browser.capabilities.trade_click")
    handlers: list[_OnLine] = []
    old_level = logger.level
    logger.setLevel(logging.INFO)

    def install(text: str, action: Callable[[], None]) -> _OnLine:
        handler = _OnLine(text, action)
        logger.addHandler(handler)
        handlers.append(handler)
        return handler

    yield install
    for handler in handlers:
        logger.removeHandler(handler)
    logger.setLevel(old_level)


def switch_to_real(sim: SimulatedPlatform, rig: ChromeRig) -> Callable[[], None]:
    def switch() -> None:
        sim.control("account", kind="real")
        assert wait_for(lambda: "demo" not in rig.driver.current_url, 10)

    return switch


def real_orders(sim: SimulatedPlatform, since: int) -> list:
    return [o for o in sim.orders()[since:] if not o.is_demo]


def test_an_account_switched_to_real_before_the_checks_refuses_the_trade(ctx, sim, rig, on_line):
    before = len(sim.orders())
    hook = on_line("intent", switch_to_real(sim, rig))
    result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO, intent_id="before-1")
    assert hook.fired
    assert not result.ok and not result.data.get("clicked")
    assert "nothing was clicked" in result.error
    assert "REAL" in result.error or "cannot be read" in result.error or "changed" in result.error
    assert len(sim.orders()) == before, "nothing reached either account"
    assert not real_orders(sim, before)


def test_an_account_switched_to_real_between_the_checks_and_the_click_refuses_the_trade(
    ctx, sim, rig, on_line
):
    """The button found on the DEMO page goes stale when the REAL page loads: the next
    strategy reads the page again, finds REAL and clicks nothing."""
    before = len(sim.orders())
    hook = on_line("checks passed on the page", switch_to_real(sim, rig))
    result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO, intent_id="between-1")
    assert hook.fired
    assert not result.ok and not result.data.get("clicked"), result.diagnostics
    strategies = result.diagnostics["strategies"]
    assert strategies[0] == {
        "strategy": "click",
        "delivered": False,
        "error": "StaleElementReferenceException",
    }
    assert strategies[1]["refused"] is True and len(strategies) == 2
    assert "nothing was clicked" in result.error
    assert len(sim.orders()) == before, "nothing reached either account"
    assert not real_orders(sim, before)
    diagnostics = json.loads(next(p for p in result.artifacts if p.suffix == ".json").read_text())
    assert diagnostics["outcome"] == {"ok": False, "error": result.error, "clicked": False}


def page_amount(rig: ChromeRig, amount: int) -> Callable[[], None]:
    """The page's own amount changed, as a page re-rendering its trade panel would."""

    def change() -> None:
        rig.driver.execute_script(
            f"window.__qfsim.amount = {amount}; window.__qfsim.amountText = '{amount}';"
            f"document.querySelector('#put-call-buttons-chart-1 input').value = '{amount}';"
        )

    return change


def test_an_amount_changed_after_a_click_that_did_not_land_refuses_the_next_strategy(
    ctx, sim, rig, on_line
):
    """A veil intercepts the plain click; the page's amount changes; the action chain reads
    the page again first and clicks nothing."""
    before = len(sim.orders())
    rig.driver.execute_script(
        "const b = document.querySelector('.btn-call').getBoundingClientRect();"
        "const v = document.createElement('div'); v.id = 'veil';"
        "Object.assign(v.style, {position: 'fixed', left: b.left + 'px', top: b.top + 'px',"
        " width: b.width + 'px', height: b.height + 'px', zIndex: 9999, background: 'red'});"
        "document.body.appendChild(v);"
    )
    on_line("did not reach the button", page_amount(rig, 7))
    try:
        result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO)
    finally:
        rig.driver.execute_script("document.getElementById('veil').remove();")
        assert set_amount(ctx, 1).ok
    assert not result.ok and not result.data["clicked"]
    assert "amount field shows 7" in result.error and "nothing was clicked" in result.error
    assert [s["strategy"] for s in result.diagnostics["strategies"]] == ["click", "action_chain"]
    assert len(sim.orders()) == before


def test_an_amount_changed_in_the_instant_before_the_click_trips_the_alarm(ctx, sim, rig, on_line):
    """Read and click are two steps: what changes between them is caught by the proof."""
    before = len(sim.orders())
    on_line("checks passed on the page", page_amount(rig, 7))
    try:
        result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO)
    finally:
        assert set_amount(ctx, 1).ok
    placed = sim.orders()[before:]
    assert [(o.amount, o.is_demo) for o in placed] == [(7, True)]
    assert not result.ok and result.data["alarm"]
    assert ctx.halt.alarm is not None and "UP (BUY) 7 on" in ctx.halt.alarm.placed
    assert result.diagnostics["proof"]["mismatch"] == ["amount"]


def test_a_trade_meant_for_real_is_refused_when_the_page_shows_demo(ctx, sim):
    ctx.allow_real = True
    before = len(sim.orders())
    result = trade_click(ctx, "SELL", amount=1, expiry="M1", account=REAL)
    assert not result.ok and "meant for the REAL account" in result.error
    assert len(sim.orders()) == before


def test_a_confirmation_of_another_amount_trips_the_alarm_and_nothing_more_is_traded(
    ctx, sim, caplog
):
    before = len(sim.orders())
    sim.control("place_other", amount=10)
    with caplog.at_level(logging.INFO):
        result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO, intent_id="other-1")
    assert not result.ok and result.data["alarm"] and result.data["clicked"]
    placed = sim.orders()[before:]
    assert [(o.amount, o.is_demo) for o in placed] == [(10, True)], "what reached the account"
    alarm = ctx.halt.alarm
    assert alarm is not None and alarm.deal_id == placed[0].deal_id
    assert "UP (BUY) 10 on" in alarm.placed and "DEMO account" in alarm.placed
    assert "UP (BUY) 1 on" in alarm.meant
    assert result.error == alarm.text and "TRADING STOPPED" in alarm.text
    diagnostics = json.loads(next(p for p in result.artifacts if p.suffix == ".json").read_text())
    assert diagnostics["proof"]["mismatch"] == ["amount"]
    assert diagnostics["alarm"] == {"placed": alarm.placed, "meant": alarm.meant}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("ALARM" in line and alarm.placed in line for line in errors)
    json_path = str(next(p for p in result.artifacts if p.suffix == ".json"))
    assert any(json_path in line for line in errors), "the error log names the diagnostics"

    again = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO, intent_id="other-2")
    assert not again.ok and again.error == alarm.text and not again.data.get("clicked")
    assert len(sim.orders()) - before == 1, "no trade once the alarm tripped"


def test_a_confirmation_on_the_real_account_trips_the_alarm(ctx, sim):
    before = len(sim.orders())
    sim.control("place_other", account="real")
    result = trade_click(ctx, "SELL", amount=1, expiry="M1", account=DEMO)
    assert not result.ok and result.data["alarm"]
    placed = sim.orders()[before:]
    assert [(o.amount, o.is_demo) for o in placed] == [(1, False)]
    alarm = ctx.halt.alarm
    assert "REAL account" in alarm.placed and "DEMO account" in alarm.meant
    assert result.diagnostics["proof"]["mismatch"] == ["account"]


def test_the_open_trade_count_alone_proves_nothing_when_the_socket_is_read(ctx, sim, rig, on_line):
    """The socket never confirms, while the page's open-trade list grows by one row (a trade
    the socket did not report): not confirmed, never "by dom", never repeated."""
    before = len(sim.orders())
    sim.control("never_confirm")
    on_line(
        "checks passed on the page",
        lambda: rig.driver.execute_script(
            "const s = window.__qfsim;"
            "s.opened.push({id: 'not-from-the-socket', asset: s.current, percentProfit: 90,"
            " command: 0, amount: 1, closeTimestamp: Date.now() / 1000 + 7260});"
        ),
    )
    try:
        result = trade_click(ctx, "BUY", amount=1, expiry="M1", confirm_timeout=2.5)
    finally:
        rig.driver.refresh()
        rig.wait_ready()
    proof = result.diagnostics["proof"]
    assert proof["dom_after"] > proof["dom_before"], "the page's list did grow"
    assert not result.ok and "NOT repeated" in result.error
    assert result.data["confirmed_by"] is None and result.data["clicked"]
    assert len(sim.orders()) - before == 1
    assert ctx.halt.alarm is None


def test_a_trade_matching_the_intent_is_confirmed_and_leaves_the_alarm_alone(ctx, sim):
    before = len(sim.orders())
    result = trade_click(ctx, "BUY", amount=1, expiry="M1", account=DEMO)
    assert result.ok, result.error
    assert result.data["confirmed_by"] in ("successopenOrder", "updateOpenedDeals")
    assert result.data["account"] == DEMO and not result.data["alarm"]
    placed = sim.orders()[before:]
    assert [(o.amount, o.is_demo, o.expiry) for o in placed] == [(1, True, 60)]
    assert ctx.halt.alarm is None


def test_a_page_whose_account_signals_disagree_is_unknown_and_refused(ctx, sim, rig):
    before = len(sim.orders())
    rig.driver.execute_script(
        "document.querySelector('.balance-info-block__label').textContent = 'QT Real';"
    )
    try:
        result = trade_click(ctx, "BUY", amount=1, expiry="M1")
    finally:
        rig.driver.refresh()
        rig.wait_ready()
    assert not result.ok and "UNKNOWN" in result.error and "cannot be read" in result.error
    assert result.diagnostics["checks"]["page"]["account"] == UNKNOWN
    assert len(sim.orders()) == before


@pytest.mark.parametrize(
    ("signals", "kind"),
    [
        ({}, UNKNOWN),
        ({"url": None, "label": None}, UNKNOWN),
        ({"url": True, "label": False}, UNKNOWN),
        ({"url": True, "label": True, "socket_auth": None}, DEMO),
        ({"url": False, "label": False}, REAL),
    ],
)
def test_an_account_type_is_read_only_from_signals_that_agree(signals, kind):
    assert account_type(signals) == kind
