"""A partial first candle is drawn but never written; history that covers it writes it whole.

Frames go through the collector's own path (decoder, clock, candle book, CSV sink) onto real
files, which are read back with the history loader.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from decoder_entries import TRADING, binary_event

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import Candle, Tick
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline

REALTIME = Path("data_output/assets_data/realtime_stream")
A = "EURGBP_otc"
T0 = 1756866600  # a whole hour of platform time
OFFSET = 7200.0  # the platform clock's lead over UTC


def live(t: float, p: float) -> list[dict]:
    """One tick as the page receives it, logged when it happened (wall clock = t - 7200 s)."""
    return binary_event(TRADING, "updateStream", [A, t, p], wall_ms=round((t - OFFSET) * 1000))


def prices(times: list[float]) -> list[float]:
    return [round(0.87 + ((i * 37) % 23) * 1e-5, 5) for i in range(len(times))]


def collect(root: Path, batches: list[list[dict]], timeframes=(5, 60)) -> Pipeline:
    pipeline = Pipeline(timeframes, CsvSink(root, PersistSettings(True, False), "test-session"))
    for batch in batches:
        pipeline.feed(batch)
    return pipeline


def written(root: Path, timeframe: int) -> dict[int, tuple[float, float, float, float]]:
    if not (root / REALTIME).exists():
        return {}
    history = load_history(root / REALTIME)
    assert history.problems == []
    s = history.series.get((A, timeframe))
    if s is None:
        return {}
    cols = (s.open, s.high, s.low, s.close)
    return dict(zip(s.start.tolist(), zip(*(c.tolist() for c in cols), strict=True), strict=True))


def reference(ticks: list[tuple[float, float]], timeframe: int) -> dict[int, Candle]:
    """Candles of a book that saw every tick from before each period's start."""
    book = CandleBook((timeframe,))
    for t, p in ticks:
        book.on_tick(Tick(A, t, p))
    s = book.series(A, timeframe)
    return {
        int(s.start[i]): Candle(A, timeframe, int(s.start[i]), *map(float, (
            s.open[i], s.high[i], s.low[i], s.close[i])))
        for i in range(len(s))
    }  # fmt: skip


def test_attached_mid_candle_the_first_candle_is_drawn_not_written_and_the_next_are(
    tmp_path: Path,
) -> None:
    times = [T0 + 32.3 + k * 0.5 for k in range(240)]  # attached 32.3 s into the minute
    ticks = list(zip(times, prices(times), strict=True))
    batches = [[e for t, p in ticks[i : i + 20] for e in live(t, p)] for i in range(0, 240, 20)]
    pipeline = collect(tmp_path, batches)
    pipeline.on_wall_clock(times[-1] - OFFSET + 60)
    minutes, fives = written(tmp_path, 60), written(tmp_path, 5)
    assert sorted(minutes) == [T0 + 60, T0 + 120]  # not T0, the minute attached in
    assert T0 + 30 not in fives  # nor the 5 s candle attached in
    assert sorted(fives) == list(range(T0 + 35, T0 + 155, 5))
    ref = reference([(T0 + 29.9, ticks[0][1]), *ticks], 5)  # seen from before each start
    for start, values in fives.items():
        assert Candle(A, 5, start, *values) == ref[start]
    # still drawn: the chart's series holds the partial candles
    assert pipeline.book.series(A, 60).start.tolist()[0] == T0
    assert pipeline.book.series(A, 5).start.tolist()[0] == T0 + 30


def test_history_that_covers_the_first_candle_completes_it_on_disk(tmp_path: Path) -> None:
    times = [T0 + 32.3 + k * 0.5 for k in range(150)]
    ticks = list(zip(times, prices(times), strict=True))
    before = [(T0 - 20.0 + k * 0.7, round(0.8712 + (k % 5) * 1e-5, 5)) for k in range(76)]
    history = {
        "asset": A,
        "period": 60,
        "history": [[t, p] for t, p in before],  # up to 32.5 s, past the first live tick
        "candles": [],
    }
    wall = round((before[-1][0] - OFFSET) * 1000)
    batches = [
        [e for t, p in ticks[:10] for e in live(t, p)],  # live first, history a moment later
        binary_event(TRADING, "updateHistoryNewFast", history, wall_ms=wall + 5000),
        [e for t, p in ticks[10:] for e in live(t, p)],
    ]
    pipeline = collect(tmp_path, batches)
    pipeline.on_wall_clock(times[-1] - OFFSET + 60)
    every = sorted({*before, *ticks})
    for timeframe, first in ((60, T0), (5, T0 + 30)):
        on_disk = written(tmp_path, timeframe)
        assert first in on_disk  # the partial candle was completed by the history
        ref = reference([(T0 - 60.0, every[0][1]), *every], timeframe)
        for start, values in on_disk.items():
            assert Candle(A, timeframe, start, *values) == ref[start], (timeframe, start)
    # the 5 s candle had closed (partial) when the history came, the minute was still forming
    stats = pipeline.book.stats
    assert (stats.partial_live, stats.partial_completed) == (1, 1)


def test_history_arriving_after_the_partial_candle_closed_writes_it_whole(
    tmp_path: Path,
) -> None:
    times = [T0 + 42.1 + k * 0.5 for k in range(100)]  # 10:42 .. 11:31.6
    ticks = list(zip(times, prices(times), strict=True))
    rows = [[T0 - 60, 0.871, 0.8712, 0.8715, 0.8705], [T0, 0.8711, 0.87009, 0.8723, 0.87]]
    batches = [
        [e for t, p in ticks for e in live(t, p)],
        binary_event(
            TRADING,
            "updateHistoryNewFast",
            {"asset": A, "period": 60, "history": [], "candles": rows[::-1]},
            wall_ms=round((times[-1] - OFFSET) * 1000),
        ),
    ]
    pipeline = collect(tmp_path, batches[:1], timeframes=(60,))
    assert written(tmp_path, 60) == {}  # the minute attached in closed partial: not written
    pipeline.feed(batches[1])
    on_disk = written(tmp_path, 60)
    live_part = [p for t, p in ticks if t < T0 + 60]
    assert on_disk[T0] == (
        0.8711,
        max(0.8723, *live_part),
        min(0.87, *live_part),
        0.87009,  # the history ran to the minute's end, after the last live tick
    )
    assert on_disk[T0 - 60] == (0.871, 0.8715, 0.8705, 0.8712)
    assert pipeline.book.stats.partial_completed == 1


def test_the_real_capture_writes_no_first_candle_its_history_does_not_cover(
    capture_path: Path, tmp_path: Path
) -> None:
    lines = capture_path.read_text().splitlines()
    pipeline = collect(tmp_path, [lines[i : i + 25] for i in range(0, len(lines), 25)])
    pipeline.finish()
    history = load_history(tmp_path / REALTIME)
    assert history.problems == []
    live_times: dict[str, list[float]] = {}
    for event in Pipeline((5,)).decoder.feed_many(lines):
        if type(event) is Tick:
            live_times.setdefault(event.asset, []).append(event.time)
    assert len(live_times) == 15
    for asset, times in live_times.items():
        first = int(times[0] // 5 * 5)
        s = history.series.get((asset, 5))
        starts = set() if s is None else set(s.start.tolist())
        # EURGBP_otc's history ticks came after its first live ones and cover them
        assert (first in starts) == (asset == A), asset
        # every later 5 s period that holds a tick and has ended was written
        ended = {int(t // 5 * 5) for t in times if int(t // 5 * 5) + 5 <= times[-1]}
        assert ended - {first} <= starts, asset


def test_after_six_restarts_every_candle_on_disk_is_exact(tmp_path: Path) -> None:
    """The reported case: six collector restarts, each attaching mid-candle. Every written
    candle equals the one an uninterrupted collector builds; none is built from part of its
    period, and every period one session saw whole is written."""
    times = [T0 + 0.37 + k * 0.5 for k in range(1440)]  # 12 minutes
    ticks = list(zip(times, prices(times), strict=True))
    cuts = [0, 131, 377, 502, 811, 1003, 1250, len(ticks)]  # six restarts
    for n, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        session = ticks[lo:hi]
        sink = CsvSink(tmp_path, PersistSettings(True, False), f"restart-{n}")
        pipeline = Pipeline((5, 60), sink)
        for i in range(0, len(session), 10):
            pipeline.feed([e for t, p in session[i : i + 10] for e in live(t, p)])
    for timeframe in (5, 60):
        ref = reference([(T0 - 1.0, ticks[0][1]), *ticks], timeframe)
        on_disk = written(tmp_path, timeframe)
        for start, values in on_disk.items():
            assert Candle(A, timeframe, start, *values) == ref[start], (timeframe, start)
        whole = {
            start
            for start in ref
            for lo, hi in itertools.pairwise(cuts)
            if ticks[lo][0] <= start and start + timeframe + 1.0 <= ticks[hi - 1][0]
        }
        assert whole <= set(on_disk)
    # each session loses at most its first (partial) and its last (still forming) 5 s candle
    assert len(written(tmp_path, 5)) >= len(reference(ticks, 5)) - 2 * (len(cuts) - 1)
