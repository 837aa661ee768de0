"""Statistics of a list of binary-option trades, and the A/B test of two win rates.

Definitions (trades in the order they were opened; all have one expiry, so this is also the
order they closed in):

- ``trades`` = wins + losses + refunds; ``skipped`` signals never became trades;
- ``win_rate`` = wins / (wins + losses): a refund is neither (None with no decided trade);
- ``max_drawdown``: the largest fall of the equity (start balance + profit so far) from its
  running peak; ``max_drawdown_pct``: the largest such fall as a percentage of that peak;
- ``profit_factor`` = gross profit / gross loss (None when nothing was lost);
- ``longest_losing_streak``: most losses in a row, refunds neither extending nor breaking it;
- ``expectancy`` = net profit / trades.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

WIN = 1
LOSS = -1
REFUND = 0


def trade_profit(outcome: int, stake: float, payout: float) -> float:
    """One trade's profit: stake * payout% for a win, -stake for a loss, 0 for a refund."""
    if outcome == WIN:
        return stake * payout / 100.0
    if outcome == LOSS:
        return -stake
    return 0.0


@dataclass(frozen=True, slots=True)
class BacktestStats:
    trades: int
    wins: int
    losses: int
    refunds: int
    skipped: int
    win_rate: float | None
    net_profit: float
    gross_profit: float
    gross_loss: float
    max_drawdown: float
    max_drawdown_pct: float
    profit_factor: float | None
    longest_losing_streak: int
    expectancy: float | None
    signals: int
    denied: int
    start_balance: float
    end_balance: float

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True."""
    if flags.size == 0 or not flags.any():
        return 0
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def equity_fall(profit: np.ndarray, start_balance: float) -> tuple[np.ndarray, np.ndarray]:
    """(running peak, fall from it) of the equity after each trade."""
    equity = start_balance + np.cumsum(profit)
    peak = np.maximum.accumulate(np.concatenate(([start_balance], equity)))[1:]
    return peak, peak - equity


def compute_stats(
    outcome: np.ndarray,
    profit: np.ndarray,
    *,
    skipped: int,
    start_balance: float,
    signals: int,
    denied: int = 0,
) -> BacktestStats:
    wins = int(np.count_nonzero(outcome == WIN))
    losses = int(np.count_nonzero(outcome == LOSS))
    refunds = int(np.count_nonzero(outcome == REFUND))
    trades = int(outcome.size)
    gross_profit = float(profit[profit > 0].sum())
    gross_loss = float(-profit[profit < 0].sum())
    net = float(profit.sum())
    peak, fall = equity_fall(profit, start_balance)
    max_dd = float(fall.max()) if trades else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(peak > 0, fall / peak * 100.0, 0.0)
    return BacktestStats(
        trades=trades,
        wins=wins,
        losses=losses,
        refunds=refunds,
        skipped=skipped,
        win_rate=wins / (wins + losses) if wins + losses else None,
        net_profit=net,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        max_drawdown=max_dd,
        max_drawdown_pct=float(pct.max()) if trades else 0.0,
        profit_factor=gross_profit / gross_loss if gross_loss > 0 else None,
        longest_losing_streak=longest_run(outcome[outcome != REFUND] == LOSS),
        expectancy=net / trades if trades else None,
        signals=signals,
        denied=denied,
        start_balance=start_balance,
        end_balance=start_balance + net,
    )


def _num(value: float | None, fmt: str, suffix: str = "") -> str:
    return "n/a" if value is None else format(value, fmt) + suffix


def stat_rows(stats: BacktestStats) -> list[tuple[str, str]]:
    """The statistics as a trader reads them (label, text), in the CLI and the dialog."""
    win_rate = None if stats.win_rate is None else stats.win_rate * 100
    return [
        ("trades", str(stats.trades)),
        ("wins", str(stats.wins)),
        ("losses", str(stats.losses)),
        ("refunds", str(stats.refunds)),
        ("skipped", str(stats.skipped)),
        ("win rate", _num(win_rate, ".2f", " %")),
        ("net profit", f"{stats.net_profit:.2f}"),
        ("max drawdown", f"{stats.max_drawdown:.2f} ({stats.max_drawdown_pct:.2f} %)"),
        ("profit factor", _num(stats.profit_factor, ".3f")),
        ("longest losing streak", str(stats.longest_losing_streak)),
        ("expectancy per trade", _num(stats.expectancy, ".4f")),
        ("denied by risk", str(stats.denied)),
    ]


@dataclass(frozen=True, slots=True)
class WinRateComparison:
    """Two-proportion z-test (pooled, two-sided) of win rate A against win rate B."""

    rate_a: float | None
    rate_b: float | None
    z: float
    p_value: float
    significant: bool

    def describe(self) -> str:
        if self.rate_a is None or self.rate_b is None:
            return "not comparable: one side has no decided trades"
        verdict = "significant" if self.significant else "not significant"
        return (
            f"win rate {self.rate_a:.1%} vs {self.rate_b:.1%}: z = {self.z:.2f}, "
            f"p = {self.p_value:.3f}, {verdict} at 5%"
        )


def compare_win_rates(
    wins_a: int, decided_a: int, wins_b: int, decided_b: int, alpha: float = 0.05
) -> WinRateComparison:
    """Is the difference between wins_a / decided_a and wins_b / decided_b meaningful?"""
    rate_a = wins_a / decided_a if decided_a else None
    rate_b = wins_b / decided_b if decided_b else None
    if rate_a is None or rate_b is None:
        return WinRateComparison(rate_a, rate_b, 0.0, 1.0, False)
    pooled = (wins_a + wins_b) / (decided_a + decided_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / decided_a + 1.0 / decided_b))
    if se == 0.0:
        return WinRateComparison(rate_a, rate_b, 0.0, 1.0, False)
    z = (rate_a - rate_b) / se
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    return WinRateComparison(rate_a, rate_b, z, p_value, p_value < alpha)


def compare_stats(a: BacktestStats, b: BacktestStats, alpha: float = 0.05) -> WinRateComparison:
    return compare_win_rates(a.wins, a.wins + a.losses, b.wins, b.wins + b.losses, alpha)
