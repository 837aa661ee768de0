"""Is a win rate above break-even, and how sure can one be after trying many variants?

- The break-even win rate of a payout of ``q`` percent is ``1 / (1 + q/100)``: a win pays
  ``q/100`` of the stake, a loss costs the stake, so ``p * q/100 = 1 - p`` breaks even.
- The one-sided binomial test asks how likely ``wins`` or more out of ``decided`` trades are
  when each wins with the break-even probability (the binomial's upper tail, scipy.stats). Refunds decide
  nothing and are left out. When the payout differs from trade to trade the test uses the
  mean break-even: the number of wins is then Poisson-binomial, whose variance is at most the
  binomial's with that mean, so the binomial p-value errs on the side of "no edge".
- Holm's step-down adjustment turns the p-values of all the combinations tried into ones
  that hold for the family: the chance that any "edge" among them is luck stays below alpha.
"""

from __future__ import annotations

import numpy as np


def break_even(payout: float) -> float:
    """The win rate at which trades at ``payout`` percent neither gain nor lose."""
    return 1.0 / (1.0 + payout / 100.0)


def mean_break_even(payouts: np.ndarray, fallback: float) -> float:
    """The break-even of trades at their own payouts (the mean of each one's); that of
    ``fallback`` percent when there is no trade."""
    if payouts.size == 0:
        return break_even(fallback)
    return float(np.mean(1.0 / (1.0 + payouts / 100.0)))


def p_above(wins: int, decided: int, break_even_rate: float) -> float:
    """One-sided p-value of ``wins`` out of ``decided`` against ``break_even_rate``; 1.0 with
    no decided trade (no evidence of anything)."""
    return float(
        p_above_each(np.array([wins]), np.array([decided]), np.array([break_even_rate]))[0]
    )


def p_above_each(wins: np.ndarray, decided: np.ndarray, break_even_rate: np.ndarray) -> np.ndarray:
    """:func:`p_above` of each entry, in one call: the upper tail ``P(X >= wins)`` of the
    binomial, as ``scipy.stats.binomtest(..., "greater")`` gives it (a sweep asks it for
    every combination twice; one call for all takes what one call for one does)."""
    # imported here: scipy takes most of a second to import, and a sweep's worker processes
    # (which count wins but test nothing) start faster without it
    from scipy import stats

    wins = np.asarray(wins, dtype=np.int64)
    decided = np.asarray(decided, dtype=np.int64)
    tail = stats.binom.sf(wins - 1, np.maximum(decided, 1), break_even_rate)
    return np.where(decided > 0, tail, 1.0).astype(np.float64)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values, in the order given: the k-th smallest is multiplied by
    ``m - k + 1`` (k from 1), made non-decreasing along the sorted order and capped at 1."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
