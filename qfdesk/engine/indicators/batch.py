"""Indicators over whole numpy arrays, matching TA-Lib's definitions and seeding.

Every function returns float64 arrays as long as its input, NaN where TA-Lib has no value yet
(its "lookback"), so index ``i`` always describes candle ``i``:

- ``sma(x, n)``: mean of the last ``n`` values; first value at ``n - 1``.
- ``ema(x, n)``: ``k = 2 / (n + 1)``, seeded with the SMA of the first ``n`` values (TA-Lib's
  default compatibility); first value at ``n - 1``.
- ``rsi(x, n)``: Wilder's RSI; average gain and loss seeded with the plain mean of the first
  ``n`` changes, then ``avg = (avg * (n - 1) + change) / n``; first value at ``n``. When both
  averages are zero (a flat market) the RSI is 0, as in TA-Lib.
- ``macd(x, 12, 26, 9)``: TA-Lib's MACD: the slow EMA seeded at the start, the fast EMA seeded
  with the SMA of the ``fast`` values ending where the slow one starts, the signal an EMA of
  the MACD line; all three outputs first at ``slow + signal - 2``.
- ``bollinger(x, 20, 2, 2)``: SMA middle band, population standard deviation; first at ``n - 1``.
- ``stochastic(h, l, c, 5, 3, 3)``: TA-Lib STOCH with SMA smoothing: fast %K =
  ``100 * (c - lowest low) / (highest high - lowest low)`` (0 when the range is 0),
  slow %K = SMA(fast %K, 3), slow %D = SMA(slow %K, 3); first at ``fastk + slowk + slowd - 3``.

Recursions (EMA, Wilder) are blocked matrix products (``recurrence``), window sums and extremes
are built by doubling (``windows``), variances are exact to about 1e-10 (``moments``); long
series are worked in chunks that stay in the CPU cache. Inside an active ``IndicatorMemo``
(``memo``) each of them is computed once per distinct setting over the memo's columns.
"""

from __future__ import annotations

import math
from typing import Generic, NamedTuple, TypeVar

import numpy as np

from qfdesk.engine.indicators.memo import memoized
from qfdesk.engine.indicators.moments import window_moments
from qfdesk.engine.indicators.recurrence import (
    BLOCK,
    BlockedRecurrence,
    linear_recurrence,
    recurrence_difference,
)
from qfdesk.engine.indicators.windows import (
    CHUNK,
    chunks,
    slide,
    spares,
    window_means,
    window_reduce,
)

# Values per chunk of a recurrence worked in the CPU cache (whole blocks).
RECURRENCE_CHUNK = 1024 * BLOCK
_V = TypeVar("_V")  # the values of a Bands: arrays or floats

__all__ = [
    "MACD",
    "Bands",
    "Stochastic",
    "bollinger",
    "check_period",
    "ema",
    "linear_recurrence",
    "macd",
    "rolling_max",
    "rolling_min",
    "rolling_std",
    "rsi",
    "sma",
    "stochastic",
]


class MACD(NamedTuple):
    macd: np.ndarray
    signal: np.ndarray
    hist: np.ndarray


class Bands(NamedTuple, Generic[_V]):
    """Upper, middle and lower band: arrays from :func:`bollinger`, floats from the
    incremental indicator."""

    upper: _V
    middle: _V
    lower: _V


class Stochastic(NamedTuple):
    k: np.ndarray
    d: np.ndarray


def _as_array(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def check_period(period: int, name: str = "period") -> None:
    if int(period) != period or period < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {period!r}")


def _outputs(count: int, n: int) -> np.ndarray:
    """``count`` output arrays of length n as the rows of one block: one allocation, which
    the allocator can hand out again without fresh pages (page faults cost more than the
    arithmetic of a cheap indicator)."""
    return np.empty((count, n))


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


@memoized
def sma(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = np.empty(n)
    out[: period - 1] = np.nan
    if n >= period:
        window_means(x, period, out[period - 1 :])
    return out


@memoized
def ema(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = np.empty(n)
    out[: min(period - 1, n)] = np.nan
    if n >= period:
        k = 2.0 / (period + 1)
        seed = float(np.mean(x[:period]))
        out[period - 1] = seed
        linear_recurrence(seed, x[period:], 1.0 - k, k, out[period:])
    return out


@memoized
def rsi(x: np.ndarray, period: int = 14) -> np.ndarray:
    """RSI = 100 * avg gain / (avg gain + avg loss), where avg gain + avg loss is computed as
    Wilder's average of |change| (the same sum, without a subtraction or a second division)."""
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    if n <= period:
        return _nan(n)
    out = np.empty(n)
    out[:period] = np.nan
    m = n - 1 - period
    size = min(RECURRENCE_CHUNK, max(m, 1))
    change, moved, below = np.empty(max(size, period)), np.empty(max(size, period)), np.empty(size)

    def changes(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Twice the gains and the sizes of the changes x[t + 1] - x[t], lo <= t < hi."""
        up = np.subtract(x[lo + 1 : hi + 1], x[lo:hi], out=change[: hi - lo])
        moves = np.abs(up, out=moved[: hi - lo])
        up += moves  # twice the gain, exactly
        return up, moves

    up, moves = changes(0, period)
    gain_seed = 50.0 * float(up.sum()) / period
    size_seed = float(moves.sum()) / period
    out[period] = min(gain_seed / size_seed, 100.0) if size_seed else 0.0
    a = 1.0 - 1.0 / period
    gains = BlockedRecurrence(gain_seed, m, a, 50.0 / period)
    sizes = BlockedRecurrence(size_seed, m, a, 1.0 / period)
    # Chunk by chunk, the changes are made twice (for the block ends, then for the averages)
    # rather than kept, so the work stays in the CPU cache and no big temporary is needed.
    full = gains.blocks * BLOCK
    for lo, hi in chunks(full, RECURRENCE_CHUNK):
        up, moves = changes(period + lo, period + hi)
        gains.add_ends(lo // BLOCK, up.reshape(-1, BLOCK))
        sizes.add_ends(lo // BLOCK, moves.reshape(-1, BLOCK))
    gains.solve()
    sizes.solve()
    with np.errstate(invalid="ignore", divide="ignore"):
        for lo, hi in chunks(full, RECURRENCE_CHUNK):
            up, moves = changes(period + lo, period + hi)
            result = out[period + 1 + lo : period + 1 + hi]
            gains.apply(lo // BLOCK, up.reshape(-1, BLOCK), result.reshape(-1, BLOCK))
            sizes.apply(lo // BLOCK, moves.reshape(-1, BLOCK), below[: hi - lo].reshape(-1, BLOCK))
            _divide_rsi(result, below[: hi - lo])
        if full < m:
            up, moves = changes(period + full, period + m)
            result = out[period + 1 + full :]
            gains.apply_tail(up, result)
            sizes.apply_tail(moves, below[: m - full])
            _divide_rsi(result, below[: m - full])
    return out


def _divide_rsi(gain: np.ndarray, size: np.ndarray) -> None:
    """gain (100 x average gains) / size in place, at most 100 (where every change was a gain
    the two averages may differ in their last bit); 0 where both are 0 (a market that stood
    still: TA-Lib's RSI is 0 there). Call with invalid divisions ignored."""
    flat = gain.size and gain.min() == 0.0
    np.divide(gain, size, out=gain)
    np.minimum(gain, 100.0, out=gain)
    if flat:
        gain[size == 0.0] = 0.0


@memoized
def macd(x: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> MACD:
    for value, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
        check_period(value, name)
    if slow < fast:
        fast, slow = slow, fast
    x = _as_array(x)
    n = x.shape[0]
    start = slow - 1
    line, sig, hist = _outputs(3, n)
    first = min(start + signal - 1, n)
    sig[: min(start, n)] = np.nan
    hist[:first] = np.nan
    if n > start:
        # Both EMAs start at ``start``, each seeded with the SMA of its own period ending there.
        k_fast, k_slow = 2.0 / (fast + 1), 2.0 / (slow + 1)
        seed_fast = float(np.mean(x[start - fast + 1 : start + 1]))
        seed_slow = float(np.mean(x[:slow]))
        line[start] = seed_fast - seed_slow
        recurrence_difference(
            x[start + 1 :],
            (seed_fast, 1.0 - k_fast, k_fast),
            (seed_slow, 1.0 - k_slow, k_slow),
            line[start + 1 :],
        )
        if n > first:
            # The signal: an EMA of the line from ``first``; the histogram made chunk by chunk.
            k = 2.0 / (signal + 1)
            seed = float(np.mean(line[start : first + 1]))
            sig[first] = seed
            hist[first] = line[first] - seed

            def histogram(lo: int, hi: int) -> None:
                span = slice(first + 1 + lo, first + 1 + hi)
                np.subtract(line[span], sig[span], out=hist[span])

            linear_recurrence(seed, line[first + 1 :], 1.0 - k, k, sig[first + 1 :], histogram)
        sig[start:first] = np.nan
    line[:first] = np.nan
    return MACD(line, sig, hist)


def _rolling_extreme(x: np.ndarray, period: int, op: np.ufunc) -> np.ndarray:
    n = x.shape[0]
    out = np.empty(n)
    out[: period - 1] = np.nan
    if n >= period:
        window_reduce(x, period, op, out[period - 1 :])
    return out


@memoized
def rolling_max(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.maximum)


@memoized
def rolling_min(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.minimum)


@memoized
def rolling_std(x: np.ndarray, period: int) -> np.ndarray:
    """Population standard deviation of the last ``period`` values (TA-Lib's STDDEV, nbdev 1)."""
    check_period(period)
    x = _as_array(x)
    out = np.empty(x.shape[0])
    out[: period - 1] = np.nan
    for lo, _, spread in window_moments(x, period):
        span = out[lo + period - 1 : lo + period - 1 + spread.size]
        np.sqrt(spread, out=span)
        span *= 1.0 / math.sqrt(period)
    return out


@memoized
def bollinger(
    x: np.ndarray, period: int = 20, k_up: float = 2.0, k_down: float = 2.0
) -> Bands[np.ndarray]:
    """Middle band = SMA, bands at k population standard deviations, as TA-Lib's BBANDS."""
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    upper, middle, lower = _outputs(3, n)
    for band in (upper, middle, lower):
        band[: period - 1] = np.nan
    if n < period:
        return Bands(upper, middle, lower)
    # std = sqrt(spread / period): the 1 / sqrt(period) goes with k.
    scale_up, scale_down = k_up / math.sqrt(period), k_down / math.sqrt(period)
    for lo, mean, spread in window_moments(x, period, middle[period - 1 :]):
        span = slice(lo + period - 1, lo + period - 1 + mean.size)
        root = np.sqrt(spread, out=spread)
        up, down = upper[span], lower[span]
        if k_up == k_down:
            np.multiply(root, scale_up, out=root)
            np.add(mean, root, out=up)
            np.subtract(mean, root, out=down)
        else:
            np.multiply(root, scale_up, out=up)
            up += mean
            np.multiply(root, scale_down, out=down)
            np.subtract(mean, down, out=down)
    return Bands(upper, middle, lower)


@memoized
def stochastic(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    fastk: int = 5,
    slowk: int = 3,
    slowd: int = 3,
) -> Stochastic:
    for value, name in ((fastk, "fastk"), (slowk, "slowk"), (slowd, "slowd")):
        check_period(value, name)
    high, low, close = _as_array(high), _as_array(low), _as_array(close)
    n = close.shape[0]
    first = fastk + slowk + slowd - 3
    k, d = _outputs(2, n)
    k[: min(first, n)] = np.nan
    d[: min(first, n)] = np.nan
    if n <= first:
        return Stochastic(k, d)
    size = min(CHUNK, n - first) + first
    top, bottom, spare = np.empty(size), np.empty(size), spares(size)
    flat = np.empty(size, dtype=bool)
    # Outputs first + lo .. first + hi - 1 need the inputs lo .. first + hi - 1.
    with np.errstate(invalid="ignore", divide="ignore"):
        for lo, hi in chunks(n - first, CHUNK):
            end = first + hi
            count = end - lo - fastk + 1
            span, fast = top[:count], bottom[:count]
            slide(high[lo:end], fastk, np.maximum, span, spare)
            slide(low[lo:end], fastk, np.minimum, fast, spare)
            np.subtract(span, fast, out=span)
            span /= 100.0
            np.subtract(close[lo + fastk - 1 : end], fast, out=fast)
            np.divide(fast, span, out=fast)
            zero = np.equal(span, 0.0, out=flat[:count])
            if zero.any():
                fast[zero] = 0.0
            slow = top[: count - slowk + 1]
            slide(fast, slowk, np.add, slow, spare)
            slow *= 1.0 / slowk
            k[first + lo : end] = slow[slowd - 1 :]
            out = d[first + lo : end]
            slide(slow, slowd, np.add, out, spare)
            out *= 1.0 / slowd
    return Stochastic(k, d)
