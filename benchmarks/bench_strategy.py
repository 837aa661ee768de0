"""Indicators, strategies and backtests at scale.

1. Every indicator over N candles (default 1 000 000), batch, against TA-Lib on the same
   arrays in the same run. Ours and TA-Lib's runs alternate (ABBA), so load on the shared
   machine hits both alike; each figure is the best of the runs, in CPU time (process_time)
   and wall time. Goal: within 2x of TA-Lib.
2. The incremental update per closed candle and the peek at the forming candle.
3. The live strategy runner per closed candle.
4. A backtest of each built-in strategy over N candles, signals included. Goal: under 2 s.

Run: ``python benchmarks/bench_strategy.py [N]``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np
import talib

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.events import Candle
from qfdesk.engine.indicators import batch, incremental
from qfdesk.engine.risk import RiskLimits, RiskManager
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import StrategyRegistry, StrategyRunner

INCREMENTAL_CANDLES = 200_000
RUNNER_CANDLES = 100_000
BATCH_RUNS = 15


def interleaved_best(
    ours: Callable[[], object], baseline: Callable[[], object], runs: int
) -> tuple[float, float, float, float]:
    """Best CPU and wall seconds of ``ours`` and ``baseline``, run alternately (ABBA)."""
    cpu = {ours: float("inf"), baseline: float("inf")}
    wall = dict(cpu)
    for i in range(runs):
        for fn in (ours, baseline) if i % 2 == 0 else (baseline, ours):
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            fn()
            wall[fn] = min(wall[fn], time.perf_counter() - started_wall)
            cpu[fn] = min(cpu[fn], time.process_time() - started_cpu)
    return cpu[ours], cpu[baseline], wall[ours], wall[baseline]


def best_of(fn: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def make_series(n: int) -> CandleSeries:
    rng = np.random.default_rng(42)
    close = np.round(1.1 * np.exp(np.cumsum(rng.normal(0.0, 0.0004, n))), 5)
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + np.round(rng.uniform(0, 0.0003, n), 5)
    low = np.minimum(open_, close) - np.round(rng.uniform(0, 0.0003, n), 5)
    series = CandleSeries("BENCH_otc", 60, capacity=n)
    for start, o, h, lo, c in zip(
        (np.arange(n) * 60).tolist(), open_.tolist(), high.tolist(), low.tolist(), close.tolist()
    ):
        series.append(start, o, h, lo, c)
    return series


def bench_batch(series: CandleSeries) -> None:
    h, lo, c = series.high.copy(), series.low.copy(), series.close.copy()
    cases = [
        ("SMA(20)", lambda: batch.sma(c, 20), lambda: talib.SMA(c, 20)),
        ("EMA(20)", lambda: batch.ema(c, 20), lambda: talib.EMA(c, 20)),
        ("RSI(14)", lambda: batch.rsi(c, 14), lambda: talib.RSI(c, 14)),
        ("MACD(12,26,9)", lambda: batch.macd(c), lambda: talib.MACD(c, 12, 26, 9)),
        ("Bollinger(20,2)", lambda: batch.bollinger(c), lambda: talib.BBANDS(c, 20, 2, 2, 0)),
        ("Stochastic(5,3,3)", lambda: batch.stochastic(h, lo, c), lambda: talib.STOCH(h, lo, c)),
    ]
    print(f"\n1. Batch indicators over {len(c):,} candles (best of {BATCH_RUNS}, alternating)")
    print(
        f"   {'indicator':<20}{'qfdesk ms':>10}{'TA-Lib ms':>10}{'ratio':>7}"
        f"{'wall: qfdesk':>14}{'TA-Lib':>8}{'ratio':>7}"
    )
    totals = [0.0, 0.0, 0.0, 0.0]
    for name, ours, oracle in cases:
        figures = interleaved_best(ours, oracle, BATCH_RUNS)
        totals = [total + figure for total, figure in zip(totals, figures)]
        print_batch_row(name, *figures)
    print_batch_row("all six", *totals)
    print("   (CPU time; goal: within 2x)")


def print_batch_row(name: str, cpu: float, cpu_base: float, wall: float, wall_base: float) -> None:
    print(
        f"   {name:<20}{cpu * 1e3:>10.1f}{cpu_base * 1e3:>10.1f}{cpu / cpu_base:>7.2f}"
        f"{wall * 1e3:>14.1f}{wall_base * 1e3:>8.1f}{wall / wall_base:>7.2f}"
    )


def bench_incremental(series: CandleSeries) -> None:
    n = min(INCREMENTAL_CANDLES, len(series))
    h, lo, c = series.high[:n].tolist(), series.low[:n].tolist(), series.close[:n].tolist()
    cases = [
        ("SMA(20)", lambda: incremental.SMA(20), False),
        ("EMA(20)", lambda: incremental.EMA(20), False),
        ("RSI(14)", lambda: incremental.RSI(14), False),
        ("MACD(12,26,9)", lambda: incremental.MACD(), False),
        ("Bollinger(20,2)", lambda: incremental.Bollinger(), False),
        ("Stochastic(5,3,3)", lambda: incremental.Stochastic(), True),
    ]
    print(f"\n2. Incremental, per closed candle (update) and per tick (peek), {n:,} candles")
    print(f"   {'indicator':<20}{'update us':>12}{'peek us':>12}")
    rows = list(zip(h, lo, c))
    for name, make, hlc in cases:
        indicator = make()
        started = time.perf_counter()
        if hlc:
            for row in rows:
                indicator.update(*row)
        else:
            for x in c:
                indicator.update(x)
        t_update = time.perf_counter() - started
        started = time.perf_counter()
        if hlc:
            for row in rows:
                indicator.peek(*row)
        else:
            for x in c:
                indicator.peek(x)
        t_peek = time.perf_counter() - started
        print(f"   {name:<20}{t_update / n * 1e6:>12.2f}{t_peek / n * 1e6:>12.2f}")


def bench_runner(series: CandleSeries, registry: StrategyRegistry) -> None:
    n = min(RUNNER_CANDLES, len(series))
    candles = [
        Candle("BENCH_otc", 60, s, o, h, lo, c)
        for s, o, h, lo, c in zip(
            series.start[:n].tolist(),
            series.open[:n].tolist(),
            series.high[:n].tolist(),
            series.low[:n].tolist(),
            series.close[:n].tolist(),
        )
    ]
    print(f"\n3. Live strategy runner, per closed candle, {n:,} candles")
    print(f"   {'strategy':<20}{'us/candle':>12}{'signals':>10}")
    for name in ("sma-cross", "rsi-reversal", "macd-cross", "confluence"):
        runner = StrategyRunner(registry.create(name), "BENCH_otc", 60)
        started = time.perf_counter()
        signals = sum(runner.on_candle(candle) is not None for candle in candles)
        elapsed = time.perf_counter() - started
        print(f"   {name:<20}{elapsed / n * 1e6:>12.2f}{signals:>10,}")


def bench_backtest(series: CandleSeries, registry: StrategyRegistry) -> None:
    config = BacktestConfig(expiry=60, payout=92.0)
    print(f"\n4. Backtest over {len(series):,} candles, signals included (best of 3)")
    print(f"   {'strategy':<28}{'seconds':>10}{'trades':>10}{'win rate':>10}")
    for name in ("sma-cross", "rsi-reversal", "macd-cross", "confluence"):
        strategy = registry.create(name)
        result = run_backtest(series, 60, strategy, config)
        elapsed = best_of(lambda s=strategy: run_backtest(series, 60, s, config), 3)
        rate = result.stats.win_rate or 0.0
        print(f"   {name:<28}{elapsed:>10.3f}{result.stats.trades:>10,}{rate:>10.3f}")
    limits = RiskLimits(max_open_trades=3, max_trades_per_hour=None, min_payout=0.0)
    strategy = registry.create("sma-cross")
    started = time.perf_counter()
    result = run_backtest(series, 60, strategy, config, risk=RiskManager(limits, log_level=10))
    elapsed = time.perf_counter() - started
    rate = result.stats.win_rate or 0.0
    label = "sma-cross --risk"
    print(f"   {label:<28}{elapsed:>10.3f}{result.stats.trades:>10,}{rate:>10.3f}")
    print("   (goal: under 2 s)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}")
    series = make_series(n)
    registry = StrategyRegistry()
    bench_batch(series)
    bench_incremental(series)
    bench_runner(series, registry)
    bench_backtest(series, registry)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nload average at the end {load}")


if __name__ == "__main__":
    main()
