"""CandleBook with platform history: one series with live ticks, repeats, backward pages."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import Candle, CandleClosed, HistoryCandles, HistoryTicks, Tick

A = "EURUSD_otc"


def tick(t: float, p: float, asset: str = A) -> Tick:
    return Tick(asset, t, p)


def history(rows: list[tuple[int, float, float, float, float]], tf: int = 60) -> HistoryCandles:
    candles = tuple(Candle(A, tf, s, o, h, lo, c) for s, o, h, lo, c in rows)
    return HistoryCandles(A, tf, candles, "updateHistoryNewFast")


def minute_rows(
    first: int, count: int, tf: int = 60
) -> list[tuple[int, float, float, float, float]]:
    """Candles whose prices encode their start, distinct and easy to aggregate by hand."""
    rows = []
    for k in range(count):
        s = first + k * tf
        base = 1.0 + s / 100_000
        rows.append(
            (s, base, base + 0.002 + (k % 3) / 1000, base - 0.001 - (k % 2) / 1000, base + 0.001)
        )
    return rows


def ohlc(book: CandleBook, tf: int, asset: str = A) -> list[tuple[int, float, float, float, float]]:
    s = book.series(asset, tf)
    cols = (s.start, s.open, s.high, s.low, s.close)
    return list(zip(*(c.tolist() for c in cols), strict=True))


def aggregate(rows: list[tuple[int, float, float, float, float]], start: int, tf: int) -> tuple:
    part = [r for r in rows if start <= r[0] < start + tf]
    return (start, part[0][1], max(r[2] for r in part), min(r[3] for r in part), part[-1][4])


def test_history_then_live_make_one_series() -> None:
    book = CandleBook((60, 300))
    rows = minute_rows(0, 10)
    closed = book.on_history_candles(history(rows))
    # the newest history candle may be the platform's running one: it stays forming
    assert [(c.candle.timeframe, c.candle.start, c.by) for c in closed] == [
        *((60, s, "history") for s in range(0, 540, 60)),
        (300, 0, "history"),
    ]
    assert closed[0].candle == Candle(A, 60, *rows[0])
    assert closed[-1].candle == Candle(A, 300, *aggregate(rows, 0, 300))
    assert book.forming(A, 60) == Candle(A, 60, *rows[9])
    closed = book.on_tick(tick(600.5, 2.0))
    assert [(c.candle.timeframe, c.candle.start, c.by) for c in closed] == [
        (60, 540, "tick"),
        (300, 300, "tick"),
    ]
    assert closed[1].candle == Candle(A, 300, *aggregate(rows, 300, 300))
    assert book.series(A, 60).start.tolist() == list(range(0, 660, 60))
    assert ohlc(book, 60)[:10] == rows
    assert ohlc(book, 60)[10] == (600, 2.0, 2.0, 2.0, 2.0)
    assert book.series(A, 300).start.tolist() == [0, 300, 600]


def test_history_whose_period_has_ended_comes_closed() -> None:
    book = CandleBook((60,))
    book.on_clock(10_000.0)
    closed = book.on_history_candles(history(minute_rows(0, 10)))
    assert [c.candle.start for c in closed] == list(range(0, 600, 60))
    assert book.forming(A, 60) is None


def test_the_same_history_again_is_not_announced_again() -> None:
    book = CandleBook((60, 300))
    book.on_clock(10_000.0)
    rows = minute_rows(0, 10)
    first = book.on_history_candles(history(rows))
    assert len(first) == 12
    assert book.on_history_candles(history(rows)) == []
    assert book.on_history_candles(history(rows[3:7])) == []
    assert book.stats.history_duplicates == 14
    assert book.stats.history_candles == 10
    assert ohlc(book, 60) == rows


def test_backward_pages_are_inserted_in_order() -> None:
    book = CandleBook((60, 300))
    book.on_clock(100_000.0)
    newer = minute_rows(1560, 25)  # 26:00 .. 50:00; the 5m period at 25:00 is only partly held
    older = minute_rows(600, 17)  # 10:00 .. 26:00, overlapping the newer page by one candle
    closed = book.on_history_candles(history(newer))
    # 50:00 holds one minute, but its period has ended and nothing newer is held: closed
    assert [c.candle.start for c in closed if c.candle.timeframe == 300] == list(
        range(1800, 3300, 300)
    )
    assert book.stats.partial_dropped == 1
    closed = book.on_history_candles(history(older))
    assert [c.candle.start for c in closed if c.candle.timeframe == 60] == list(
        range(600, 1560, 60)
    )
    assert [c.candle.start for c in closed if c.candle.timeframe == 300] == [600, 900, 1200, 1500]
    assert book.stats.history_duplicates == 1
    assert book.series(A, 60).start.tolist() == list(range(600, 3060, 60))
    assert book.series(A, 300).start.tolist() == list(range(600, 3300, 300))
    assert book.closed_len(A, 300) == 9
    every = older[:-1] + newer
    assert ohlc(book, 60) == every
    assert ohlc(book, 300)[3] == aggregate(every, 1500, 300)


def test_history_for_the_forming_period_is_merged_into_it() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(630.5, 1.0))
    book.on_tick(tick(640.0, 1.2))
    closed = book.on_history_candles(
        history([(540, 1.0, 1.1, 0.9, 1.0), (600, 0.9, 1.5, 0.8, 1.1)])
    )
    assert [(c.candle.start, c.by) for c in closed] == [(540, "history")]
    # history saw the period from its start (open, extremes); the live close is newer
    assert book.forming(A, 60) == Candle(A, 60, 600, 0.9, 1.5, 0.8, 1.2)
    closed = book.on_tick(tick(660.1, 1.3))
    assert closed == [CandleClosed(Candle(A, 60, 600, 0.9, 1.5, 0.8, 1.2), "tick")]
    assert book.series(A, 60).start.tolist() == [540, 600, 660]


def test_history_newer_than_live_closes_the_forming_candle() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(610.0, 1.0))
    rows = [(600, 0.95, 1.3, 0.9, 1.2), (660, 1.2, 1.4, 1.1, 1.3), (720, 1.3, 1.35, 1.25, 1.3)]
    closed = book.on_history_candles(history(rows))
    # history's 10:00 candle ran to 11:00, after the live tick at 10:10: its close is newer
    assert closed == [
        CandleClosed(Candle(A, 60, 600, 0.95, 1.3, 0.9, 1.2), "history"),
        CandleClosed(Candle(A, 60, *rows[1]), "history"),
    ]
    assert book.forming(A, 60) == Candle(A, 60, *rows[2])
    assert book.on_tick(tick(700.0, 9.0)) == []
    assert book.stats.late_ticks == 1
    book.on_tick(tick(730.0, 1.28))
    assert book.forming(A, 60) == Candle(A, 60, 720, 1.3, 1.35, 1.25, 1.28)


def test_history_fills_a_gap_between_live_candles() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(61.0, 1.0))
    book.on_tick(tick(601.0, 2.0))
    rows = minute_rows(120, 8)
    closed = book.on_history_candles(history(rows))
    assert [c.candle for c in closed] == [Candle(A, 60, *r) for r in rows]
    assert book.series(A, 60).start.tolist() == list(range(60, 660, 60))
    assert book.forming(A, 60) == Candle(A, 60, 600, 2.0, 2.0, 2.0, 2.0)
    assert book.closed_len(A, 60) == 9


def test_history_ticks_alone_build_candles_like_live_ticks() -> None:
    ticks = [tick(61.0 + k * 0.5, 1.0 + (k % 7) / 100) for k in range(400)]  # 61.0 .. 260.5
    live = CandleBook((5, 60))
    for t in ticks:
        live.on_tick(t)
    book = CandleBook((5, 60))
    closed = book.on_history_ticks(HistoryTicks(A, tuple(ticks)))
    # the first period of each timeframe starts before the history does: it is left out
    assert {c.by for c in closed} == {"history"}
    assert [c.candle.start for c in closed if c.candle.timeframe == 60] == [120, 180]
    assert ohlc(book, 60) == ohlc(live, 60)[1:]
    assert ohlc(book, 5) == ohlc(live, 5)[1:]
    assert book.stats.partial_dropped == 2
    assert book.forming(A, 60) == live.forming(A, 60)
    # the same history again changes nothing
    assert book.on_history_ticks(HistoryTicks(A, tuple(ticks))) == []
    assert ohlc(book, 60) == ohlc(live, 60)[1:]


def test_history_ticks_merge_with_live_ticks_already_seen() -> None:
    ticks = [tick(1.0 + k * 0.5, 1.0 + ((k * 37) % 11) / 100) for k in range(600)]  # 1 .. 300.5
    reference = CandleBook((5, 60))
    for t in ticks:
        reference.on_tick(t)
    book = CandleBook((5, 60))
    for t in ticks[561:565]:  # live ticks start mid-minute, mid-5s (281.5 .. 283.0)
        book.on_tick(t)
    book.on_history_ticks(HistoryTicks(A, tuple(ticks[:575])))  # overlaps the live ticks
    for t in ticks[565:]:  # the stream repeats ticks the history already held
        book.on_tick(t)
    assert ohlc(book, 60) == ohlc(reference, 60)[1:]
    assert ohlc(book, 5) == ohlc(reference, 5)[1:]
    assert book.stats.late_ticks + book.stats.duplicate_ticks + book.stats.out_of_order_ticks == 10


def test_history_candles_and_ticks_together_in_either_order() -> None:
    ticks = [tick(530.2 + k * 0.5, 1.0 + ((k * 13) % 17) / 100) for k in range(500)]
    rows = minute_rows(0, 9)  # 0 .. 480, ending before the ticks start
    results = []
    for order in ("candles first", "ticks first"):
        book = CandleBook((60, 300))
        book.on_tick(ticks[-1])
        if order == "candles first":
            book.on_history_candles(history(rows))
            book.on_history_ticks(HistoryTicks(A, tuple(ticks)))
        else:
            book.on_history_ticks(HistoryTicks(A, tuple(ticks)))
            book.on_history_candles(history(rows))
        results.append((ohlc(book, 60), ohlc(book, 300)))
    assert results[0] == results[1]
    minutes = [r[0] for r in results[0][0]]
    # history candles up to 8:00, then minutes built from history ticks up to the forming 12:00
    assert minutes == list(range(0, 780, 60))


def test_a_candle_already_closed_keeps_what_was_announced() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(599.0, 1.0))  # seen before 10:00, so the 10:00 candle is whole
    book.on_tick(tick(630.0, 1.0))
    closed_live = book.on_tick(tick(661.0, 1.1))
    assert closed_live == [CandleClosed(Candle(A, 60, 600, 1.0, 1.0, 1.0, 1.0), "tick")]
    closed = book.on_history_candles(
        history([(600, 0.5, 1.5, 0.4, 1.0), (660, 1.1, 1.1, 1.1, 1.1)])
    )
    assert closed == []  # written once already: first one wins, nothing is announced twice
    assert ohlc(book, 60)[1] == (600, 1.0, 1.0, 1.0, 1.0)
    assert book.stats.history_candles == 2


prices = st.one_of(st.floats(allow_nan=True), st.floats(0.5, 2.0))
times = st.one_of(st.floats(allow_nan=True), st.floats(0.0, 3000.0))
starts = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 50).map(lambda k: k * 60))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("tick"), times, prices),
            st.tuples(st.just("clock"), times),
            st.tuples(
                st.just("candles"),
                st.sampled_from([60, 300, 7]),
                st.lists(st.tuples(starts, prices, prices, prices, prices), max_size=12),
            ),
            st.tuples(st.just("ticks"), st.lists(st.tuples(times, prices), max_size=30)),
        ),
        max_size=25,
    )
)
def test_no_history_escapes_as_an_exception(items: list[tuple]) -> None:
    book = CandleBook((5, 60, 300))
    closed: list[CandleClosed] = []
    for item in items:
        if item[0] == "tick":
            closed += book.on_tick(tick(item[1], item[2]))
        elif item[0] == "clock":
            closed += book.on_clock(item[1])
        elif item[0] == "candles":
            rows = sorted({r[0]: r for r in item[2]}.values())
            closed += book.on_history_candles(history(rows, item[1]))
        else:
            ticks = tuple(tick(t, p) for t, p in item[1])
            closed += book.on_history_ticks(HistoryTicks(A, ticks))
    whole = [(c.candle.timeframe, c.candle.start) for c in closed if not c.partial]
    assert len(whole) == len(set(whole))
    partial = [(c.candle.timeframe, c.candle.start) for c in closed if c.partial]
    assert len(partial) == len(set(partial))
    for tf in (5, 60, 300):
        s = book.series(A, tf)
        assert bool(np.all(np.diff(s.start) > 0))
        assert bool(np.all(s.start % tf == 0))
        assert bool(np.all(np.isfinite(s.close)) and np.all(s.low <= s.high))
        n = book.closed_len(A, tf)
        announced = sorted({c.candle.start for c in closed if c.candle.timeframe == tf})
        assert announced == s.start[:n].tolist()


def test_a_partly_covered_history_candle_is_dropped_by_the_clock_then_filled() -> None:
    book = CandleBook((60,))
    ticks = tuple(tick(630.0 + k, 1.0 + k / 100) for k in range(20))  # 10:30 .. 10:49 only
    assert book.on_history_ticks(HistoryTicks(A, ticks)) == []
    assert book.forming(A, 60) == Candle(A, 60, 600, 1.0, 1.19, 1.0, 1.19)  # shown while forming
    assert book.on_clock(661.0) == []  # never announced: history did not see its start
    assert book.stats.partial_dropped == 1
    assert len(book.series(A, 60)) == 0
    closed = book.on_history_candles(history([(600, 0.9, 1.2, 0.9, 1.19)]))
    assert closed == [CandleClosed(Candle(A, 60, 600, 0.9, 1.2, 0.9, 1.19), "history")]
    assert book.on_tick(tick(650.0, 5.0)) == []
    assert book.stats.late_ticks == 1


# --- the close of a period that holds live ticks and history (issue 10, section 3) ----------


def test_history_after_a_lone_tick_gives_the_minute_its_later_close() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(630.5, 1.05))  # attached at 10:30 into the minute
    book.on_clock(655.0)  # the history comes at 10:55, while the minute runs
    rows = [(540, 1.0, 1.1, 0.9, 1.0), (600, 1.0, 1.2, 0.9, 1.1)]
    closed = book.on_history_candles(history(rows))
    assert closed == [CandleClosed(Candle(A, 60, *rows[0]), "history")]
    # history saw 10:00 to 10:55, the live tick only 10:30: open and close are history's
    assert book.forming(A, 60) == Candle(A, 60, *rows[1])
    assert book.on_clock(662.0) == [CandleClosed(Candle(A, 60, *rows[1]), "clock")]


def test_history_after_a_lone_tick_completes_the_minute_the_clock_closed() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(630.5, 1.05))
    assert book.on_clock(700.0) == [
        CandleClosed(Candle(A, 60, 600, 1.05, 1.05, 1.05, 1.05), "clock", partial=True)
    ]
    rows = [(540, 1.0, 1.1, 0.9, 1.0), (600, 1.0, 1.2, 0.9, 1.1)]
    closed = book.on_history_candles(history(rows))
    assert closed == [
        CandleClosed(Candle(A, 60, *rows[1]), "history"),  # completed: announced whole
        CandleClosed(Candle(A, 60, *rows[0]), "history"),
    ]
    assert ohlc(book, 60) == rows
    assert book.stats.partial_live == 1 and book.stats.partial_completed == 1
    assert book.on_history_candles(history(rows)) == []  # and only once


def test_history_after_a_lone_tick_gives_the_hour_its_later_close() -> None:
    book = CandleBook((60, 3600))
    hour = 3600 * 10
    rows = minute_rows(hour, 60)  # that hour's history, to its last minute
    price = rows[10][4]  # one live tick, 10 min into the hour, at that minute's close
    book.on_tick(tick(hour + 610.0, price))
    closed = book.on_history_candles(history(rows))
    assert book.forming(A, 3600) == Candle(A, 3600, *aggregate(rows, hour, 3600))
    assert book.forming(A, 3600).close == rows[-1][4] != price
    minute = [c.candle for c in closed if c.candle.start == hour + 600]
    assert minute == [Candle(A, 60, *rows[10])]  # its own minute: history ran to its end
    assert [c.partial for c in closed] == [False] * len(closed)


def test_a_live_tick_newer_than_the_history_keeps_its_close() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(630.0, 1.0))
    book.on_tick(tick(655.0, 1.15))
    # the history of the running minute was taken before 10:55 (the platform clock is 10:55)
    book.on_history_candles(history([(600, 0.95, 1.2, 0.9, 1.1)]))
    assert book.forming(A, 60) == Candle(A, 60, 600, 0.95, 1.2, 0.9, 1.15)
    book.on_tick(tick(658.0, 1.12))
    assert book.forming(A, 60).close == 1.12


def test_history_ticks_that_end_after_the_live_tick_give_the_close() -> None:
    book = CandleBook((5, 60))
    book.on_tick(tick(612.3, 1.5))
    ticks = [tick(598.0 + k * 0.5, 1.0 + k / 1000) for k in range(30)]  # 9:58.0 .. 10:12.5
    book.on_history_ticks(HistoryTicks(A, tuple(ticks)))
    # the history's last tick (10:12.5) is later than the live one (10:12.3)
    assert book.forming(A, 5) == Candle(A, 5, 610, ticks[24].price, 1.5, ticks[24].price,
                                        ticks[-1].price)  # fmt: skip
    assert book.forming(A, 60).close == ticks[-1].price
    assert book.forming(A, 60).open == ticks[4].price  # 10:00.0


@settings(max_examples=60, deadline=None)
@given(
    tf=st.sampled_from([60, 3600]),
    steps=st.lists(st.floats(0.05, 3.0), min_size=2, max_size=400),
    moves=st.lists(st.integers(-5, 5), min_size=400, max_size=400),
    pick=st.floats(0.0, 1.0),
)
def test_after_a_lone_live_tick_history_of_the_period_gives_its_platform_candle(
    tf: int, steps: list[float], moves: list[int], pick: float
) -> None:
    """Reference: every tick of one period (from its start) through a book. History of it
    (the reference's 1m candles) arriving after one of those ticks, seen live, gives the
    reference candle."""
    start = 36_000
    times = [start] + [start + sum(steps[:k]) * tf / sum(steps) for k in range(1, len(steps))]
    prices = [1.0 + sum(moves[: k + 1]) / 1000 + 0.5 for k in range(len(times))]
    ticks = [tick(t, p) for t, p in zip(times, prices, strict=True)]
    reference = CandleBook((60, tf))
    for t in ticks:
        reference.on_tick(t)
    reference.on_clock(start + tf + 5)
    minutes = ohlc(reference, 60)
    book = CandleBook((60, tf))
    lone = ticks[int(pick * (len(ticks) - 1))]
    book.on_tick(lone)
    book.on_clock(start + tf + 0.5)
    closed = book.on_history_candles(history(minutes))
    closed += book.on_clock(start + tf + 5)
    expected = Candle(A, tf, start, *aggregate(minutes, start, tf)[1:])
    assert expected in [c.candle for c in closed if not c.partial]
