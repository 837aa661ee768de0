"""Every kind of malformed input is counted by its kind, skipped, and costs nothing around it."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from decoder_entries import (
    OTHER,
    TRADING,
    attachment,
    binary,
    binary_event,
    closed,
    entry,
    frame,
    header,
    line,
    text,
    text_event,
)

from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import Tick

GOOD_BEFORE = [["EURGBP_otc", 1756866774.962, 0.87951]]
GOOD_AFTER = [["EURGBP_otc", 1756866775.447, 0.87948]]
EXPECTED = [
    Tick("EURGBP_otc", 1756866774.962, 0.87951),
    Tick("EURGBP_otc", 1756866775.447, 0.87948),
]


def frame_params(**response: Any) -> dict[str, Any]:
    return {"requestId": TRADING, "timestamp": 9615.1, "response": response}


def received(params: Any) -> dict[str, Any]:
    return entry("Network.webSocketFrameReceived", params)


def message_entry(message: Any) -> dict[str, Any]:
    return {"level": "INFO", "message": message, "timestamp": 1756859615126}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def stream(triples: Any) -> list[dict[str, Any]]:
    return binary_event(TRADING, "updateStream", triples)


CASES: dict[str, list[Any]] = {
    "bad_entry_json": [
        '{"level":"INFO","message":',
        "",
        "not json at all",
        b"\xff\xfe{}",
        "[" * 100_000,
    ],
    "bad_entry": [
        "[]",
        "42",
        '"a string"',
        {"level": "INFO", "timestamp": 1756859615126},
        {"level": "INFO", "message": "{}"},
        message_entry({"message": {"method": "Network.webSocketFrameReceived"}}),
        {"level": "INFO", "message": "{}", "timestamp": "1756859615126"},
        {"level": "INFO", "message": "{}", "timestamp": float("nan")},
        {"level": "INFO", "message": "{}", "timestamp": True},
        {"level": "INFO", "message": "{}", "timestamp": -5},
        None,
        12,
        [[1, 2, 3]],
    ],
    "bad_message_json": [
        message_entry('{"message": {"method": "Network.webSocketFrameReceived"'),
        message_entry(""),
        message_entry("[" * 100_000),
    ],
    "bad_message": [
        message_entry("{}"),
        message_entry("[]"),
        message_entry('{"message": {"params": {}}}'),
        message_entry('{"message": {"method": "Network.webSocketFrameReceived"}}'),
        message_entry('{"message": {"method": ["x"], "params": {}}}'),
        message_entry('{"message": {"method": 7, "params": {}}}'),
        message_entry('{"message": "Network.webSocketFrameReceived"}'),
    ],
    "bad_frame": [
        received({}),
        received([]),
        received({"requestId": TRADING}),
        received(frame_params(opcode=1)),
        received(frame_params(payloadData="2")),
        received(frame_params(opcode=1, payloadData=["2"])),
        received(frame_params(opcode=9, payloadData="")),
        received({"requestId": 3084.67, "response": {"opcode": 1, "payloadData": "2"}}),
        entry("Network.webSocketCreated", {"requestId": TRADING}),
        entry("Network.webSocketClosed", {}),
        entry("Network.webSocketClosed", {"requestId": None}),
    ],
    "bad_packet": [
        text(TRADING, ""),
        text(TRADING, "hello"),
        text(TRADING, "9"),
        text(TRADING, "4"),
        text(TRADING, "49"),
        text(TRADING, "42"),
        text(TRADING, "42[]"),
        text(TRADING, "42{}"),
        text(TRADING, "42[1, 2]"),
        text(TRADING, '42[""]'),
        text(TRADING, '42["updateStream", [["A", 1756866774.9, 1.0]]'),
        text(TRADING, '42/ns["x"]'),
    ],
    "bad_header": [
        text(TRADING, '452-["updateStream",{"_placeholder":true,"num":0}]'),
        text(TRADING, '45-["updateStream",{"_placeholder":true,"num":0}]'),
        text(TRADING, '451["updateStream",{"_placeholder":true,"num":0}]'),
        text(TRADING, '451-["updateStream"]'),
        text(TRADING, '451-["updateStream",{"_placeholder":true,"num":1}]'),
        text(TRADING, '451-["updateStream",{"x":1}]'),
        text(TRADING, '451-[7,{"_placeholder":true,"num":0}]'),
        text(TRADING, '451-["updateStream",{"_placeholder":true,"num":0}'),
        text(TRADING, "461-12[1]"),
        text(TRADING, '452-["updateStream",{"_placeholder":true,"num":0},{"_placeholder":true}]'),
        text(TRADING, '452-[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'),
    ],
    "bad_base64": [
        [header(TRADING, "updateStream"), frame(TRADING, 2, "W1si*QVVE")],
        [header(TRADING, "updateStream"), frame(TRADING, 2, "W1siQVVEQ0FEX290YyIsMTc1N")],
        [header(TRADING, "updateStream"), frame(TRADING, 2, "W1si QVVE")],
    ],
    "bad_attachment_json": [
        [
            text(
                TRADING,
                '452-["updateStream",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
            ),
            attachment(TRADING, [["EURGBP_otc", 1756866774.9, 0.8]]),
            binary(TRADING, b"[[1"),
        ],
        [header(TRADING, "updateStream"), binary(TRADING, b'[["EURGBP_otc",1756866774.9')],
        [header(TRADING, "updateStream"), binary(TRADING, b"\xff\xfe\x00")],
        [header(TRADING, "updateStream"), binary(TRADING, b"")],
        [header(TRADING, "updateStream"), binary(TRADING, b"[" * 100_000)],
    ],
    "attachment_without_header": [
        attachment(TRADING, [["EURGBP_otc", 1756866774.9, 0.8]]),
        # the header came on another socket: the attachment is not taken for its own socket
        [
            header(OTHER, "signals/update"),
            attachment(TRADING, [["EURGBP_otc", 1756866774.9, 0.8]]),
            attachment(OTHER, {"signals": []}),
        ],
    ],
    "header_without_attachment": [
        header(TRADING, "updateStream"),  # the next good header finds it still waiting
        [header(TRADING, "updateStream"), closed(TRADING)],
        header(OTHER, "updateStream"),  # still waiting at the end of input
    ],
    "bad_payload": [
        stream({"asset": "EURGBP_otc"}),
        stream("EURGBP_otc"),
        binary_event(TRADING, "successupdateBalance", {"isDemo": 1}),
        binary_event(TRADING, "successupdateBalance", {"isDemo": 2, "balance": 10}),
        binary_event(TRADING, "successupdateBalance", {"isDemo": 1, "balance": "ten"}),
        binary_event(TRADING, "successupdateBalance", {"isDemo": 1, "balance": "1e999"}),
        binary_event(TRADING, "successupdateBalance", {"isDemo": 1, "balance": -(10**400)}),
        binary_event(TRADING, "successupdateBalance", [1, 10]),
        binary_event(TRADING, "updateHistoryNewFast", {"asset": "A", "candles": []}),
        binary_event(TRADING, "updateHistoryNewFast", {"asset": "A", "period": 0}),
        binary_event(TRADING, "updateHistoryNewFast", {"asset": "A", "period": 60, "candles": 5}),
        binary_event(TRADING, "loadHistoryPeriodFast", {"asset": "A", "period": 60}),
        binary_event(TRADING, "updateAssets", {"rows": []}),
        binary_event(TRADING, "failopenOrder", {"error": "x", "amount": "5 $", "asset": "A"}),
        binary_event(TRADING, "successfavorite/change", ["A", 5]),
        binary_event(TRADING, "updateCharts", "chart-1"),
        text_event(TRADING, "auth", {"session": "s", "isDemo": "1"}, sent=True),
        text_event(TRADING, "auth", sent=True),
        text_event(TRADING, "changeSymbol", {"asset": "A", "period": "60"}, sent=True),
        text_event(TRADING, "subfor", {"asset": "A"}, sent=True),
        text_event(TRADING, "unsubfor", "", sent=True),
        text_event(
            TRADING,
            "openOrder",
            {"asset": "A", "amount": 1, "action": "buy", "isDemo": 1, "requestId": 1, "time": 60},
            sent=True,
        ),
        text_event(
            TRADING,
            "openOrder",
            {"asset": "A", "amount": 0, "action": "put", "isDemo": 1, "requestId": 1, "time": 60},
            sent=True,
        ),
    ],
    "bad_tick": [
        stream([["EURGBP_otc", 1756866774.9]]),
        stream([["EURGBP_otc", 1756866774.9, 0.8, 1]]),
        stream([[None, 1756866774.9, 0.8]]),
        stream([["", 1756866774.9, 0.8]]),
        stream(["EURGBP_otc"]),
        stream([{"asset": "EURGBP_otc", "time": 1756866774.9, "price": 0.8}]),
        binary_event(
            TRADING, "updateHistoryNew", {"asset": "A", "period": 60, "history": [[1756866774.9]]}
        ),
        binary_event(
            TRADING,
            "updateHistoryNew",
            {"asset": "A", "period": 60, "history": [[1756866774.9, 0.8, None, 1]]},
        ),
        stream(["EURGBP_otc", 1756866774.9]),
        binary_event(
            TRADING,
            "loadHistoryPeriod",
            {"asset": "A", "period": 0, "data": [{"time": 1756866774.9, "open": 0.8}]},
        ),
    ],
    "bad_time": [
        stream([["EURGBP_otc", 946684799.9, 0.8]]),
        stream([["EURGBP_otc", 4102444800, 0.8]]),
        stream([["EURGBP_otc", 0, 0.8]]),
        stream([["EURGBP_otc", -1756866774.9, 0.8]]),
        stream([["EURGBP_otc", 17568667749, 0.8]]),  # neither seconds nor milliseconds
        stream([["EURGBP_otc", 4102444800000, 0.8]]),  # milliseconds: 2100
        stream([["EURGBP_otc", 946684799999, 0.8]]),  # milliseconds: 1999
        stream(["EURGBP_otc", 946684799.9, 0.8]),  # the flat form
        stream([["EURGBP_otc", float("nan"), 0.8]]),
        stream([["EURGBP_otc", float("inf"), 0.8]]),
        stream([["EURGBP_otc", "soon", 0.8]]),
        stream([["EURGBP_otc", " 1756866774.9", 0.8]]),
        stream([["EURGBP_otc", "NaN", 0.8]]),
        stream([["EURGBP_otc", True, 0.8]]),
        stream([["EURGBP_otc", None, 0.8]]),
    ],
    "bad_price": [
        stream([["EURGBP_otc", 1756866774.9, 0]]),
        stream([["EURGBP_otc", 1756866774.9, 0.0]]),
        stream([["EURGBP_otc", 1756866774.9, -0.8]]),
        stream([["EURGBP_otc", 1756866774.9, float("nan")]]),
        stream([["EURGBP_otc", 1756866774.9, float("inf")]]),
        stream([["EURGBP_otc", 1756866774.9, "0.8x"]]),
        stream([["EURGBP_otc", 1756866774.9, "-0.8"]]),
        stream([["EURGBP_otc", 1756866774.9, "Infinity"]]),
        stream([["EURGBP_otc", 1756866774.9, "0x10"]]),
        stream([["EURGBP_otc", 1756866774.9, "1_0"]]),
        stream([["EURGBP_otc", 1756866774.9, 10**400]]),  # no float holds it
        stream(["EURGBP_otc", 1756866774.9, -0.8]),  # the flat form
        stream([["EURGBP_otc", 1756866774.9, True]]),
        stream([["EURGBP_otc", 1756866774.9, None]]),
        stream([["EURGBP_otc", 1756866774.9, [0.8]]]),
        binary_event(
            TRADING, "updateHistoryNew", {"asset": "A", "period": 60, "history": [[1756866774, 0]]}
        ),
    ],
    "bad_candle": [
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540, 0.9, 0.8, 0.7, 1.0]]},  # h<l
        ),
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540, 0.9, 0.8, 0.95]]},
        ),
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540.5, 0.9, 0.8, 0.95, 0.7]]},
        ),
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540, 0.9, 0.8, 0.95, -0.7]]},
        ),
        binary_event(
            TRADING,
            "loadHistoryPeriodFast",
            {"asset": "A", "period": 60, "data": [{"time": 1756866540, "open": 1}]},
        ),
        binary_event(TRADING, "loadHistoryPeriodFast", {"asset": "A", "period": 60, "data": [7]}),
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540, 0.9, 0.8, 0.95, 0.7, 1, 2]]},
        ),
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": "A", "period": 60, "candles": [[1756866540, "0.9", "0.8", "0.95", "x"]]},
        ),
    ],
    "duplicate_candle": [
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {
                "asset": "A",
                "period": 60,
                "candles": [[1756866540, 0.9, 0.8, 0.95, 0.7], [1756866540, 0.9, 0.8, 0.95, 0.7]],
            },
        ),
    ],
    "unknown_period": [
        binary_event(
            TRADING,
            "loadHistoryPeriod",
            {
                "asset": "A",
                "data": [{"time": 1756866540, "open": 1, "close": 1, "high": 1, "low": 1}],
            },
        ),
        binary_event(TRADING, "loadHistoryPeriod", {"asset": "A", "data": []}),
    ],
    "bad_asset": [
        binary_event(TRADING, "updateAssets", [[67, "AUDCAD_otc"]]),
        binary_event(TRADING, "updateAssets", ["AUDCAD_otc"]),
        binary_event(
            TRADING,
            "updateAssets",
            [
                [
                    67,
                    "AUDCAD_otc",
                    "AUD/CAD OTC",
                    "currency",
                    5,
                    87,
                    60,
                    30,
                    3,
                    1,
                    0,
                    36,
                    [],
                    1756944000,
                    True,
                    [{"time": -60}],
                    0,
                    5,
                    -1,
                ]
            ],
        ),
    ],
    "bad_deal": [
        binary_event(TRADING, "updateOpenedDeals", [{"id": "x"}]),
        binary_event(TRADING, "updateClosedDeals", [5]),
        binary_event(TRADING, "successopenOrder", {"id": "x", "asset": "A"}),
        binary_event(TRADING, "successcloseOrder", {"profit": 1, "deals": [{}]}),
    ],
    "bad_chart": [
        binary_event(TRADING, "updateCharts", [{"chart_id": "c", "settings": "{"}]),
        binary_event(TRADING, "updateCharts", [{"chart_id": "c", "settings": "[]"}]),
        binary_event(TRADING, "updateCharts", [{"chart_id": "c"}]),
        binary_event(TRADING, "updateCharts", ["c"]),
    ],
}


def cases() -> Iterator[Any]:
    for kind, inputs in CASES.items():
        for index, bad in enumerate(inputs):
            yield pytest.param(kind, bad, id=f"{kind}-{index}")


@pytest.mark.parametrize(("kind", "bad"), list(cases()))
def test_malformed_input_is_counted_and_costs_nothing_around_it(kind: str, bad: Any) -> None:
    bad_entries = bad if isinstance(bad, list) else [bad]
    good = [*stream(GOOD_BEFORE), *bad_entries, *stream(GOOD_AFTER)]
    for batch in (good, [line(e) if isinstance(e, dict) else e for e in good]):
        decoder = FrameDecoder()
        events = decoder.feed_many(batch)
        decoder.flush()
        ticks = [event for event in events if type(event) is Tick]
        assert ticks == EXPECTED
        assert decoder.stats.malformed == Counter({kind: 1})
        assert decoder.stats.events["Tick"] == 2
        one = FrameDecoder()
        assert [event for item in batch for event in one.feed(item)] == events


def test_a_bad_triple_costs_only_itself() -> None:
    decoder = FrameDecoder()
    events = decoder.feed_many(
        stream(
            [
                ["EURGBP_otc", 1756866774.962, 0.87951],
                ["EURGBP_otc", 1756866775.0, -1],
                ["AUDCAD_otc", "soon", 0.85],
                "junk",
                ["AUDCAD_otc", 1756866775.447, 0.85446],
            ]
        )
    )
    assert events == [
        Tick("EURGBP_otc", 1756866774.962, 0.87951),
        Tick("AUDCAD_otc", 1756866775.447, 0.85446),
    ]
    assert decoder.stats.malformed == Counter({"bad_price": 1, "bad_time": 1, "bad_tick": 1})


def test_bad_history_parts_cost_only_themselves() -> None:
    decoder = FrameDecoder()
    events = decoder.feed_many(
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {
                "asset": "A",
                "period": 60,
                "history": [[1756866001.2, 1.0], [1756866001.7, "x"], [1756866002.2, 1.1]],
                "candles": [
                    [1756866540, 1, 1, 1, 1],
                    [1756866480, 1, 1, 0.5, 2],
                    [1756866420, 1, 1, 1, 1],
                ],
            },
        )
    )
    candles, ticks = events
    assert [c.start for c in candles.candles] == [1756866420, 1756866540]
    assert [t.time for t in ticks.ticks] == [1756866001.2, 1756866002.2]
    assert decoder.stats.malformed == Counter({"bad_price": 1, "bad_candle": 1})


def test_a_failing_batch_iterator_keeps_what_was_decoded() -> None:
    def lines() -> Iterator[dict[str, Any]]:
        yield from stream(GOOD_BEFORE)
        raise OSError("disk went away")

    decoder = FrameDecoder()
    events = decoder.feed_many(lines())
    assert events == EXPECTED[:1]
    assert decoder.stats.malformed == Counter({"unreadable_input": 1})
    assert decoder.feed_many(12) == []  # not even iterable
    assert decoder.stats.malformed["unreadable_input"] == 2


def test_an_internal_error_is_counted_logged_once_and_decoding_goes_on(caplog) -> None:
    decoder = FrameDecoder()

    def broken(name: str, payload: Any, received: float) -> list[Any]:
        raise RuntimeError("a bug")

    decoder._payloads.received["successupdateBalance"] = broken
    decoder._methods["Network.webSocketCreated"] = broken  # type: ignore[assignment]
    events = decoder.feed_many(
        [
            *stream(GOOD_BEFORE),
            entry("Network.webSocketCreated", {"requestId": TRADING, "url": "wss://x"}),
            entry("Network.webSocketCreated", {"requestId": TRADING, "url": "wss://x"}),
            *stream(GOOD_AFTER),
        ]
    )
    assert events == EXPECTED
    assert decoder.stats.malformed == Counter({"decoder_error": 2})
    assert [r.getMessage().count("RuntimeError") for r in caplog.records] == [1]
    events = decoder.feed_many(
        [*binary_event(TRADING, "successupdateBalance", {"isDemo": 1}), *stream(GOOD_AFTER)]
    )
    assert events == EXPECTED[1:]
    assert decoder.stats.malformed == Counter({"decoder_error": 3})
    assert len(caplog.records) == 1


def test_json_oddities_decode_like_json_loads() -> None:
    """Whitespace around the JSON texts is fine; NaN prices are not."""
    good = json.dumps(
        {
            "level": "INFO",
            "message": " "
            + json.dumps(
                {
                    "message": {
                        "method": "Network.webSocketFrameReceived",
                        "params": {
                            "requestId": TRADING,
                            "response": {
                                "opcode": 1,
                                "payloadData": '42 ["updateStream", [["A", 1756866774.9, 1.5]]] ',
                            },
                        },
                    }
                }
            )
            + "\n",
            "timestamp": 1756859615126,
        }
    )
    decoder = FrameDecoder()
    assert decoder.feed("  " + good + "\n") == [Tick("A", 1756866774.9, 1.5)]
    assert decoder.feed(text(TRADING, '42["updateStream",[["A",1756866774.9,NaN]]]')) == []
    assert decoder.stats.malformed == Counter({"bad_price": 1})
