"""CandleBook.on_tick cost per tick and per timeframe (the app's hot path).

Prints microseconds per tick for 1, 2 and all 10 timeframes, for one asset and for 15
interleaved assets, next to a baseline measured in the same run: the bare loop that only
reads each tick's fields (what any consumer pays). Run: python benchmarks/bench_candles.py
"""

from __future__ import annotations

import random
import time

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import Tick
from qfdesk.engine.timeframes import TIMEFRAMES

N = 400_000
T0 = 1_756_866_000.0


def make_ticks(n: int, assets: int) -> list[Tick]:
    rng = random.Random(1)
    names = [f"ASSET{i}_otc" for i in range(assets)]
    prices = [1.0 + i for i in range(assets)]
    ticks, t = [], T0
    for k in range(n):
        i = k % assets
        if i == 0:
            t += rng.uniform(0.3, 0.7)  # about 2 ticks per second per asset, like the platform
        prices[i] *= 1.0 + rng.gauss(0.0, 0.0002)
        ticks.append(Tick(names[i], round(t + i * 0.001, 3), round(prices[i], 5)))
    return ticks


def bare(ticks: list[Tick]) -> float:
    began = time.perf_counter()
    for tick in ticks:
        _ = tick.asset, tick.time, tick.price
    return time.perf_counter() - began


def run(ticks: list[Tick], timeframes: tuple[int, ...]) -> float:
    book = CandleBook(timeframes)
    on_tick = book.on_tick
    began = time.perf_counter()
    for tick in ticks:
        on_tick(tick)
    return time.perf_counter() - began


def main() -> None:
    for assets in (1, 15):
        ticks = make_ticks(N, assets)
        base = min(bare(ticks) for _ in range(3))
        print(f"{assets} asset(s), {N} ticks; bare loop {base / N * 1e6:.3f} us/tick")
        for tfs in ((60,), (60, 300), tuple(TIMEFRAMES.values())):
            best = min(run(ticks, tfs) for _ in range(3))
            per_tick = best / N * 1e6
            print(
                f"  {len(tfs):2d} timeframe(s): {per_tick:.3f} us/tick, "
                f"{(best - base) / N / len(tfs) * 1e6:.3f} us/tick/timeframe, "
                f"{N / best:,.0f} ticks/s, {best / base:.1f}x bare"
            )


if __name__ == "__main__":
    main()
