"""Property tests: candles equal a plain reference; higher timeframes built from history
candles equal the ones built from the ticks; history ticks and live ticks make one series."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import Candle, HistoryCandles, HistoryTicks, Tick

A = "EURUSD_otc"
ALL = (5, 15, 30, 60, 180, 300, 900, 1800, 3600, 14400)
FROM_MINUTES = (60, 180, 300, 900, 1800, 3600, 14400)
T0 = 1_756_857_600.0  # a 4h boundary


@st.composite
def tick_streams(draw: st.DrawFn, max_size: int = 400) -> list[Tick]:
    gaps = draw(
        st.lists(
            st.one_of(
                st.floats(0.001, 3.0),
                st.floats(3.0, 400.0),
                st.sampled_from([0.0, 60.0, 300.0]),
            ),
            min_size=1,
            max_size=max_size,
        )
    )
    prices = draw(st.lists(st.integers(90_000, 110_000), min_size=len(gaps), max_size=len(gaps)))
    offset = draw(st.floats(0.0, 14_400.0))
    ticks, t = [], T0 + offset
    for gap, price in zip(gaps, prices, strict=True):
        t += gap
        ticks.append(Tick(A, round(t, 3), price / 100_000))
    return ticks


def rows(book: CandleBook, tf: int) -> list[tuple[int, float, float, float, float]]:
    s = book.series(A, tf)
    cols = (s.start, s.open, s.high, s.low, s.close)
    return list(zip(*(c.tolist() for c in cols), strict=True))


def live(ticks: list[Tick], timeframes: tuple[int, ...] = ALL) -> CandleBook:
    book = CandleBook(timeframes)
    for t in ticks:
        book.on_tick(t)
    return book


def reference(ticks: list[Tick], tf: int) -> list[tuple[int, float, float, float, float]]:
    """Plain per-period first/max/min/last, each (time, price) counted once."""
    seen: set[tuple[float, float]] = set()
    candles: dict[int, list[float]] = {}
    for t in ticks:
        if (t.time, t.price) in seen:
            continue
        seen.add((t.time, t.price))
        c = candles.setdefault(int(t.time // tf) * tf, [t.price, t.price, t.price, t.price])
        c[1], c[2], c[3] = max(c[1], t.price), min(c[2], t.price), t.price
    return [(s, *c) for s, c in sorted(candles.items())]


@settings(max_examples=150, deadline=None)
@given(tick_streams())
def test_tick_candles_equal_a_plain_reference(ticks: list[Tick]) -> None:
    book = live(ticks)
    for tf in ALL:
        expected = reference(ticks, tf)
        assert rows(book, tf) == expected
        assert book.closed_len(A, tf) == len(expected) - 1


@settings(max_examples=150, deadline=None)
@given(tick_streams(max_size=600), st.booleans(), st.integers(1, 5))
def test_higher_timeframes_from_minute_history_equal_those_from_ticks(
    ticks: list[Tick], paged: bool, pages: int
) -> None:
    direct = live(ticks, FROM_MINUTES)
    direct.on_clock(ticks[-1].time + 30_000)  # every period ended: all candles closed
    minutes = [Candle(A, 60, *r) for r in rows(direct, 60)]
    book = CandleBook(FROM_MINUTES)
    book.on_clock(ticks[-1].time + 30_000)
    if paged:  # newest page first, then older ones, like loadHistoryPeriodFast
        size = -(-len(minutes) // pages)
        chunks = [minutes[i : i + size] for i in range(0, len(minutes), size)]
        for chunk in reversed(chunks):
            book.on_history_candles(HistoryCandles(A, 60, tuple(chunk), "loadHistoryPeriodFast"))
    else:
        book.on_history_candles(HistoryCandles(A, 60, tuple(minutes), "updateHistoryNewFast"))
    first_minute = minutes[0].start
    for tf in FROM_MINUTES:
        expected = [r for r in rows(direct, tf) if r[0] >= first_minute]
        assert rows(book, tf) == expected, tf
        assert book.forming(A, tf) is None


@settings(max_examples=150, deadline=None)
@given(tick_streams(), st.data())
def test_history_ticks_then_live_ticks_make_one_series(
    ticks: list[Tick], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(1, len(ticks)))
    resent = data.draw(st.integers(0, cut))  # the stream repeats some ticks the history held
    reference = live(ticks)
    book = CandleBook(ALL)
    book.on_history_ticks(HistoryTicks(A, tuple(ticks[:cut])))
    for t in ticks[cut - resent :]:
        book.on_tick(t)
    first = ticks[0].time
    for tf in ALL:
        ref = rows(reference, tf)[: reference.closed_len(A, tf)]
        # the first period starts before the history does: once closed, it is left out
        if ref and ref[0][0] < first:
            ref = ref[1:]
        assert rows(book, tf)[: book.closed_len(A, tf)] == ref, tf
        assert book.forming(A, tf) == reference.forming(A, tf)
    skipped = book.stats.late_ticks + book.stats.duplicate_ticks + book.stats.out_of_order_ticks
    assert skipped <= resent + reference.stats.duplicate_ticks
