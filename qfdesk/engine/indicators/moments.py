"""Mean and population variance of every window of a series, exact to about 1e-10 relative.

Windows are taken a few thousand at a time, so the work stays in the CPU cache, and a chunk's
values are measured from its middle value (d = x - ref),
and the variance is E[d^2] - E[d]^2 from window sums of d and d^2 (``windows.slide``: shallow
trees of additions). That difference loses digits only when the window's variance is tiny next
to E[d^2] (a nearly flat window among moving prices, the case where sums of x^2, as in TA-Lib,
go wrong); such windows are flagged by a rounding bound and computed again exactly: 0 where all
values are equal, else by two passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from qfdesk.engine.indicators.windows import chunks, slide, sum_depth

# Windows per chunk, all measured from one value of the chunk: small enough that prices do not
# move far from it within the chunk, large enough to keep the per-call overhead low.
CHUNK = 4096
_KEEP = 1e-10  # relative accuracy kept for the variance; below it a window is recomputed


def _bound(period: int) -> float:
    """Variance below bound * E[d^2] may have lost more than _KEEP of itself: the sums of d and
    d^2 are off by at most depth ulps, d itself by half an ulp, the final difference by one."""
    return (4.0 * sum_depth(period) + 8.0) * float(np.finfo(np.float64).eps) / _KEEP


def exact_variance(segment: np.ndarray, period: int, starts: np.ndarray) -> np.ndarray:
    """Population variance of ``segment[s : s + period]`` for each s in ``starts``: 0 where all
    values are equal (flat markets give many such windows), else by two passes."""
    n = segment.shape[0]
    ends = starts + period - 1
    if starts.size * period < n // 8:
        windows = np.lib.stride_tricks.sliding_window_view(segment, period)[starts]
        flat = windows.max(axis=1) == windows.min(axis=1)
    else:
        changed = np.empty(n, dtype=bool)
        changed[0] = True
        np.not_equal(segment[1:], segment[:-1], out=changed[1:])
        run_start = np.maximum.accumulate(np.where(changed, np.arange(n), 0))
        flat = ends - run_start[ends] + 1 >= period
    variance = np.zeros(starts.size)
    rest = np.flatnonzero(~flat)
    if rest.size:
        windows = np.lib.stride_tricks.sliding_window_view(segment, period)[starts[rest]]
        centred = windows - windows.mean(axis=1, keepdims=True)
        variance[rest] = np.square(centred).mean(axis=1)
    return variance


class _Work:
    """Scratch arrays for a chunk of ``inputs`` values and ``windows`` windows."""

    def __init__(self, inputs: int, windows: int) -> None:
        self.d = np.empty(inputs)
        self.d2 = np.empty(inputs)
        self.spare = (np.empty(inputs), np.empty(inputs), np.empty(inputs))
        self.var = np.empty(windows)
        self.square = np.empty(windows)
        self.low = np.empty(windows, dtype=bool)


def _chunk_moments(
    src: np.ndarray, period: int, work: _Work, bound: float, mean: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (into ``mean``), variance and suspect windows (indices) of the windows of ``src``."""
    size = src.shape[0]
    count = size - period + 1
    d, d2 = work.d[:size], work.d2[:size]
    spare = tuple(buffer[:size] for buffer in work.spare)
    var, square = work.var[:count], work.square[:count]
    ref = float(src[size // 2])
    np.subtract(src, ref, out=d)
    np.multiply(d, d, out=d2)
    slide(d, period, np.add, mean, spare)
    slide(d2, period, np.add, square, spare)
    scale = 1.0 / period
    mean *= scale
    square *= scale
    np.multiply(mean, mean, out=var)
    np.subtract(square, var, out=var)
    square *= bound
    low = np.less(var, square, out=work.low[:count])
    suspect = np.flatnonzero(low) if low.any() else np.empty(0, dtype=np.intp)
    mean += ref
    return var, suspect


def window_moments(
    x: np.ndarray, period: int, mean: np.ndarray | None = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(lo, mean, var)`` for the windows ``x[i : i + period]``, i = lo, lo + 1, ...,
    chunk by chunk, over all ``len(x) - period + 1`` windows. ``mean`` (one value per window)
    receives the means if given; the variances are scratch: use them before asking for the
    next chunk."""
    m = x.shape[0] - period + 1
    if m <= 0:
        return
    bound = _bound(period)
    work = _Work(min(CHUNK, m) + period - 1, min(CHUNK, m))
    means = np.empty(min(CHUNK, m)) if mean is None else mean
    for lo, hi in chunks(m, CHUNK):
        segment = x[lo : hi + period - 1]
        chunk_mean = means[: hi - lo] if mean is None else mean[lo:hi]
        var, suspect = _chunk_moments(segment, period, work, bound, chunk_mean)
        if suspect.size:
            var[suspect] = exact_variance(segment, period, suspect)
        yield lo, chunk_mean, var
