"""The frame decoder against the real capture of 2025-09-03 (346 frames, four sockets).

Expected values are (a) hard facts read by hand from the raw lines and (b) an independent,
deliberately naive reading of the file done here (json + base64, header remembered per
socket), so the decoder is checked against the data rather than against itself.
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import (
    AssetTable,
    AuthAccepted,
    Balance,
    Candle,
    ChartSettings,
    DealsClosed,
    DealsOpened,
    Direction,
    Favourites,
    HistoryCandles,
    HistoryTicks,
    Tick,
)

FAVOURITES_SOCKET = "3084.593818"
TRADING_SOCKET = "3084.678983"


@pytest.fixture(scope="module")
def lines(capture_path: Path) -> list[str]:
    return capture_path.read_text().splitlines()


@pytest.fixture(scope="module")
def decoded(lines: list[str]) -> tuple[list[Any], FrameDecoder]:
    decoder = FrameDecoder()
    events = decoder.feed_many(lines)
    decoder.flush()
    return events, decoder


def naive_payloads(lines: list[str]) -> list[tuple[str, str, Any, int]]:
    """(socket, event name, payload, wall ms) of every binary event, read the obvious way."""
    header: dict[str, str] = {}
    found = []
    for raw in lines:
        item = json.loads(raw)
        params = json.loads(item["message"])["message"]["params"]
        response = params["response"]
        if response["opcode"] == 1 and response["payloadData"].startswith("451-"):
            header[params["requestId"]] = json.loads(response["payloadData"][4:])[0]
        elif response["opcode"] == 2:
            name = header.pop(params["requestId"])
            payload = json.loads(base64.b64decode(response["payloadData"]))
            found.append((params["requestId"], name, payload, item["timestamp"]))
    return found


def of(events: list[Any], kind: type) -> list[Any]:
    return [event for event in events if type(event) is kind]


def test_every_tick_matches_an_independent_reading(lines, decoded) -> None:
    events, _ = decoded
    expected = [
        (asset, float(t), float(price), ms / 1000)
        for _, name, payload, ms in naive_payloads(lines)
        if name == "updateStream"
        for asset, t, price in payload
    ]
    ticks = of(events, Tick)
    assert [(t.asset, t.time, t.price, t.received) for t in ticks] == expected
    assert len(ticks) == 148


def test_tick_counts_per_asset_and_socket(lines, decoded) -> None:
    events, _ = decoded
    per_asset = Counter(tick.asset for tick in of(events, Tick))
    # 15 favourites on the first socket (AUDCAD_otc 5 ticks, the others 4), then
    # EURGBP_otc alone on the trading socket (87 ticks).
    assert len(per_asset) == 15
    assert per_asset["AUDCAD_otc"] == 5
    assert per_asset["EURGBP_otc"] == 4 + 87
    assert all(
        count == 4
        for asset, count in per_asset.items()
        if asset not in {"AUDCAD_otc", "EURGBP_otc"}
    )
    naive = Counter(
        (socket, asset)
        for socket, name, payload, _ in naive_payloads(lines)
        if name == "updateStream"
        for asset, _, _ in payload
    )
    assert naive[(TRADING_SOCKET, "EURGBP_otc")] == 87
    assert naive[(FAVOURITES_SOCKET, "EURGBP_otc")] == 4


def test_hand_checked_ticks(decoded) -> None:
    ticks = of(decoded[0], Tick)
    audcad = [t for t in ticks if t.asset == "AUDCAD_otc"]
    assert (audcad[0].time, audcad[0].price) == (1756866774.962, 0.85443)
    assert audcad[0].received == 1756859615.126
    assert (audcad[-1].time, audcad[-1].price) == (1756866776.978, 0.85439)
    eurgbp = [t for t in ticks if t.asset == "EURGBP_otc"]
    assert (eurgbp[0].time, eurgbp[0].price) == (1756866774.962, 0.87951)
    assert (eurgbp[4].time, eurgbp[4].price) == (1756866786.001, 0.87976)
    assert (eurgbp[-1].time, eurgbp[-1].price) == (1756866829.031, 0.87937)
    assert eurgbp[-1].received == 1756859629.794
    # line 256 sends an integer time: kept as a float, never cut or shifted
    integer = [t for t in eurgbp if t.time == int(t.time)]
    assert [(t.time, t.price) for t in integer] == [(1756866808.0, 0.8796)]
    assert all(isinstance(t.time, float) for t in ticks)
    assert round(ticks[-1].time * 1000) == 1756866829031  # the milliseconds are all there


def test_history_candles_from_update_history_new_fast(decoded) -> None:
    history = [h for h in of(decoded[0], HistoryCandles) if h.source == "updateHistoryNewFast"]
    assert len(history) == 1
    batch = history[0]
    assert (batch.asset, batch.timeframe, len(batch.candles)) == ("EURGBP_otc", 60, 97)
    starts = [c.start for c in batch.candles]
    assert starts == list(range(1756860780, 1756866541, 60))
    # raw [1756866540, 0.87924, 0.87852, 0.87924, 0.87852]: time, open, close, high, low
    assert batch.candles[-1] == Candle(
        "EURGBP_otc", 60, 1756866540, 0.87924, 0.87924, 0.87852, 0.87852
    )
    # raw [1756866480, 0.87921, 0.87927, 0.87956, 0.8788]
    assert batch.candles[-2] == Candle(
        "EURGBP_otc", 60, 1756866480, 0.87921, 0.87956, 0.8788, 0.87927
    )
    # raw [1756860780, 0.88049, 0.88078, 0.88087, 0.88039], the oldest
    assert batch.candles[0] == Candle(
        "EURGBP_otc", 60, 1756860780, 0.88049, 0.88087, 0.88039, 0.88078
    )
    assert all(
        c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in batch.candles
    )


def test_history_candles_match_an_independent_reading(lines, decoded) -> None:
    (raw,) = [p for _, n, p, _ in naive_payloads(lines) if n == "updateHistoryNewFast"]
    (batch,) = [h for h in of(decoded[0], HistoryCandles) if h.source == "updateHistoryNewFast"]
    expected = sorted((t, o, h, lo, c) for t, o, c, h, lo in raw["candles"])
    assert [(c.start, c.open, c.high, c.low, c.close) for c in batch.candles] == expected


def test_history_ticks(decoded) -> None:
    (history,) = of(decoded[0], HistoryTicks)
    assert history.asset == "EURGBP_otc"
    assert len(history.ticks) == 1659
    first, last = history.ticks[0], history.ticks[-1]
    assert (first.time, first.price) == (1756866001.217, 0.87894)
    assert (last.time, last.price) == (1756866785.484, 0.8797)
    times = [t.time for t in history.ticks]
    assert times == sorted(times)


def test_load_history_period_fast(lines, decoded) -> None:
    (batch,) = [h for h in of(decoded[0], HistoryCandles) if h.source == "loadHistoryPeriodFast"]
    (raw,) = [p for _, n, p, _ in naive_payloads(lines) if n == "loadHistoryPeriodFast"]
    # The captured payload does carry "period": 60 (after "data" in the object).
    assert raw["period"] == 60
    assert (batch.asset, batch.timeframe, len(batch.candles)) == ("EURGBP_otc", 60, 150)
    assert batch.candles[0] == Candle(
        "EURGBP_otc", 60, 1756851840, 0.87813, 0.87836, 0.87796, 0.878
    )
    assert [(c.start, c.open, c.high, c.low, c.close) for c in batch.candles] == [
        (d["time"], d["open"], d["high"], d["low"], d["close"]) for d in raw["data"]
    ]
    # The page pages backwards: this batch ends with the oldest candle of the first history,
    # and both sources agree on it.
    (newest_first,) = [h for h in of(decoded[0], HistoryCandles) if h.source.startswith("update")]
    assert batch.candles[-1] == newest_first.candles[0]


def test_asset_tables(decoded) -> None:
    first, second = of(decoded[0], AssetTable)
    for table in (first, second):
        assert len(table.assets) == 183
        assert sum(a.is_active for a in table.assets) == 135
        assert sum(a.is_otc for a in table.assets) == 114
        assert Counter(a.type for a in table.assets) == {
            "currency": 80,
            "stock": 40,
            "index": 24,
            "cryptocurrency": 23,
            "commodity": 16,
        }
    by_symbol = {a.symbol: a for a in first.assets}
    eurgbp = by_symbol["EURGBP_otc"]
    assert (eurgbp.id, eurgbp.name, eurgbp.type, eurgbp.payout) == (
        78,
        "EUR/GBP OTC",
        "currency",
        86.0,
    )
    assert eurgbp.is_otc and eurgbp.is_active
    assert eurgbp.expirations == (60, 120, 180, 300, 600, 900, 1800, 2700, 3600, 7200, 10800, 14400)
    apple = by_symbol["#AAPL"]
    assert (apple.id, apple.name, apple.payout, apple.is_otc, apple.is_active) == (
        5,
        "Apple",
        50.0,
        False,
        False,
    )
    assert by_symbol["BTCUSD"].expirations == (60, 120, 180, 300)
    # payouts moved between the two tables, as on the page
    later = {a.symbol: a.payout for a in second.assets}
    assert (later["EURGBP_otc"], later["AUDCAD_otc"], later["#AAPL_otc"]) == (83.0, 92.0, 79.0)
    assert by_symbol["AUDCAD_otc"].payout == 87.0


def test_asset_payouts_match_an_independent_reading(lines, decoded) -> None:
    raw_tables = [p for _, n, p, _ in naive_payloads(lines) if n == "updateAssets"]
    tables = of(decoded[0], AssetTable)
    for raw, table in zip(raw_tables, tables, strict=True):
        assert [(a.symbol, a.payout) for a in table.assets] == [(r[1], r[5]) for r in raw]


def test_account_state(decoded) -> None:
    events = decoded[0]
    assert of(events, Balance) == [Balance(48335.49, True)]
    assert of(events, DealsOpened) == [DealsOpened(())]
    assert len(of(events, AuthAccepted)) == 1
    assert of(events, ChartSettings) == [ChartSettings("chart-1", "EURGBP_otc", 4, 10.0, 20.0)]
    (favourites,) = of(events, Favourites)
    assert favourites.symbols[:3] == ("AUDCAD_otc", "NZDUSD_otc", "USDCOP_otc")
    # the favourites are exactly the 15 assets the first socket streams
    streamed = {t.asset for t in of(events, Tick) if t.received < 1756859615.13}
    assert set(favourites.symbols) == streamed


def test_closed_deals(decoded) -> None:
    (closed,) = of(decoded[0], DealsClosed)
    deals = closed.deals
    assert len(deals) == 20
    first = deals[0]
    assert (first.id, first.asset, first.direction) == (
        "b00cec07-90e5-45f4-9764-08b2f86cc851",
        "NZDUSD_otc",
        Direction.PUT,
    )
    assert (first.amount, first.profit, first.percent_profit) == (20.0, 18.4, 92.0)
    assert (first.open_price, first.close_price) == (0.6075, 0.60695)
    assert (first.open_ts, first.close_ts) == (1756864690.0, 1756864750.0)
    assert first.is_demo and first.currency == "USD"
    last = deals[-1]
    assert (last.asset, last.direction, last.profit, last.close_price) == (
        "KESUSD_otc",
        Direction.CALL,
        -5.0,
        0.013308,
    )
    assert Counter(d.direction for d in deals) == {Direction.PUT: 11, Direction.CALL: 9}
    assert sum(d.profit for d in deals) == pytest.approx(27.52)


def test_stats(decoded) -> None:
    _, decoder = decoded
    stats = decoder.stats
    assert stats.frames == 346
    assert stats.events["Tick"] == 148
    # the capture ends on a header (line 125) whose attachment was never recorded
    assert stats.malformed == Counter({"header_without_attachment": 1})
    assert stats.unmodelled == Counter(
        {
            "signals/update": 4,
            "signals/load": 1,
            "successupdatePending": 1,
            "successindicator/load": 1,
            "successprice-alert/load": 1,
            "successsignals/stats": 1,
            "auth/success": 1,
            "counters/all/success": 1,
        }
    )
    assert not stats.other


def test_pending_header_counted_only_at_flush(lines) -> None:
    decoder = FrameDecoder()
    decoder.feed_many(lines)
    assert decoder.stats.malformed["header_without_attachment"] == 0
    decoder.flush()
    assert decoder.stats.malformed["header_without_attachment"] == 1


def _signature(events: list[Any]) -> list[str]:
    return [repr(event) for event in events]  # repr includes Tick.received


def test_one_by_one_batches_and_dicts_give_the_same_events(lines, decoded) -> None:
    reference = _signature(decoded[0])
    one = FrameDecoder()
    one_by_one = [event for raw in lines for event in one.feed(raw)]
    assert _signature(one_by_one) == reference
    as_dicts = FrameDecoder().feed_many(json.loads(raw) for raw in lines)
    assert _signature(as_dicts) == reference
    rng = random.Random(20250903)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(lines)), 12))
        batched = FrameDecoder()
        events = []
        for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
            events += batched.feed_many(lines[start:end])
        assert _signature(events) == reference
        assert batched.stats.events == one.stats.events
