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

Recursions (EMA, Wilder) are solved in blocks with numpy's cumulative sums instead of a
Python loop: inside a block of length L, ``y[k] = a^(k+1) y[-1] + a^k * cumsum(u[j] a^-j)``,
which is exact algebra with relative rounding about L * machine epsilon.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

_MAX_BLOCK = 1024
_DIRECT_SUM_MAX = 8


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


def _recur_blocks(view: np.ndarray, prev: float, a: float, decay: np.ndarray) -> float:
    """Finish blocks (rows of ``view``) that hold ``cumsum(u[j] * a^-j)``; return the last y."""
    blocks, block = view.shape
    ends = (view[:, -1] * decay[block - 1]).tolist()
    carry = np.empty(blocks)
    a_block = a**block
    for b in range(blocks):
        carry[b] = a * prev
        prev = a_block * prev + ends[b]
    # y[k] = a^k * (cumsum[k] + a * y_before_block)
    view += carry[:, None]
    view *= decay[:block]
    return prev


def linear_recurrence(
    seed: float, u: np.ndarray, a: float, gain: float = 1.0, out: np.ndarray | None = None
) -> np.ndarray:
    """``y[t] = a * y[t-1] + gain * u[t]`` with ``y[-1] = seed``, for 0 <= a < 1, without a
    Python loop over t. ``out`` (may be ``u`` itself) receives y."""
    m = u.shape[0]
    out = np.empty(m) if out is None else out
    if a == 0.0 or m == 0:
        np.multiply(u, gain, out=out)
        return out
    # The block length keeps a^-L far from overflow (a^-L < e^600).
    block = max(1, min(_MAX_BLOCK, int(600.0 / -math.log(a)), m))
    steps = np.arange(block, dtype=np.float64)
    grow = gain * a**-steps
    decay = a**steps
    full = m - m % block
    prev = float(seed)
    for lo, hi in ((0, full), (full, m)):
        if hi == lo:
            continue
        width = block if lo == 0 else hi - lo
        view = out[lo:hi].reshape(-1, width)
        np.multiply(u[lo:hi].reshape(-1, width), grow[:width], out=view)
        np.cumsum(view, axis=1, out=view)
        prev = _recur_blocks(view, prev, a, decay)
    return out


def window_sums(x: np.ndarray, period: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sums of x[i - period + 1 : i + 1] for i >= period - 1 (length n - period + 1).

    Short windows add shifted slices; longer ones use prefix sums that restart every block of
    at least ``period`` values, so rounding stays that of a block however long the series."""
    n = x.shape[0]
    m = n - period + 1
    out = np.empty(m) if out is None else out
    if period <= _DIRECT_SUM_MAX:
        np.copyto(out, x[period - 1 :])
        for lag in range(1, period):
            out += x[period - 1 - lag : n - lag]
        return out
    block = max(period, 256)
    blocks = -(-n // block)
    prefix = np.empty(blocks * block)
    prefix[:n] = x
    prefix[n:] = 0.0
    local = prefix.reshape(blocks, block)
    np.cumsum(local, axis=1, out=local)
    totals = local[:, -1].copy()
    out[0] = prefix[period - 1]
    np.subtract(prefix[period:n], prefix[: n - period], out=out[1:])
    # A window that starts in the previous block needs that block's total added back.
    if blocks > 1:
        ends = (np.arange(1, blocks)[:, None] * block + np.arange(period)[None, :]).ravel()
        crossing = ends < n
        out[ends[crossing] - period + 1] += np.repeat(totals[:-1], period)[crossing]
    return out


def sma(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = np.empty(n)
    out[: period - 1] = np.nan
    if n >= period:
        window_sums(x, period, out[period - 1 :])
        out[period - 1 :] /= period
    return out


def _ema_from(x: np.ndarray, period: int, first: int, out: np.ndarray | None = None) -> np.ndarray:
    """EMA seeded with the SMA of x[first - period + 1 : first + 1], first value at ``first``."""
    n = x.shape[0]
    out = np.empty(n) if out is None else out
    if first >= n or first < period - 1:
        out[:] = np.nan
        return out
    out[:first] = np.nan
    k = 2.0 / (period + 1)
    seed = float(np.mean(x[first - period + 1 : first + 1]))
    out[first] = seed
    linear_recurrence(seed, x[first + 1 :], 1.0 - k, k, out[first + 1 :])
    return out


def ema(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _ema_from(_as_array(x), period, period - 1)


def rsi(x: np.ndarray, period: int = 14) -> np.ndarray:
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    if n <= period:
        return _nan(n)
    # Average gains (and losses, kept negative) are computed in place of the changes.
    loss = np.diff(x)
    gain = np.maximum(loss, 0.0)
    np.minimum(loss, 0.0, out=loss)
    a = 1.0 - 1.0 / period
    for values in (gain, loss):
        seed = values[:period].sum() / period
        values[period - 1] = seed
        linear_recurrence(seed, values[period:], a, 1.0 / period, values[period:])
    avg_gain = gain[period - 1 :]
    total = loss[period - 1 :]
    np.subtract(avg_gain, total, out=total)
    out = np.empty(n)
    out[:period] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(avg_gain, total, out=out[period:])
    out[period:] *= 100.0
    out[period:][total == 0.0] = 0.0
    return out


def macd(x: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> MACD:
    for value, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
        check_period(value, name)
    if slow < fast:
        fast, slow = slow, fast
    x = _as_array(x)
    n = x.shape[0]
    start = slow - 1
    line = _ema_from(x, fast, start)
    hist = _ema_from(x, slow, start)
    np.subtract(line, hist, out=line)
    sig = np.empty(n)
    sig[: min(start, n)] = np.nan
    if n > start:
        _ema_from(line[start:], signal, signal - 1, sig[start:])
    line[: min(start + signal - 1, n)] = np.nan
    np.subtract(line, sig, out=hist)
    return MACD(line, sig, hist)


def _rolling_extreme(x: np.ndarray, period: int, op: np.ufunc) -> np.ndarray:
    """op over the last ``period`` values at each index, by doubling windows (O(n log period))."""
    n = x.shape[0]
    out = np.empty(n)
    out[: period - 1] = np.nan
    if n < period:
        return out
    acc, width = x, 1
    while width * 2 <= period:
        acc = op(acc[:-width], acc[width:])
        width *= 2
    rest = period - width
    if rest:
        op(acc[: acc.shape[0] - rest], acc[rest:], out=out[period - 1 :])
    else:
        out[period - 1 :] = acc
    return out


def rolling_max(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.maximum)


def rolling_min(x: np.ndarray, period: int) -> np.ndarray:
    check_period(period)
    return _rolling_extreme(_as_array(x), period, np.minimum)


def window_mean_var(x: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population variance of x[i - period + 1 : i + 1] for i >= period - 1.

    Windows are taken in rows of ``block`` consecutive windows; a row's values are measured
    from its first value, and E[d^2] - E[d]^2 comes from that row's prefix sums. Where the
    rounding bound of that formula is not far below the window's variance (a nearly flat
    window among moving prices: the case that sums of x^2, as in TA-Lib, get wrong), the window
    is computed again exactly by two passes; a window of equal values has variance 0.
    """
    n = x.shape[0]
    m = n - period + 1
    block = max(64, 4 * period)
    rows = -(-m // block)
    width = block + period - 1
    padded = np.empty(rows * block + period - 1)
    padded[:n] = x
    padded[n:] = x[-1]
    view = np.lib.stride_tricks.sliding_window_view(padded, width)[::block]
    ref = view[:, :1].copy()
    d = view - ref
    d2 = np.square(d)
    sums = np.empty((rows, block))
    squares = np.empty((rows, block))
    for values, out in ((d, sums), (d2, squares)):
        np.cumsum(values, axis=1, out=values)
        out[:, 0] = values[:, period - 1]
        np.subtract(values[:, period:], values[:, : block - 1], out=out[:, 1:])
    sums /= period
    variance = squares
    variance /= period
    variance -= np.square(sums)
    # Rounding of the prefix sums is at most ~ eps * width * (row's sum of d^2); keep nine
    # digits of the variance or recompute.
    bound = (8.0 * np.finfo(np.float64).eps * width / period * 1e9) * d2[:, -1:]
    suspect = np.flatnonzero((variance < bound).ravel()[:m])
    sums += ref
    mean, variance = sums.ravel()[:m], variance.ravel()[:m]
    if suspect.size:
        _recompute(x, period, suspect, variance)
    return mean, variance


def _recompute(x: np.ndarray, period: int, suspect: np.ndarray, variance: np.ndarray) -> None:
    """Exact variance of the windows ending at ``suspect + period - 1``: 0 where all values
    are equal (flat markets give many such windows), else by two passes."""
    n = x.shape[0]
    ends = suspect + period - 1
    if suspect.size * period < n // 8:
        windows = np.lib.stride_tricks.sliding_window_view(x, period)[suspect]
        flat = windows.max(axis=1) == windows.min(axis=1)
    else:
        changed = np.empty(n, dtype=bool)
        changed[0] = True
        np.not_equal(x[1:], x[:-1], out=changed[1:])
        run_start = np.maximum.accumulate(np.where(changed, np.arange(n), 0))
        flat = ends - run_start[ends] + 1 >= period
    variance[suspect[flat]] = 0.0
    rest = suspect[~flat]
    if rest.size:
        windows = np.lib.stride_tricks.sliding_window_view(x, period)[rest]
        centred = windows - windows.mean(axis=1, keepdims=True)
        variance[rest] = np.square(centred).mean(axis=1)


def rolling_std(x: np.ndarray, period: int) -> np.ndarray:
    """Population standard deviation of the last ``period`` values (TA-Lib's STDDEV, nbdev 1)."""
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    out = np.empty(n)
    out[: period - 1] = np.nan
    if n >= period:
        np.sqrt(window_mean_var(x, period)[1], out=out[period - 1 :])
    return out


def bollinger(x: np.ndarray, period: int = 20, k_up: float = 2.0, k_down: float = 2.0) -> Bands:
    """Middle band = SMA, bands at k population standard deviations, as TA-Lib's BBANDS."""
    check_period(period)
    x = _as_array(x)
    n = x.shape[0]
    upper, middle, lower = np.empty(n), np.empty(n), np.empty(n)
    for band in (upper, middle, lower):
        band[: period - 1] = np.nan
    if n >= period:
        mean, variance = window_mean_var(x, period)
        std = np.sqrt(variance, out=variance)
        middle[period - 1 :] = mean
        np.multiply(std, k_up, out=upper[period - 1 :])
        upper[period - 1 :] += mean
        np.multiply(std, -k_down, out=lower[period - 1 :])
        lower[period - 1 :] += mean
    return Bands(upper, middle, lower)


def _smoothed(values: np.ndarray, first: int, period: int) -> np.ndarray:
    """SMA of values[first:] placed at its own indices (NaN before first + period - 1)."""
    n = values.shape[0]
    out = np.empty(n)
    start = min(first + period - 1, n)
    out[:start] = np.nan
    if n > start:
        window_sums(values[first:], period, out[start:])
        out[start:] /= period
    return out


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
    span = rolling_max(high, fastk)
    fast = rolling_min(low, fastk)
    np.subtract(span, fast, out=span)
    span /= 100.0
    np.subtract(close, fast, out=fast)
    flat = span == 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(fast, span, out=fast)
    fast[flat] = 0.0
    first_k = fastk - 1
    k = _smoothed(fast, first_k, slowk)
    d = _smoothed(k, first_k + slowk - 1, slowd)
    k[: min(fastk + slowk + slowd - 3, n)] = np.nan
    return Stochastic(k, d)
