"""The simulator's pieces on their own: framing against the real capture, walks, deals."""

from __future__ import annotations

import base64
import itertools
import json
import random
from pathlib import Path

import pytest

from qfdesk.sim import frames
from qfdesk.sim.assets import build_catalogue
from qfdesk.sim.deals import forced_close_price, new_deal, outcome_of, profit_of
from qfdesk.sim.market import AssetMarket

NOW = 1_795_000_000.0


def capture_frames(path: Path) -> list[tuple[str, int, str]]:
    out = []
    for line in path.read_text().splitlines():
        params = json.loads(json.loads(line)["message"])["message"]["params"]
        response = params["response"]
        out.append((params["requestId"], response["opcode"], response["payloadData"]))
    return out


def capture_events(path: Path) -> dict[str, object]:
    """The first payload of each binary event in the capture, paired per socket."""
    pending: dict[str, str] = {}
    events: dict[str, object] = {}
    for rid, opcode, data in capture_frames(path):
        if opcode == 1 and data.startswith("451-"):
            pending[rid] = json.loads(data[4:])[0]
        elif opcode == 2 and rid in pending:
            events.setdefault(pending.pop(rid), json.loads(base64.b64decode(data)))
    return events


def test_binary_events_are_framed_exactly_like_the_real_platform(capture_path: Path) -> None:
    real = capture_frames(capture_path)
    header, attachment = real[0][2], base64.b64decode(real[1][2])
    ours = frames.binary_event("updateStream", json.loads(attachment))
    assert ours == (header, attachment)
    opening = next(data for _, opcode, data in real if opcode == 1 and data.startswith("0{"))
    ours_open = frames.open_frame("x", 45000, 5000, 1_000_000)
    assert set(json.loads(opening[1:])) <= set(json.loads(ours_open[1:]))


def test_asset_rows_have_the_real_shape(capture_path: Path) -> None:
    real_rows = capture_events(capture_path)["updateAssets"]
    assert isinstance(real_rows, list)
    real_by_symbol = {row[1]: row for row in real_rows}
    for asset in build_catalogue(12)[:-1]:
        row = asset.row()
        assert len(row) == 19
        twin = real_by_symbol.get(asset.symbol)
        if twin is not None:
            assert [type(v) for v in row] == [type(v) for v in twin]
            assert row[:5] == twin[:5] and row[9:12] == twin[9:12] and row[15] == twin[15]
    closed = build_catalogue(3)[-1].row()
    assert closed[14] is False and closed[9] == 0


@pytest.mark.parametrize(
    ("text", "kind", "event"),
    [
        ("3", "pong", ""),
        ("40", "connect", ""),
        ("41", "disconnect", ""),
        ('42["subfor","EURUSD_otc"]', "event", "subfor"),
        ('4212["ps"]', "event", "ps"),
        ("42[", "invalid", ""),
        ("42{}", "invalid", ""),
        ("", "invalid", ""),
    ],
)
def test_parse_client_frame(text: str, kind: str, event: str) -> None:
    frame = frames.parse_client_frame(text)
    assert (frame.kind, frame.event) == (kind, event)


def market(seed: int = 1) -> AssetMarket:
    return AssetMarket(build_catalogue(1)[0], random.Random(seed), NOW)


def test_ticks_increase_and_are_sometimes_whole_seconds() -> None:
    walk = market()
    times = [walk.tick(NOW + 0.137 + 0.5 * i)[0] for i in range(1, 2001)]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert any(t.is_integer() for t in times)
    assert sum(t.is_integer() for t in times) < len(times) * 0.1
    same_instant = [walk.tick(NOW + 2000.5)[0] for _ in range(3)]
    assert same_instant[0] < same_instant[1] < same_instant[2]


def test_candles_agree_with_the_ticks_and_page_back_without_holes() -> None:
    walk = market()
    for i in range(1, 1200):
        walk.tick(NOW + 0.5 * i)
    now = walk.last_time
    minute = int(now // 60) * 60
    rows = walk.candles(60, minute - 20 * 60, minute + 600)
    assert rows[-1][0] == minute - 60  # complete candles only
    for start, open_, close, high, low in rows[-5:]:
        prices = [p for t, p in walk.ticks if start <= t < start + 60]
        assert (open_, close, high, low) == (prices[0], prices[-1], max(prices), min(prices))
    old = walk.candles(60, minute - 3 * 86400, minute - 86400)
    assert len(old) == 2 * 1440
    assert all(b[0] - a[0] == 60 for a, b in itertools.pairwise(old))
    assert all(low <= min(o, c) <= max(o, c) <= high and low > 0 for _, o, c, high, low in old)
    five = walk.candles(300, minute - 3600, minute)
    ones = walk.candles(60, five[0][0], five[0][0] + 300)
    assert five[0][1:] == (
        ones[0][1],
        ones[-1][2],
        max(r[3] for r in ones),
        min(r[4] for r in ones),
    )
    assert walk.candles(60, 0, 60 * 60) == []  # before 2000: nothing, and quickly
    assert walk.candles(30, minute - 600, minute)[-1][0] == minute - 30


@pytest.mark.parametrize(
    ("command", "outcome", "profit"), [(0, "win", 9.2), (1, "win", 9.2), (0, "loss", -10)]
)
def test_forced_outcomes_and_profits(command: int, outcome: str, profit: float) -> None:
    close = forced_close_price(command, 1.08412, outcome, 5)
    assert outcome_of(command, 1.08412, close) == outcome
    assert profit_of(outcome, 10, 92) == profit
    assert outcome_of(command, 1.08412, forced_close_price(command, 1.08412, "refund", 5)) == (
        "refund"
    )
    assert profit_of("refund", 10, 92) == 0


def test_a_deal_has_the_real_fields_and_times(capture_path: Path) -> None:
    real_deals = capture_events(capture_path)["updateClosedDeals"]
    assert isinstance(real_deals, list)
    real_deal = real_deals[0]
    deal = new_deal(
        asset="EURUSD_otc",
        amount=20,
        action="put",
        expiry=60,
        payout=92,
        open_price=1.08412,
        open_time=1756864690.018,
        is_demo=True,
    )
    assert list(deal) == list(real_deal)
    assert deal["openTime"] == "2025-09-03 01:58:10" and deal["closeTime"] == "2025-09-03 01:59:10"
    assert deal["openMs"] == 18 and deal["command"] == 1 and deal["closePrice"] == 0


def test_deep_history_is_the_same_for_the_same_asset_and_time_in_every_run() -> None:
    one = AssetMarket(build_catalogue(1)[0], random.Random(1), NOW)
    other = AssetMarket(build_catalogue(1)[0], random.Random(99), NOW + 86400)
    month_ago = int(NOW // 60) * 60 - 30 * 86400
    rows = one.candles(60, month_ago, month_ago + 2000 * 60)
    assert rows == other.candles(60, month_ago, month_ago + 2000 * 60)
    assert len(rows) == 2000  # an OTC asset trades every minute, weekends too
    assert all(b[0] - a[0] == 60 and b[1] == a[2] for a, b in itertools.pairwise(rows))
    assert all(low <= min(o, c) <= max(o, c) <= high and low > 0 for _, o, c, high, low in rows)
    assert len({r[1] for r in rows}) > 300  # it moves
    years_ago = month_ago - 5 * 365 * 86400
    assert len(one.candles(3600, years_ago, years_ago + 86400)) == 24  # any depth


def test_the_walk_starts_where_deep_history_ends() -> None:
    walk = market()
    origin = walk.origin
    (before,) = walk.candles(60, origin - 60, origin)
    (first,) = walk.candles(60, origin, origin + 60)
    assert abs(first[1] - before[2]) < before[2] * 2e-4  # the walk opens at the last close


def test_a_closed_span_and_a_weekend_have_no_history() -> None:
    walk = market()
    start = int(NOW // 86400) * 86400 - 20 * 86400
    walk.deep.close(start, start + 3 * 3600)
    rows = walk.candles(60, start - 3600, start + 4 * 3600)
    assert [r[0] for r in rows] == list(range(start - 3600, start, 60)) + list(
        range(start + 3 * 3600, start + 4 * 3600, 60)
    )
    regular = AssetMarket(build_catalogue(1)[-1], random.Random(1), NOW)  # EUR/USD, not OTC
    assert not regular.asset.is_otc
    saturday = 1_794_614_400  # 2026-11-14, a Saturday
    assert regular.candles(60, saturday, saturday + 2 * 86400) == []
    assert len(regular.candles(60, saturday + 2 * 86400, saturday + 2 * 86400 + 3600)) == 60


def test_tick_pages_make_exactly_the_candles_of_their_minutes() -> None:
    walk = market()
    for i in range(1, 600):
        walk.tick(NOW + 0.5 * i)
    old = walk.origin - 3 * 3600
    ticks = walk.page_ticks(old, old + 600)
    assert len(ticks) == 40 and all(old <= t < old + 600 for t, _ in ticks)
    for start, o, c, high, low in walk.candles(60, old, old + 600):
        prices = [p for t, p in ticks if start <= t < start + 60]
        assert (prices[0], prices[-1], max(prices), min(prices)) == (o, c, high, low)
    recent = walk.page_ticks(walk.last_time - 120, walk.last_time + 1)
    assert recent[-1] == walk.ticks[-1]
    times = [t for t, _ in walk.page_ticks(walk.origin - 600, walk.last_time + 1)]
    assert times == sorted(times)
