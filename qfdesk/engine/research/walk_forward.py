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

from collections.abc import Mapping, Sequence
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


def in_sample_nets(combo: ComboTrades, candles: int, folds: int) -> np.ndarray:
    """(folds,) the combination's net profit known at each fold's cut: its trades closed
    before it."""
    cuts = block_bounds(candles, folds + 1)[1:-1]
    return np.array([float(combo.profit[combo.exit_index < int(cut)].sum()) for cut in cuts])


def chosen(nets: Sequence[np.ndarray]) -> list[int]:
    """Per fold, the combination of the highest in-sample net (the first of equals), from
    every combination's :func:`in_sample_nets` in grid order."""
    return [int(i) for i in np.argmax(np.array(nets), axis=0)]


def walk_forward(
    nets: Sequence[np.ndarray], trades: Mapping[int, ComboTrades], candles: int, folds: int
) -> list[Fold]:
    """The folds, from every combination's in-sample nets and the trades of the chosen."""
    bounds = block_bounds(candles, folds + 1)
    result = []
    for k, pick in enumerate(chosen(nets), start=1):
        cut, end = int(bounds[k]), int(bounds[k + 1])
        combo = trades[pick]
        rows = (combo.signal_index >= cut) & (combo.signal_index < end)
        net = float(nets[pick][k - 1])
        result.append(Fold(k, (0, cut), (cut, end), pick, net, *combo.where(rows)))
    return result
