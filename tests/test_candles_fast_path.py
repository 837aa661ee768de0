"""The live-tick fast path: a tick inside every forming candle and within every high and low
only moves the closes. A book taking it (and skipping on_clock's scan until a candle can
close) gives exactly what a book always taking the general per-timeframe path (and scanning)
gives -- candles, closed candles, counters and the forming changes a publisher takes --
through live ticks (out of order, repeated, at the same time), history candles and ticks,
and clock closes, on two assets."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import Candle, CandleClosed, HistoryCandles, HistoryTicks, Tick
from qfdesk.engine.timeframes import TIMEFRAMES

A, B = "EURUSD_otc", "GBPUSD_otc"
ALL = tuple(TIMEFRAMES.values())
T0 = 1_756_857_600.0  # a 4h boundary
NO_FAST_PATH = float("-inf")


def general_only(book: CandleBook) -> None:
    """Make the next tick of every asset take the general path and the next clock reading
    look at every candle (white box: the switches of the fast path, which any input but a
    live tick throws, and of on_clock's early return)."""
    for st_ in book._assets.values():
        st_.fast_end = NO_FAST_PATH
    book._next_end = NO_FAST_PATH


def snapshot(book: CandleBook) -> object:
    series = {
        (asset, tf): (
            book.series(asset, tf).start.tolist(),
            book.series(asset, tf).open.tolist(),
            book.series(asset, tf).high.tolist(),
            book.series(asset, tf).low.tolist(),
            book.series(asset, tf).close.tolist(),
            book.closed_len(asset, tf),
            book.forming(asset, tf),
        )
        for asset in book.assets()
        for tf in book.timeframes
    }
    return series, book.stats


def forming_changes(book: CandleBook) -> list[tuple[str, list[tuple], float | None]]:
    """What a publisher takes, with each asset's rows in one order (a set gives them)."""
    return [(f.asset, sorted(f.rows), f.close) for f in book.take_forming_changes([A, B, "NONE"])]


@st.composite
def sessions(draw: st.DrawFn) -> list[tuple]:
    """Operations on two assets: mostly live ticks close together (so most land inside every
    forming candle), some out of order or repeated, now and then a gap, history candles or
    ticks around the present, a clock reading, a look at the forming changes."""
    ops: list[tuple] = []
    now = {A: T0 + draw(st.floats(0.0, 14_400.0)), B: T0 + draw(st.floats(0.0, 100.0))}
    price = {A: 100_000, B: 120_000}
    for _ in range(draw(st.integers(1, 200))):
        asset = draw(st.sampled_from((A, A, B)))
        kind = draw(
            st.sampled_from(
                ("tick",) * 12 + ("repeat", "older", "gap", "clock", "take", "hc", "ht")
            )
        )
        if kind == "tick":
            now[asset] += draw(st.sampled_from((0.0, 0.001, 0.2, 0.5, 1.0, 2.5)))
            price[asset] += draw(st.integers(-30, 30))
            ops.append(("tick", asset, round(now[asset], 3), price[asset] / 100_000))
        elif kind == "repeat":
            ops.append(("tick", asset, round(now[asset], 3), price[asset] / 100_000))
        elif kind == "older":
            back = draw(st.sampled_from((0.1, 1.0, 4.0, 70.0)))
            move = draw(st.integers(-60, 60))
            ops.append(("tick", asset, round(now[asset] - back, 3), (price[asset] + move) / 1e5))
        elif kind == "gap":
            now[asset] += draw(st.sampled_from((5.0, 31.0, 61.0, 299.0, 3601.0)))
        elif kind == "clock":
            ops.append(("clock", max(now.values()) + draw(st.floats(-2.0, 90.0))))
        elif kind == "take":
            ops.append(("take",))
        elif kind == "hc":
            first = int(now[asset] // 60) * 60 - 60 * draw(st.integers(0, 20))
            count = draw(st.integers(1, 22))
            candles = []
            for k in range(count):
                o = (price[asset] + draw(st.integers(-50, 50))) / 100_000
                c = (price[asset] + draw(st.integers(-50, 50))) / 100_000
                hi, lo = max(o, c) + draw(st.integers(0, 40)) / 1e5, min(o, c)
                candles.append(Candle(asset, 60, first + 60 * k, o, hi, lo, c))
            ops.append(("hc", asset, tuple(candles)))
        else:
            start = now[asset] - draw(st.floats(0.0, 120.0))
            step = draw(st.sampled_from((0.3, 0.7, 2.0)))
            count = draw(st.integers(1, 60))
            prices = [(price[asset] + draw(st.integers(-40, 40))) / 1e5 for _ in range(count)]
            ticks = tuple(Tick(asset, round(start + step * k, 3), p) for k, p in enumerate(prices))
            ops.append(("ht", asset, ticks))
    return ops


def apply(book: CandleBook, op: tuple) -> object:
    kind = op[0]
    if kind == "tick":
        return book.on_tick(Tick(op[1], op[2], op[3]))
    if kind == "clock":
        return book.on_clock(op[1])
    if kind == "take":
        return forming_changes(book)
    if kind == "hc":
        return book.on_history_candles(HistoryCandles(op[1], 60, op[2], "loadHistoryPeriodFast"))
    return book.on_history_ticks(HistoryTicks(op[1], op[2]))


@settings(max_examples=200, deadline=None)
@given(sessions())
def test_the_fast_path_gives_exactly_what_the_general_path_gives(ops: list[tuple]) -> None:
    fast, general = CandleBook(ALL), CandleBook(ALL)
    eligible = 0
    for op in ops:
        if op[0] == "tick" and op[1] in fast._assets:
            eligible += op[2] < fast._assets[op[1]].fast_end
        general_only(general)
        got: object = apply(fast, op)
        expected: object = apply(general, op)
        assert got == expected, op
        assert snapshot(fast) == snapshot(general), op
    assert forming_changes(fast) == forming_changes(general)
    event(f"ticks inside every forming candle: {min(eligible, 20) // 5 * 5}+")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=200), st.floats(0.0, 4.0))
def test_ticks_within_a_forming_candle_change_only_closes_and_match_the_general_path(
    moves: list[int], offset: float
) -> None:
    """A 5 s candle of ticks 0.02 s apart: once its range holds a tick, all land inside."""
    fast, general = CandleBook(ALL), CandleBook(ALL)
    price = 100_000
    for k, move in enumerate(moves):
        price += move
        t = Tick(A, round(T0 + offset + 0.02 * k, 3), price / 100_000)
        general_only(general)
        assert fast.on_tick(t) == general.on_tick(t)
    assert snapshot(fast) == snapshot(general)
    assert forming_changes(fast) == forming_changes(general)


def test_a_tick_inside_every_forming_candle_and_range_takes_the_fast_path() -> None:
    book = CandleBook(ALL)
    for t, p in ((T0 + 1.0, 1.10), (T0 + 1.5, 1.20), (T0 + 2.0, 1.00)):
        book.on_tick(Tick(A, t, p))
    state = book._assets[A]
    assert state.fast_end == T0 + 5 and (state.fast_low, state.fast_high) == (1.00, 1.20)
    forming = forming_changes(book)
    book.on_tick(Tick(A, T0 + 3.0, 1.15))  # inside: only the closes move
    assert forming_changes(book) == [(A, [], 1.15), (B, [], None), ("NONE", [], None)]
    assert all(book.forming(A, tf).close == 1.15 for tf in ALL)
    assert book.forming(A, 3600) == Candle(A, 3600, int(T0), 1.10, 1.20, 1.00, 1.15)
    assert forming[0][1], "the ticks before changed highs and lows: rows were taken"
    book.on_tick(Tick(A, T0 + 4.0, 1.25))  # a new high: the general path widens the bounds
    assert state.fast_high == 1.25
    book.on_history_candles(
        HistoryCandles(A, 60, (Candle(A, 60, int(T0) - 60, 1.0, 1.3, 0.9, 1.1),), "x")
    )
    assert state.fast_end == NO_FAST_PATH, "other input switches it off until the next tick"
    assert book.on_tick(Tick(A, T0 + 6.0, 1.2)) == [
        CandleClosed(Candle(A, 5, int(T0), 1.10, 1.25, 1.00, 1.25), "tick", partial=True)
    ]
    assert state.fast_end == T0 + 10 and state.fast_low == state.fast_high == 1.2
