"""Indicators over whole numpy arrays, matching TA-Lib's definitions and seeding.

Every function returns float64 arrays as long as its input, NaN where TA-Lib has no value yet
(its "lookback"), so index ``i`` always describes candle ``i``:

- ``sma(x, n)``: mean of the last ``n`` values; first value at ``n - 1``.
- ``ema(x, n)``: ``k = 2 / (n + 1)``, seeded with the SMA of the first ``n`` values (TA-Lib's
  default compatibility); first value at ``n - 1``.
- ``rsi(x, n)``: Wilder's RSI; average gain and loss seeded with the plain mean of the first
  ``n`` changes, then ``avg = (avg * (n - 1) + change) / n``; first value at ``n``. When both
  averages are zero the RSI is 0, as in TA-Lib (which also says 0 when their sum is below
  1e-8; this module tests for exactly zero so very low-priced assets keep a real RSI).
- ``macd(x, 12, 26, 9)``: TA-Lib's MACD: the slow EMA seeded at the start, the fast EMA seeded
  with the SMA of the ``fast`` values ending where the slow one starts, the signal an EMA of
  the MACD line; all three outputs first at ``slow + signal - 2``.
- ``bollinger(x, 20, 2, 2)``: SMA middle band, population standard deviation; first at ``n - 1``.
- ``stochastic(h, l, c, 5, 3, 3)``: TA-Lib STOCH with SMA smoothing: fast %K =
  ``100 * (c - lowest low) / (highest high - lowest low)`` (0 when the range is 0),
  slow %K = SMA(fast %K, 3), slow %D = SMA(slow %K, 3); first at ``fastk + slowk + slowd - 3``.

Recursions (EMA, Wilder) are solved in blocks with numpy's cumulative sums instead of a
Python loop: inside a block of length L, ``y[k] = a^(k+1) y[-1] + a^k * cumsum(u[j] a^-j)``,
which is exact algebra with relative rounding about L * machine epsilon.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

_MAX_BLOCK = 1024


class MACD(NamedTuple):
    macd: np.ndarray
    signal: np.ndarray
    hist: np.ndarray


class Bands(NamedTuple):
    upper: np.ndarray
    middle: np.ndarray
    lower: np.ndarray


class Stochastic(NamedTuple):
    k: np.ndarray
    d: np.ndarray


def _as_array(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def check_period(period: int, name: str = "period") -> None:
    if int(period) != period or period < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {period!r}")


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def linear_recurrence(seed: float, u: np.ndarray, a: float) -> np.ndarray:
    """``y[t] = a * y[t-1] + u[t]`` with ``y[-1] = seed``, for 0 <= a < 1, without a loop."""
    m = u.shape[0]
    if m == 0:
        return np.empty(0)
    if a == 0.0:
        return u.astype(np.float64, copy=True)
    # The block length keeps a^-L far from overflow (a^-L < e^600).
    block = max(1, min(_MAX_BLOCK, int(600.0 / -math.log(a)), m))
    blocks = -(-m // block)
    padded = np.zeros(blocks * block)
    padded[:m] = u
    steps = np.arange(block, dtype=np.float64)
    grow = a**-steps
    decay = a**steps
    local = padded.reshape(blocks, block)
    local *= grow
    np.cumsum(local, axis=1, out=local)
    local *= decay
    # Carry each block's last value into the next: Y[b] = a^L * Y[b-1] + local[b, -1].
    carry = np.empty(blocks)
    a_block = a**block
    prev = float(seed)
    ends = local[:, -1].tolist()
    for b in range(blocks):
        carry[b] = prev
        prev = a_block * prev + ends[b]
    local += np.multiply.outer(carry, decay * a)
    return padded[:m]


def window_sums(x: np.ndarray, period: int) -> np.ndarray:
    """Sums of x[i - period + 1 : i + 1] for i >= period - 1 (length n - period + 1).

    Prefix sums restart every block of at least ``period`` values, so their rounding stays
    that of a block (not of the whole series) however long the series is."""
    n = x.shape[0]
    block = max(period, 256)
    blocks = -(-n // block)
    prefix = np.zeros(blocks * block)
    prefix[:n] = x
    local = prefix.reshape(blocks, block)
    np.cumsum(local, axis=1, out=local)
    totals = local[:, -1].copy()
    sums = np.empty(n - period + 1)
    sums[0] = prefix[period - 1]
    np.subtract(prefix[period:n], prefix[: n - period], out=sums[1:])
    # A window that starts in the previous block needs that block's total added back.
    if blocks > 1:
        ends = (np.arange(1, blocks)[:, None] * block + np.arange(period)[None, :]).ravel()
        crossing = ends < n
        sums[ends[crossing] - period + 1] += np.repeat(totals[:-1], period)[crossing]
    return sums


def sma(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = _nan(n)
    if n >= period:
        np.divide(window_sums(x, period), period, out=out[period - 1 :])
    return out


def _ema_from(x: np.ndarray, period: int, first: int) -> np.ndarray:
    """EMA seeded with the SMA of x[first - period + 1 : first + 1], first value at ``first``."""
    n = x.shape[0]
    out = _nan(n)
    if first >= n or first < period - 1:
        return out
    k = 2.0 / (period + 1)
    seed = float(np.mean(x[first - period + 1 : first + 1]))
    out[first] = seed
    out[first + 1 :] = linear_recurrence(seed, k * x[first + 1 :], 1.0 - k)
    return out


def ema(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _ema_from(_as_array(x), period, period - 1)


def rsi(x: np.ndarray, period: int = 14) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = _nan(n)
    if n <= period:
        return out
    change = np.diff(x)
    gain = np.maximum(change, 0.0)
    loss = np.maximum(-change, 0.0)
    a = 1.0 - 1.0 / period
    avg_gain = np.empty(n - period)
    avg_loss = np.empty(n - period)
    avg_gain[0] = gain[:period].sum() / period
    avg_loss[0] = loss[:period].sum() / period
    avg_gain[1:] = linear_recurrence(avg_gain[0], gain[period:] / period, a)
    avg_loss[1:] = linear_recurrence(avg_loss[0], loss[period:] / period, a)
    total = avg_gain + avg_loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out[period:] = np.where(total != 0.0, 100.0 * avg_gain / total, 0.0)
    return out


def macd(x: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> MACD:
    for value, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
        check_period(value, name)
    if slow < fast:
        fast, slow = slow, fast
    x = _as_array(x)
    n = x.shape[0]
    start = slow - 1
    line = _ema_from(x, fast, start) - _ema_from(x, slow, start)
    sig = _nan(n)
    if n > start:
        sig[start:] = _ema_from(line[start:], signal, signal - 1)
    first = start + signal - 1
    line[: min(first, n)] = np.nan
    return MACD(line, sig, line - sig)


def _rolling_extreme(x: np.ndarray, period: int, op: np.ufunc) -> np.ndarray:
    """op over the last ``period`` values at each index, by doubling windows (O(n log period))."""
    n = x.shape[0]
    out = _nan(n)
    if n < period:
        return out
    acc, width = x, 1
    while width * 2 <= period:
        acc = op(acc[:-width], acc[width:])
        width *= 2
    rest = period - width
    out[period - 1 :] = op(acc[: acc.shape[0] - rest], acc[rest:]) if rest else acc
    return out


def rolling_max(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.maximum)


def rolling_min(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.minimum)


def rolling_std(x: np.ndarray, period: int) -> np.ndarray:
    """Population standard deviation of the last ``period`` values (TA-Lib's STDDEV, nbdev 1).

    pandas' rolling variance (Welford's update) avoids the cancellation of
    E[x^2] - E[x]^2 that a plain running sum of squares suffers on long series."""
    check_period(period)
    x = _as_array(x)
    std = pd.Series(x).rolling(period).std(ddof=0).to_numpy(copy=True)
    std[: period - 1] = np.nan
    return std


def bollinger(x: np.ndarray, period: int = 20, k_up: float = 2.0, k_down: float = 2.0) -> Bands:
    middle = sma(x, period)
    std = rolling_std(x, period)
    return Bands(middle + k_up * std, middle, middle - k_down * std)


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
    close = _as_array(close)
    n = close.shape[0]
    highest = rolling_max(high, fastk)
    lowest = rolling_min(low, fastk)
    span = highest - lowest
    with np.errstate(invalid="ignore", divide="ignore"):
        fast = np.where(span != 0.0, (close - lowest) / (span / 100.0), 0.0)
    fast[: min(fastk - 1, n)] = np.nan
    k = _nan(n)
    d = _nan(n)
    first_k = fastk - 1
    if n > first_k:
        k[first_k:] = sma(fast[first_k:], slowk)
        first_d = first_k + slowk - 1
        if n > first_d:
            d[first_d:] = sma(k[first_d:], slowd)
    first = fastk + slowk + slowd - 3
    k[: min(first, n)] = np.nan
    return Stochastic(k, d)
