"""First-order linear recurrences ``y[t] = a * y[t-1] + gain * u[t]`` without a Python loop over t.

The series is cut into blocks of ``BLOCK`` values. Inside a block, y is a matrix product of
the block's inputs with a fixed BLOCK x BLOCK triangle of powers of ``a`` (one compiled BLAS call
for many blocks); the y carried into a block enters as an extra input at its first position.
The y carried into each block is the same recurrence one level up, over the blocks' own
responses with coefficient ``a ** BLOCK``. Every y is a short sum of positive-weighted terms
(no negative powers, no subtraction), so its rounding is a few ulps, as with a plain loop.
"""

from __future__ import annotations

import numpy as np

BLOCK = 16
# Blocks per matrix product: small enough to stay in the CPU cache and under the size where
# OpenBLAS would hand the product to a second thread (its wake-up costs more than it saves).
_ROWS = 512
_LOOP_MAX = 4 * BLOCK


def _plain(seed: float, u: np.ndarray, a: float, gain: float, out: np.ndarray) -> None:
    values = u.tolist()
    y = seed
    for t, value in enumerate(values):
        y = a * y + gain * value
        values[t] = y
    out[:] = values


def _block_matrix(a: float, gain: float) -> np.ndarray:
    """Input i's share of each y in its block: gain * a^(j - i) for j >= i."""
    steps = np.arange(BLOCK)
    lag = steps[None, :] - steps[:, None]
    return np.where(lag >= 0, gain * a ** np.maximum(lag, 0), 0.0)


def linear_recurrence(
    seed: float, u: np.ndarray, a: float, gain: float = 1.0, out: np.ndarray | None = None
) -> np.ndarray:
    """``y[t] = a * y[t-1] + gain * u[t]`` with ``y[-1] = seed``, for 0 <= a < 1, without a
    Python loop over t. ``out`` (may be ``u`` itself) receives y."""
    m = u.shape[0]
    out = np.empty(m) if out is None else out
    if a == 0.0:
        np.multiply(u, gain, out=out)
        return out
    if gain == 0.0:
        np.multiply(seed, a ** np.arange(1.0, m + 1.0), out=out)
        return out
    if m <= _LOOP_MAX:
        _plain(float(seed), u, a, gain, out)
        return out
    blocks = m // BLOCK
    full = blocks * BLOCK
    matrix = _block_matrix(a, gain)
    rows = u[:full].reshape(blocks, BLOCK)
    # y at the end of each block: the block's own response plus a^BLOCK times the y carried in.
    carried = np.empty(blocks + 1)
    carried[0] = seed
    ends = carried[1:]
    last = matrix[:, -1].copy()
    for lo in range(0, blocks, _ROWS):
        np.matmul(rows[lo : lo + _ROWS], last, out=ends[lo : lo + _ROWS])
    linear_recurrence(seed, ends, a**BLOCK, 1.0, ends)
    tail_seed = float(carried[blocks])
    # The y carried into a block acts as an extra input a / gain * y_in at its first position.
    carried *= a / gain
    y = out[:full].reshape(blocks, BLOCK)
    work = np.empty((min(_ROWS, blocks), BLOCK))
    for lo in range(0, blocks, _ROWS):
        hi = min(lo + _ROWS, blocks)
        chunk = work[: hi - lo]
        np.copyto(chunk, rows[lo:hi])
        chunk[:, 0] += carried[lo:hi]
        np.matmul(chunk, matrix, out=y[lo:hi])
    if full < m:
        linear_recurrence(tail_seed, u[full:], a, gain, out[full:])
    return out
