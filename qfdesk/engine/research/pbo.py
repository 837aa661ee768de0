"""The probability of backtest overfitting, by combinatorially symmetric cross-validation.

Bailey, Borwein, Lopez de Prado and Zhu (2014), "The probability of backtest overfitting":
the trades of every combination are cut by time into ``S`` (even) sub-blocks, giving a matrix
of each combination's performance per block. For each of the C(S, S/2) ways to pick half of
the blocks as in-sample (the rest out-of-sample), the combination best in-sample is ranked
among all combinations out-of-sample; its relative rank ``w = rank / (N + 1)`` has the logit
``log(w / (1 - w))``. The PBO is the share of splits where that logit is <= 0: where the
in-sample winner does no better than the median out of sample. Near 0 the selection carries
over; near 0.5 or above, picking the best backtest is as good as picking at random.

Performance here is net profit, which adds up over blocks (so a split's in-sample figure is
the sum of its blocks'). Ties in the out-of-sample ranking count half.
"""

from __future__ import annotations

import itertools

import numpy as np


def block_nets(block_of_trade: np.ndarray, profit: np.ndarray, blocks: int) -> np.ndarray:
    """(blocks,) one combination's net profit per block, from the block of each trade; the
    columns of the performance matrix."""
    return np.bincount(block_of_trade, weights=profit, minlength=blocks)[:blocks]


def probability_of_overfitting(performance: np.ndarray) -> float | None:
    """PBO of a (blocks, combinations) performance matrix; None when it cannot be told
    (fewer than two combinations, or an odd or too small number of blocks)."""
    blocks, combos = performance.shape
    if combos < 2 or blocks < 2 or blocks % 2:
        return None
    splits = np.array(
        [
            [block in chosen for block in range(blocks)]
            for chosen in itertools.combinations(range(blocks), blocks // 2)
        ]
    )
    inside = splits.astype(np.float64) @ performance
    outside = (~splits).astype(np.float64) @ performance
    best = np.argmax(inside, axis=1)
    chosen_out = outside[np.arange(len(best)), best][:, None]
    rank = (outside < chosen_out).sum(axis=1) + 0.5 * ((outside == chosen_out).sum(axis=1) - 1) + 1
    relative = rank / (combos + 1)
    logit = np.log(relative / (1.0 - relative))
    return float(np.mean(logit <= 0.0))
