"""Property-based tests: no input makes the decoder raise, and garbage never costs good frames."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest
from decoder_entries import (
    TRADING,
    attachment,
    binary,
    closed,
    created,
    entry,
    frame,
    header,
    line,
    text,
    text_event,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import Tick
from qfdesk.engine.payloads import TIME_MAX, TIME_MIN

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = (
    "Network.webSocketFrameReceived",
    "Network.webSocketFrameSent",
    "Network.webSocketCreated",
    "Network.webSocketClosed",
    "Network.requestWillBeSent",
)
EVENT_NAMES = (
    "updateStream",
    "updateHistoryNewFast",
    "loadHistoryPeriodFast",
    "updateAssets",
    "successupdateBalance",
    "updateOpenedDeals",
    "updateClosedDeals",
    "successopenOrder",
    "failopenOrder",
    "successcloseOrder",
    "successauth",
    "NotAuthorized",
    "updateCharts",
    "successfavorite/change",
    "auth",
    "changeSymbol",
    "subfor",
    "openOrder",
    "signals/update",
)
OTHER_SOCKETS = st.sampled_from(["3084.678970", "3084.678973", "3084.593818", "1.1"])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([0, -1, 1756866774.962, 946684799, 4102444800, "EURGBP_otc", ""]),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=25,
)


@st.composite
def payload_texts(draw: st.DrawFn) -> str:
    """Text frames: Socket.IO-looking or not."""
    name = draw(st.sampled_from(EVENT_NAMES) | st.text(max_size=10))
    body = draw(json_values)
    return draw(
        st.sampled_from(
            [
                "42" + json.dumps([name, body]),
                "42" + json.dumps([name]),
                "451-" + json.dumps([name, {"_placeholder": True, "num": 0}]),
                "451-" + json.dumps([name, body]),
                "461-" + json.dumps([body]),
                json.dumps(body),
                "0",
                "2",
                "40",
                "41",
            ]
        )
        | st.text(max_size=30)
    )


@st.composite
def payload_bytes(draw: st.DrawFn) -> str:
    """Binary frames' base64: of plausible payloads, of random bytes, or not base64 at all."""
    body = draw(json_values)
    raw = draw(st.sampled_from([json.dumps(body).encode()]) | st.binary(max_size=40))
    return draw(st.sampled_from([base64.b64encode(raw).decode()]) | st.text(max_size=20))


@st.composite
def frames(draw: st.DrawFn, socket_ids: st.SearchStrategy[str]) -> dict[str, Any]:
    socket_id = draw(socket_ids)
    sent = draw(st.booleans())
    if draw(st.booleans()):
        return frame(socket_id, 1, draw(payload_texts()), sent=sent)
    return frame(socket_id, 2, draw(payload_bytes()), sent=sent)


def _entry_with(method: str, params: Any) -> dict[str, Any]:
    return entry(method, params if isinstance(params, dict) else {"requestId": params})


ARBITRARY_ENTRIES = st.one_of(
    frames(OTHER_SOCKETS | st.just(TRADING)),
    st.builds(_entry_with, st.sampled_from(METHODS), json_values),
    st.builds(
        lambda message, stamp: {"level": "INFO", "message": message, "timestamp": stamp},
        st.text(max_size=40),
        json_values,
    ),
    json_values.map(lambda body: {"message": json.dumps(body), "timestamp": 1756859615126}),
    json_values,
    st.text(max_size=60),
    st.binary(max_size=60),
)


@st.composite
def arbitrary_entries(draw: st.DrawFn) -> Any:
    """Anything a log reader could hand over, from plausible frames to nonsense, as a dict
    or as its text line."""
    chosen = draw(ARBITRARY_ENTRIES)
    return line(chosen) if isinstance(chosen, dict) and draw(st.booleans()) else chosen


def assert_sane(events: list[Any]) -> None:
    for event in events:
        if type(event) is Tick:
            assert math.isfinite(event.price) and event.price > 0
            assert TIME_MIN <= event.time < TIME_MAX


@PROPERTY
@given(st.lists(arbitrary_entries(), max_size=30))
def test_arbitrary_entries_never_raise(entries: list[Any]) -> None:
    decoder = FrameDecoder()
    events = decoder.feed_many(entries)
    for item in entries:
        events += decoder.feed(item)
    decoder.flush()
    assert_sane(events)
    assert sum(decoder.stats.events.values()) == len(events)


MUTATIONS = st.sampled_from(["delete", "insert", "replace", "truncate", "swap"])


@pytest.fixture(scope="module")
def capture_lines(capture_path: Path) -> list[str]:
    return capture_path.read_text().splitlines()


@PROPERTY
@given(data=st.data())
def test_mutated_capture_lines_never_raise(capture_lines: list[str], data: st.DataObject) -> None:
    lines = list(capture_lines)
    for _ in range(data.draw(st.integers(1, 20))):
        index = data.draw(st.integers(0, len(lines) - 1))
        target = lines[index]
        at = data.draw(st.integers(0, len(target)))
        mutation = data.draw(MUTATIONS)
        if mutation == "delete":
            lines[index] = target[:at] + target[at + data.draw(st.integers(1, 40)) :]
        elif mutation == "insert":
            lines[index] = target[:at] + data.draw(st.text(max_size=5)) + target[at:]
        elif mutation == "replace":
            lines[index] = target[:at] + data.draw(st.characters()) + target[at + 1 :]
        elif mutation == "truncate":
            lines[index] = target[:at]
        else:
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    decoder = FrameDecoder()
    events = decoder.feed_many(lines)
    decoder.flush()
    assert_sane(events)


ASSETS = st.sampled_from(["EURGBP_otc", "AUDCAD_otc", "#AAPL_otc", "BTCUSD"])
TICK_TIMES = st.integers(int(TIME_MIN * 1000), int(TIME_MAX * 1000) - 1).map(
    lambda ms: ms / 1000
) | st.integers(int(TIME_MIN), int(TIME_MAX) - 1)
PRICES = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def good_events(draw: st.DrawFn) -> tuple[list[Tick], list[dict[str, Any]]]:
    """One updateStream event: its ticks and its frames (two-frame or one-frame form), in
    any of the shapes clients document (times in ms, prices as text, one flat triple)."""
    triples = draw(st.lists(st.tuples(ASSETS, TICK_TIMES, PRICES), min_size=1, max_size=3))
    in_ms, as_text = draw(st.booleans()), draw(st.booleans())
    payload: list[Any] = [
        [asset, round(t * 1000) if in_ms else t, repr(p) if as_text else p]
        for asset, t, p in triples
    ]
    if len(payload) == 1 and draw(st.booleans()):
        payload = payload[0]
    ticks = [Tick(asset, float(t), float(p)) for asset, t, p in triples]
    if draw(st.booleans()):
        return ticks, [header(TRADING, "updateStream"), attachment(TRADING, payload)]
    return ticks, [text_event(TRADING, "updateStream", payload)]


def harmless_anywhere() -> st.SearchStrategy[Any]:
    """Garbage that cannot touch the trading socket's pairing: other sockets, what the page
    sent, broken entries and messages, other DevTools methods."""
    return st.one_of(
        frames(OTHER_SOCKETS),
        frames(st.just(TRADING)).map(_as_sent),
        st.text(max_size=40),
        st.binary(max_size=40),
        json_values,
        OTHER_SOCKETS.map(closed),
        OTHER_SOCKETS.map(lambda socket_id: created(socket_id, "wss://x")),
        json_values.map(lambda params: entry("Network.requestWillBeSent", {"x": params})),
        st.text(max_size=40).map(
            lambda message: {"level": "INFO", "message": message, "timestamp": 1}
        ),
    )


def _as_sent(item: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(item["message"])
    body["message"]["method"] = "Network.webSocketFrameSent"
    return {**item, "message": json.dumps(body)}


def between_events() -> st.SearchStrategy[Any]:
    """Garbage on the trading socket itself, allowed where no header is waiting."""
    return st.one_of(
        frames(st.just(TRADING)),
        st.builds(lambda raw: binary(TRADING, raw), st.binary(max_size=30)),
        st.just(header(TRADING, "updateStream")),
        st.just(text(TRADING, "2")),
    )


@PROPERTY
@given(data=st.data())
def test_good_frames_interleaved_with_garbage_all_decode(data: st.DataObject) -> None:
    expected: list[Tick] = []
    stream: list[Any] = []
    for ticks, frames_ in data.draw(st.lists(good_events(), min_size=1, max_size=12)):
        stream += data.draw(st.lists(between_events() | harmless_anywhere(), max_size=3))
        expected += ticks
        for item in frames_:
            stream += data.draw(st.lists(harmless_anywhere(), max_size=2))
            stream.append(line(item) if data.draw(st.booleans()) else item)
    stream += data.draw(st.lists(harmless_anywhere(), max_size=3))

    decoder = FrameDecoder()
    events = decoder.feed_many(stream)
    decoder.flush()
    ticks = [event for event in events if type(event) is Tick]
    assert ticks == expected

    # the same stream fed one entry at a time, and in arbitrary batches, gives the same
    one = FrameDecoder()
    assert [event for item in stream for event in one.feed(item)] == events
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    batched = FrameDecoder()
    again: list[Any] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        again += batched.feed_many(stream[start:end])
    assert again == events
    batched.flush()
    assert batched.stats == decoder.stats
