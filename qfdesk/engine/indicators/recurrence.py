"""First-order linear recurrences ``y[t] = a * y[t-1] + gain * u[t]`` without a Python loop over t.

The series is cut into blocks of ``BLOCK`` values. Inside a block, y is a matrix product of
the block's inputs with a fixed BLOCK x BLOCK triangle of powers of ``a`` (one compiled BLAS call
for many blocks); the y carried into a block enters as an extra input at its first position.
The y carried into each block is the same recurrence one level up, over the blocks' own
responses with coefficient ``a ** BLOCK``. Every y is a short sum of positive-weighted terms
(no negative powers, no subtraction), so its rounding is a few ulps, as with a plain loop.
"""

from __future__ import annotations

from collections.abc import Callable

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
        if not 0.0 <= a < 1.0 or gain == 0.0:
            raise ValueError(f"blocked recurrence needs 0 <= a < 1 and a gain, got {a}, {gain}")
        self.blocks = m // BLOCK
        self._a, self._gain = a, gain
        self.matrix = _block_matrix(a, gain)
        self.powers = a ** np.arange(1.0, BLOCK + 1.0)  # the carried y's share of each y
        self.end_weights = self.matrix[:, -1].copy()  # each input's share of its block's end
        # carried[b]: y just before block b (carried[0] = seed); carried[blocks] starts the tail.
        self.carried = np.empty(self.blocks + 1)
        self.carried[0] = seed
        self._inputs = np.empty(0)  # the carried y's as inputs, set by solve()

    def add_ends(self, block: int, rows: np.ndarray) -> None:
        """Blocks ``block ..`` (``rows``: their inputs, one block per row) on their own."""
        ends = self.carried[block + 1 : block + 1 + rows.shape[0]]
        for lo in range(0, rows.shape[0], _ROWS):
            np.matmul(rows[lo : lo + _ROWS], self.end_weights, out=ends[lo : lo + _ROWS])

    def solve(self) -> None:
        """The y at each block end: its own response plus a^BLOCK times the y carried in."""
        ends = self.carried[1:]
        linear_recurrence(self.carried[0], ends, self._a**BLOCK, 1.0, ends)
        # The y carried into a block acts as an extra input a / gain * y_in at its first position.
        self._inputs = self.carried * (self._a / self._gain)

    def apply(self, block: int, rows: np.ndarray, out: np.ndarray) -> None:
        """y of blocks ``block ..`` into ``out`` (same shape as ``rows``, apart from it);
        ``rows`` is overwritten."""
        rows[:, 0] += self._inputs[block : block + rows.shape[0]]
        for lo in range(0, rows.shape[0], _PRODUCT_ROWS):
            hi = lo + _PRODUCT_ROWS
            np.matmul(rows[lo:hi], self.matrix, out=out[lo:hi])

    def apply_tail(self, u: np.ndarray, out: np.ndarray) -> None:
        """y of the last ``m % BLOCK`` inputs ``u`` into ``out``."""
        _plain(float(self.carried[-1]), u, self._a, self._gain, out)


def linear_recurrence(
    seed: float,
    u: np.ndarray,
    a: float,
    gain: float = 1.0,
    out: np.ndarray | None = None,
    each: Callable[[int, int], object] | None = None,
) -> np.ndarray:
    """``y[t] = a * y[t-1] + gain * u[t]`` with ``y[-1] = seed``, for 0 <= a < 1, without a
    Python loop over t. ``out`` (may be ``u`` itself) receives y. ``each(lo, hi)``, if given,
    is called as soon as y[lo:hi] is written (chunks in order, covering all t), while those
    values are still in the CPU cache."""
    m = u.shape[0]
    out = np.empty(m) if out is None else out
    if a == 0.0 or gain == 0.0 or m <= _LOOP_MAX:
        if a == 0.0:
            np.multiply(u, gain, out=out)
        elif gain == 0.0:
            np.multiply(seed, a ** np.arange(1.0, m + 1.0), out=out)
        else:
            _plain(float(seed), u, a, gain, out)
        if each is not None:
            each(0, m)
        return out
    recurrence = BlockedRecurrence(seed, m, a, gain)
    full = recurrence.blocks * BLOCK
    rows = u[:full].reshape(-1, BLOCK)
    y = out[:full].reshape(-1, BLOCK)
    recurrence.add_ends(0, rows)
    recurrence.solve()
    work = np.empty((min(_PRODUCT_ROWS, rows.shape[0]), BLOCK))
    for lo in range(0, rows.shape[0], _PRODUCT_ROWS):
        chunk = work[: min(_PRODUCT_ROWS, rows.shape[0] - lo)]
        np.copyto(chunk, rows[lo : lo + chunk.shape[0]])
        recurrence.apply(lo, chunk, y[lo : lo + chunk.shape[0]])
        if each is not None:
            each(lo * BLOCK, (lo + chunk.shape[0]) * BLOCK)
    if full < m:
        recurrence.apply_tail(u[full:], out[full:])
        if each is not None:
            each(full, m)
    return out


def recurrence_difference(
    u: np.ndarray,
    first: tuple[float, float, float],
    second: tuple[float, float, float],
    out: np.ndarray,
) -> np.ndarray:
    """y1 - y2 for two recurrences over the same inputs, each given as (seed, a, gain), into
    ``out`` (apart from ``u``): one matrix product per chunk, with the difference of the two
    block matrices, and the carried y's added by a rank-2 product."""
    m = u.shape[0]
    if m <= _LOOP_MAX or not all(0.0 <= a < 1.0 and gain for _, a, gain in (first, second)):
        np.subtract(
            linear_recurrence(first[0], u, first[1], first[2]),
            linear_recurrence(second[0], u, second[1], second[2]),
            out=out,
        )
        return out
    one, two = (BlockedRecurrence(seed, m, a, gain) for seed, a, gain in (first, second))
    full = one.blocks * BLOCK
    rows = u[:full].reshape(-1, BLOCK)
    y = out[:full].reshape(-1, BLOCK)
    # Both recurrences' block ends in one pass over the inputs.
    weights = np.stack([one.end_weights, two.end_weights], axis=1)
    ends = np.empty((rows.shape[0], 2))
    for lo in range(0, rows.shape[0], _ROWS):
        np.matmul(rows[lo : lo + _ROWS], weights, out=ends[lo : lo + _ROWS])
    for column, recurrence in enumerate((one, two)):
        recurrence.carried[1:] = ends[:, column]
        recurrence.solve()
    matrix = one.matrix - two.matrix
    carried = np.stack([one.carried[:-1], two.carried[:-1]], axis=1)
    powers = np.stack([one.powers, -two.powers])
    work = np.empty((min(_PRODUCT_ROWS, rows.shape[0]), BLOCK))
    for lo in range(0, rows.shape[0], _PRODUCT_ROWS):
        hi = min(lo + _PRODUCT_ROWS, rows.shape[0])
        chunk = y[lo:hi]
        np.matmul(rows[lo:hi], matrix, out=chunk)
        chunk += np.matmul(carried[lo:hi], powers, out=work[: hi - lo])
    if full < m:
        tail = np.empty(m - full)
        one.apply_tail(u[full:], out[full:])
        two.apply_tail(u[full:], tail)
        out[full:] -= tail
    return out
