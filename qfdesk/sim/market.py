"""Per-asset price walks: the ticks sent live, the recent tick history and candles of any age.

Since the simulator started, every price comes from one walk per asset, so history and the
live stream agree: 1-minute candles are built from the very ticks that were generated.
Before that, candles come from :class:`qfdesk.sim.deep_history.DeepHistory`, the same for
the same asset and time in every run, at any depth; the walk starts where it leaves off.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque

from qfdesk.engine.timeframes import period_start
from qfdesk.sim.assets import SimAsset
from qfdesk.sim.deep_history import FLOOR, DeepHistory, MinuteBar, bar_ticks

PLATFORM_OFFSET = 7200.0  # the platform's clock runs this far ahead of UTC
HISTORY_SECONDS = 13 * 60  # ticks sent in updateHistoryNewFast
KEEP_SECONDS = 20 * 60  # ticks kept for history and sub-minute candles
FILL_INTERVAL = 0.5  # tick spacing while an asset is not streamed
MINUTE = 60

CandleRow = tuple[int, float, float, float, float]  # start, open, close, high, low


def platform_now() -> float:
    return time.time() + PLATFORM_OFFSET


class AssetMarket:
    """The random walk of one asset. Not thread-safe: used from the server's loop only."""

    def __init__(self, asset: SimAsset, rng: random.Random, now: float) -> None:
        self.asset = asset
        self._rng = rng
        self._digits = asset.precision
        self._base = asset.price
        self.deep = DeepHistory(asset)
        start = period_start(now, MINUTE) - 15 * MINUTE
        self.origin = start  # the walk's first minute: older ones are deep history
        self.price = self.deep.open_at(start)
        self.ticks: deque[tuple[float, float]] = deque()
        self.minutes: dict[int, list[float]] = {}  # start -> [open, close, high, low]
        self.last_time = start - FILL_INTERVAL
        self.fill_until(now)

    # -- live ticks --------------------------------------------------------------------
    def _step(self, t: float) -> float:
        sigma = self._base * 3e-5
        pull = (self.deep.level(t) - self.price) * 2e-3
        price = round(self.price + pull + self._rng.gauss(0.0, sigma), self._digits)
        if price <= 0:
            price = self.price
        self.price = price
        return price

    def tick(self, at: float) -> tuple[float, float]:
        """Make the next tick at platform time ``at`` (ms precision, sometimes an integer)."""
        t = round(at, 3)
        if t <= self.last_time:
            t = round(self.last_time + 0.001, 3)
        whole = math.floor(t)
        if whole > self.last_time and self._rng.random() < 0.05:
            t = float(whole)
        price = self._step(t)
        self._record(t, price)
        return t, price

    def fill_until(self, now: float) -> None:
        """Generate the unsent ticks of a quiet asset so its history has no hole."""
        t = self.last_time + FILL_INTERVAL
        while t <= now:
            self._record(round(t, 3), self._step(t))
            t += FILL_INTERVAL * self._rng.uniform(0.9, 1.1)

    def _record(self, t: float, price: float) -> None:
        self.last_time = t
        self.ticks.append((t, price))
        while self.ticks and self.ticks[0][0] < t - KEEP_SECONDS:
            self.ticks.popleft()
        start = period_start(t, MINUTE)
        bar = self.minutes.get(start)
        if bar is None:
            self.minutes[start] = [price, price, price, price]
        else:
            bar[1] = price
            bar[2] = max(bar[2], price)
            bar[3] = min(bar[3], price)

    # -- history -----------------------------------------------------------------------
    def history_ticks(self, seconds: float = HISTORY_SECONDS) -> list[list[float]]:
        since = self.last_time - seconds
        return [[t, p] for t, p in self.ticks if t >= since]

    def _bar(self, minute: int) -> MinuteBar | None:
        """A minute's open, close, high, low: the walk's since it began, deep history before."""
        if minute >= self.origin:
            bar = self.minutes.get(minute)
            return None if bar is None else (bar[0], bar[1], bar[2], bar[3])
        return self.deep.bar(minute)

    def candles(self, period: int, start: int, end: int) -> list[CandleRow]:
        """Candles of ``period`` seconds with ``start <= t < end`` that are complete, ascending.

        Periods under a minute come from the kept ticks only; longer ones from minute bars.
        """
        current = period_start(self.last_time, period)
        end = min(end, current)
        start = max(start, FLOOR)
        start = -(-start // period) * period
        if start >= end:
            return []
        if period < MINUTE:
            return self._tick_candles(period, start, end)
        rows: list[CandleRow] = []
        for bucket in range(start, end, period):
            found = (self._bar(m) for m in range(bucket, bucket + period, MINUTE))
            bars = [b for b in found if b is not None]
            if not bars:
                continue
            rows.append(
                (
                    bucket,
                    bars[0][0],
                    bars[-1][1],
                    max(b[2] for b in bars),
                    min(b[3] for b in bars),
                )
            )
        return rows

    def page_ticks(self, start: float, end: float) -> list[tuple[float, float]]:
        """History ticks with ``start <= t < end``, ascending: the kept ticks from the first
        minute they cover whole, four ticks per older minute that make exactly its candle."""
        kept = self.ticks[0][0] if self.ticks else self.last_time
        whole = -(-int(kept) // MINUTE) * MINUTE  # ticks from here on are all kept
        end = min(end, self.last_time + 0.001)
        out: list[tuple[float, float]] = []
        for minute in range(
            max(int(start // MINUTE) * MINUTE, FLOOR), min(int(end), whole), MINUTE
        ):
            bar = self._bar(minute)
            if bar is not None:
                out.extend(tp for tp in bar_ticks(minute, bar) if start <= tp[0] < end)
        out.extend((t, p) for t, p in self.ticks if max(start, whole) <= t < end)
        return out

    def _tick_candles(self, period: int, start: int, end: int) -> list[CandleRow]:
        buckets: dict[int, list[float]] = {}
        for t, p in self.ticks:
            if start <= t < end:
                bucket = period_start(t, period)
                bar = buckets.setdefault(bucket, [p, p, p, p])
                bar[1], bar[2], bar[3] = p, max(bar[2], p), min(bar[3], p)
        return [(b, v[0], v[1], v[2], v[3]) for b, v in sorted(buckets.items())]
