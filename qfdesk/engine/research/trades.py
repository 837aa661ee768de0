"""One combination's trades over the whole candle series, as the sweep's unit of work.

A combination is backtested once on all the candles (strategies are causal: a signal at a
candle uses nothing after it, which tests/test_strategies.py proves for the built-ins); the
walk-forward and the overfitting analysis then cut these trades by time. Only the columns
the analysis needs cross a process (or a Dask worker's) boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.strategies.base import CandleArrays, Strategy

if TYPE_CHECKING:
    # annotations only: the payout module reads CSVs with pandas, which a sweep's worker
    # processes need not import
    from qfdesk.engine.payout_history import PayoutSchedule


COLUMNS = ("start", "open", "high", "low", "close")


@dataclass(frozen=True)
class Columns:
    """Candles as plain arrays: picklable, and a ``CandleArrays`` for the strategies."""

    start: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    @classmethod
    def of(cls, candles: CandleArrays) -> Columns:
        return cls(*(np.ascontiguousarray(getattr(candles, name)) for name in COLUMNS))

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def save(self, folder: Path) -> None:
        """Write the columns as ``.npy`` files in ``folder``, for :meth:`mapped`."""
        for name in COLUMNS:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def mapped(cls, folder: Path) -> Columns:
        """The columns :meth:`save` wrote, mapped from their files (copy on write), not
        read: processes mapping the same files share their pages."""
        return cls(
            *(np.asarray(np.load(folder / f"{name}.npy", mmap_mode="c")) for name in COLUMNS)
        )


@dataclass(frozen=True)
class ComboTrades:
    """``outcome`` +1 win, -1 loss, 0 refund; indices are candle rows of entry and exit."""

    params: Mapping[str, float]
    signal_index: np.ndarray
    exit_index: np.ndarray
    outcome: np.ndarray
    profit: np.ndarray
    payout: np.ndarray
    signals: int
    skipped: int
    closed: int = 0

    def where(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(outcome, profit, payout) of the chosen rows."""
        return self.outcome[rows], self.profit[rows], self.payout[rows]


def combo_trades(
    candles: Columns,
    timeframe: int,
    strategy: Strategy,
    config: BacktestConfig,
    payouts: PayoutSchedule | None = None,
) -> ComboTrades:
    """The combination's trades; with ``payouts``, each at the payout in force at its entry
    (``config.payout`` before the first record), and none while the asset was closed (as
    :func:`run_backtest` pays them)."""
    result = run_backtest(candles, timeframe, strategy, config, payouts=payouts)
    trades = result.trades
    return ComboTrades(
        params=dict(strategy.params),
        signal_index=trades.signal_index,
        exit_index=trades.exit_index,
        outcome=trades.outcome,
        profit=trades.profit,
        payout=trades.payout,
        signals=result.stats.signals,
        skipped=result.stats.skipped,
        closed=result.closed,
    )
