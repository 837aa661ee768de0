"""One or two strategies backtested on the same candles, and the A/B test of their win
rates: what ``qfdesk backtest`` and the backtest dialog both run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qfdesk.engine.backtest import BacktestConfig, BacktestResult, run_backtest
from qfdesk.engine.backtest_stats import WinRateComparison, compare_stats
from qfdesk.engine.payout_history import PayoutSchedule
from qfdesk.engine.risk import RiskLimits, RiskManager
from qfdesk.engine.strategies.base import CandleArrays, Strategy


@dataclass(frozen=True, slots=True)
class ABRun:
    results: tuple[BacktestResult, ...]
    comparison: WinRateComparison | None
    """A against B when there are two results."""


def run_ab(
    candles: CandleArrays,
    timeframe: int,
    strategies: Sequence[Strategy],
    *,
    payout: float,
    stake: float,
    start_balance: float = 1000.0,
    asset: str = "",
    limits: RiskLimits | None = None,
    progress: Callable[[float], None] | None = None,
    payouts: PayoutSchedule | None = None,
) -> ABRun:
    """Each strategy at its own expiry; with ``limits`` every trade goes through a risk
    manager of its own (decisions logged at DEBUG). ``progress(share)`` covers them all.
    With ``payouts`` (the asset's recorded history) each trade is paid the payout in force
    at its entry, ``payout`` before the first record."""
    share = 1.0 / len(strategies)
    results = []
    for i, strategy in enumerate(strategies):
        config = BacktestConfig(strategy.expiry, payout, stake, start_balance)
        risk = None if limits is None else RiskManager(limits, log_level=logging.DEBUG)
        step = None if progress is None else (lambda done, i=i: progress((i + done) * share))
        results.append(
            run_backtest(
                candles,
                timeframe,
                strategy,
                config,
                asset=asset,
                risk=risk,
                progress=step,
                payouts=payouts,
            )
        )
    comparison = compare_stats(results[0].stats, results[1].stats) if len(results) == 2 else None
    return ABRun(tuple(results), comparison)
