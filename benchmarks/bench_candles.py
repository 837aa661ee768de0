"""CandleBook.on_tick cost per tick and per timeframe (the app's hot path).

Prints microseconds per tick for 1, 2 and all 10 timeframes, for one asset and for 15
interleaved assets, next to a baseline measured in the same run: the bare loop that only
reads each tick's fields (what any consumer pays). Times are process CPU time (best of 3),
so other load on the machine does not inflate them. Run: python benchmarks/bench_candles.py
"""

from __future__ import annotations

import random
import time

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import Candle, HistoryCandles, HistoryTicks, Tick
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
    began = time.process_time()
    for tick in ticks:
        _ = tick.asset, tick.time, tick.price
    return time.process_time() - began


def run(ticks: list[Tick], timeframes: tuple[int, ...]) -> float:
    book = CandleBook(timeframes)
    on_tick = book.on_tick
    began = time.process_time()
    for tick in ticks:
        on_tick(tick)
    return time.process_time() - began


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
    history_costs()


def history_costs() -> None:
    """A backward page of 150 one-minute candles into a book already holding 10,000, and an
    updateHistoryNewFast-sized batch of 1,700 history ticks, at all 10 timeframes."""
    tfs = tuple(TIMEFRAMES.values())
    start = int(T0) - int(T0) % 14400
    minutes = [Candle("A", 60, start + 60 * k, 1.0, 1.1, 0.9, 1.05) for k in range(10_150)]
    pages = [tuple(minutes[i : i + 150]) for i in range(0, len(minutes), 150)]
    best = float("inf")
    for _ in range(3):
        book = CandleBook(tfs)
        book.on_clock(start + 60 * 20_000)
        for page in reversed(pages[1:]):
            book.on_history_candles(HistoryCandles("A", 60, page, "loadHistoryPeriodFast"))
        began = time.process_time()
        book.on_history_candles(HistoryCandles("A", 60, pages[0], "loadHistoryPeriodFast"))
        best = min(best, time.process_time() - began)
    print(f"history page of 150 candles behind 10,000 held, 10 timeframes: {best * 1e3:.2f} ms")
    ticks = tuple(make_ticks(1_700, 1))
    best = float("inf")
    for _ in range(3):
        book = CandleBook(tfs)
        began = time.process_time()
        book.on_history_ticks(HistoryTicks(ticks[0].asset, ticks))
        best = min(best, time.process_time() - began)
    print(f"history batch of 1,700 ticks, 10 timeframes: {best * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
