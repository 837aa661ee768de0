"""The platform's other message shapes, as public clients of it document them, all decode.

The capture test rewrites every event of the real 2025 capture into those shapes (flat
triples, milliseconds, numbers as text, candles with volume, history ticks with a null) and
checks that the events come out exactly as from the capture itself.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

from decoder_entries import (
    OTHER,
    TRADING,
    attachment,
    binary_event,
    closed,
    frame,
    text,
    text_event,
)
from hypothesis import given
from hypothesis import strategies as st

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import (
    Balance,
    Candle,
    Direction,
    HistoryCandles,
    HistoryTicks,
    OrderFailed,
    OrderRequested,
    Tick,
)
from qfdesk.engine.payloads import TIME_MAX, TIME_MIN

FLAT = ["AUDCAD_otc", 1778800339.668, 1.01188]  # as reported for the live page in May 2026


def decode(*items: Any) -> tuple[list[Any], FrameDecoder]:
    decoder = FrameDecoder()
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    events = decoder.feed_many(flat)
    decoder.flush()
    return events, decoder


# --- updateStream ----------------------------------------------------------------------------


def test_an_update_stream_of_one_flat_triple_is_a_tick_in_both_frame_forms() -> None:
    events, decoder = decode(
        binary_event(TRADING, "updateStream", FLAT),
        text_event(TRADING, "updateStream", ["AUDCAD_otc", 1778800340, 1.01187]),
    )
    assert events == [
        Tick("AUDCAD_otc", 1778800339.668, 1.01188),
        Tick("AUDCAD_otc", 1778800340.0, 1.01187),
    ]
    assert not decoder.stats.malformed


def test_flat_triples_and_lists_of_triples_mix_on_one_socket() -> None:
    events, decoder = decode(
        binary_event(TRADING, "updateStream", FLAT),
        binary_event(TRADING, "updateStream", [["EURGBP_otc", 1778800339.9, 0.85443]]),
        binary_event(TRADING, "updateStream", ["AUDCAD_otc", 1778800340.2, 1.0119]),
    )
    assert [(t.asset, t.price) for t in events] == [
        ("AUDCAD_otc", 1.01188),
        ("EURGBP_otc", 0.85443),
        ("AUDCAD_otc", 1.0119),
    ]
    assert not decoder.stats.malformed


def test_a_tick_time_in_milliseconds_and_a_price_as_text_decode_like_the_plain_triple() -> None:
    events, decoder = decode(
        binary_event(TRADING, "updateStream", ["AUDCAD_otc", 1778800339668, "1.01188"]),
        binary_event(TRADING, "updateStream", [["AUDCAD_otc", "1778800339.9", 1.0119]]),
    )
    assert events == [
        Tick("AUDCAD_otc", 1778800339.668, 1.01188),
        Tick("AUDCAD_otc", 1778800339.9, 1.0119),
    ]
    assert all(type(t.time) is float and type(t.price) is float for t in events)
    assert not decoder.stats.malformed


def test_in_a_frame_of_odd_triples_each_bad_one_costs_only_itself() -> None:
    events, decoder = decode(
        binary_event(
            TRADING,
            "updateStream",
            [
                ["AUDCAD_otc", 1778800339668, "1.01188"],
                ["AUDCAD_otc", 17788003396, 1.0119],
                ["AUDCAD_otc", 1778800340.1, "1.01x"],
                ["AUDCAD_otc", 1778800340.2, 1.0118, 3],
                [None, 1778800340.3, 1.0118],
                ["AUDCAD_otc", "1778800340.4", "1.01186"],
            ],
        )
    )
    assert [(t.time, t.price) for t in events] == [
        (1778800339.668, 1.01188),
        (1778800340.4, 1.01186),
    ]
    assert decoder.stats.malformed == Counter({"bad_time": 1, "bad_price": 1, "bad_tick": 2})


MS_TIMES = st.integers(int(TIME_MIN * 1000), int(TIME_MAX * 1000) - 1)
PRICES = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(ms=MS_TIMES, price=PRICES, flat=st.booleans(), as_text=st.booleans())
def test_milliseconds_and_text_prices_give_the_same_tick_as_seconds(
    ms: int, price: float, flat: bool, as_text: bool
) -> None:
    triple = ["EURGBP_otc", ms, repr(price) if as_text else price]
    events, decoder = decode(binary_event(TRADING, "updateStream", triple if flat else [triple]))
    assert events == [Tick("EURGBP_otc", ms / 1000, price)]
    assert not decoder.stats.malformed


# --- history ---------------------------------------------------------------------------------

TICK_PAGE = {
    "asset": "EURGBP_otc",
    "index": 175686678578,
    "period": 0,
    "data": [
        {"asset": "EURGBP_otc", "time": 1756866001.217, "price": 0.87894},
        {"asset": "EURGBP_otc", "time": 1756866002, "price": 0.87893},
        {"asset": "EURGBP_otc", "time": 1756866061.5, "price": 0.87901},
    ],
}


def test_a_load_history_period_page_of_ticks_is_history_ticks() -> None:
    for name in ("loadHistoryPeriod", "loadHistoryPeriodFast"):
        events, decoder = decode(binary_event(TRADING, name, TICK_PAGE))
        assert events == [
            HistoryTicks(
                "EURGBP_otc",
                (
                    Tick("EURGBP_otc", 1756866001.217, 0.87894),
                    Tick("EURGBP_otc", 1756866002.0, 0.87893),
                    Tick("EURGBP_otc", 1756866061.5, 0.87901),
                ),
            )
        ]
        assert not decoder.stats.malformed


def test_a_page_of_ticks_without_period_or_page_asset_is_still_ticks() -> None:
    page = {"index": 1, "data": [{**row, "time": row["time"] * 1000} for row in TICK_PAGE["data"]]}
    events, decoder = decode(binary_event(TRADING, "loadHistoryPeriod", page))
    (ticks,) = events
    assert [t.time for t in ticks.ticks] == [1756866001.217, 1756866002.0, 1756866061.5]
    assert not decoder.stats.malformed


def test_in_a_page_of_ticks_a_bad_row_costs_only_itself() -> None:
    rows = [
        TICK_PAGE["data"][0],
        {"asset": "EURGBP_otc", "time": 1756866001.5},
        {"asset": "EURGBP_otc", "time": 1756866001.6, "price": -1},
        "junk",
        {"asset": "EURGBP_otc", "time": "later", "price": 0.87895},
        TICK_PAGE["data"][2],
    ]
    events, decoder = decode(
        binary_event(TRADING, "loadHistoryPeriod", {**TICK_PAGE, "data": rows})
    )
    (ticks,) = events
    assert [t.price for t in ticks.ticks] == [0.87894, 0.87901]
    assert decoder.stats.malformed == Counter({"bad_tick": 2, "bad_price": 1, "bad_time": 1})


def test_history_ticks_from_a_page_build_the_candles_history_ticks_build() -> None:
    """The page of ticks and the same ticks in an updateHistoryNewFast give one series."""
    times = [1756866000 + i * 2.5 for i in range(100)]
    prices = [round(0.879 + ((i * 7) % 13) * 1e-5, 5) for i in range(100)]
    page = {
        "asset": "EURGBP_otc",
        "period": 0,
        "data": [{"asset": "EURGBP_otc", "time": t, "price": p} for t, p in zip(times, prices)],
    }
    new = {"asset": "EURGBP_otc", "period": 60, "history": [list(r) for r in zip(times, prices)]}
    series = []
    for name, payload in (("loadHistoryPeriodFast", page), ("updateHistoryNewFast", new)):
        book = CandleBook((5, 60))
        closed = []
        for event in decode(binary_event(TRADING, name, payload))[0]:
            if type(event) is HistoryTicks:
                closed += book.on_history_ticks(event)
        closed += book.on_clock(times[-1] + 120)
        series.append([c.candle for c in closed])
    assert series[0] == series[1]
    assert {c.timeframe for c in series[0]} == {5, 60}
    assert len([c for c in series[0] if c.timeframe == 60]) == 5  # 247.5 s from a minute


def test_candles_with_volume_ticks_with_a_null_and_null_candles_decode() -> None:
    with_volume = {
        "asset": "EURGBP_otc",
        "period": 60,
        "history": [[1756866001.217, 0.87894, None], [1756866002, "0.87893", None]],
        "candles": [
            [1756866540, 0.87924, 0.87852, 0.87930, 0.87850, 152],
            [1756866480000, "0.87921", 0.87927, 0.87956, 0.8788, 97],
        ],
    }
    events, decoder = decode(binary_event(TRADING, "updateHistoryNewFast", with_volume))
    assert events == [
        HistoryCandles(
            "EURGBP_otc",
            60,
            (
                Candle("EURGBP_otc", 60, 1756866480, 0.87921, 0.87956, 0.8788, 0.87927),
                Candle("EURGBP_otc", 60, 1756866540, 0.87924, 0.87930, 0.87850, 0.87852),
            ),
            "updateHistoryNewFast",
        ),
        HistoryTicks(
            "EURGBP_otc",
            (
                Tick("EURGBP_otc", 1756866001.217, 0.87894),
                Tick("EURGBP_otc", 1756866002.0, 0.87893),
            ),
        ),
    ]
    events, decoder2 = decode(
        binary_event(TRADING, "updateHistoryNew", {**with_volume, "period": 5, "candles": None})
    )
    assert events[0] == HistoryCandles("EURGBP_otc", 5, (), "updateHistoryNew")
    assert len(events[1].ticks) == 2
    assert not decoder.stats.malformed and not decoder2.stats.malformed


def test_a_candle_page_with_text_prices_millisecond_times_and_extra_keys_decodes() -> None:
    rows = [
        {"symbol_id": 78, "asset": "EURGBP_otc", "time": t * 1000, "open": "1.0",
         "close": "1.1", "high": 1.2, "low": "0.9"}
        for t in (1756851840, 1756852020, 1756852200)
    ]  # fmt: skip
    events, decoder = decode(
        binary_event(TRADING, "loadHistoryPeriodFast", {"asset": "EURGBP_otc", "data": rows})
    )
    (batch,) = events
    assert batch.timeframe == 180  # inferred from the millisecond time steps
    assert batch.candles[0] == Candle("EURGBP_otc", 180, 1756851840, 1.0, 1.2, 0.9, 1.1)
    assert not decoder.stats.malformed


# --- 452 headers -----------------------------------------------------------------------------

PH0 = {"_placeholder": True, "num": 0}
PH1 = {"_placeholder": True, "num": 1}


def header_of(name: str, *args: Any, count: int = 2, **kwargs: Any) -> dict[str, Any]:
    return text(TRADING, f"45{count}-" + json.dumps([name, *args]), **kwargs)


def test_a_header_with_two_attachments_takes_both_and_each_argument_is_a_payload() -> None:
    events, decoder = decode(
        header_of("updateStream", PH0, PH1),
        text(OTHER, "2"),
        attachment(OTHER, [["EURGBP_otc", 1778800339.1, 0.85]]),  # not this socket's
        attachment(TRADING, FLAT),
        attachment(TRADING, [["EURGBP_otc", 1778800339.9, 0.85443]]),
    )
    assert events == [
        Tick("AUDCAD_otc", 1778800339.668, 1.01188),
        Tick("EURGBP_otc", 1778800339.9, 0.85443),
    ]
    assert decoder.stats.malformed == Counter({"attachment_without_header": 1})


def test_placeholders_inside_one_payload_are_filled_by_their_number() -> None:
    body = {"asset": "EURGBP_otc", "period": 60, "candles": PH1, "history": PH0}
    events, decoder = decode(
        header_of("updateHistoryNewFast", body),
        attachment(TRADING, [[1756866001.217, 0.87894]]),
        attachment(TRADING, [[1756866540, 0.87924, 0.87852, 0.87930, 0.87850]]),
        text(TRADING, '451-["successupdateBalance",{"x":{"_placeholder":true,"num":0}}]'),
        attachment(TRADING, 5),
        text(TRADING, '462-7[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]'),
        attachment(TRADING, {"ok": True}),
        attachment(TRADING, {"ok": True}),
    )
    candles, ticks = events
    assert candles.candles == (
        Candle("EURGBP_otc", 60, 1756866540, 0.87924, 0.8793, 0.8785, 0.87852),
    )
    assert ticks.ticks == (Tick("EURGBP_otc", 1756866001.217, 0.87894),)
    # the balance payload became {"x": 5}: a bad payload, counted like any other
    assert decoder.stats.malformed == Counter({"bad_payload": 1})


def test_a_bad_attachment_costs_its_event_once_and_the_next_event_decodes() -> None:
    events, decoder = decode(
        header_of("updateStream", PH0, PH1),
        attachment(TRADING, FLAT),
        text(TRADING, "2"),
        frame(TRADING, 2, "W1si*QVVE"),
        binary_event(TRADING, "updateStream", [["EURGBP_otc", 1778800340, 0.85]]),
        header_of("updateStream", PH0, PH1),
        attachment(TRADING, FLAT),
        closed(TRADING),
    )
    assert events[0] == Tick("EURGBP_otc", 1778800340.0, 0.85)
    assert decoder.stats.malformed == Counter({"bad_base64": 1, "header_without_attachment": 1})


def test_headers_whose_placeholders_do_not_match_their_count_are_bad() -> None:
    events, decoder = decode(
        header_of("updateStream", PH0),
        header_of("updateStream", PH0, PH0),
        header_of("updateStream", PH1, {"_placeholder": True, "num": 2}),
        header_of("updateStream", PH0, {"_placeholder": True, "num": "1"}),
        header_of("updateStream", PH0, PH1, count=3),
        header_of("updateStream", *[{"_placeholder": True, "num": i} for i in range(17)], count=17),
        header_of(PH0, PH1),  # no event name
        text(TRADING, '45²-["updateStream",{"_placeholder":true,"num":0}]'),
        binary_event(TRADING, "updateStream", FLAT),
    )
    assert events == [Tick("AUDCAD_otc", 1778800339.668, 1.01188)]
    assert decoder.stats.malformed == Counter({"bad_header": 8})


def test_deeply_nested_header_arguments_are_bad_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    events, decoder = decode(
        text(TRADING, '452-["updateStream",' + deep + "]"),
        binary_event(TRADING, "updateStream", FLAT),
    )
    assert len(events) == 1
    assert decoder.stats.malformed == Counter({"bad_header": 1})


# --- account and orders ----------------------------------------------------------------------


def test_a_balance_without_is_demo_has_an_unknown_account_type() -> None:
    events, decoder = decode(
        binary_event(TRADING, "successupdateBalance", {"balance": 48335.49}),
        binary_event(TRADING, "successupdateBalance", {"balance": "99.5", "isDemo": None}),
        binary_event(TRADING, "successupdateBalance", {"balance": 1, "isDemo": 0}),
    )
    assert events == [Balance(48335.49, None), Balance(99.5, None), Balance(1.0, False)]
    assert not decoder.stats.malformed


def test_amounts_as_text_in_orders_decode() -> None:
    order = {"asset": "EURUSD_otc", "amount": "10.0", "action": "call", "isDemo": 1,
             "requestId": 171717, "optionType": 100, "time": 60}  # fmt: skip
    events, decoder = decode(
        text_event(TRADING, "openOrder", order, sent=True),
        text_event(TRADING, "failopenOrder", {"error": "not_money", "amount": "5", "asset": "A"}),
    )
    assert events[0] == OrderRequested("EURUSD_otc", 10.0, Direction.CALL, True, "171717", 60)
    assert events[1] == OrderFailed("not_money", 5.0, "A")
    assert not decoder.stats.malformed


# --- the real capture in the other shapes ----------------------------------------------------


def _reshaped(name: str, payload: Any) -> list[Any]:
    """The payloads of one captured event in the other documented shapes."""
    if name == "updateStream":
        return [[asset, round(t * 1000), repr(p)] for asset, t, p in payload]
    if name.startswith("updateHistoryNew"):
        body = dict(payload)
        body["candles"] = [[round(c[0] * 1000), *map(repr, c[1:]), 1] for c in body["candles"]]
        body["history"] = [[round(t * 1000), repr(p), None] for t, p in body["history"]]
        return [body]
    if name.startswith("loadHistoryPeriod"):
        asset = payload["asset"]
        rows = [
            {**row, "asset": asset, "time": row["time"] * 1000, "open": repr(row["open"])}
            for row in payload["data"]
        ]
        return [{**payload, "data": rows}]
    return [payload]


def test_the_real_capture_in_the_other_shapes_decodes_to_the_same_events(
    capture_path: Path,
) -> None:
    lines = capture_path.read_text().splitlines()
    original, decoder = decode(lines)
    rewritten: list[Any] = []
    headers: dict[str, dict[str, Any]] = {}
    for raw in lines:
        item = json.loads(raw)
        params = json.loads(item["message"])["message"]["params"]
        response, socket_id = params["response"], params["requestId"]
        data = response["payloadData"]
        if response["opcode"] == 1 and data.startswith("451-"):
            headers[socket_id] = item
            continue
        if response["opcode"] != 2:
            rewritten.append(item)
            continue
        head = json.loads(json.loads(headers.pop(socket_id)["message"])["message"]["params"]
                          ["response"]["payloadData"][4:])  # fmt: skip
        payload = json.loads(base64.b64decode(data))
        for shaped in _reshaped(head[0], payload):
            rewritten += binary_event(socket_id, head[0], shaped, wall_ms=item["timestamp"])
    rewritten += headers.values()  # the capture ends on a header without its attachment
    reshaped, reshaped_decoder = decode(rewritten)
    assert {type(e) for e in original} >= {Tick, HistoryCandles, HistoryTicks}
    assert [repr(e) for e in reshaped] == [repr(e) for e in original]
    assert [e.received for e in reshaped if type(e) is Tick] == [
        e.received for e in original if type(e) is Tick
    ]
    assert reshaped_decoder.stats.malformed == decoder.stats.malformed
