"""The sweep's cost per combination, and what a second worker buys.

1. One lone backtest (strategy signals + outcomes, as ``qfdesk backtest`` runs it) over N
   candles (default 1 000 000), best of a few runs.
2. A sweep of C combinations (default 200, sma-cross fast x slow) over the same candles with
   one worker: its time per combination against the lone backtest (goal: at most 1.2x; the
   walk-forward and PBO analysis is included; each distinct SMA is computed once).
3. The same sweep with two worker processes started as ``qfdesk sweep`` starts them (forked,
   on Linux), their start and the trades of the walk-forward's choices sent back included:
   the speed-up over one (goal: at least 1.7x on 2 cores).
4. The same with two workers started as the app's Sweep tab starts them (spawned: each
   imports the engine and is sent the candles).
The sweeps run twice, in turn, and the best of each counts. Figures are wall time; the
machine's other load hits them alike only if it is quiet (the load average is printed).

Run: ``python benchmarks/bench_sweep.py [N] [C]``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from functools import partial

import numpy as np

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.research.grid import build_grid
from qfdesk.engine.research.report import analyse
from qfdesk.engine.research.runner import (
    SPAWN,
    SweepTask,
    command_line_start,
    keep_freed_memory,
    run_local,
)
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


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (the workers)."""
    own, ended = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def measured(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()``: on a shared machine the CPU seconds tell whether the
    workers did more work than one process, whatever the others' load did to the wall."""
    cpu = cpu_seconds()
    wall = timed(fn)
    return wall, cpu_seconds() - cpu


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

    def sweep(workers: int, start: str = SPAWN) -> None:
        scan = run_local(task, settings, grid.combinations, workers, start=start)
        analyse(scan, grid, n, settings)

    forked = command_line_start()
    keep_freed_memory()  # as qfdesk sweep does for the sweep in its own process
    runs: dict[str, list[tuple[float, float]]] = {"one": [], "two": [], "spawned": []}
    for _ in range(2):
        runs["one"].append(measured(lambda: sweep(1)))
        runs["two"].append(measured(lambda: sweep(2, forked)))
        runs["spawned"].append(measured(lambda: sweep(2, SPAWN)))
    (one, one_cpu), (two, two_cpu), (spawned, spawned_cpu) = (min(r) for r in runs.values())
    per = one / grid.tried
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{n:,} candles, {grid.tried} combinations")
    print(f"lone backtest            {lone * 1e3:8.1f} ms")
    print(f"sweep, 1 worker          {one:8.2f} s  = {per * 1e3:.1f} ms a combination")
    print(f"  per combination / lone backtest: {per / lone:.2f}x (goal <= 1.2x)")
    print(f"sweep, 2 workers ({forked})  {two:8.2f} s")
    print(f"  speed-up 2 workers / 1: {one / two:.2f}x (goal >= 1.7x)")
    print(f"sweep, 2 workers (spawn) {spawned:8.2f} s: {one / spawned:.2f}x (the app's way)")
    print(
        f"CPU seconds: 1 worker {one_cpu:.2f}, 2 workers ({forked}) {two_cpu:.2f}, "
        f"2 workers (spawn) {spawned_cpu:.2f}"
    )


if __name__ == "__main__":
    main()
