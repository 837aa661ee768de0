"""The whole replay path vs the bare parse of the same log lines.

Builds a performance log in the real chromedriver format (``bench_decode.build_log``:
several assets, one-frame ticks on a second socket, pings on a third, interleaved), then
times, in the same run:

- bare parse: entry JSON, message JSON, base64 and attachment JSON of every line;
- replay path, no disk: ``Pipeline`` (decode, header pairing, clock, candles for 1m and 5m)
  fed in the batches ``qfdesk replay`` uses;
- replay path with disk: the same with a ``CsvSink`` saving candles and ticks.

Goal: the replay path without disk at most 1.5x the bare parse.
Run: ``python benchmarks/bench_replay.py [TICK_FRAMES]`` (default 1000000).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_decode import bare_parse, build_log

from qfdesk.commands.replay import BATCH_LINES
from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline, PipelineSummary

TIMEFRAMES = (60, 300)


def replay(lines: list[str], sink: CsvSink | None) -> PipelineSummary:
    pipeline = Pipeline(TIMEFRAMES, sink)
    for i in range(0, len(lines), BATCH_LINES):
        pipeline.feed(lines[i : i + BATCH_LINES])
    return pipeline.finish()


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    return min((timed(work) for _ in range(runs)), key=lambda pair: pair[0])


def main() -> None:
    tick_frames = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    lines = build_log(tick_frames)
    bare, _ = best_of(3, lambda: bare_parse(lines))
    path, summary = best_of(3, lambda: replay(lines, None))
    ticks = sum(summary.ticks_by_asset.values())
    assert ticks == tick_frames, (ticks, tick_frames)
    with tempfile.TemporaryDirectory() as root:
        settings = PersistSettings(save_candles=True, save_ticks=True)
        disk, disk_summary = timed(lambda: replay(lines, CsvSink(Path(root), settings)))
    print(f"log lines:                {len(lines):,} ({tick_frames:,} tick frames)")
    print(f"bare parse:               {bare:6.2f} s  {tick_frames / bare:>12,.0f} ticks/s")
    print(f"replay path, no disk:     {path:6.2f} s  {tick_frames / path:>12,.0f} ticks/s")
    print(f"replay path, disk on:     {disk:6.2f} s  {tick_frames / disk:>12,.0f} ticks/s")
    print(f"candles closed (1m, 5m):  {summary.candles_closed:,}")
    print(
        f"rows written with disk:   {disk_summary.ticks_written:,} ticks, "
        f"{disk_summary.candles_written:,} candles"
    )
    print(f"ratio no disk / bare:     {path / bare:.2f}x  (goal <= 1.5x)")
    print(f"ratio disk on / bare:     {disk / bare:.2f}x")


if __name__ == "__main__":
    main()
