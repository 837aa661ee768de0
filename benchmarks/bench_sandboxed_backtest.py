"""What running a trader's own strategy in a worker process costs the backtest dialog.

A trader's strategy (plain Python, one ``on_candle`` a candle) backtested over N candles
(default 1 000 000):

1. in this process, as ``qfdesk backtest`` runs it (the file imported here);
2. as the dialog runs it: a fresh worker process, the candles sent to it, the strategy's
   signals computed there and sent back as raw arrays, checked, and the trades made here
   (worker start included).

Both give the same statistics (checked in the run); the figure is the ratio of their wall
times, each the best of a few runs (goal: at most 1.3x at 1 000 000 candles; the worker's
start, about 0.2 s, is a fixed cost).

Run: ``python benchmarks/bench_sandboxed_backtest.py [N]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.sandboxed_backtest import WorkerPool, strategies_for
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import StrategyRegistry

USER_FILE = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class Momentum(Strategy):
    name = "momentum"
    PARAMS = {"n": Param(3, "candles back", int, minimum=1)}

    def reset(self):
        self.closes = []

    def on_candle(self, candle):
        self.closes = (self.closes + [candle.close])[-(self.params["n"] + 1):]
        if len(self.closes) <= self.params["n"]:
            return None
        if candle.close > self.closes[0]:
            return Vote(Direction.CALL, 0.6, "up")
        if candle.close < self.closes[0]:
            return Vote(Direction.PUT, 0.6, "down")
        return None
"""

RUNS = 3


def candles(n: int) -> CandleSeries:
    rng = np.random.default_rng(7)
    close = 1.1 + np.cumsum(rng.normal(0, 1e-4, n))
    open_ = np.concatenate(([1.1], close[:-1]))
    start = 1_700_000_040 + 60 * np.arange(n, dtype=np.int64)
    series = CandleSeries("EURUSD_otc", 60, capacity=n)
    series.insert_many(
        start, np.vstack([open_, np.maximum(open_, close), np.minimum(open_, close), close])
    )
    return series


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    series = candles(n)
    config = BacktestConfig(60, 92.0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mine.py"
        path.write_text(USER_FILE)
        here = StrategyRegistry(import_files=True)
        here.import_file(path)
        app = StrategyRegistry()
        app.load_file(path)

        def in_process() -> object:
            return run_backtest(series, 60, here.create("momentum", {"n": 2}), config).stats

        def sandboxed() -> object:
            pool = WorkerPool()
            try:
                (found,) = strategies_for(app, pool, series, [("momentum", {"n": 2})])
            finally:
                pool.close()
            return run_backtest(series, 60, found, config).stats

        times: dict[str, float] = {}
        stats: dict[str, object] = {}
        for name, run in (("in process", in_process), ("in a worker", sandboxed)):
            best = float("inf")
            for _ in range(RUNS):
                started = time.perf_counter()
                stats[name] = run()
                best = min(best, time.perf_counter() - started)
            times[name] = best
    assert stats["in process"] == stats["in a worker"], "the same figures either way"
    for name, seconds in times.items():
        print(f"{name:>12}: {seconds:.3f} s for {n:,} candles (best of {RUNS})")
    print(f"in a worker / in process: {times['in a worker'] / times['in process']:.2f}x")


if __name__ == "__main__":
    main()
