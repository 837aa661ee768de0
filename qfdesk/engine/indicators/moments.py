"""Mean and population variance of every window of a series, exact to about 1e-10 relative.

Windows are taken in rows of ``ROW`` consecutive windows, a few rows at a time so the work
stays in the CPU cache. A row's values are measured from its middle value (d = x - ref), and
the variance is E[d^2] - E[d]^2 from window sums of d and d^2 (``windows.slide``: shallow trees
of additions, both sums in the same passes). That difference loses digits only when the
window's variance is tiny next to E[d^2] (a nearly flat window among moving prices, the case
where sums of x^2, as in TA-Lib, go wrong); such windows are flagged by a rounding bound and
computed again exactly: 0 where all values are equal, else by two passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from qfdesk.engine.indicators.windows import slide, sum_depth

# Windows per row, all measured from one value of the row: few enough that prices do not move
# far from it within the row; rows per chunk: enough to keep the per-call overhead low.
ROW = 2048
ROWS = 8
_KEEP = 1e-10  # relative accuracy kept for the variance; below it a window is recomputed


def _bound(period: int) -> float:
    """Variance below bound * E[d^2] may have lost more than _KEEP of itself: the sums of d and
    d^2 are off by at most depth ulps, d itself by half an ulp, the final difference by one."""
    return (4.0 * sum_depth(period) + 8.0) * float(np.finfo(np.float64).eps) / _KEEP


def exact_variance(segment: np.ndarray, period: int, starts: np.ndarray) -> np.ndarray:
    """Population variance of ``segment[s : s + period]`` for each s in ``starts``: 0 where all
    values are equal (flat markets give many such windows), else by two passes. Windows are
    gathered as columns, so each pass runs across windows rather than along a short window."""
    n = segment.shape[0]
    offsets = np.arange(period)[:, None]
    if starts.size * period < n:
        windows = segment[offsets + starts]
        flat = windows.max(axis=0) == windows.min(axis=0)
    else:
        changed = np.empty(n, dtype=bool)
        changed[0] = True
        np.not_equal(segment[1:], segment[:-1], out=changed[1:])
        run_start = np.maximum.accumulate(np.where(changed, np.arange(n), 0))
        ends = starts + period - 1
        flat = ends - run_start[ends] + 1 >= period
        windows = None
    variance = np.zeros(starts.size)
    rest = np.flatnonzero(~flat)
    if rest.size:
        moving = windows[:, rest] if windows is not None else segment[offsets + starts[rest]]
        moving -= moving.sum(axis=0) / period
        variance[rest] = np.square(moving, out=moving).sum(axis=0) / period
    return variance


class _Work:
    """Scratch arrays for ``rows`` rows of ``width`` values (``cols`` windows)."""

    def __init__(self, rows: int, width: int, cols: int) -> None:
        self.powers = np.empty((2, rows, width))  # d and d^2
        self.spare = tuple(np.empty((2, rows, width)) for _ in range(3))
        self.sums = np.empty((2, rows, cols))
        self.bound = np.empty((rows, cols))
        self.low = np.empty((rows, cols), dtype=bool)


def _moments(
    src: np.ndarray, period: int, work: _Work, bound: float, mean: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means (into ``mean``, shaped like the windows), ``period`` x variances and the flat
    indices of suspect windows, for the rows of windows of ``src`` (rows x width)."""
    rows, width = src.shape
    cols = width - period + 1
    powers = work.powers[:, :rows, :width]
    sums = work.sums[:, :rows, :cols]
    spare = tuple(buffer[:, :rows, :width] for buffer in work.spare)
    ref = src[:, width // 2 : width // 2 + 1]
    d = np.subtract(src, ref, out=powers[0])
    np.multiply(d, d, out=powers[1])
    slide(powers, period, np.add, sums, spare)
    total, squares = sums
    # period * variance = sum(d^2) - sum(d) * mean(d)
    mean_d = np.multiply(total, 1.0 / period, out=mean)
    total *= mean_d
    var = np.subtract(squares, total, out=total)
    # Suspect: var < bound * sum(d^2). As sum(d^2) <= period * max(d^2) over the row, a row
    # whose smallest var clears bound * period * max(d^2) has none: two cheap reductions.
    clear = var.min(axis=1) >= bound * period * powers[1].max(axis=1)
    if clear.all():
        suspect = np.empty(0, dtype=np.intp)
    else:
        limit = np.multiply(squares, bound, out=work.bound[:rows, :cols])
        low = np.less(var, limit, out=work.low[:rows, :cols])
        low[clear] = False
        suspect = np.flatnonzero(low)
    mean += ref
    return var, suspect


def window_moments(
    x: np.ndarray, period: int, mean: np.ndarray | None = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(lo, mean, spread)`` for the windows ``x[i : i + period]``, i = lo, lo + 1, ...,
    chunk by chunk, over all ``len(x) - period + 1`` windows, where spread is the sum of
    squared deviations from the window's mean (``period`` x its population variance).
    ``mean`` (one value per window) receives the means if given; the spreads are scratch: use
    them before asking for the next chunk."""
    m = x.shape[0] - period + 1
    if m <= 0:
        return
    bound = _bound(period)
    means = np.empty(m) if mean is None else mean
    full = m // ROW
    if full:
        rows = np.lib.stride_tricks.sliding_window_view(x, ROW + period - 1)[::ROW]
        work = _Work(min(ROWS, full), ROW + period - 1, ROW)
        for r0 in range(0, full, ROWS):
            r1 = min(r0 + ROWS, full)
            lo, hi = r0 * ROW, r1 * ROW
            chunk_mean = means[lo:hi]
            var, suspect = _moments(
                rows[r0:r1], period, work, bound, chunk_mean.reshape(r1 - r0, ROW)
            )
            var = var.reshape(-1)
            if suspect.size:
                var[suspect] = period * exact_variance(x[lo : hi + period - 1], period, suspect)
            yield lo, chunk_mean, var
    lo = full * ROW
    if lo < m:
        segment = x[lo:]
        work = _Work(1, segment.shape[0], m - lo)
        chunk_mean = means[lo:]
        var, suspect = _moments(segment[None, :], period, work, bound, chunk_mean[None, :])
        var = var.reshape(-1)
        if suspect.size:
            var[suspect] = period * exact_variance(segment, period, suspect)
        yield lo, chunk_mean, var
