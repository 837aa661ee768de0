"""Every capability against the simulator's page in real headless Chromium."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from browser_helpers import ChromeRig, needs_browser, wait_for

from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.capabilities.chart_timeframe import chart_timeframe
from qfdesk.browser.capabilities.favourites_scan import favourites_scan
from qfdesk.browser.capabilities.profile_scan import profile_scan
from qfdesk.browser.capabilities.read_payout import read_payout
from qfdesk.browser.capabilities.screenshot import screenshot
from qfdesk.browser.capabilities.session_scan import session_scan
from qfdesk.browser.capabilities.set_amount import set_amount
from qfdesk.browser.capabilities.set_expiry import set_expiry
from qfdesk.browser.capabilities.trade_click import trade_click
from qfdesk.browser.selectors import Selectors
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=6, seed=7) as platform:
        yield platform


@pytest.fixture(scope="module")
def rig(sim, tmp_path_factory, all_logs):
    """Chrome on the simulator's page, started once all_logs listens: Chrome's launch and the
    page's first auth frame are in the token scan whatever order the tests run in."""
    rig = ChromeRig(tmp_path_factory.mktemp("profile"))
    try:
        rig.start_on(sim.url)
        yield rig
    finally:
        rig.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def all_logs():
    """Every log line of this module at DEBUG (selenium's too), for the token scan."""
    handler = _Records()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture
def ctx(rig, artifacts, all_logs, tmp_path) -> Context:
    return Context(
        driver=rig.driver,
        selectors=Selectors.load(user_path=tmp_path / "none.json"),
        artifacts_dir=artifacts,
        events=rig.hub,
        address=rig.address,
        settings={"confirm_timeout": 6.0},
    )


def test_profile_scan_reads_demo_account_and_balance(ctx, sim):
    result = profile_scan(ctx)
    assert result.ok, result.error
    assert result.data["account"] == "DEMO"
    assert result.data["balance"] == pytest.approx(sim.state()["balance"], abs=0.01) or (
        result.data["balance"] > 0
    )
    assert all(v is not False for v in result.diagnostics["signals"].values())


def test_session_scan_reads_the_trade_panel(ctx):
    result = session_scan(ctx)
    assert result.ok, result.error
    data = result.data
    assert data["asset"] and data["symbol"]
    assert data["payout"] > 0 and data["amount"] > 0 and data["expiry"] > 0
    assert data["open_trades"] >= 0 and data["balance"] > 0


def test_favourites_scan_filters_by_min_payout(ctx, sim):
    result = favourites_scan(ctx, min_payout=0)
    assert result.ok, result.error
    names = [f["name"] for f in result.data["favourites"]]
    assert len(names) == len(sim.favourites) > 0
    payouts = sorted(f["payout"] for f in result.data["favourites"])
    threshold = payouts[-1]
    high = favourites_scan(ctx, min_payout=threshold)
    assert [f["payout"] for f in high.data["selected"]] == [
        p for p in (f["payout"] for f in result.data["favourites"]) if p >= threshold
    ]


def test_asset_select_by_name_and_symbol_verified_by_socket(ctx, sim, rig):
    favourite = favourites_scan(ctx).data["favourites"][-1]["name"]
    by_name = asset_select(ctx, favourite)
    assert by_name.ok, by_name.error
    assert by_name.data["route"] in ("favourites", "already")
    others = [a for a in sim.assets if a["name"] != favourite and a.get("active", True)]
    target = next(a for a in others if a["symbol"] not in sim.favourites)
    by_symbol = asset_select(ctx, target["symbol"])
    assert by_symbol.ok, by_symbol.error
    assert by_symbol.data["route"] == "picker"
    assert by_symbol.data["socket"] == target["symbol"]
    assert session_scan(ctx).data["asset"] == target["name"]


def test_set_amount_expiry_payout_and_chart_timeframe(ctx):
    assert set_amount(ctx, 3).ok
    assert session_scan(ctx).data["amount"] == 3
    assert set_amount(ctx, 12.5).data["amount"] == 12.5
    assert session_scan(ctx).data["amount"] == 12.5
    for label, seconds in (("S30", 30), ("M5", 300), ("M1", 60), ("H1", 3600)):
        result = set_expiry(ctx, label)
        assert result.ok, result.error
        assert session_scan(ctx).data["expiry"] == seconds
    refused = set_expiry(ctx, "H4")
    assert not refused.ok and "H4" in refused.error
    assert read_payout(ctx).data["payout"] > 0
    assert chart_timeframe(ctx, "M5").data["shown"]
    assert chart_timeframe(ctx, "M1").data["shown"]


def test_screenshot_on_demand(ctx):
    result = screenshot(ctx, "manual")
    assert result.ok
    assert Path(result.data["path"]).read_bytes()[:4] == b"\x89PNG"


def _deals_before(sim):
    return len(sim.orders())


@pytest.mark.parametrize("direction,action", [("BUY", "call"), ("SELL", "put")])
def test_trade_click_places_one_trade_proven_by_socket(ctx, sim, direction, action):
    assert set_amount(ctx, 4).ok and set_expiry(ctx, "M1").ok
    before = _deals_before(sim)
    result = trade_click(ctx, direction, amount=4, expiry="M1")
    assert result.ok, result.error
    assert result.data["confirmed_by"] in ("successopenOrder", "updateOpenedDeals")
    orders = sim.orders()[before:]
    assert len(orders) == 1
    assert orders[0].action == action and orders[0].amount == 4
    assert orders[0].deal_id == result.data["deal_id"]
    names = [p.name for p in result.artifacts]
    assert any(n.endswith("-before.png") for n in names)
    assert any(n.endswith("-after.png") for n in names)
    diagnostics = json.loads(next(p for p in result.artifacts if p.suffix == ".json").read_text())
    assert diagnostics["outcome"]["ok"] and diagnostics["strategies"][0]["delivered"] is True


def test_trade_refused_when_page_differs_from_intent(ctx, sim):
    before = _deals_before(sim)
    assert set_amount(ctx, 5).ok
    result = trade_click(ctx, "BUY", amount=6)
    assert not result.ok and "nothing" in result.error
    assert not result.data.get("clicked")
    assert len(sim.orders()) == before


def test_trade_refused_for_an_unreadable_expiry_still_writes_its_diagnostics(ctx, sim):
    before = _deals_before(sim)
    result = trade_click(ctx, "BUY", expiry="soon")
    assert not result.ok and "not an expiry" in result.error
    diagnostics = json.loads(next(p for p in result.artifacts if p.suffix == ".json").read_text())
    assert diagnostics["outcome"] == {"ok": False, "error": result.error, "clicked": False}
    assert diagnostics["checks"]["page"]["account"] == "DEMO"
    assert len(sim.orders()) == before


def test_late_confirmation_never_clicks_twice(ctx, sim):
    assert set_amount(ctx, 8).ok
    before = _deals_before(sim)
    sim.control("delay_confirm", seconds=4.0)
    result = trade_click(ctx, "SELL", amount=8, confirm_timeout=1.5, intent_id="late-1")
    assert not result.ok and "NOT repeated" in result.error
    assert [s["strategy"] for s in result.diagnostics["strategies"]] == ["click"]
    retry = trade_click(ctx, "SELL", amount=8, intent_id="late-1")
    assert not retry.ok and "already clicked" in retry.error and not retry.data.get("clicked")
    assert wait_for(lambda: sim.orders()[before:] and sim.orders()[-1].status != "pending", 8)
    assert len(sim.orders()) - before == 1


def test_rejected_order_reported_not_retried(ctx, sim):
    assert set_amount(ctx, 9).ok
    before = _deals_before(sim)
    sim.control("reject_next", error="Trading is temporarily unavailable")
    result = trade_click(ctx, "BUY", amount=9)
    assert not result.ok and "refused" in result.error
    assert len(sim.orders()) - before <= 1
    assert len(result.diagnostics["strategies"]) == 1


def test_click_strategies_fall_through_only_when_provably_not_delivered(ctx, sim, rig):
    """A veil over the BUY button: the plain click is intercepted and the action chain sees
    the button covered, so neither clicked; the JS dispatch places exactly one trade."""
    assert set_amount(ctx, 11).ok
    before = _deals_before(sim)
    rig.driver.execute_script(
        "const b = document.querySelector('.btn-call').getBoundingClientRect();"
        "const v = document.createElement('div'); v.id = 'veil';"
        "Object.assign(v.style, {position: 'fixed', left: b.left + 'px', top: b.top + 'px',"
        " width: b.width + 'px', height: b.height + 'px', zIndex: 9999, background: 'red'});"
        "document.body.appendChild(v);"
    )
    try:
        result = trade_click(ctx, "BUY", amount=11)
    finally:
        rig.driver.execute_script("document.getElementById('veil').remove();")
    assert result.ok, result.error
    strategies = result.diagnostics["strategies"]
    assert [s["strategy"] for s in strategies] == ["click", "action_chain", "js_dispatch"]
    assert [s["delivered"] for s in strategies] == [False, False, True]
    assert len(sim.orders()) - before == 1


def test_real_account_refused_without_consent(ctx, sim, rig):
    before = _deals_before(sim)
    sim.control("account", kind="real")
    try:
        assert wait_for(lambda: "demo" not in rig.driver.current_url, 10)
        rig.wait_ready()
        profile = profile_scan(ctx)
        assert profile.ok and profile.data["account"] == "REAL"
        assert set_amount(ctx, 2).ok
        refused = trade_click(ctx, "BUY", amount=2)
        assert not refused.ok and "REAL" in refused.error
        assert refused.data.get("clicked") is not True
        assert len(sim.orders()) == before
    finally:
        sim.control("account", kind="demo")
        assert wait_for(lambda: "demo" in rig.driver.current_url, 10)
        rig.wait_ready()


@pytest.fixture
def trade_artifacts(ctx: Context) -> None:
    """A placed trade's screenshots and diagnostics in the artifacts folder, whichever tests
    ran before: the token scan then always has files of every kind to read."""
    assert set_amount(ctx, 4).ok and set_expiry(ctx, "M1").ok
    placed = trade_click(ctx, "BUY", amount=4, expiry="M1")
    assert placed.ok, placed.error


@pytest.mark.usefixtures("trade_artifacts")
def test_session_token_absent_from_every_file_and_log(rig, artifacts, all_logs, ctx):
    assert profile_scan(ctx).ok
    assert rig.token and len(rig.token) >= 16, "the page's auth frame was not seen"
    files = [p for p in artifacts.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files) and any(p.suffix == ".png" for p in files)
    token = rig.token.encode()
    for path in files:
        assert token not in path.read_bytes(), path
        assert rig.token not in path.name
    assert len(all_logs) > 50
    assert not [line for line in all_logs if rig.token in line]
