"""CandleBook with live ticks: exact OHLC, closing by tick and by clock, late ticks, isolation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.candles import CLOSE_GRACE, CandleBook
from qfdesk.engine.events import Candle, CandleClosed, Tick

A = "EURUSD_otc"
B = "AUDCAD_otc"


def tick(t: float, p: float, asset: str = A) -> Tick:
    return Tick(asset, t, p, received=t - 7200.0)


def feed(book: CandleBook, ticks: list[Tick]) -> list[CandleClosed]:
    out: list[CandleClosed] = []
    for t in ticks:
        out += book.on_tick(t)
    return out


def ohlc(book: CandleBook, asset: str, tf: int) -> list[tuple[int, float, float, float, float]]:
    s = book.series(asset, tf)
    return list(
        zip(
            s.start.tolist(),
            s.open.tolist(),
            s.high.tolist(),
            s.low.tolist(),
            s.close.tolist(),
            strict=True,
        )
    )


def test_exact_ohlc_and_close_by_tick() -> None:
    book = CandleBook((5, 60))
    closed = feed(
        book,
        [
            tick(100.5, 1.00),
            tick(103.0, 1.50),
            tick(104.999, 0.80),
            tick(107.0, 1.20),
            tick(119.9, 1.10),
        ],
    )
    # the first tick came after its periods' starts: those first candles are partial
    assert closed == [
        CandleClosed(Candle(A, 5, 100, 1.00, 1.50, 0.80, 0.80), "tick", partial=True),
        CandleClosed(Candle(A, 5, 105, 1.20, 1.20, 1.20, 1.20), "tick"),
    ]
    assert book.forming(A, 60) == Candle(A, 60, 60, 1.00, 1.50, 0.80, 1.10)
    assert book.forming(A, 5) == Candle(A, 5, 115, 1.10, 1.10, 1.10, 1.10)
    closed = book.on_tick(tick(120.0, 1.30))
    assert closed == [
        CandleClosed(Candle(A, 5, 115, 1.10, 1.10, 1.10, 1.10), "tick"),
        CandleClosed(Candle(A, 60, 60, 1.00, 1.50, 0.80, 1.10), "tick", partial=True),
    ]
    assert ohlc(book, A, 60) == [(60, 1.0, 1.5, 0.8, 1.1), (120, 1.3, 1.3, 1.3, 1.3)]
    assert book.closed_len(A, 60) == 1
    assert len(book.series(A, 60)) == 2
    assert book.stats.ticks == 6
    assert book.stats.closed_by_tick == 4


def test_series_last_element_is_the_forming_candle() -> None:
    book = CandleBook((60,))
    feed(book, [tick(60.0, 2.0), tick(70.0, 3.0), tick(80.0, 1.0), tick(90.0, 2.5)])
    s = book.series(A, 60)
    assert (s.start[-1], s.open[-1], s.high[-1], s.low[-1], s.close[-1]) == (60, 2, 3, 1, 2.5)
    assert book.closed_len(A, 60) == 0


def test_gaps_stay_gaps() -> None:
    book = CandleBook((60,))
    closed = feed(book, [tick(61.0, 1.0), tick(400.0, 2.0)])
    assert [c.candle.start for c in closed] == [60]
    assert book.series(A, 60).start.tolist() == [60, 360]


def test_close_by_clock_after_grace_exactly_once() -> None:
    book = CandleBook((5, 60))
    feed(book, [tick(121.0, 1.0), tick(178.0, 2.0)])
    assert book.on_clock(180.0) == []
    assert book.on_clock(180.0 + CLOSE_GRACE - 0.01) == []
    closed = book.on_clock(180.0 + CLOSE_GRACE)
    assert closed == [
        CandleClosed(Candle(A, 5, 175, 2.0, 2.0, 2.0, 2.0), "clock"),
        CandleClosed(Candle(A, 60, 120, 1.0, 2.0, 1.0, 2.0), "clock", partial=True),
    ]
    assert book.on_clock(300.0) == []
    assert book.forming(A, 60) is None
    assert book.closed_len(A, 60) == 1 and len(book.series(A, 60)) == 1
    assert book.stats.closed_by_clock == 2
    # a tick of the ended period arriving after the clock closed it is late
    assert book.on_tick(tick(179.5, 9.0)) == []
    assert book.stats.late_ticks == 1
    assert ohlc(book, A, 60) == [(120, 1.0, 2.0, 1.0, 2.0)]
    # the next period's first tick starts a candle and closes nothing twice
    assert book.on_tick(tick(181.2, 3.0)) == []
    assert book.forming(A, 60) == Candle(A, 60, 180, 3.0, 3.0, 3.0, 3.0)


def test_clock_leaves_running_candles_alone() -> None:
    book = CandleBook((60,))
    feed(book, [tick(121.0, 1.0)])
    assert book.on_clock(170.0) == []
    assert book.forming(A, 60) is not None


def test_late_tick_never_reopens_a_closed_candle() -> None:
    book = CandleBook((5, 60))
    feed(book, [tick(61.0, 1.0), tick(62.0, 1.1), tick(121.0, 1.2)])
    before = ohlc(book, A, 60)
    assert book.on_tick(tick(90.0, 50.0)) == []
    assert book.on_tick(tick(119.99, 0.01)) == []
    assert ohlc(book, A, 60) == before
    assert book.stats.late_ticks == 2
    assert book.closed_len(A, 60) == 1


def test_a_tick_behind_the_finest_timeframe_is_late_for_all() -> None:
    book = CandleBook((5, 60))
    feed(book, [tick(61.0, 1.0), tick(66.0, 1.1)])
    assert book.on_tick(tick(64.0, 9.0)) == []  # 5s candle 60..65 is closed
    assert book.stats.late_ticks == 1
    assert book.forming(A, 60) == Candle(A, 60, 60, 1.0, 1.1, 1.0, 1.1)


def test_duplicate_and_out_of_order_ticks() -> None:
    book = CandleBook((60,))
    feed(book, [tick(62.0, 1.0), tick(63.0, 1.2)])
    assert book.on_tick(tick(63.0, 1.2)) == []
    assert book.stats.duplicate_ticks == 1
    book.on_tick(tick(61.0, 0.5))  # older than the newest, same candle: open and low
    book.on_tick(tick(62.5, 2.0))  # high, but not the close
    assert book.forming(A, 60) == Candle(A, 60, 60, 0.5, 2.0, 0.5, 1.2)
    assert book.stats.out_of_order_ticks == 2
    book.on_tick(tick(63.0, 1.1))  # same time, new price: the close
    assert book.forming(A, 60) == Candle(A, 60, 60, 0.5, 2.0, 0.5, 1.1)
    assert ohlc(book, A, 60) == [(60, 0.5, 2.0, 0.5, 1.1)]


def test_assets_are_isolated() -> None:
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.05, 2.0, 3000)) + 1_756_866_000.0
    a_ticks = [tick(t, p, A) for t, p in zip(times, rng.uniform(1, 2, 3000), strict=True)]
    b_times = times + rng.uniform(-0.04, 0.04, 3000)
    b_ticks = [tick(t, p, B) for t, p in zip(b_times, rng.uniform(50, 60, 3000), strict=True)]
    mixed = CandleBook((5, 60, 300))
    closed = feed(mixed, [x for pair in zip(a_ticks, b_ticks, strict=True) for x in pair])
    for asset, ticks in ((A, a_ticks), (B, b_ticks)):
        alone = CandleBook((5, 60, 300))
        alone_closed = feed(alone, ticks)
        assert [c for c in closed if c.candle.asset == asset] == alone_closed
        for tf in (5, 60, 300):
            assert ohlc(mixed, asset, tf) == ohlc(alone, asset, tf)
    assert sorted(mixed.assets()) == sorted([A, B])
    assert mixed.stats.late_ticks == 0


def test_every_candle_closed_exactly_once() -> None:
    rng = np.random.default_rng(11)
    times = np.cumsum(rng.exponential(3.0, 5000)) + 1000.0
    book = CandleBook((5, 15, 60, 300))
    closed: list[CandleClosed] = []
    for i, (t, p) in enumerate(zip(times, rng.uniform(1, 2, 5000), strict=True)):
        closed += book.on_tick(tick(t, p))
        if i % 7 == 0:
            closed += book.on_clock(t + rng.uniform(0, 5))
    keys = [(c.candle.timeframe, c.candle.start) for c in closed]
    assert len(keys) == len(set(keys))
    for tf in (5, 15, 60, 300):
        n = book.closed_len(A, tf)
        s = book.series(A, tf)
        announced = sorted(
            (c.candle for c in closed if c.candle.timeframe == tf), key=lambda c: c.start
        )
        assert [c.start for c in announced] == s.start[:n].tolist()
        assert [c.close for c in announced] == s.close[:n].tolist()
        assert [c.open for c in announced] == s.open[:n].tolist()


def test_updates_write_in_place() -> None:
    book = CandleBook((60,))
    book.on_tick(tick(60.5, 1.0))
    s = book.series(A, 60)
    close_view = s.close
    addresses = [b.__array_interface__["data"][0] for b in s.buffers()]
    for i in range(1, 50):
        book.on_tick(tick(60.5 + i, 1.0 + i / 100))
    assert [b.__array_interface__["data"][0] for b in s.buffers()] == addresses
    assert close_view[-1] == pytest.approx(1.49)
    assert np.shares_memory(book.series(A, 60).close, close_view)


def test_unknown_asset_and_timeframe() -> None:
    book = CandleBook((60, 300))
    assert len(book.series("NOPE", 60)) == 0
    assert book.forming("NOPE", 60) is None
    assert book.closed_len("NOPE", 300) == 0
    assert book.assets() == []
    book.on_tick(tick(1.0, 1.0))
    with pytest.raises(KeyError):
        book.series(A, 5)
    with pytest.raises(KeyError):
        book.series("NOPE", 5)


@pytest.mark.parametrize("timeframes", [(), (7,), (60, 61)])
def test_rejects_unknown_timeframes(timeframes: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="timeframes"):
        CandleBook(timeframes)


@pytest.mark.parametrize(
    ("t", "p"),
    [
        (float("nan"), 1.0),
        (float("inf"), 1.0),
        (float("-inf"), 1.0),
        (130.0, 0.0),
        (130.0, -1.0),
        (130.0, float("nan")),
        (130.0, float("inf")),
    ],
)
def test_bad_ticks_are_counted_and_change_nothing(t: float, p: float) -> None:
    book = CandleBook((5, 60))
    feed(book, [tick(121.0, 1.0), tick(125.5, 1.1)])
    before = {tf: ohlc(book, A, tf) for tf in (5, 60)}
    assert book.on_tick(tick(t, p)) == []
    assert {tf: ohlc(book, A, tf) for tf in (5, 60)} == before
    assert book.stats.bad_input == 1
    book.on_tick(tick(126.0, 1.2))
    assert book.forming(A, 60) == Candle(A, 60, 120, 1.0, 1.2, 1.0, 1.2)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([A, B]),
            st.one_of(st.floats(allow_nan=True), st.floats(1e9, 1e9 + 2000)),
            st.one_of(st.floats(allow_nan=True), st.floats(0.5, 2.0)),
            st.one_of(st.none(), st.floats(allow_nan=True)),
        ),
        max_size=100,
    )
)
def test_no_input_escapes_as_an_exception(
    items: list[tuple[str, float, float, float | None]],
) -> None:
    book = CandleBook((5, 60, 300))
    closed: list[CandleClosed] = []
    for asset, t, p, clock in items:
        closed += book.on_tick(tick(t, p, asset))
        if clock is not None:
            closed += book.on_clock(clock)
    keys = [(c.candle.asset, c.candle.timeframe, c.candle.start) for c in closed]
    assert len(keys) == len(set(keys))
    for asset in book.assets():
        for tf in (5, 60, 300):
            s = book.series(asset, tf)
            assert bool(np.all(np.diff(s.start) > 0))
            assert bool(np.all(np.isfinite(s.close)))
            assert bool(np.all(s.low <= s.high))
