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
# Blocks per matrix-vector and matrix product: small enough to stay in the CPU cache and under
# the sizes where OpenBLAS would hand the work to a second thread (m * n < 9216 for a product
# with a vector, m * n * k <= 262144 for one with a matrix): its wake-up costs more than it saves.
_ROWS = 512
_PRODUCT_ROWS = 1024
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


class BlockedRecurrence:
    """``y[t] = a * y[t-1] + gain * u[t]`` over ``m`` inputs that are produced chunk by chunk
    (whole blocks, in order, possibly computed on the fly and thrown away): first every chunk's
    inputs go through ``add_ends``, then ``solve``, then every chunk's inputs again through
    ``apply``; the last ``m % BLOCK`` inputs through ``apply_tail``."""

    def __init__(self, seed: float, m: int, a: float, gain: float) -> None:
        if not 0.0 < a < 1.0 or gain == 0.0:
            raise ValueError(f"blocked recurrence needs 0 < a < 1 and a gain, got {a}, {gain}")
        self.blocks = m // BLOCK
        self._a, self._gain = a, gain
        self._matrix = _block_matrix(a, gain)
        self._last = self._matrix[:, -1].copy()
        # carried[b]: y just before block b (carried[0] = seed), then scaled in solve().
        self._carried = np.empty(self.blocks + 1)
        self._carried[0] = seed
        self._tail_seed = float(seed)

    def add_ends(self, block: int, rows: np.ndarray) -> None:
        """Blocks ``block ..`` (``rows``: their inputs, one block per row) on their own."""
        ends = self._carried[block + 1 : block + 1 + rows.shape[0]]
        for lo in range(0, rows.shape[0], _ROWS):
            np.matmul(rows[lo : lo + _ROWS], self._last, out=ends[lo : lo + _ROWS])

    def solve(self) -> None:
        """The y at each block end: its own response plus a^BLOCK times the y carried in."""
        ends = self._carried[1:]
        linear_recurrence(self._carried[0], ends, self._a**BLOCK, 1.0, ends)
        self._tail_seed = float(self._carried[-1])
        # The y carried into a block acts as an extra input a / gain * y_in at its first position.
        self._carried *= self._a / self._gain

    def apply(self, block: int, rows: np.ndarray, out: np.ndarray) -> None:
        """y of blocks ``block ..`` into ``out`` (same shape as ``rows``, apart from it);
        ``rows`` is overwritten."""
        rows[:, 0] += self._carried[block : block + rows.shape[0]]
        for lo in range(0, rows.shape[0], _PRODUCT_ROWS):
            hi = lo + _PRODUCT_ROWS
            np.matmul(rows[lo:hi], self._matrix, out=out[lo:hi])

    def apply_tail(self, u: np.ndarray, out: np.ndarray) -> None:
        """y of the last ``m % BLOCK`` inputs ``u`` into ``out``."""
        _plain(self._tail_seed, u, self._a, self._gain, out)


def linear_recurrence(
    seed: float,
    u: np.ndarray,
    a: float,
    gain: float = 1.0,
    out: np.ndarray | None = None,
    overwrite_u: bool = False,
) -> np.ndarray:
    """``y[t] = a * y[t-1] + gain * u[t]`` with ``y[-1] = seed``, for 0 <= a < 1, without a
    Python loop over t. ``out`` (may be ``u`` itself) receives y. With ``overwrite_u`` and an
    ``out`` apart from ``u``, u is used as scratch (saves a copy of each block)."""
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
    recurrence = BlockedRecurrence(seed, m, a, gain)
    full = recurrence.blocks * BLOCK
    rows = u[:full].reshape(-1, BLOCK)
    y = out[:full].reshape(-1, BLOCK)
    recurrence.add_ends(0, rows)
    recurrence.solve()
    if overwrite_u and not np.may_share_memory(u, out):
        recurrence.apply(0, rows, y)
    else:
        work = np.empty((min(_PRODUCT_ROWS, rows.shape[0]), BLOCK))
        for lo in range(0, rows.shape[0], _PRODUCT_ROWS):
            chunk = work[: min(_PRODUCT_ROWS, rows.shape[0] - lo)]
            np.copyto(chunk, rows[lo : lo + chunk.shape[0]])
            recurrence.apply(lo, chunk, y[lo : lo + chunk.shape[0]])
    if full < m:
        recurrence.apply_tail(u[full:], out[full:])
    return out
