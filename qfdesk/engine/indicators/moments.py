"""Mean and population variance of every window of a series, exact to about 1e-10 relative.

Windows are taken in rows of ``ROW`` consecutive windows, a few thousand windows at a time so
the work stays in the CPU cache. A row's values are measured from its first value (d = x - ref),
and the variance is E[d^2] - E[d]^2 from window sums of d and d^2 (``windows.slide``: shallow
trees of additions). That difference loses digits only when the window's variance is tiny next
to E[d^2] (a nearly flat window among moving prices, the case where sums of x^2, as in TA-Lib,
go wrong); such windows are flagged by a rounding bound and computed again exactly: 0 where all
values are equal, else by two passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from qfdesk.engine.indicators.windows import CHUNK, slide, sum_depth

ROW = 128
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


class _Rows:
    """Scratch arrays for up to ``rows`` rows of ``width`` inputs and ``cols`` windows."""

    def __init__(self, rows: int, width: int, cols: int) -> None:
        self.d = np.empty((rows, width))
        self.d2 = np.empty((rows, width))
        self.spare = (np.empty((rows, width)), np.empty((rows, width)))
        self.mean = np.empty((rows, cols))
        self.var = np.empty((rows, cols))
        self.square = np.empty((rows, cols))
        self.low = np.empty((rows, cols), dtype=bool)


def _rows_moments(
    src: np.ndarray, period: int, work: _Rows, bound: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance and suspect windows (flat indices) of each row of ``src``'s windows."""
    rows, width = src.shape
    cols = width - period + 1
    d, d2 = work.d[:rows, :width], work.d2[:rows, :width]
    spare = (work.spare[0][:rows, :width], work.spare[1][:rows, :width])
    mean, var, square = work.mean[:rows, :cols], work.var[:rows, :cols], work.square[:rows, :cols]
    ref = src[:, :1]
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
    low = np.less(var, square, out=work.low[:rows, :cols])
    suspect = np.flatnonzero(low) if low.any() else np.empty(0, dtype=np.intp)
    mean += ref
    return mean.ravel(), var.ravel(), suspect


def window_moments(x: np.ndarray, period: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(lo, mean, var)`` for the windows ``x[i : i + period]``, i = lo, lo + 1, ...,
    chunk by chunk, over all ``len(x) - period + 1`` windows. The arrays are scratch: use them
    before asking for the next chunk."""
    n = x.shape[0]
    m = n - period + 1
    if m <= 0:
        return
    bound = _bound(period)
    full = m // ROW
    per_chunk = max(1, CHUNK // ROW)
    if full:
        width = ROW + period - 1
        rows = np.lib.stride_tricks.sliding_window_view(x, width)[::ROW]
        work = _Rows(min(per_chunk, full), width, ROW)
        for r0 in range(0, full, per_chunk):
            r1 = min(r0 + per_chunk, full)
            mean, var, suspect = _rows_moments(rows[r0:r1], period, work, bound)
            lo = r0 * ROW
            if suspect.size:
                segment = x[lo : r1 * ROW + period - 1]
                var[suspect] = exact_variance(segment, period, suspect)
            yield lo, mean, var
    lo = full * ROW
    if lo < m:
        segment = x[lo:]
        work = _Rows(1, segment.shape[0], m - lo)
        mean, var, suspect = _rows_moments(segment[None, :], period, work, bound)
        if suspect.size:
            var[suspect] = exact_variance(segment, period, suspect)
        yield lo, mean, var
