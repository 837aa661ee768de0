"""Backtests of a strategy on closed candles, with binary-option outcomes.

A signal on the candle that starts at ``t`` (timeframe ``p``) enters at that candle's close
(time ``t + p``) and exits at the close of the candle that ends ``expiry`` seconds later, the
one starting at ``t + expiry``. CALL wins if exit > entry, PUT if exit < entry; equal is a
refund. A win pays stake * payout / 100, a loss costs the stake. A signal whose exit candle is
missing is skipped and counted. With a recorded payout history each trade is paid the payout
in force at its entry (``config.payout`` before the history's first record) and a signal
while the asset was closed is no trade (counted in ``closed``). Without a risk manager every
signal with an outcome is a trade; with one, signals are replayed in time order through it
(results are recorded when their exit time has passed), and the stake is the one it sizes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from qfdesk.engine.backtest_stats import LOSS, WIN, BacktestStats, compute_stats, trade_profit
from qfdesk.engine.events import Direction
from qfdesk.engine.risk import AccountState, RiskManager, TradeIntent
from qfdesk.engine.strategies.base import CALL, PUT, CandleArrays, SignalArrays, Strategy

if TYPE_CHECKING:
    # annotations only: the payout module reads CSVs with pandas, which a sweep's worker
    # processes need not import
    from qfdesk.engine.payout_history import PayoutSchedule

PROGRESS_ROWS = 4096  # risk replay rows between progress reports


class BacktestError(ValueError):
    """The backtest cannot run: bad settings, or the strategy failed."""


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    expiry: int
    payout: float
    stake: float = 1.0
    start_balance: float = 1000.0

    def check(self, timeframe: int) -> None:
        if self.expiry <= 0 or self.expiry % timeframe:
            raise BacktestError(
                f"expiry {self.expiry} s must be a positive multiple of the timeframe "
                f"{timeframe} s, so that a candle closes when the trade does"
            )
        if not 0 < self.payout <= 1000:
            raise BacktestError(f"payout {self.payout:g}% must be above 0")
        if self.stake <= 0:
            raise BacktestError(f"stake {self.stake:g} must be above 0")


@dataclass(frozen=True)
class Trades:
    """One row per trade, as columns. ``outcome`` is +1 win, -1 loss, 0 refund."""

    signal_index: np.ndarray
    exit_index: np.ndarray
    entry_time: np.ndarray
    exit_time: np.ndarray
    direction: np.ndarray
    confidence: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    stake: np.ndarray
    outcome: np.ndarray
    profit: np.ndarray
    payout: np.ndarray  # percent, the one in force at the entry

    def __len__(self) -> int:
        return int(self.signal_index.shape[0])

    def take(self, rows: np.ndarray) -> Trades:
        return Trades(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class BacktestResult:
    strategy: str
    asset: str
    timeframe: int
    config: BacktestConfig
    trades: Trades
    stats: BacktestStats
    params: dict[str, float] = field(default_factory=dict)
    denied_reasons: dict[str, int] = field(default_factory=dict)
    payouts: PayoutSchedule | None = None
    """The recorded payout history the trades were paid from; None: ``config.payout``."""
    closed: int = 0
    """Signals with no trade because the asset was closed at their entry."""

    @property
    def equity(self) -> np.ndarray:
        """Balance after each trade."""
        return self.config.start_balance + np.cumsum(self.trades.profit)


def payoff(
    outcome: np.ndarray, stake: np.ndarray | float, payout: np.ndarray | float
) -> np.ndarray:
    """Profit of each trade: stake * payout% for a win, -stake for a loss, 0 for a refund."""
    stake = np.asarray(stake, dtype=np.float64)
    return np.where(outcome == WIN, stake * payout / 100.0, np.where(outcome == LOSS, -stake, 0.0))


def _checked_signals(strategy: Strategy, candles: CandleArrays, n: int) -> SignalArrays:
    try:
        found = strategy.signals(candles)
    except Exception as exc:
        raise BacktestError(
            f"strategy {strategy.name} failed: {type(exc).__name__}: {exc}"
        ) from exc
    index = np.asarray(found.index, dtype=np.int64)
    direction = np.asarray(found.direction, dtype=np.int8)
    confidence = np.asarray(found.confidence, dtype=np.float64)
    if not (index.shape == direction.shape == confidence.shape):
        raise BacktestError(f"strategy {strategy.name} gave signal arrays of unequal lengths")
    if index.size and (index[0] < 0 or index[-1] >= n or np.any(np.diff(index) <= 0)):
        raise BacktestError(f"strategy {strategy.name} gave signal indices out of order or range")
    if not np.all((direction == CALL) | (direction == PUT)):
        raise BacktestError(f"strategy {strategy.name} gave a direction other than CALL or PUT")
    if not np.all((confidence >= 0.0) & (confidence <= 1.0)):
        raise BacktestError(f"strategy {strategy.name} gave a confidence outside 0 to 1")
    return SignalArrays(index, direction, confidence)


def resolve_outcomes(
    candles: CandleArrays,
    timeframe: int,
    signals: SignalArrays,
    config: BacktestConfig,
    payouts: PayoutSchedule | None = None,
) -> tuple[Trades, int, int]:
    """Every signal's trade at ``config.stake`` (no risk filter), how many were skipped (exit
    candle missing) and how many had no trade because the asset was closed (``payouts``)."""
    start = np.asarray(candles.start, dtype=np.int64)
    close = np.asarray(candles.close, dtype=np.float64)
    n = start.shape[0]
    idx = signals.index
    target = start[idx] + config.expiry
    exit_idx = np.searchsorted(start, target)
    found = exit_idx < n
    found[found] = start[exit_idx[found]] == target[found]
    idx, exit_idx = idx[found], exit_idx[found]
    direction, confidence = signals.direction[found], signals.confidence[found]
    entry_time = start[idx] + timeframe
    payout = np.full(idx.shape, float(config.payout))
    closed = 0
    if payouts is not None:
        recorded, active = payouts.at(entry_time)
        known = ~np.isnan(recorded)
        payout[known] = recorded[known]
        keep = active | ~known
        closed = int(np.count_nonzero(~keep))
        idx, exit_idx, entry_time = idx[keep], exit_idx[keep], entry_time[keep]
        payout, direction, confidence = payout[keep], direction[keep], confidence[keep]
    entry = close[idx]
    exit_ = close[exit_idx]
    outcome = (np.sign(exit_ - entry) * direction).astype(np.int8)
    stake = np.full(idx.shape, float(config.stake))
    profit = payoff(outcome, stake, payout)
    trades = Trades(
        signal_index=idx,
        exit_index=exit_idx,
        entry_time=entry_time,
        exit_time=start[exit_idx] + timeframe,
        direction=direction,
        confidence=confidence,
        entry_price=entry,
        exit_price=exit_,
        stake=stake,
        outcome=outcome,
        profit=profit,
        payout=payout,
    )
    return trades, int(np.count_nonzero(~found)), closed


def _through_risk(
    trades: Trades,
    risk: RiskManager,
    config: BacktestConfig,
    asset: str,
    source: str,
    progress: Callable[[float], None] | None = None,
) -> tuple[Trades, dict[str, int]]:
    """Replay the trades in time order through the risk manager; keep those it allows."""
    balance = config.start_balance
    pending: list[tuple[int, int, float]] = []
    kept: list[int] = []
    stakes: list[float] = []
    profits: list[float] = []
    denied: dict[str, int] = {}
    columns = zip(
        trades.entry_time.tolist(),
        trades.exit_time.tolist(),
        trades.direction.tolist(),
        trades.confidence.tolist(),
        trades.outcome.tolist(),
        trades.payout.tolist(),
    )
    total = max(1, len(trades))
    for row, (now, exit_time, direction, confidence, outcome, payout) in enumerate(columns):
        if progress is not None and row % PROGRESS_ROWS == 0:
            progress(row / total)
        while pending and pending[0][0] <= now:
            closed_at, done, profit = heapq.heappop(pending)
            risk.record_result(str(done), profit, closed_at)
            balance += profit
        intent = TradeIntent(
            asset=asset,
            direction=Direction.CALL if direction == CALL else Direction.PUT,
            payout=payout,
            confidence=confidence,
            expiry=config.expiry,
            source=source,
        )
        decision = risk.check(intent, AccountState(balance), now)
        if not decision.allowed:
            denied[decision.code] = denied.get(decision.code, 0) + 1
            continue
        risk.record_open(str(row), asset, decision.stake, now)
        profit = trade_profit(outcome, decision.stake, payout)
        heapq.heappush(pending, (exit_time, row, profit))
        kept.append(row)
        stakes.append(decision.stake)
        profits.append(profit)
    for exit_time, done, profit in sorted(pending):
        risk.record_result(str(done), profit, exit_time)
    rows = np.array(kept, dtype=np.int64)
    chosen = trades.take(rows)
    fields = {name: getattr(chosen, name) for name in chosen.__dataclass_fields__}
    stake = np.array(stakes, dtype=np.float64)
    profit_column = np.array(profits, dtype=np.float64)
    return Trades(**{**fields, "stake": stake, "profit": profit_column}), denied


def run_backtest(
    candles: CandleArrays,
    timeframe: int,
    strategy: Strategy,
    config: BacktestConfig,
    *,
    asset: str = "",
    risk: RiskManager | None = None,
    progress: Callable[[float], None] | None = None,
    payouts: PayoutSchedule | None = None,
) -> BacktestResult:
    """``progress(fraction)`` is called now and then with the share of the work done;
    ``payouts``: the asset's recorded payout history, to pay each trade from."""
    config.check(timeframe)
    n = int(np.asarray(candles.start).shape[0])
    signals = _checked_signals(strategy, candles, n)
    if progress is not None:
        progress(0.6)
    trades, skipped, closed = resolve_outcomes(candles, timeframe, signals, config, payouts)
    denied: dict[str, int] = {}
    if risk is not None:
        step = None if progress is None else (lambda done: progress(0.7 + 0.25 * done))
        trades, denied = _through_risk(trades, risk, config, asset, strategy.name, step)
    stats = compute_stats(
        trades.outcome,
        trades.profit,
        skipped=skipped,
        start_balance=config.start_balance,
        signals=int(signals.index.size),
        denied=sum(denied.values()),
    )
    if progress is not None:
        progress(1.0)
    return BacktestResult(
        strategy.name,
        asset,
        timeframe,
        config,
        trades,
        stats,
        dict(strategy.params),
        denied,
        payouts,
        closed,
    )
