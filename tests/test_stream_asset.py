"""Streaming other assets on the page's own socket, against the simulator in real headless
Chromium: the page keeps its asset, the simulator streams what was asked (``subfor``) and
stops when told (``unsubfor``), and the platform's limit of about four streams is refused
cleanly, before anything is sent, or told by no tick when the platform drops a request."""

from __future__ import annotations

import json
import time

import pytest
from browser_helpers import ChromeRig, needs_browser, wait_for

from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.capabilities.page import read_text
from qfdesk.browser.capabilities.stream_asset import stop_stream, stream_asset
from qfdesk.browser.selectors import Selectors
from qfdesk.engine.events import Event, Tick
from qfdesk.sim.platform import SimulatedPlatform


def test_the_stream_messages_are_read_from_the_selectors_file_and_a_user_file_renames_them(
    tmp_path,
):
    built_in = Selectors.load(user_path=tmp_path / "none.json")
    assert (built_in.message("stream_start"), built_in.message("stream_stop")) == (
        "subfor",
        "unsubfor",
    )
    user = tmp_path / "selectors.json"
    user.write_text(json.dumps({"elements": {}, "messages": {"stream_start": {"event": "sub"}}}))
    renamed = Selectors.load(user_path=user)
    assert renamed.message("stream_start") == "sub" and renamed.problem is None
    assert renamed.message("stream_stop") == "unsubfor"
    user.write_text(json.dumps({"elements": {}, "messages": {"stream_start": {"event": 3}}}))
    broken = Selectors.load(user_path=user)
    assert broken.message("stream_start") == "subfor"
    assert broken.problem is not None and "'event' must be" in broken.problem


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=7, seed=11) as platform:
        yield platform


@pytest.fixture(scope="module")
def rig(sim, tmp_path_factory):
    rig = ChromeRig(tmp_path_factory.mktemp("profile"))
    try:
        rig.start_on(sim.url)
        yield rig
    finally:
        rig.close()


@pytest.fixture
def ctx(rig, tmp_path):
    """A context on the page; every stream a test asked for is ended after it."""
    ctx = Context(
        driver=rig.driver,
        selectors=Selectors.load(user_path=tmp_path / "none.json"),
        artifacts_dir=tmp_path / "artifacts",
        events=rig.hub,
        address=rig.address,
        settings={"stream_timeout": 3.0},
    )
    yield ctx
    for symbol in rig.driver.execute_script(
        "const ws = window[Symbol.for('qfdesk.tradingSocket')];"
        "return (ws && ws[Symbol.for('qfdesk.streams')]) || [];"
    ):
        assert stop_stream(ctx, symbol).ok


def others(sim: SimulatedPlatform) -> list[str]:
    """Open assets that are not favourites: nothing streams them until asked."""
    return [a["symbol"] for a in sim.assets if a["active"] and a["symbol"] not in sim.favourites]


def page_symbol(rig: ChromeRig) -> str:
    return rig.driver.execute_script("return window.__qfsim.current")


def sent(sim: SimulatedPlatform, event: str) -> list[object]:
    return [e.payload for e in sim.received_events() if e.event == event]


def ticks_of(rig: ChromeRig, symbol: str, seconds: float) -> bool:
    def ticked(event: Event) -> bool:
        return type(event) is Tick and event.asset == symbol

    return rig.hub.wait_for(ticked, seconds) is not None


@pytest.mark.browser
@needs_browser
def test_three_more_assets_stream_beside_the_page_which_keeps_its_own_asset(ctx, rig, sim):
    shown = read_text(ctx, "current_asset")
    extra = others(sim)[:3]
    for symbol in extra:
        result = stream_asset(ctx, symbol)
        assert result.ok, result.error
        assert result.data["route"] == "socket"
    assert result.data["streaming"] == extra
    assert sent(sim, "subfor")[-3:] == extra, "the page's own socket sent subfor"
    assert set(extra) <= set(sim.state()["streamed"]), "the simulator streams them"
    for symbol in extra:
        assert ticks_of(rig, symbol, 3.0), f"ticks of {symbol} arrive"
    assert read_text(ctx, "current_asset") == shown, "the trader's asset is unchanged"
    again = stream_asset(ctx, extra[0])
    assert again.ok and again.data["streaming"] == extra, "asking again takes no new place"


@pytest.mark.browser
@needs_browser
def test_a_fifth_asset_is_refused_before_anything_is_sent(ctx, sim):
    extra = others(sim)
    for symbol in extra[:3]:
        assert stream_asset(ctx, symbol).ok
    before = len(sent(sim, "subfor"))
    refused = stream_asset(ctx, extra[3])
    assert not refused.ok
    assert "streams at most 4 assets at once" in (refused.error or "")
    assert "close one of their charts" in (refused.error or "")
    assert len(refused.data["streaming"]) == 4
    assert len(sent(sim, "subfor")) == before, "nothing was sent"
    assert extra[3] not in sim.state()["streamed"]


@pytest.mark.browser
@needs_browser
def test_stopping_a_stream_ends_its_ticks_and_frees_its_place(ctx, rig, sim):
    extra = others(sim)
    for symbol in extra[:3]:
        assert stream_asset(ctx, symbol).ok
    stopped = stop_stream(ctx, extra[0])
    assert stopped.ok and stopped.data["route"] == "socket"
    assert sent(sim, "unsubfor")[-1] == extra[0]
    assert wait_for(lambda: extra[0] not in sim.state()["streamed"], 3.0)
    time.sleep(0.5)  # a tick already on its way
    assert not ticks_of(rig, extra[0], 2.0), "no more ticks of the stopped asset"
    fourth = stream_asset(ctx, extra[3])
    assert fourth.ok, fourth.error
    assert fourth.data["streaming"] == [extra[1], extra[2], extra[3]]


@pytest.mark.browser
@needs_browser
def test_the_pages_own_asset_needs_no_stream_and_is_never_unsubscribed(ctx, rig, sim):
    own = page_symbol(rig)
    before = (len(sent(sim, "subfor")), len(sent(sim, "unsubfor")))
    result = stream_asset(ctx, own)
    assert result.ok and result.data["route"] == "page"
    assert stop_stream(ctx, own).data["route"] == "kept"
    assert stop_stream(ctx, others(sim)[0]).data["route"] == "kept", "never asked for"
    assert (len(sent(sim, "subfor")), len(sent(sim, "unsubfor"))) == before
    assert own in sim.state()["streamed"]


@pytest.mark.browser
@needs_browser
def test_a_request_the_platform_drops_is_told_by_no_tick_and_withdrawn(ctx, sim):
    ctx.settings = {"stream_timeout": 2.0, "stream_limit": 8}
    extra = others(sim)
    for symbol in extra[:3]:
        assert stream_asset(ctx, symbol).ok
    dropped = stream_asset(ctx, extra[3])
    assert not dropped.ok
    assert "sent no tick of" in (dropped.error or "")
    assert sent(sim, "subfor")[-1] == extra[3], "asked"
    assert sent(sim, "unsubfor")[-1] == extra[3], "and withdrawn"
    assert dropped.data["streaming"] == extra[:3]
