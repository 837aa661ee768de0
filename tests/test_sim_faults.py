"""Simulator misbehaviour on demand, order rejections, high tick rates and the chat socket."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from test_sim_protocol import AUTH, Client, connect, order, run

from qfdesk.sim import SimulatedPlatform


@pytest.fixture()
def sim() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform(seed=11, assets=4) as platform:
        yield platform


async def ready(http: aiohttp.ClientSession, sim: SimulatedPlatform, **kwargs: Any) -> Client:
    client = await connect(http, sim.socket_url, **kwargs)
    await client.wait_for("successfavorite/change")
    return client


async def raw_frames(client: Client, seconds: float) -> list[tuple[str, Any]]:
    """Every frame for ``seconds``, without pairing (faults break the pairing on purpose)."""
    frames: list[tuple[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            msg = await client.ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
        except TimeoutError:
            break
        if msg.type == aiohttp.WSMsgType.TEXT:
            frames.append(("text", msg.data))
        elif msg.type == aiohttp.WSMsgType.BINARY:
            frames.append(("binary", msg.data))
        else:
            frames.append(("closed", msg.type))
            break
    return frames


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bad_json", [("text", '42["updateStream",[["EURUSD_otc",1,')]),
        ("header_without_attachment", [("text", '451-["updateStream",')]),
        ("attachment_without_header", [("binary", b'[["BROKEN"')]),
        ("bad_attachment", [("text", "451-"), ("binary", b'[["EURUSD_otc",1756866774.9,')]),
        ("unknown_packet", [("text", "7garbage")]),
    ],
)
def test_malformed_frames_are_sent_as_asked(
    sim: SimulatedPlatform, kind: str, expected: list[tuple[str, Any]]
) -> None:
    sim.control("pause_stream")

    async def scenario() -> list[tuple[str, Any]]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            sim.control("malformed", kind=kind)
            return await raw_frames(client, 0.5)

    frames = [f for f in run(scenario()) if f != ("text", "2")]
    assert len(frames) == len(expected)
    for (got_type, got), (want_type, prefix) in zip(frames, expected, strict=True):
        assert got_type == want_type and got.startswith(prefix)


def test_dropped_socket_and_socketio_disconnect(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[list[Any], list[Any]]:
        async with aiohttp.ClientSession() as http:
            first = await ready(http, sim)
            sim.control("drop_socket", socket="trading")
            dropped = await raw_frames(first, 2.0)
            second = await ready(http, sim)
            sim.control("drop_socket", socket="trading", how="disconnect")
            disconnected = await raw_frames(second, 2.0)
            third = await ready(http, sim)
            sim.control("drop_socket", socket="trading", how="abort")
            return dropped, disconnected, await raw_frames(third, 2.0)

    dropped, disconnected, aborted = run(scenario())
    assert dropped[-1][0] == "closed"
    assert ("text", "41") in disconnected and disconnected[-1][0] == "closed"
    assert aborted[-1][0] == "closed"
    with pytest.raises(ValueError, match="how must be"):
        sim.control("drop_socket", how="explode")


def test_closing_an_asset_updates_the_page_and_refuses_orders(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[list[Any], Any, list[str]]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            sim.control("set_asset_active", asset="EURUSD_otc", active=False)
            rows = await client.wait_for("updateAssets")
            await client.send(order(5))
            failure = await client.wait_for("failopenOrder")
            streamed = sim.state()["streamed"]
            return rows, failure, streamed

    rows, failure, streamed = run(scenario())
    assert next(r for r in rows if r[1] == "EURUSD_otc")[14] is False
    assert failure["asset"] == "EURUSD_otc" and "closed" in failure["error"]
    assert streamed == ["AUDCAD_otc", "EURGBP_otc"]


def test_a_payout_change_reaches_the_page_in_a_new_asset_table(sim: SimulatedPlatform) -> None:
    before = next(a["payout"] for a in sim.assets if a["symbol"] == "AUDCAD_otc")

    async def scenario() -> list[Any]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            sim.control("set_payout", asset="AUDCAD_otc", payout=before - 10)
            return await client.wait_for("updateAssets")

    try:
        rows = run(scenario())
        assert next(r for r in rows if r[1] == "AUDCAD_otc")[5] == before - 10
        assert next(a["payout"] for a in sim.assets if a["symbol"] == "AUDCAD_otc") == before - 10
    finally:
        sim.control("set_payout", asset="AUDCAD_otc", payout=before)
    for bad in (0, 12.5, True):
        with pytest.raises(ValueError, match="whole percent"):
            sim.control("set_payout", asset="AUDCAD_otc", payout=bad)
    with pytest.raises(ValueError, match="unknown asset"):
        sim.control("set_payout", asset="NOPE", payout=80)


def test_rejections(sim: SimulatedPlatform) -> None:
    closed = next(a["symbol"] for a in sim.assets if not a["active"])

    async def scenario() -> list[Any]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            answers = []
            sim.control("reject_next", error="Trading is temporarily unavailable")
            await client.send(order(60000))  # refused on its own: the fault stays armed
            answers.append(await client.wait_for("failopenOrder"))
            await client.send(order(5))
            answers.append(await client.wait_for("failopenOrder"))
            await client.send(order(5, asset=closed))
            answers.append(await client.wait_for("failopenOrder"))
            await client.send(order(5, expiry=60))  # the fault was used up: accepted
            answers.append(await client.wait_for("successopenOrder"))
            return answers

    money, temporary, shut, accepted = run(scenario())
    assert temporary == {"error": "Trading is temporarily unavailable", "amount": 5,
                         "asset": "EURUSD_otc"}  # fmt: skip
    assert money["amount"] == 60000 and "money" in money["error"]
    assert shut["asset"] == closed and "closed" in shut["error"]
    assert accepted["amount"] == 5
    statuses = [o.status for o in sim.orders()]
    assert statuses == ["rejected", "rejected", "rejected", "open"]
    assert sim.state()["balance"] == 50000 - 5


def test_late_and_missing_confirmations(sim: SimulatedPlatform) -> None:
    sim.control("delay_confirm", seconds=1.5)

    async def scenario() -> tuple[float, list[tuple[str, Any]]]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            sent = time.monotonic()
            await client.send(order(7, expiry=30))
            await client.wait_for("successopenOrder")
            late = time.monotonic() - sent
            sim.control("never_confirm")
            await client.send(order(8, expiry=30))
            sim.control("pause_stream")
            return late, await raw_frames(client, 1.5)

    late, after = run(scenario())
    assert late >= 1.4
    assert not any("successopenOrder" in str(data) for _, data in after)
    first, second = sim.orders()
    assert first.status == "open" and first.confirmed_at - first.received_at >= 1.4
    assert second.status == "unconfirmed" and second.deal_id == ""


def test_a_page_that_places_another_amount_or_account_places_it_and_says_so(
    sim: SimulatedPlatform,
) -> None:
    async def scenario() -> list[Any]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            answers = []
            sim.control("place_other", amount=10)
            await client.send(order(1, expiry=60))
            answers.append(await client.wait_for("successopenOrder"))
            sim.control("place_other", account="real")
            await client.send(order(2, expiry=60))
            answers.append(await client.wait_for("successopenOrder"))
            await client.send(order(3, expiry=60))  # the faults were used up: as sent
            answers.append(await client.wait_for("successopenOrder"))
            return answers

    other_amount, other_account, as_sent = run(scenario())
    assert other_amount["amount"] == 10 and other_amount["isDemo"] == 1
    assert other_account["amount"] == 2 and other_account["isDemo"] == 0
    assert as_sent["amount"] == 3 and as_sent["isDemo"] == 1
    placed = [(o.amount, o.is_demo) for o in sim.orders()]
    assert placed == [(10, True), (2, False), (3, True)]
    assert sim.state()["balances"] == {"demo": 50000 - 10 - 3, "real": 1000 - 2}


def test_place_other_refuses_what_it_cannot_place(sim: SimulatedPlatform) -> None:
    for bad in ({}, {"account": "paper"}, {"amount": 0}):
        with pytest.raises(ValueError):
            sim.control("place_other", **bad)


def test_close_orders_now_and_the_closed_list(sim: SimulatedPlatform) -> None:
    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            await client.send(order(3, expiry=600))
            await client.wait_for("successopenOrder")
            sim.control("force_outcome", outcome="win")
            sim.control("close_orders_now")
            return await client.wait_for("successcloseOrder")

    closed = run(scenario())
    assert closed["profit"] == pytest.approx(3 * 0.92)
    assert sim.orders()[0].status == "closed"


@pytest.mark.parametrize("rate", [20, 400])
def test_ticks_received_equal_ticks_sent(rate: int) -> None:
    with SimulatedPlatform(seed=5, assets=3, tick_rate=rate) as sim:

        async def scenario() -> list[tuple[str, float, float]]:
            async with aiohttp.ClientSession() as http:
                client = await ready(http, sim)
                started = time.monotonic()
                while time.monotonic() - started < 2.0:
                    await client.next_event()
                sim.control("pause_stream")
                try:
                    while True:
                        await client.next_event(timeout=0.3)
                except TimeoutError:
                    pass
                return [
                    (s, t, p)
                    for event, payload in client.events
                    if event == "updateStream"
                    for s, t, p in payload
                ]

        received = run(scenario())
        sent = [(t.asset, t.time, t.price) for t in sim.sent_ticks()]
    assert received == sent
    span = sim.sent_ticks()[-1].sent_at - sim.sent_ticks()[0].sent_at
    assert 0.5 * rate <= (len(sent) - 1) / span <= 1.3 * rate  # roughly; a busy machine lags
    by_asset: dict[str, list[float]] = {}
    for asset, when, _ in sent:
        by_asset.setdefault(asset, []).append(when)
    assert set(by_asset) == {"EURUSD_otc", "AUDCAD_otc", "EURGBP_otc"}
    for times in by_asset.values():
        assert all(b > a for a, b in itertools.pairwise(times))


def test_chat_socket_interleaves_its_own_binary_events(sim: SimulatedPlatform) -> None:
    async def scenario() -> list[tuple[str, Any]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.chat_socket_url, auth=None)
            events = []
            while len(events) < 4:
                events.append(await client.next_event(timeout=5))
            return events

    events = run(scenario())
    names = {name for name, _ in events}
    assert names <= {"auth/success", "signals/update", "chat/message"}
    assert "signals/update" in names or "chat/message" in names
    signals = [p for name, p in events if name == "signals/update"]
    for payload in signals:
        assert {"signals", "times"} <= set(payload)


def test_auth_token_is_not_recorded(sim: SimulatedPlatform) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as http:
            await ready(http, sim)

    run(scenario())
    (auth,) = [e for e in sim.received_events() if e.event == "auth"]
    assert auth.payload == {"isDemo": 1, "uid": 1, "platform": 2}
    assert "test-token" not in json.dumps([e.payload for e in sim.received_events()])
    assert "test-token" in AUTH


NASTY_PAYLOADS: list[Any] = [
    None,
    0,
    -1,
    True,
    "EURUSD_otc",
    [],
    {},
    {"asset": 5},
    {"asset": "EURUSD_otc", "period": "60"},
    {"asset": "EURUSD_otc", "period": 7},
    {"asset": "EURUSD_otc", "period": True},
    {"asset": "EURUSD_otc", "period": 60, "time": 0, "offset": 9000},
    {"asset": "EURUSD_otc", "period": 60, "time": 1e300, "offset": -5},
    {"asset": "EURUSD_otc", "period": 60, "time": 1700000000, "offset": 1e12},
    {"asset": "EURUSD_otc", "amount": "5", "action": "call", "time": 60, "isDemo": 1},
    {"asset": "EURUSD_otc", "amount": 5, "action": "up", "time": 60, "isDemo": 1},
    {"asset": "EURUSD_otc", "amount": 5, "action": "call", "time": -60, "isDemo": 1},
    {"asset": "EURUSD_otc", "amount": 1e308, "action": "call", "time": 60, "isDemo": 1},
    {"asset": "EURUSD_otc", "amount": 5, "action": "call", "time": 60, "isDemo": 0},
]
NASTY_FRAMES = ["", "4", "42", "42[", "42{}", "42[1,2]", "451-[]", "9", "40garbage", "42\x00"]


def test_bad_frames_from_the_page_never_break_the_socket(
    sim: SimulatedPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    events = ["changeSymbol", "subfor", "unsubfor", "loadHistoryPeriod", "openOrder", "ps"]

    async def scenario() -> tuple[list[Any], Any]:
        async with aiohttp.ClientSession() as http:
            client = await ready(http, sim)
            for text in NASTY_FRAMES:
                await client.send(text)
            for event in events:
                for payload in NASTY_PAYLOADS:
                    await client.send("42" + json.dumps([event, payload]))
            await client.ws.send_bytes(b"\xff\x00binary")
            await client.send(order(5, expiry=60))
            deal = await client.wait_for("successopenOrder", timeout=10)
            failures = [p for e, p in client.events if e == "failopenOrder"]
            assert sim.state()["trading_sockets"] == 1
            return failures, deal

    failures, deal = run(scenario())
    assert deal["amount"] == 5
    assert len(failures) == sum(1 for p in NASTY_PAYLOADS if isinstance(p, dict))
    assert [o.status for o in sim.orders()].count("open") == 1
    assert not [r for r in caplog.records if "not handled" in r.getMessage()]


def test_a_renamed_class_reaches_every_page_served_after_and_odd_names_are_refused(
    sim: SimulatedPlatform,
) -> None:
    async def page() -> str:
        async with aiohttp.ClientSession() as http, http.get(sim.url) as response:
            return await response.text()

    assert "SIM_RENAMES" not in run(page())
    sim.control("rename_class", old="btn-call", new="btn-call-v2")
    served = run(page())
    assert 'window.SIM_RENAMES = {"btn-call": "btn-call-v2"};</script><script src=' in served
    for bad in ({"old": "btn call", "new": "x"}, {"old": "btn-call", "new": "'); alert(1"}):
        with pytest.raises(ValueError, match="not a class name"):
            sim.control("rename_class", **bad)
