"""CandleBook against the real capture: candles built from the platform's history ticks equal
the platform's own history candles, and history plus live ticks make one gapless series."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import CandleClosed, Event, HistoryCandles, HistoryTicks, Tick

ASSET = "EURGBP_otc"


@pytest.fixture(scope="module")
def events(capture_path: Path) -> list[Event]:
    with capture_path.open(encoding="utf-8") as lines:
        return FrameDecoder().feed_many([json.loads(line) for line in lines])


def replay(book: CandleBook, events: list[Event]) -> list[CandleClosed]:
    closed: list[CandleClosed] = []
    for event in events:
        if isinstance(event, Tick):
            closed += book.on_tick(event)
        elif isinstance(event, HistoryCandles):
            closed += book.on_history_candles(event)
        elif isinstance(event, HistoryTicks):
            closed += book.on_history_ticks(event)
    return closed


def test_minutes_from_history_ticks_equal_the_platform_candles(events: list[Event]) -> None:
    (ticks,) = [e for e in events if isinstance(e, HistoryTicks)]
    platform = {c.start: c for e in events if isinstance(e, HistoryCandles) for c in e.candles}
    book = CandleBook((60,))
    book.on_history_ticks(ticks)
    s = book.series(ASSET, 60)
    n = book.closed_len(ASSET, 60)
    both = [i for i in range(n) if int(s.start[i]) in platform]
    assert len(both) >= 9
    for i in both:
        c = platform[int(s.start[i])]
        assert (s.open[i], s.high[i], s.low[i], s.close[i]) == (c.open, c.high, c.low, c.close)


def test_replay_makes_one_gapless_series_per_timeframe(events: list[Event]) -> None:
    timeframes = (5, 60, 300, 900, 3600, 14400)
    book = CandleBook(timeframes)
    closed = replay(book, events)
    keys = Counter(
        (c.candle.asset, c.candle.timeframe, c.candle.start) for c in closed if not c.partial
    )
    assert max(keys.values()) == 1  # every whole candle announced once
    # live ticks come first in the capture: the first candle of each asset and timeframe is
    # partial, and where the history ticks that follow cover it, it comes again whole
    partial = [(c.candle.asset, c.candle.timeframe, c.candle.start) for c in closed if c.partial]
    assert len(partial) == len(set(partial)) >= len({t.asset for t in events if type(t) is Tick})
    assert ((ASSET, 5, 1756866770) in partial) and keys[(ASSET, 5, 1756866770)] == 1
    minutes = book.series(ASSET, 60)
    assert np.all(np.diff(minutes.start) == 60)  # history pages, history ticks and live: no gap
    assert len(minutes) >= 240
    assert book.forming(ASSET, 60) is not None
    assert book.forming(ASSET, 60).start == 1756866780  # the minute the capture ends in
    for tf in timeframes:
        s = book.series(ASSET, tf)
        assert np.all(np.diff(s.start) > 0)
        assert np.all(s.start % tf == 0)
        assert np.all(s.high >= np.maximum(s.open, s.close))
        assert np.all(s.low <= np.minimum(s.open, s.close))
        announced = sorted(
            {c.candle.start for c in closed if c.candle.asset == ASSET and c.candle.timeframe == tf}
        )
        assert announced == s.start[: book.closed_len(ASSET, tf)].tolist()
    assert book.stats.late_ticks == 0
    assert book.stats.history_duplicates == 1  # the backward page overlaps by one candle


def test_replay_keeps_assets_apart(events: list[Event]) -> None:
    book = CandleBook((5, 60))
    replay(book, events)
    ticks = [e for e in events if isinstance(e, Tick)]
    assert set(book.assets()) == {t.asset for t in ticks}
    for asset in {t.asset for t in ticks} - {ASSET}:
        own = [t for t in ticks if t.asset == asset]
        alone = CandleBook((5, 60))
        for t in own:
            alone.on_tick(t)
        s, a = book.series(asset, 5), alone.series(asset, 5)
        assert s.start.tolist() == a.start.tolist()
        assert s.close.tolist() == a.close.tolist()
        assert s.low.min() >= min(t.price for t in own) and s.high.max() <= max(
            t.price for t in own
        )


def test_the_same_traffic_again_announces_nothing(events: list[Event]) -> None:
    book = CandleBook((5, 60, 300))
    replay(book, events)
    before = {tf: book.series(ASSET, tf).close.tolist() for tf in (5, 60, 300)}
    history_only = [e for e in events if isinstance(e, (HistoryCandles, HistoryTicks))]
    assert replay(book, history_only) == []  # a page reload sends the history again
    assert replay(book, events) == []
    assert {tf: book.series(ASSET, tf).close.tolist() for tf in (5, 60, 300)} == before
    assert book.stats.history_duplicates == 1 + 2 * 247  # 97 + 150 candles per pass
