"""Loading candles from the Parquet archive vs from the CSV files it was built from.

Writes CANDLES one-minute candles (10 assets, a random walk, prices of five decimals) with
the collector's own ``CsvSink`` in files of 100,000 rows, builds the archive
(``qfdesk archive``'s ``update_archive``), checks that both give the same series, then times,
alternately in the same run:

- CSVs: ``load_csv_history`` of the data root (every row checked, series built);
- archive: ``load_history`` of the same root, which reads the archive (and finds no CSV
  newer than it).

Times are wall-clock (pyarrow reads with threads), the median of the runs; process CPU time
is printed beside them. Goal: the archive at least 20x faster. Also timed once: the first
build, and an update after one file grew (one partition rewritten).
Run: ``python benchmarks/bench_archive.py [CANDLES] [RUNS]`` (default 10000000 3).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_history import ASSETS, T0, write_candles

from qfdesk.engine.archive_build import update_archive
from qfdesk.engine.events import Candle
from qfdesk.engine.history_loader import LoadedHistory, load_csv_history, load_history


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def same(a: LoadedHistory, b: LoadedHistory) -> bool:
    return sorted(a.series) == sorted(b.series) and all(
        np.array_equal(getattr(a.series[k], c), getattr(b.series[k], c))
        for k in a.series
        for c in ("start", "open", "high", "low", "close")
    )


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        began = time.perf_counter()
        sink = write_candles(root, total)
        print(
            f"wrote {total:,} candles in {len(sink.files)} CSV files in "
            f"{time.perf_counter() - began:.0f} s"
        )
        build, _ = timed(lambda: update_archive(root))
        csvs, archived = load_csv_history(root), load_history(root)
        assert sum(len(s) for s in csvs.series.values()) == total and not csvs.problems
        assert same(csvs, archived), "the archive differs from the CSVs"
        del csvs, archived
        from_csv, from_archive = [], []
        for _ in range(runs):
            from_csv.append(timed(lambda: load_csv_history(root)))
            from_archive.append(timed(lambda: load_history(root)))
        sink.write_candles(
            [Candle("ASSET9_otc", 60, T0 + 60 * (total // ASSETS), 1.1, 1.2, 1.0, 1.1)]
        )
        update, _ = timed(lambda: update_archive(root))
    csv_wall = statistics.median(w for w, _ in from_csv)
    csv_cpu = statistics.median(c for _, c in from_csv)
    arc_wall = statistics.median(w for w, _ in from_archive)
    arc_cpu = statistics.median(c for _, c in from_archive)
    print(f"{total:,} candles, median of {runs} runs")
    print(f"  CSVs     load_csv_history  {csv_wall:.3f} s wall ({csv_cpu:.3f} s CPU)")
    print(f"  archive  load_history      {arc_wall:.3f} s wall ({arc_cpu:.3f} s CPU)")
    print(
        f"  archive {csv_wall / arc_wall:.1f}x faster (CPU {csv_cpu / arc_cpu:.1f}x; goal >= 20x)"
    )
    print(f"  first build {build:.1f} s; update after one file grew {update:.2f} s")


if __name__ == "__main__":
    main()
