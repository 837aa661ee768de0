"""The validating history loader vs a bare ``pandas.read_csv`` of the same files.

Writes 1M one-minute candles (10 assets, a random walk, prices of five decimals) with the
collector's own ``CsvSink`` in files of 100,000 rows, then times, alternately in the same run:

- bare read: ``pandas.read_csv`` of every file with its defaults, concatenated (no checks);
- loader: ``load_history`` of the folder (every row checked, series built).

Times are process CPU time, the median of the runs, so other load on the machine does not
inflate them. Goal: the loader at most 1.5x the bare read.
Run: ``python benchmarks/bench_history.py [CANDLES] [RUNS]`` (default 1000000 5).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import Candle
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.persist_settings import PersistSettings

ASSETS = 10
ROWS_PER_FILE = 100_000
T0 = 1_761_183_840  # 2025-10-23 01:44:00


def write_candles(root: Path, total: int) -> CsvSink:
    """``total`` one-minute candles of ``ASSETS`` random walks, written by ``CsvSink``."""
    rng = np.random.default_rng(1)
    settings = PersistSettings(True, False, candle_chunk=ROWS_PER_FILE)
    sink = CsvSink(root, settings, session="20251023T014400Z-1-abcd")
    per_asset = total // ASSETS
    for k in range(ASSETS):
        walk = 1.1 * np.exp(np.cumsum(rng.normal(0, 2e-4, per_asset + 1)))
        opens, closes = np.round(walk[:-1], 5), np.round(walk[1:], 5)
        highs = np.round(np.maximum(opens, closes) + rng.uniform(0, 2e-4, per_asset), 5)
        lows = np.round(np.minimum(opens, closes) - rng.uniform(0, 2e-4, per_asset), 5)
        rows = zip(opens.tolist(), highs.tolist(), lows.tolist(), closes.tolist(), strict=True)
        sink.write_candles(
            Candle(f"ASSET{k}_otc", 60, T0 + 60 * i, o, h, lo, c)
            for i, (o, h, lo, c) in enumerate(rows)
        )
    return sink


def cpu_seconds(work: Callable[[], object]) -> float:
    began = time.process_time()
    work()
    return time.process_time() - began


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = write_candles(root, total).files
        loaded = load_history(root)
        candles = sum(len(s) for s in loaded.series.values())
        assert (candles, loaded.problems) == (total, []), (candles, loaded.problems[:3])
        assert len(pd.concat([pd.read_csv(f) for f in files])) == total
        bare, loader = [], []
        for _ in range(runs):
            bare.append(cpu_seconds(lambda: pd.concat([pd.read_csv(f) for f in files])))
            loader.append(cpu_seconds(lambda: load_history(root)))
    b, lo = statistics.median(bare), statistics.median(loader)
    print(f"{total:,} candles in {len(files)} files, median of {runs} runs (CPU seconds)")
    print(f"  bare pandas.read_csv  {b:.3f} s")
    print(f"  load_history          {lo:.3f} s  {lo / b:.2f}x the bare read (goal <= 1.5x)")


if __name__ == "__main__":
    main()
