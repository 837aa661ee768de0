"""What one combination contributes to a sweep's report, made where it was backtested.

A worker process (or a Dask worker) backtests a combination and sends back only its
:class:`ComboStats`: the counts and sums of its trades over all the candles and over the span
the walk-forward trades out of sample, its in-sample net at each fold's cut, and its net per
overfitting block. The p-values are left to the report (scipy is not needed where the work
is done). Only the combinations some fold chooses have their trades sent too (``Scan.kept``):
the walk-forward's out-of-sample result is made of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qfdesk.engine.backtest_stats import LOSS, REFUND, WIN, equity_fall
from qfdesk.engine.research.pbo import block_nets
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.significance import mean_break_even
from qfdesk.engine.research.trades import ComboTrades
from qfdesk.engine.research.walk_forward import block_bounds, block_of, chosen, in_sample_nets


@dataclass(frozen=True, slots=True)
class Tally:
    """Trades' counts and sums; their break-even is that of the payouts of the decided
    trades (refunds decide nothing)."""

    trades: int
    wins: int
    losses: int
    refunds: int
    win_rate: float | None
    net_profit: float
    max_drawdown: float
    break_even_win_rate: float


def tally(outcome: np.ndarray, profit: np.ndarray, payout: np.ndarray, fallback: float) -> Tally:
    wins = int(np.count_nonzero(outcome == WIN))
    losses = int(np.count_nonzero(outcome == LOSS))
    return Tally(
        trades=int(outcome.size),
        wins=wins,
        losses=losses,
        refunds=int(outcome.size) - wins - losses,
        win_rate=wins / (wins + losses) if wins + losses else None,
        net_profit=float(profit.sum()),
        max_drawdown=float(equity_fall(profit, 0.0)[1].max()) if outcome.size else 0.0,
        break_even_win_rate=mean_break_even(payout[outcome != REFUND], fallback),
    )


@dataclass(frozen=True)
class ComboStats:
    params: Mapping[str, float]
    whole: Tally
    """Over all the candles."""
    late: Tally
    """Over the trades entered from the first fold's cut: the span traded out of sample."""
    in_sample: np.ndarray
    """(folds,) net profit of the trades closed before each fold's cut."""
    blocks: np.ndarray
    """(pbo_blocks,) net profit of the trades entered in each overfitting block."""


def combo_stats(trades: ComboTrades, candles: int, settings: SweepSettings) -> ComboStats:
    bounds = block_bounds(candles, settings.folds + 1)
    late = trades.signal_index >= int(bounds[1])
    pbo_bounds = block_bounds(candles, settings.pbo_blocks)
    return ComboStats(
        params=dict(trades.params),
        whole=tally(trades.outcome, trades.profit, trades.payout, settings.payout),
        late=tally(*trades.where(late), settings.payout),
        in_sample=in_sample_nets(trades, candles, settings.folds),
        blocks=block_nets(
            block_of(trades.signal_index, pbo_bounds), trades.profit, settings.pbo_blocks
        ),
    )


@dataclass(frozen=True)
class Scan:
    """Every combination's stats in grid order, and the trades of those the folds chose."""

    stats: tuple[ComboStats, ...]
    kept: Mapping[int, ComboTrades]


def needed(stats: Sequence[ComboStats]) -> list[int]:
    """The combinations whose trades the report needs: those some fold chooses."""
    return sorted(set(chosen([s.in_sample for s in stats])))


def scan_of(combos: Sequence[ComboTrades], candles: int, settings: SweepSettings) -> Scan:
    """The scan of trades already at hand (a sweep of a trader's strategy, tests)."""
    stats = tuple(combo_stats(c, candles, settings) for c in combos)
    return Scan(stats, {i: combos[i] for i in needed(stats)})
