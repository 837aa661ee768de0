"""The sweep's cost per combination, and what a second worker buys.

1. One lone backtest (strategy signals + outcomes, as ``qfdesk backtest`` runs it) over N
   candles (default 1 000 000), best of a few runs.
2. A sweep of C combinations (default 200, sma-cross fast x slow) over the same candles with
   one worker: its time per combination against the lone backtest (goal: at most 1.2x; the
   walk-forward and PBO analysis is included; each distinct SMA is computed once).
3. The same sweep with two worker processes (their start, the candles sent to them and the
   trades of the walk-forward's choices sent back included): the speed-up over one (goal:
   at least 1.7x on 2 cores).
The two sweeps run twice, one after the other, and the best of each counts. Figures are wall
time; the machine's other load hits them alike only if it is quiet.

Run: ``python benchmarks/bench_sweep.py [N] [C]``.
"""

from __future__ import annotations

import os
import sys
import time
from functools import partial

import numpy as np

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.research.grid import build_grid
from qfdesk.engine.research.report import analyse
from qfdesk.engine.research.runner import SweepTask, run_local
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.trades import Columns
from qfdesk.engine.strategies import StrategyRegistry


def candles(n: int) -> Columns:
    rng = np.random.default_rng(7)
    close = 1.1 + np.cumsum(rng.normal(0, 1e-4, n))
    open_ = np.concatenate(([1.1], close[:-1]))
    start = 1_700_000_040 + 60 * np.arange(n, dtype=np.int64)
    return Columns(start, open_, np.maximum(open_, close), np.minimum(open_, close), close)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    registry = StrategyRegistry()
    data = candles(n)
    config = BacktestConfig(60, 92.0)
    fast = max(1, wanted // 20)
    grid = build_grid(
        lambda p: registry.create("sma-cross", p),
        [f"fast=2..{1 + fast}", f"slow={fast + 10}..{fast + 29}"],
        {"expiry": 60},
    )
    task = SweepTask(data, 60, "sma-cross", None, config)
    settings = SweepSettings(92.0)
    lone = min(
        timed(partial(run_backtest, data, 60, registry.create("sma-cross", p), config))
        for p in grid.combinations[:3]
    )

    def sweep(workers: int) -> None:
        analyse(run_local(task, settings, grid.combinations, workers), grid, n, settings)

    ones, twos = [], []
    for _ in range(2):
        ones.append(timed(lambda: sweep(1)))
        twos.append(timed(lambda: sweep(2)))
    one, two = min(ones), min(twos)
    per = one / grid.tried
    print(f"machine: {os.cpu_count()} cores; {n:,} candles, {grid.tried} combinations")
    print(f"lone backtest            {lone * 1e3:8.1f} ms")
    print(f"sweep, 1 worker          {one:8.2f} s  = {per * 1e3:.1f} ms a combination")
    print(f"  per combination / lone backtest: {per / lone:.2f}x (goal <= 1.2x)")
    print(f"sweep, 2 workers         {two:8.2f} s")
    print(f"  speed-up 2 workers / 1: {one / two:.2f}x (goal >= 1.7x)")


if __name__ == "__main__":
    main()
