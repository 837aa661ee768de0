"""Sliding-window reductions (sum, max, min) by doubling, for series cut into cache-sized chunks.

``slide`` combines pairs, then fours, eights, ... and finally the binary parts of the window
length: about log2(period) passes over the data instead of ``period``, and each window's sum is
a shallow tree of additions of its own values, so its rounding is a few ulps of those values
however long the series (a running sum drifts; prefix sums lose digits to their growing total).
Callers feed it chunks of some thousand windows so that every pass stays in the CPU cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

# Windows per chunk: a few arrays of this many float64 fit the CPU's L2 cache.
CHUNK = 16384

Reduce = Callable[..., np.ndarray]


def sum_depth(period: int) -> int:
    """How many roundings a window's sum can pass through in ``slide``."""
    return period.bit_length() - 1 + period.bit_count() - 1


def slide(
    src: np.ndarray,
    period: int,
    op: Reduce,
    out: np.ndarray,
    spare: tuple[np.ndarray, ...],
) -> np.ndarray:
    """``out[..., i] = op`` over ``src[..., i : i + period]`` along the last axis; ``out`` has
    ``period - 1`` fewer columns than ``src``; ``spare``: three scratch arrays shaped like
    ``src`` or larger, which must not overlap ``src`` or ``out``."""
    m = out.shape[-1]
    if period == 1:
        np.copyto(out, src[..., :m])
        return out
    # acc holds op over ``width`` consecutive values (in spare[held], or src itself); the first
    # binary part of the window waits in spare[pinned] until the second one is built.
    acc, held, width, offset = src, -1, 1, 0
    first: np.ndarray | None = None
    pinned = -1
    while True:
        if period & width:
            if first is None:
                first, pinned = acc[..., offset : offset + m], held
            else:
                op(first, acc[..., offset : offset + m], out=out)
                first, pinned = out, -1
            offset += width
        if 2 * width > period:
            return out
        if 2 * width == period:
            # A power of two: the last level is the answer.
            return op(acc[..., :m], acc[..., width : width + m], out=out)
        size = acc.shape[-1] - width
        target = 0 if held != 0 and pinned != 0 else 1 if held != 1 and pinned != 1 else 2
        level = spare[target][..., :size]
        op(acc[..., :size], acc[..., width:], out=level)
        acc, held, width = level, target, 2 * width


def chunks(m: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(lo, hi) ranges covering 0..m in steps of ``chunk``."""
    for lo in range(0, m, chunk):
        yield lo, min(lo + chunk, m)


def spares(size: int) -> tuple[np.ndarray, ...]:
    return np.empty(size), np.empty(size), np.empty(size)


def window_reduce(x: np.ndarray, period: int, op: Reduce, out: np.ndarray) -> np.ndarray:
    """``out[i] = op`` over ``x[i : i + period]`` for the ``len(x) - period + 1`` windows."""
    m = out.shape[0]
    spare = spares(min(CHUNK, m) + period - 1)
    for lo, hi in chunks(m, CHUNK):
        slide(x[lo : hi + period - 1], period, op, out[lo:hi], spare)
    return out


def window_means(x: np.ndarray, period: int, out: np.ndarray) -> np.ndarray:
    """Means of ``x[i : i + period]`` for the ``len(x) - period + 1`` windows."""
    m = out.shape[0]
    spare = spares(min(CHUNK, m) + period - 1)
    scale = 1.0 / period
    for lo, hi in chunks(m, CHUNK):
        chunk = out[lo:hi]
        slide(x[lo : hi + period - 1], period, np.add, chunk, spare)
        chunk *= scale
    return out
