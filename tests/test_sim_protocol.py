"""The simulated platform at the protocol level: a real aiohttp websocket client, no browser."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from qfdesk.engine.events import Tick
from qfdesk.engine.pipeline import Pipeline
from qfdesk.sim import SimulatedPlatform

AUTH = '42["auth",{"session":"test-token","isDemo":1,"uid":1,"platform":2}]'


@pytest.fixture()
def sim() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform(seed=7, assets=6, ping_interval=0.5, ping_timeout=1.5) as platform:
        yield platform


class Client:
    """A test client that pairs each ``451-`` header with the binary frame after it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, answer_pings: bool = True) -> None:
        self.ws = ws
        self.answer_pings = answer_pings
        self.pending: str | None = None
        self.texts: list[str] = []
        self.events: list[tuple[str, Any]] = []
        self.frames: list[tuple[str, str | bytes]] = []

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def next_event(self, timeout: float = 5.0) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(("text", msg.data))
                if msg.data == "2" and self.answer_pings:
                    await self.ws.send_str("3")
                if msg.data.startswith("451-"):
                    assert self.pending is None, "two headers without an attachment between"
                    header = json.loads(msg.data[4:])
                    assert header[1] == {"_placeholder": True, "num": 0}
                    self.pending = header[0]
                    continue
                self.texts.append(msg.data)
                if msg.data.startswith("42"):
                    packet = json.loads(msg.data[2:])
                    event = (packet[0], packet[1] if len(packet) > 1 else None)
                    self.events.append(event)
                    return event
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(("binary", msg.data))
                assert self.pending is not None, "an attachment without a header"
                event = (self.pending, json.loads(msg.data))
                self.pending = None
                self.events.append(event)
                return event
            else:
                raise ConnectionError(f"socket ended: {msg.type}")

    async def wait_for(self, name: str, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            event, payload = await self.next_event(max(deadline - time.monotonic(), 0.01))
            if event == name:
                return payload


async def connect(
    session: aiohttp.ClientSession, url: str, auth: str | None = AUTH, **kwargs: Any
) -> Client:
    ws = await session.ws_connect(url)
    client = Client(ws, **kwargs)
    opening = await ws.receive_str(timeout=5)
    assert opening.startswith("0")
    handshake = json.loads(opening[1:])
    assert set(handshake) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    await client.send("40")
    ack = await ws.receive_str(timeout=5)
    assert ack.startswith("40") and "sid" in json.loads(ack[2:])
    if auth:
        await client.send(auth)
    return client


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_handshake_auth_and_the_first_events(sim: SimulatedPlatform) -> None:
    async def scenario() -> list[tuple[str, Any]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            await client.wait_for("successfavorite/change")
            return client.events

    events = dict(run(scenario()))
    assert list(events)[:8] == [
        "successauth",
        "updateAssets",
        "updateOpenedDeals",
        "successupdatePending",
        "successupdateBalance",
        "updateCharts",
        "updateClosedDeals",
        "successfavorite/change",
    ]
    rows = events["updateAssets"]
    assert len(rows) == 7 and all(len(row) == 19 for row in rows)
    by_symbol = {row[1]: row for row in rows}
    eur = by_symbol["EURUSD_otc"]
    assert eur[2] == "EUR/USD OTC" and eur[3] == "currency" and eur[5] == 92
    assert eur[9] == 1 and eur[14] is True and {"time": 60} in eur[15]
    closed = [row for row in rows if row[14] is False]
    assert len(closed) == 1 and closed[0][9] == 0
    assert events["successupdateBalance"] == {"isDemo": 1, "balance": 50000.0}
    settings = json.loads(events["updateCharts"][0]["settings"])
    assert settings["symbol"] == "EURUSD_otc"
    assert events["successfavorite/change"][0] == "EURUSD_otc"


def test_missing_session_is_not_authorized(sim: SimulatedPlatform) -> None:
    async def scenario() -> list[str]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url, auth='42["auth",{"isDemo":1}]')
            with pytest.raises(ConnectionError):
                await client.next_event()
                await client.next_event()
            return client.texts

    assert run(scenario())[:2] == ['42["NotAuthorized"]', "41"]


def test_pings_are_sent_and_a_silent_client_is_dropped(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[Client, float]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url, auth=None, answer_pings=False)
            started = time.monotonic()
            with pytest.raises(ConnectionError):
                while True:
                    await client.next_event(timeout=5)
            return client, time.monotonic() - started

    client, lasted = run(scenario())
    assert ("text", "2") in client.frames
    assert lasted < 4.0


def test_history_leads_straight_into_the_live_stream(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[dict[str, Any], list[list[Any]]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            await client.wait_for("successfavorite/change")
            await client.send('42["changeSymbol",{"asset":"GBPUSD_otc","period":60}]')
            history = await client.wait_for("updateHistoryNewFast")
            ticks: list[list[Any]] = []
            while len(ticks) < 3:
                ticks += [t for t in await client.wait_for("updateStream") if t[0] == "GBPUSD_otc"]
            return history, ticks

    history, ticks = run(scenario())
    assert history["asset"] == "GBPUSD_otc" and history["period"] == 60
    times = [t for t, _ in history["history"]]
    assert times == sorted(times) and 12 * 60 <= times[-1] - times[0] <= 13 * 60
    starts = [c[0] for c in history["candles"]]
    assert starts == sorted(starts, reverse=True) and len(starts) == 100
    assert all(b - a == 60 for a, b in zip(starts[1:], starts))
    for _, open_, close, high, low in history["candles"]:
        assert low <= min(open_, close) <= max(open_, close) <= high
    # the newest candle is the last complete minute; the ticks cover the open one from its start
    assert starts[0] + 60 == (int(times[-1]) // 60) * 60
    assert times[0] <= starts[0] + 60
    # candles of minutes the history ticks cover entirely are built from those very ticks
    checked = 0
    for start, open_, close, high, low in history["candles"]:
        prices = [p for t, p in history["history"] if start <= t < start + 60]
        if start - 60 >= times[0]:
            assert (open_, close, high, low) == (prices[0], prices[-1], max(prices), min(prices))
            checked += 1
    assert checked >= 10
    assert ticks[0][1] > times[-1]
    assert ticks[0][1] - times[-1] < 2.0
    # platform time runs 7200 s ahead of UTC
    assert abs(ticks[0][1] - time.time() - 7200) < 2.0


def test_paging_history_backwards(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            await client.send('42["changeSymbol",{"asset":"EURUSD_otc","period":60}]')
            history = await client.wait_for("updateHistoryNewFast")
            oldest = history["candles"][-1][0]
            request = {"asset": "EURUSD_otc", "index": 17, "time": oldest, "offset": 9000}
            await client.send("42" + json.dumps(["loadHistoryPeriod", {**request, "period": 60}]))
            return history, await client.wait_for("loadHistoryPeriodFast")

    history, page = run(scenario())
    assert page["asset"] == "EURUSD_otc" and page["index"] == 17 and page["period"] == 60
    data = page["data"]
    assert len(data) == 150
    assert set(data[0]) == {"symbol_id", "time", "open", "close", "high", "low"}
    assert data[0]["symbol_id"] == 66
    times = [c["time"] for c in data]
    assert times == sorted(times) and times[-1] + 60 == history["candles"][-1][0]


def test_tick_rate_is_roughly_right(sim: SimulatedPlatform) -> None:
    sim.control("set_tick_rate", rate=60)

    async def scenario() -> int:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            await client.wait_for("updateStream")
            started = time.monotonic()
            count = 0
            while time.monotonic() - started < 2.0:
                event, payload = await client.next_event()
                count += len(payload) if event == "updateStream" else 0
            return count

    count = run(scenario())
    assert 60 <= count <= 180  # 60/s for 2 s, roughly
    sent = sim.sent_ticks()
    assert {t.asset for t in sent} == set(sim.favourites)
    keys = [(t.asset, t.time) for t in sent]
    assert len(keys) == len(set(keys))


def order(amount: float, action: str = "call", expiry: int = 1, asset: str = "EURUSD_otc") -> str:
    payload = {
        "asset": asset,
        "amount": amount,
        "action": action,
        "isDemo": 1,
        "requestId": 4242,
        "optionType": 100,
        "time": expiry,
    }
    return "42" + json.dumps(["openOrder", payload])


@pytest.mark.parametrize(
    ("outcome", "action", "profit", "balance"),
    [("win", "call", 9.2, 50009.2), ("loss", "put", -10, 49990.0), ("refund", "call", 0, 50000.0)],
)
def test_order_lifecycle(
    sim: SimulatedPlatform, outcome: str, action: str, profit: float, balance: float
) -> None:
    sim.control("force_outcome", outcome=outcome)

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            await client.wait_for("successfavorite/change")
            await client.send(order(10, action))
            seen = {"successopenOrder": await client.wait_for("successopenOrder")}
            seen["opened"] = await client.wait_for("updateOpenedDeals")
            seen["closed"] = await client.wait_for("successcloseOrder", timeout=5)
            seen["closed_list"] = await client.wait_for("updateClosedDeals")
            seen["opened_after"] = await client.wait_for("updateOpenedDeals")
            seen["balance"] = await client.wait_for("successupdateBalance")
            return seen

    seen = run(scenario())
    deal = seen["successopenOrder"]
    expected_fields = {
        "id", "openTime", "closeTime", "openTimestamp", "closeTimestamp", "uid", "amount",
        "profit", "percentProfit", "percentLoss", "openPrice", "closePrice", "command", "asset",
        "isDemo", "optionType", "currency", "amountUSD",
    }  # fmt: skip
    assert expected_fields <= set(deal)
    assert deal["closePrice"] == 0 and deal["command"] == (0 if action == "call" else 1)
    assert deal["closeTimestamp"] - deal["openTimestamp"] == 1 and deal["isDemo"] == 1
    assert seen["opened"][0]["id"] == deal["id"]
    closed = seen["closed"]
    assert closed["profit"] == profit and closed["deals"][0]["id"] == deal["id"]
    assert closed["deals"][0]["closePrice"] != 0
    assert seen["closed_list"][0]["profit"] == profit
    assert seen["opened_after"] == []
    assert seen["balance"] == {"isDemo": 1, "balance": balance}
    (record,) = sim.orders()
    assert record.status == "closed" and record.outcome == outcome and record.profit == profit


def _as_logged(kind: str, data: str | bytes, socket_id: str) -> dict[str, Any]:
    """A received frame as chromedriver's performance log holds it."""
    binary = kind == "binary"
    params = {
        "requestId": socket_id,
        "timestamp": 1.0,
        "response": {
            "opcode": 2 if binary else 1,
            "mask": False,
            "payloadData": base64.b64encode(data).decode() if binary else data,
        },
    }
    message = {"message": {"method": "Network.webSocketFrameReceived", "params": params}}
    return {"level": "INFO", "message": json.dumps(message), "timestamp": time.time() * 1000}


def test_the_flat_triple_stream_decodes_end_to_end(sim: SimulatedPlatform) -> None:
    sim.control("set_tick_rate", rate=40)
    sim.control("stream_shape", shape="flat")

    async def scenario() -> list[tuple[str, str | bytes]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            flat = 0
            while flat < 30:
                event, payload = await client.next_event()
                flat += event == "updateStream" and isinstance(payload[0], str)
            return client.frames

    received = run(scenario())
    pipeline = Pipeline((5, 60))
    events = pipeline.feed([_as_logged(kind, data, "7.1") for kind, data in received])
    ticks = [(e.asset, e.time, e.price) for e in events if type(e) is Tick]
    sent = {(t.asset, t.time, t.price) for t in sim.sent_ticks()}
    assert len(ticks) >= 30 and set(ticks) <= sent
    assert pipeline.decoder.stats.malformed == {}
    assert {asset for asset, _, _ in ticks} <= set(pipeline.book.assets())
    with pytest.raises(ValueError, match="shape"):
        sim.control("stream_shape", shape="nested")


def test_paging_ticks_and_deep_history(sim: SimulatedPlatform) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            client = await connect(http, sim.socket_url)
            deep = (int(time.time()) + 7200 - 40 * 86400) // 60 * 60
            request = {"asset": "EURUSD_otc", "index": 5, "time": deep, "offset": 120000}
            await client.send("42" + json.dumps(["loadHistoryPeriod", {**request, "period": 60}]))
            candles = await client.wait_for("loadHistoryPeriodFast")
            await client.send("42" + json.dumps(["loadHistoryPeriod", {**request, "period": 0}]))
            return candles, await client.wait_for("loadHistoryPeriodFast")

    candles, ticks = run(scenario())
    assert len(candles["data"]) == 2000  # a page holds at most 2000 candles
    assert ticks["period"] == 0 and ticks["index"] == 5
    assert set(ticks["data"][0]) == {"asset", "time", "price"}
    assert len(ticks["data"]) == 5000  # the newest 5000 of the span asked for
    times = [t["time"] for t in ticks["data"]]
    assert times == sorted(times) and times[-1] < candles["data"][-1]["time"] + 60
