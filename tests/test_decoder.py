"""Frame decoder: framing, pairing, every event, the sent frames, and the auth token."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest
from decoder_entries import (
    OTHER,
    TRADING,
    attachment,
    binary_event,
    closed,
    created,
    entry,
    header,
    line,
    text,
    text_event,
)

from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import (
    AuthAccepted,
    AuthRejected,
    AuthSent,
    Balance,
    Candle,
    ChartSettings,
    DealsOpened,
    Direction,
    Favourites,
    HistoryCandles,
    HistoryTicks,
    OrderClosed,
    OrderFailed,
    OrderOpened,
    OrderRequested,
    SocketClosed,
    SocketOpened,
    SubscribeRequested,
    SymbolChangeRequested,
    Tick,
    UnsubscribeRequested,
)

DEAL = {
    "id": "6c3f0f1e-0d7b-4d2c-9a51-2f4a2b8f9e10",
    "openTime": "2025-09-03 02:40:00",
    "closeTime": "2025-09-03 02:41:00",
    "openTimestamp": 1756867200,
    "closeTimestamp": 1756867260,
    "uid": 10000001,
    "amount": 10,
    "profit": 0,
    "percentProfit": 92,
    "percentLoss": 100,
    "openPrice": 0.87937,
    "closePrice": 0,
    "command": 0,
    "asset": "EURGBP_otc",
    "isDemo": 1,
    "optionType": 100,
    "currency": "USD",
    "amountUSD": 10,
}
SECRET = "a9f3c2e1SESSIONtoken7d0b4e6f"


def decode(*items: Any, flush: bool = True) -> tuple[list[Any], FrameDecoder]:
    decoder = FrameDecoder()
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    events = decoder.feed_many(flat)
    if flush:
        decoder.flush()
    return events, decoder


# --- framing and pairing ---------------------------------------------------------------------


def test_binary_tick_keeps_time_price_and_wall_clock() -> None:
    events, decoder = decode(
        binary_event(TRADING, "updateStream", [["EURGBP_otc", 1756866774.962, 0.85443]])
    )
    assert events == [Tick("EURGBP_otc", 1756866774.962, 0.85443)]
    assert events[0].received == 1756859615.126
    assert decoder.stats.frames == 2
    assert decoder.stats.events == Counter({"Tick": 1})
    assert not decoder.stats.malformed


def test_one_frame_form_of_a_tick() -> None:
    events, decoder = decode(text_event(TRADING, "updateStream", [["AUDCAD_otc", 1756866775, 0.9]]))
    assert events == [Tick("AUDCAD_otc", 1756866775.0, 0.9)]
    assert type(events[0].time) is float
    assert not decoder.stats.malformed


def test_several_triples_per_frame_and_integer_times() -> None:
    payload = [
        ["EURGBP_otc", 1756866808, 0.8796],
        ["AUDCAD_otc", 1756866808.5, 0.85443],
        ["#AAPL_otc", 1756866809.001, 188],
    ]
    events, _ = decode(binary_event(TRADING, "updateStream", payload))
    assert [(t.asset, t.time, t.price) for t in events] == [
        ("EURGBP_otc", 1756866808.0, 0.8796),
        ("AUDCAD_otc", 1756866808.5, 0.85443),
        ("#AAPL_otc", 1756866809.001, 188.0),
    ]


def test_headers_pair_per_socket_when_sockets_interleave() -> None:
    events, decoder = decode(
        header(TRADING, "updateStream"),
        header(OTHER, "successupdateBalance"),
        text(OTHER, "2"),
        attachment(OTHER, {"isDemo": 0, "balance": 12.5}),
        attachment(TRADING, [["EURGBP_otc", 1756866774.962, 0.85443]]),
    )
    assert events == [Balance(12.5, False), Tick("EURGBP_otc", 1756866774.962, 0.85443)]
    assert not decoder.stats.malformed


def test_received_and_sent_headers_pair_separately() -> None:
    events, decoder = decode(
        header(TRADING, "updateStream"),
        header(TRADING, "changeSymbol", sent=True),
        attachment(TRADING, {"asset": "EURUSD_otc", "period": 60}, sent=True),
        attachment(TRADING, [["EURGBP_otc", 1756866774.962, 0.85443]]),
    )
    assert events == [
        SymbolChangeRequested("EURUSD_otc", 60),
        Tick("EURGBP_otc", 1756866774.962, 0.85443),
    ]
    assert not decoder.stats.malformed


@pytest.mark.parametrize(
    "data",
    [
        '0{"sid":"v0xNHiZL2","upgrades":[],"pingInterval":25000,"pingTimeout":20000}',
        "40",
        '40{"sid":"7q6meFVCt"}',
        "2",
        "3",
        "41",
        "6",
        "2probe",
        '44{"message":"nope"}',
    ],
)
def test_control_frames_are_neither_events_nor_malformed(data: str) -> None:
    events, decoder = decode(text(TRADING, data), text(TRADING, data, sent=True))
    assert events == []
    assert not decoder.stats.malformed
    assert not decoder.stats.unmodelled
    assert decoder.stats.frames == 2


def test_control_frame_between_header_and_attachment_does_not_break_pairing() -> None:
    events, decoder = decode(
        header(TRADING, "updateStream"),
        text(TRADING, "2"),
        attachment(TRADING, [["EURGBP_otc", 1756866774.962, 0.85443]]),
    )
    assert len(events) == 1 and not decoder.stats.malformed


def test_namespace_and_ack_id_forms() -> None:
    events, decoder = decode(
        text(TRADING, '42/trade,["successupdateBalance",{"isDemo":1,"balance":3}]'),
        text(TRADING, '4217["successupdateBalance",{"isDemo":1,"balance":4}]'),
        text(TRADING, '451-/trade,["successupdateBalance",{"_placeholder":true,"num":0}]'),
        attachment(TRADING, {"isDemo": 1, "balance": 5}),
        text(TRADING, '461-12[{"_placeholder":true,"num":0}]'),
        attachment(TRADING, {"ok": True}),
    )
    assert events == [Balance(3.0, True), Balance(4.0, True), Balance(5.0, True)]
    assert not decoder.stats.malformed


def test_socket_lifecycle() -> None:
    url = "wss://demo-api-eu.po.market/socket.io/?EIO=4&transport=websocket"
    events, decoder = decode(created(TRADING, url), closed(TRADING))
    assert events == [SocketOpened(TRADING, url), SocketClosed(TRADING)]
    assert decoder.stats.frames == 0


def test_other_devtools_methods_are_counted_as_other() -> None:
    events, decoder = decode(
        entry("Network.requestWillBeSent", {"requestId": "1.2"}),
        entry("Page.frameNavigated", {}),
        entry("Network.requestWillBeSent", {"requestId": "1.3"}),
    )
    assert events == []
    assert decoder.stats.other == Counter(
        {"Network.requestWillBeSent": 2, "Page.frameNavigated": 1}
    )
    assert not decoder.stats.malformed


def test_unmodelled_events_are_counted_by_name() -> None:
    events, decoder = decode(
        binary_event(TRADING, "signals/update", {"signals": []}),
        binary_event(TRADING, "successupdatePending", []),
        text_event(TRADING, "signals/update", {"signals": []}),
        text_event(TRADING, "ps", sent=True),
        text_event(TRADING, "loadHistoryPeriod", {"asset": "X", "period": 60}, sent=True),
    )
    assert events == []
    assert decoder.stats.unmodelled == Counter(
        {
            "signals/update": 2,
            "successupdatePending": 1,
            "sent:ps": 1,
            "sent:loadHistoryPeriod": 1,
        }
    )
    assert not decoder.stats.malformed


def test_unmodelled_names_are_bounded() -> None:
    _, decoder = decode([text_event(TRADING, f"noise{i}") for i in range(300)])
    assert len(decoder.stats.unmodelled) == 257
    assert decoder.stats.unmodelled["(other names)"] == 300 - 256


def test_entries_as_text_lines_and_dicts_decode_alike() -> None:
    items = binary_event(TRADING, "updateStream", [["EURGBP_otc", 1756866774.962, 0.85443]])
    as_dicts, _ = decode(items)
    as_lines, _ = decode([line(item) for item in items])
    as_bytes, _ = decode([line(item).encode() for item in items])
    assert repr(as_dicts) == repr(as_lines) == repr(as_bytes)


# --- received events -------------------------------------------------------------------------


def test_update_history_new_candles_are_reordered_to_ohlc_ascending() -> None:
    payload = {
        "asset": "EURGBP_otc",
        "period": 60,
        "history": [[1756866001.217, 0.87894], [1756866002, 0.87893]],
        "candles": [
            [1756866540, 0.87924, 0.87852, 0.87930, 0.87850],
            [1756866480, 0.87921, 0.87927, 0.87956, 0.8788],
        ],
    }
    for name in ("updateHistoryNewFast", "updateHistoryNew"):
        events, decoder = decode(binary_event(TRADING, name, payload))
        assert events == [
            HistoryCandles(
                "EURGBP_otc",
                60,
                (
                    Candle("EURGBP_otc", 60, 1756866480, 0.87921, 0.87956, 0.8788, 0.87927),
                    Candle("EURGBP_otc", 60, 1756866540, 0.87924, 0.87930, 0.87850, 0.87852),
                ),
                name,
            ),
            HistoryTicks(
                "EURGBP_otc",
                (
                    Tick("EURGBP_otc", 1756866001.217, 0.87894),
                    Tick("EURGBP_otc", 1756866002.0, 0.87893),
                ),
            ),
        ]
        assert not decoder.stats.malformed


def _period_batch(times: list[int], **extra: Any) -> dict[str, Any]:
    data = [
        {"symbol_id": 78, "time": t, "open": 1.0, "close": 1.1, "high": 1.2, "low": 0.9}
        for t in times
    ]
    return {"asset": "EURGBP_otc", "index": 175686678578, "data": data, **extra}


def test_load_history_period_uses_the_sent_period() -> None:
    events, _ = decode(
        binary_event(TRADING, "loadHistoryPeriodFast", _period_batch([1756851840], period=300))
    )
    assert events == [
        HistoryCandles(
            "EURGBP_otc",
            300,
            (Candle("EURGBP_otc", 300, 1756851840, 1.0, 1.2, 0.9, 1.1),),
            "loadHistoryPeriodFast",
        )
    ]


def test_load_history_period_infers_a_missing_period_from_the_time_steps() -> None:
    times = [1756851840, 1756851960, 1756852020, 1756852200]  # gaps of 2, 1 and 3 minutes
    events, decoder = decode(binary_event(TRADING, "loadHistoryPeriod", _period_batch(times)))
    (batch,) = events
    assert batch.timeframe == 60
    assert [c.start for c in batch.candles] == times
    assert not decoder.stats.malformed


def test_load_history_period_falls_back_to_the_assets_last_period() -> None:
    first = {"asset": "EURGBP_otc", "period": 30, "history": [], "candles": []}
    events, decoder = decode(
        binary_event(TRADING, "updateHistoryNewFast", first),
        binary_event(TRADING, "loadHistoryPeriodFast", _period_batch([1756851840])),
        binary_event(
            TRADING, "loadHistoryPeriodFast", {**_period_batch([1756851840]), "asset": "NEW_otc"}
        ),
    )
    assert events[-1].timeframe == 30
    assert decoder.stats.malformed == Counter({"unknown_period": 1})


def test_asset_table() -> None:
    row = [67, "AUDCAD_otc", "AUD/CAD OTC", "currency", 5, 87, 60, 30, 3, 1, 0, 36, [],
           1756944000, True, [{"time": 60}, {"time": 300}], 0, 5, -1]  # fmt: skip
    bad = [*row[:5], "87", *row[6:]]
    events, decoder = decode(binary_event(TRADING, "updateAssets", [row, bad, row[:10]]))
    (table,) = events
    (asset,) = table.assets
    assert (asset.id, asset.symbol, asset.name, asset.type) == (
        67,
        "AUDCAD_otc",
        "AUD/CAD OTC",
        "currency",
    )
    assert (asset.payout, asset.is_otc, asset.is_active, asset.expirations) == (
        87.0,
        True,
        True,
        (60, 300),
    )
    assert decoder.stats.malformed == Counter({"bad_asset": 2})


def test_account_and_order_events() -> None:
    events, decoder = decode(
        binary_event(TRADING, "successupdateBalance", {"isDemo": 1, "balance": 48335.49}),
        binary_event(TRADING, "updateOpenedDeals", [DEAL]),
        binary_event(TRADING, "successopenOrder", DEAL),
        text_event(TRADING, "failopenOrder", {"error": "not_money", "amount": 5, "asset": "X_otc"}),
        binary_event(
            TRADING,
            "successcloseOrder",
            {"profit": 9.2, "deals": [{**DEAL, "profit": 9.2, "closePrice": 0.8795}]},
        ),
        binary_event(TRADING, "successauth", {"id": "7q6meFVCt_L6pcXgIAyJ"}),
        text_event(TRADING, "NotAuthorized"),
        binary_event(TRADING, "successfavorite/change", ["AUDCAD_otc", "EURGBP_otc"]),
    )
    assert not decoder.stats.malformed
    balance, opened, order, failed, closed_, accepted, rejected, favourites = events
    assert balance == Balance(48335.49, True)
    assert isinstance(opened, DealsOpened) and opened.deals == (order.deal,)
    assert isinstance(order, OrderOpened)
    deal = order.deal
    assert (deal.id, deal.asset, deal.direction, deal.amount) == (
        DEAL["id"],
        "EURGBP_otc",
        Direction.CALL,
        10.0,
    )
    assert (deal.open_price, deal.close_price, deal.open_ts, deal.close_ts) == (
        0.87937,
        0.0,
        1756867200.0,
        1756867260.0,
    )
    assert failed == OrderFailed("not_money", 5.0, "X_otc")
    assert isinstance(closed_, OrderClosed) and closed_.profit == 9.2
    assert closed_.deals[0].close_price == 0.8795
    assert accepted == AuthAccepted() and rejected == AuthRejected()
    assert favourites == Favourites(("AUDCAD_otc", "EURGBP_otc"))


def test_chart_settings_are_read_from_their_json_text() -> None:
    settings = {"chartId": "chart-1", "chartPeriod": 4, "symbol": "EURGBP_otc",
                "demoDealAmount": 10, "liveDealAmount": 20}  # fmt: skip
    charts = [
        {"chart_id": "chart-1", "settings": json.dumps(settings)},
        {"chart_id": "chart-2", "settings": "{not json"},
        {"chart_id": "chart-3", "settings": json.dumps({"symbol": "AUDCAD_otc"})},
        {"chart_id": "chart-4", "settings": json.dumps({"symbol": "A", "demoDealAmount": 10**400})},
    ]
    events, decoder = decode(binary_event(TRADING, "updateCharts", charts))
    assert events == [
        ChartSettings("chart-1", "EURGBP_otc", 4, 10.0, 20.0),
        ChartSettings("chart-3", "AUDCAD_otc", None, None, None),
        ChartSettings("chart-4", "A", None, None, None),  # no float holds that amount
    ]
    assert decoder.stats.malformed == Counter({"bad_chart": 1})


# --- sent by the page ------------------------------------------------------------------------


def test_sent_requests() -> None:
    order = {"asset": "EURUSD_otc", "amount": 1, "action": "put", "isDemo": 1,
             "requestId": 171717, "optionType": 100, "time": 60}  # fmt: skip
    events, decoder = decode(
        text_event(TRADING, "changeSymbol", {"asset": "EURUSD_otc", "period": 60}, sent=True),
        text_event(TRADING, "subfor", "EURUSD_otc", sent=True),
        text_event(TRADING, "unsubfor", "AUDCAD_otc", sent=True),
        text_event(TRADING, "openOrder", order, sent=True),
    )
    assert events == [
        SymbolChangeRequested("EURUSD_otc", 60),
        SubscribeRequested("EURUSD_otc"),
        UnsubscribeRequested("AUDCAD_otc"),
        OrderRequested("EURUSD_otc", 1.0, Direction.PUT, True, "171717", 60),
    ]
    assert not decoder.stats.malformed


def test_received_and_sent_names_do_not_mix() -> None:
    """A received ``subfor`` is nothing the page asked for; a sent ``updateStream`` no tick."""
    events, decoder = decode(
        text_event(TRADING, "subfor", "EURUSD_otc"),
        text_event(TRADING, "updateStream", [["EURGBP_otc", 1756866774.962, 0.8]], sent=True),
    )
    assert events == []
    assert decoder.stats.unmodelled == Counter({"subfor": 1, "sent:updateStream": 1})


# --- the auth token --------------------------------------------------------------------------


def _reachable_text(root: Any) -> str:
    """Everything reachable from the decoder's attributes, as text."""
    seen: set[int] = set()
    parts: list[str] = []

    def walk(value: Any) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        parts.append(repr(value))
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item)
        elif hasattr(value, "__dict__"):
            walk(vars(value))
        elif hasattr(value, "__slots__"):
            for slot in value.__slots__:
                walk(getattr(value, slot, None))

    walk(root)
    return "\n".join(parts)


def test_auth_token_is_dropped_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    auth = {"session": SECRET, "isDemo": 1, "uid": 10000001, "platform": 2}
    caplog.set_level(logging.DEBUG)
    decoder = FrameDecoder()
    events = decoder.feed_many(
        [
            text_event(TRADING, "auth", auth, sent=True),
            line(text_event(TRADING, "auth", {**auth, "isDemo": 0}, sent=True)),
            *binary_event(TRADING, "auth", auth, sent=True),
            # broken or unexpected forms that hold the token must not leak it either
            text_event(TRADING, "auth", {**auth, "isDemo": "yes"}, sent=True),
            text(TRADING, '42["auth",{"session":"' + SECRET + '","isDemo":1', sent=True),
            text(TRADING, "42" + json.dumps(["auth", auth])),
            text(TRADING, '451-["auth",{"session":"' + SECRET + '"}]', sent=True),
            header(TRADING, "auth", sent=True),
            text(TRADING, "4" + SECRET, sent=True),
            line(text_event(TRADING, "auth", auth, sent=True))[:-9],
        ]
    )
    decoder.flush()
    assert events == [AuthSent(is_demo=True), AuthSent(is_demo=False), AuthSent(is_demo=True)]
    assert decoder.stats.malformed  # so that the flush summary was logged
    assert caplog.records
    for where in (repr(events), repr(decoder.stats), decoder.stats.summary(), caplog.text,
                  _reachable_text(decoder)):  # fmt: skip
        assert SECRET not in where


# --- stats and logging -----------------------------------------------------------------------


def test_flush_logs_one_summary_and_only_when_something_was_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="qfdesk.engine.decoder")
    decoder = FrameDecoder()
    decoder.feed_many(binary_event(TRADING, "updateStream", [["A", 1756866774.9, 1.0]]) * 50)
    decoder.flush()
    assert caplog.records == []
    decoder.feed_many([header(TRADING, "updateStream")] * 40)
    decoder.flush()
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "header_without_attachment 40" in record.getMessage()
    assert decoder.stats.malformed_total == 40
    decoder.flush()  # nothing new: no second summary
    assert len(caplog.records) == 1


def test_summary_names_counts() -> None:
    _, decoder = decode(
        binary_event(TRADING, "updateStream", [["A", 1756866774.9, 1.0]]),
        text(TRADING, "not a packet"),
    )
    assert decoder.stats.summary() == (
        "3 frames; events: Tick 1; malformed: bad_packet 1; unmodelled: none"
    )
