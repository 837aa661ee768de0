"""Indicators updated one closed candle at a time, equal to ``batch`` on the same candles.

Each indicator has ``update(...)``: take the next closed candle, O(1), and return the value
for it (NaN while warming up, exactly where the batch function has NaN), and ``peek(...)``:
the value the forming candle would have if it closed now, computed from the state without
changing it, so calling it on every tick never drifts.

Running sums are re-added from their window every ``period`` updates, so rounding cannot
accumulate over a long session (amortised O(1)).
"""

from __future__ import annotations

import math
from collections import deque

from qfdesk.engine.indicators.batch import Bands, check_period

NAN = math.nan


class SMA:
    __slots__ = ("_since_resync", "_sum", "_window", "period", "value")

    def __init__(self, period: int) -> None:
        check_period(period)
        self.period = period
        self._window: deque[float] = deque(maxlen=period)
        self._sum = 0.0
        self._since_resync = 0
        self.value = NAN

    @property
    def ready(self) -> bool:
        return len(self._window) == self.period

    def update(self, x: float) -> float:
        window = self._window
        if len(window) == self.period:
            self._sum -= window[0]
        window.append(x)
        self._since_resync += 1
        if self._since_resync >= self.period:
            self._sum = math.fsum(window)
            self._since_resync = 0
        else:
            self._sum += x
        self.value = self._sum / self.period if len(window) == self.period else NAN
        return self.value

    def peek(self, x: float) -> float:
        window = self._window
        if len(window) < self.period - 1:
            return NAN
        total = self._sum + x
        if len(window) == self.period:
            total -= window[0]
        return total / self.period


class EMA:
    """TA-Lib EMA: seeded with the SMA of the first ``period`` values."""

    __slots__ = ("_count", "_seed_sum", "k", "period", "value")

    def __init__(self, period: int) -> None:
        check_period(period)
        self.period = period
        self.k = 2.0 / (period + 1)
        self._count = 0
        self._seed_sum = 0.0
        self.value = NAN

    @property
    def ready(self) -> bool:
        return self._count >= self.period

    def update(self, x: float) -> float:
        self._count += 1
        if self._count > self.period:
            self.value = self.value + self.k * (x - self.value)
        else:
            self._seed_sum += x
            if self._count == self.period:
                self.value = self._seed_sum / self.period
        return self.value

    def peek(self, x: float) -> float:
        if self._count >= self.period:
            return self.value + self.k * (x - self.value)
        if self._count == self.period - 1:
            return (self._seed_sum + x) / self.period
        return NAN


class RSI:
    """Wilder's RSI as TA-Lib computes it (first value after ``period`` changes)."""

    __slots__ = ("_changes", "_gain", "_loss", "_prev", "period", "value")

    def __init__(self, period: int = 14) -> None:
        check_period(period)
        self.period = period
        self._prev = NAN
        self._changes = 0
        self._gain = 0.0
        self._loss = 0.0
        self.value = NAN

    def _next(self, x: float) -> tuple[float, float, float]:
        change = x - self._prev
        gain = max(0.0, change)
        loss = -change if change < 0.0 else 0.0
        n = self.period
        if self._changes < n:
            gain_avg, loss_avg = self._gain + gain, self._loss + loss
            if self._changes + 1 == n:
                gain_avg, loss_avg = gain_avg / n, loss_avg / n
        else:
            a = 1.0 - 1.0 / n
            gain_avg = a * self._gain + gain / n
            loss_avg = a * self._loss + loss / n
        if self._changes + 1 < n:
            return gain_avg, loss_avg, NAN
        total = gain_avg + loss_avg
        return gain_avg, loss_avg, 100.0 * gain_avg / total if total != 0.0 else 0.0

    def update(self, x: float) -> float:
        if math.isnan(self._prev):
            self._prev = x
            return NAN
        self._gain, self._loss, self.value = self._next(x)
        self._changes += 1
        self._prev = x
        return self.value

    def peek(self, x: float) -> float:
        if math.isnan(self._prev):
            return NAN
        return self._next(x)[2]


class MACD:
    """TA-Lib MACD: the fast EMA starts (seeded) where the slow EMA gives its first value."""

    __slots__ = ("_count", "_fast", "_signal", "_slow", "fast", "signal", "slow", "value")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        for period, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
            check_period(period, name)
        if slow < fast:
            fast, slow = slow, fast
        self.fast, self.slow, self.signal = fast, slow, signal
        self._count = 0
        self._fast = EMA(fast)
        self._slow = EMA(slow)
        self._signal = EMA(signal)
        self.value: tuple[float, float, float] = (NAN, NAN, NAN)

    def update(self, x: float) -> tuple[float, float, float]:
        self._count += 1
        slow = self._slow.update(x)
        fast = self._fast.update(x) if self._count > self.slow - self.fast else NAN
        if math.isnan(slow):
            return self.value
        line = fast - slow
        sig = self._signal.update(line)
        self.value = (NAN, NAN, NAN) if math.isnan(sig) else (line, sig, line - sig)
        return self.value

    def peek(self, x: float) -> tuple[float, float, float]:
        if self._count + 1 <= self.slow - self.fast:
            return (NAN, NAN, NAN)
        line = self._fast.peek(x) - self._slow.peek(x)
        if math.isnan(line):
            return (NAN, NAN, NAN)
        sig = self._signal.peek(line)
        return (NAN, NAN, NAN) if math.isnan(sig) else (line, sig, line - sig)


class Bollinger:
    """SMA middle band and population standard deviation, by a sliding Welford update.

    A window of equal values is exactly flat (std 0): rounding left by the values that slid
    out would otherwise show through the square root."""

    __slots__ = (
        "_flat_run",
        "_m2",
        "_mean",
        "_since_resync",
        "_window",
        "k_down",
        "k_up",
        "period",
        "value",
    )

    def __init__(self, period: int = 20, k_up: float = 2.0, k_down: float = 2.0) -> None:
        check_period(period)
        self.period, self.k_up, self.k_down = period, k_up, k_down
        self._window: deque[float] = deque(maxlen=period)
        self._mean = 0.0
        self._m2 = 0.0
        self._since_resync = 0
        self._flat_run = 0
        self.value = Bands(NAN, NAN, NAN)

    def _run_with(self, x: float) -> int:
        """How many values in a row would equal x once x is added."""
        return self._flat_run + 1 if self._window and self._window[-1] == x else 1

    def _slide(self, x: float) -> tuple[float, float]:
        """Mean and sum of squared deviations after x enters (and the oldest leaves, if full)."""
        window, mean, m2 = self._window, self._mean, self._m2
        count = len(window)
        if count < self.period:
            new_mean = mean + (x - mean) / (count + 1)
            return new_mean, m2 + (x - mean) * (x - new_mean)
        old = window[0]
        new_mean = mean + (x - old) / self.period
        return new_mean, m2 + (x - old) * (x - new_mean + old - mean)

    def _bands(self, mean: float, m2: float) -> Bands[float]:
        std = math.sqrt(max(m2, 0.0) / self.period)
        return Bands(mean + self.k_up * std, mean, mean - self.k_down * std)

    def update(self, x: float) -> Bands[float]:
        self._flat_run = self._run_with(x)
        self._mean, self._m2 = self._slide(x)
        self._window.append(x)
        self._since_resync += 1
        if self._flat_run >= self.period:
            self._mean, self._m2 = x, 0.0
        elif self._since_resync >= self.period:
            self._since_resync = 0
            mean = math.fsum(self._window) / len(self._window)
            self._mean = mean
            self._m2 = math.fsum((v - mean) ** 2 for v in self._window)
        if len(self._window) == self.period:
            self.value = self._bands(self._mean, self._m2)
        return self.value

    def peek(self, x: float) -> Bands[float]:
        if len(self._window) < self.period - 1:
            return Bands(NAN, NAN, NAN)
        if self._run_with(x) >= self.period:
            return Bands(x, x, x)
        return self._bands(*self._slide(x))


class RollingExtreme:
    """Highest (``largest=True``) or lowest of the last ``period`` values: monotonic deque."""

    __slots__ = ("_count", "_deque", "_sign", "period")

    def __init__(self, period: int, largest: bool) -> None:
        check_period(period)
        self.period = period
        self._sign = 1.0 if largest else -1.0
        self._deque: deque[tuple[int, float]] = deque()
        self._count = 0

    def update(self, x: float) -> float:
        key = self._sign * x
        dq = self._deque
        while dq and dq[-1][1] <= key:
            dq.pop()
        dq.append((self._count, key))
        self._count += 1
        if dq[0][0] <= self._count - 1 - self.period:
            dq.popleft()
        return self._sign * dq[0][1] if self._count >= self.period else NAN

    def peek(self, x: float) -> float:
        if self._count < self.period - 1:
            return NAN
        key = self._sign * x
        oldest_kept = self._count + 1 - self.period
        for index, value in self._deque:
            if index >= oldest_kept:
                return self._sign * max(value, key)
        return x


class Stochastic:
    """TA-Lib STOCH with SMA smoothing: returns (slow %K, slow %D)."""

    __slots__ = ("_high", "_low", "_slowd", "_slowk", "value")

    def __init__(self, fastk: int = 5, slowk: int = 3, slowd: int = 3) -> None:
        self._high = RollingExtreme(fastk, largest=True)
        self._low = RollingExtreme(fastk, largest=False)
        self._slowk = SMA(slowk)
        self._slowd = SMA(slowd)
        self.value: tuple[float, float] = (NAN, NAN)

    @staticmethod
    def _fast_k(highest: float, lowest: float, close: float) -> float:
        span = highest - lowest
        return (close - lowest) / (span / 100.0) if span != 0.0 else 0.0

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        highest = self._high.update(high)
        lowest = self._low.update(low)
        if math.isnan(highest):
            return self.value
        k = self._slowk.update(self._fast_k(highest, lowest, close))
        if math.isnan(k):
            return self.value
        d = self._slowd.update(k)
        self.value = (NAN, NAN) if math.isnan(d) else (k, d)
        return self.value

    def peek(self, high: float, low: float, close: float) -> tuple[float, float]:
        highest = self._high.peek(high)
        if math.isnan(highest):
            return (NAN, NAN)
        k = self._slowk.peek(self._fast_k(highest, self._low.peek(low), close))
        if math.isnan(k):
            return (NAN, NAN)
        d = self._slowd.peek(k)
        return (NAN, NAN) if math.isnan(d) else (k, d)
