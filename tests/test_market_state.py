"""One market state: the pipeline's book, and a copy kept only from the updates it publishes.

After every batch (ticks, history pages, history ticks, clock closes, candles read back from
disk) the copy holds exactly what the book holds, at every timeframe; candles read from disk
reach the copy but are never written again.
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import (
    Candle,
    Event,
    HistoryCandles,
    HistoryTicks,
    MarketUpdate,
    Tick,
)
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.market_state import MarketCopy
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.timeframes import TIMEFRAMES

A, B = "EURUSD_otc", "GBPUSD_otc"
T0 = 1_756_866_600  # a whole hour of platform time
OFFSET = 7200.0


class Follower:
    """A pipeline listener keeping a copy from the updates, as the GUI does."""

    def __init__(self, pipeline: Pipeline, *, yielding: bool = False) -> None:
        self.copy = MarketCopy()
        self.updates: list[MarketUpdate] = []
        self.yielding = yielding
        pipeline.add_listener(self.on_events)

    def on_events(self, events: list[Event]) -> None:
        if self.yielding:
            time.sleep(0)  # let another thread run, as handing a batch on may
        for event in events:
            if type(event) is MarketUpdate:
                self.updates.append(event)
                self.copy.apply(event)


def assert_same(copy: MarketCopy, book: CandleBook) -> None:
    for asset in book.assets():
        for tf in book.timeframes:
            mine, theirs = copy.series(asset, tf), book.series(asset, tf)
            assert copy.closed_len(asset, tf) == book.closed_len(asset, tf), (asset, tf)
            for a, b in (
                (mine.start, theirs.start),
                (mine.open, theirs.open),
                (mine.high, theirs.high),
                (mine.low, theirs.low),
                (mine.close, theirs.close),
            ):
                np.testing.assert_array_equal(a, b, err_msg=f"{asset} {tf}")


def test_the_copy_holds_what_the_book_holds_after_every_batch_of_the_real_capture(
    capture_path: Path,
) -> None:
    with capture_path.open(encoding="utf-8") as lines:
        entries = [json.loads(line) for line in lines]
    pipeline = Pipeline(TIMEFRAMES.values(), publish=True)
    follower = Follower(pipeline)
    rng = random.Random(3)
    i = 0
    while i < len(entries):
        n = rng.choice((1, 2, 5, 40, 300))
        pipeline.feed(entries[i : i + n])
        i += n
        assert_same(follower.copy, pipeline.book)
    pipeline.on_wall_clock(entries[-1]["timestamp"] / 1000 + 120)
    assert_same(follower.copy, pipeline.book)
    assert pipeline.book.stats.ticks > 100 and pipeline.book.stats.history_candles > 100
    assert follower.copy.clock_offset == pipeline.clock.offset
    assert any(u.history for u in follower.updates), "history rebuilt series on the way"


def random_session(rng: random.Random) -> list[list[Event]]:
    """Batches of live ticks on two assets, with history pages (older, overlapping, covering
    the partial first candles) and history ticks mixed in."""
    batches: list[list[Event]] = []
    t = {A: T0 + 37.3, B: T0 + 12.9}
    price = {A: 1.1, B: 1.3}
    for k in range(120):
        batch: list[Event] = []
        for _ in range(rng.randint(0, 6)):
            asset = rng.choice((A, B))
            t[asset] += rng.uniform(0.05, 4.0)
            price[asset] = round(price[asset] * (1 + rng.gauss(0, 0.001)), 5)
            batch.append(Tick(asset, round(t[asset], 3), price[asset], t[asset] - OFFSET))
        if k in (10, 40, 70):
            asset = rng.choice((A, B))
            first = T0 - 60 * rng.randint(1, 30)
            candles = []
            for start in range(first, T0 + 60 * rng.randint(0, 2), 60):
                o, c = 1.1 + rng.random() * 0.01, 1.1 + rng.random() * 0.01
                candles.append(Candle(asset, 60, start, o, max(o, c) + 0.001, min(o, c), c))
            batch.append(HistoryCandles(asset, 60, tuple(candles), "loadHistoryPeriodFast"))
        if k in (25, 90):
            asset = rng.choice((A, B))
            ticks = tuple(
                Tick(asset, T0 - 30 + 0.7 * j, round(1.1 + rng.random() * 0.01, 5))
                for j in range(int((t[asset] - T0 + 30) / 0.7))
            )
            batch.append(HistoryTicks(asset, ticks))
        batches.append(batch)
    return batches


@pytest.mark.parametrize("seed", range(6))
def test_the_copy_holds_what_the_book_holds_through_history_partials_and_clock(seed) -> None:
    rng = random.Random(seed)
    pipeline = Pipeline(TIMEFRAMES.values(), publish=True)
    follower = Follower(pipeline)
    for batch in random_session(rng):
        pipeline.feed_events(batch)
        assert_same(follower.copy, pipeline.book)
        if rng.random() < 0.3:
            newest = max((e.time for e in batch if type(e) is Tick), default=T0)
            pipeline.on_wall_clock(newest - OFFSET + rng.uniform(0, 70))
            assert_same(follower.copy, pipeline.book)
    stats = pipeline.book.stats
    assert stats.partial_live and stats.history_candles and stats.history_ticks


def test_updates_are_immutable_and_carry_the_clock_offset() -> None:
    pipeline = Pipeline((5, 60), publish=True)
    follower = Follower(pipeline)
    pipeline.feed_events([Tick(A, T0 + 1.0, 1.1, T0 + 1.0 - OFFSET)])
    history = HistoryCandles(A, 60, (Candle(A, 60, T0 - 60, 1.0, 1.2, 0.9, 1.1),), "x")
    pipeline.feed_events([history])
    first, second = follower.updates
    assert first.clock_offset == OFFSET
    (forming,) = first.forming
    assert forming.asset == A and sorted(row[:2] for row in forming.rows) == [(5, T0), (60, T0)]
    with pytest.raises(AttributeError):
        first.clock_offset = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        forming.close = 0.0  # type: ignore[misc]
    (whole,) = [h for h in second.history if h.timeframe == 60]
    assert whole.start.tolist() == [T0 - 60, T0] and whole.closed == 1
    with pytest.raises(ValueError):
        whole.ohlc[0, 0] = 2.0


def test_a_pipeline_that_does_not_publish_sends_no_updates() -> None:
    pipeline = Pipeline((60,))
    follower = Follower(pipeline)
    pipeline.feed_events([Tick(A, T0 + 1.0, 1.1, T0 + 1.0 - OFFSET)])
    assert follower.updates == []


def test_candles_read_from_disk_reach_the_copy_and_are_never_written_again(
    tmp_path: Path,
) -> None:
    sink = CsvSink(tmp_path, PersistSettings(save_candles=True, save_ticks=False), "s")
    pipeline = Pipeline((60, 300), sink, publish=True)
    follower = Follower(pipeline)
    disk = CandleSeries(A, 60)
    for k in range(30):
        disk.append(T0 - 1800 + 60 * k, 1.0, 1.2, 0.9, 1.1)
    taken = pipeline.add_stored_history([disk])
    assert taken > 0 and sink.candles_written == 0, "on disk already: not written again"
    assert {c.by for u in follower.updates for c in u.closed} == {"disk"}
    assert_same(follower.copy, pipeline.book)
    assert follower.copy.closed_len(A, 60) == 29, "the newest stays forming until time says"
    assert len(follower.copy.series(A, 60)) == 30
    assert follower.copy.series(A, 60).start[0] == T0 - 1800

    # Live ticks continue the disk history in the same book; only they are written.
    for k in range(130):
        t = T0 + 0.5 * k
        pipeline.feed_events([Tick(A, t, 1.1 + k * 1e-5, t - OFFSET)])
    assert_same(follower.copy, pipeline.book)
    loaded = load_history(tmp_path)
    assert loaded.series[(A, 60)].start.tolist() == [T0], "the first live minute, whole"
    assert sink.candles_written == 1, "the disk candles that were forming are not written"
    assert follower.copy.closed_len(A, 60) == 31


def test_the_copy_warms_strategies_up_with_its_closed_candles_only() -> None:
    pipeline = Pipeline((5,), publish=True)
    follower = Follower(pipeline)
    for k in range(12):
        t = T0 + 2.0 * k
        pipeline.feed_events([Tick(A, t, 1.0 + k, t - OFFSET)])
    candles = follower.copy.closed_candles(A, 5)
    assert [c.start for c in candles] == [T0, T0 + 5, T0 + 10, T0 + 15]
    assert candles[0] == Candle(A, 5, T0, 1.0, 3.0, 1.0, 3.0)
    assert all(type(c.start) is int for c in candles)
    assert follower.copy.series(A, 5).start[-1] == T0 + 20, "the forming candle is last"


def test_updates_built_on_three_threads_reach_the_copy_in_the_order_they_were_built() -> None:
    pipeline = Pipeline(TIMEFRAMES.values(), publish=True)
    follower = Follower(pipeline, yielding=True)
    latest = [T0 - OFFSET]
    done = threading.Event()

    def tail() -> None:
        rng = random.Random(9)
        t, price = T0 + 0.3, 1.1
        for _ in range(1500):
            t += rng.uniform(0.05, 0.6)
            price = round(price * (1 + rng.gauss(0, 0.001)), 5)
            pipeline.feed_events([Tick(A, round(t, 3), price, t - OFFSET)])
            latest[0] = t - OFFSET
        done.set()

    def housekeeping() -> None:
        while not done.wait(0.0005):
            pipeline.on_wall_clock(latest[0] + 1.5)

    def loader() -> None:
        disk = CandleSeries(A, 60)
        for k in range(200):
            disk.append(T0 - 12_000 + 60 * k, 1.0, 1.2, 0.9, 1.1)
        pipeline.add_stored_history([disk])

    threads = [threading.Thread(target=f) for f in (tail, housekeeping, loader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    pipeline.on_wall_clock(latest[0] + 120)
    assert_same(follower.copy, pipeline.book)
    assert pipeline.book.stats.closed_by_clock > 0
