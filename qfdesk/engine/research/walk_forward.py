"""Walk-forward validation: choose on the past, judge on what came next.

The candles are cut into ``folds + 1`` consecutive blocks of (nearly) equal size. For fold
``k`` (1..folds) the in-sample data is blocks ``0..k-1`` and the out-of-sample data is block
``k``. The combination with the highest in-sample net profit is chosen (ties: the first in
grid order), counting only the trades whose exit candle lies before block ``k``: a trade that
closes in the future is not known when the choice is made. The chosen combination's trades
entered in block ``k`` are its out-of-sample trades; all folds' out-of-sample trades, in
time order, make the walk-forward result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qfdesk.engine.research.trades import ComboTrades


def block_bounds(candles: int, blocks: int) -> np.ndarray:
    """``blocks + 1`` row boundaries cutting ``candles`` rows into consecutive blocks."""
    return np.linspace(0, candles, blocks + 1).round().astype(np.int64)


def block_of(rows: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The block each row falls in."""
    return np.searchsorted(bounds, rows, side="right") - 1


@dataclass(frozen=True)
class Fold:
    fold: int
    in_sample_rows: tuple[int, int]
    out_of_sample_rows: tuple[int, int]
    chosen: int
    in_sample_net: float
    outcome: np.ndarray
    profit: np.ndarray
    payout: np.ndarray


def walk_forward(combos: Sequence[ComboTrades], candles: int, folds: int) -> list[Fold]:
    bounds = block_bounds(candles, folds + 1)
    result = []
    for k in range(1, folds + 1):
        cut, end = int(bounds[k]), int(bounds[k + 1])
        scores = np.array([float(c.profit[c.exit_index < cut].sum()) for c in combos])
        chosen = int(np.argmax(scores))
        combo = combos[chosen]
        rows = (combo.signal_index >= cut) & (combo.signal_index < end)
        result.append(
            Fold(k, (0, cut), (cut, end), chosen, float(scores[chosen]), *combo.where(rows))
        )
    return result
