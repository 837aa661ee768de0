"""The figures of a set of journaled attempts, honest about what a win rate means.

A trade counts when it settled; refunds decide nothing. Beside the win rate stand its 95%
(Wilson) interval and the break-even win rate of the payouts those trades were taken at (the
mean of each one's ``1 / (1 + payout)``), so a win rate is never read without the bar it has
to clear. Latencies are the means over the attempts that have them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from qfdesk.engine.backtest_stats import longest_run
from qfdesk.engine.journal.entries import Outcome
from qfdesk.engine.journal.reader import JournalRow
from qfdesk.engine.research.significance import mean_break_even


@dataclass(frozen=True, slots=True)
class JournalFigures:
    attempts: int
    refused: int
    trades: int
    """Settled trades, refunds included."""
    wins: int
    losses: int
    refunds: int
    net: float
    longest_losing_streak: int
    win_rate: float | None
    interval: tuple[float, float] | None
    break_even: float | None
    intent_to_click_ms: float | None
    click_to_confirm_ms: float | None

    @property
    def decided(self) -> int:
        return self.wins + self.losses


def journal_figures(rows: Sequence[JournalRow]) -> JournalFigures:
    settled = [r for r in rows if r.outcome is not None]
    decided = [r for r in settled if r.outcome is not Outcome.REFUND]
    wins = sum(1 for r in decided if r.outcome is Outcome.WON)
    losing = np.array([r.outcome is Outcome.LOST for r in decided], dtype=bool)
    win_rate = interval = None
    if decided:
        win_rate = wins / len(decided)
        ci = stats.binomtest(wins, len(decided)).proportion_ci(0.95, method="wilson")
        interval = (float(ci.low), float(ci.high))
    payouts = np.array([r.payout for r in decided if r.payout is not None], dtype=float)
    return JournalFigures(
        attempts=len(rows),
        refused=sum(1 for r in rows if r.placement == "refused"),
        trades=len(settled),
        wins=wins,
        losses=len(decided) - wins,
        refunds=len(settled) - len(decided),
        net=float(sum(r.profit or 0.0 for r in settled)),
        longest_losing_streak=longest_run(losing),
        win_rate=win_rate,
        interval=interval,
        break_even=mean_break_even(payouts, 0.0) if payouts.size else None,
        intent_to_click_ms=_mean([r.intent_to_click_ms for r in rows]),
        click_to_confirm_ms=_mean([r.click_to_confirm_ms for r in rows]),
    )


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def describe(figures: JournalFigures) -> list[str]:
    """The figures in words, one line each."""
    f = figures
    lines = [
        f"{f.attempts} attempts: {f.trades} trades settled, {f.refused} refused",
        f"won {f.wins}, lost {f.losses}, refunded {f.refunds}; net {f.net:+.2f}",
    ]
    if f.win_rate is not None and f.interval is not None:
        low, high = f.interval
        bar = f"{f.break_even:.1%}" if f.break_even is not None else "unknown (no payout)"
        lines.append(
            f"win rate {f.win_rate:.1%} (95% interval {low:.1%}-{high:.1%}) "
            f"against break-even {bar}"
        )
    else:
        lines.append("win rate: no decided trade")
    lines.append(f"longest losing streak {f.longest_losing_streak}")
    latency = [
        f"{name} {value:.0f} ms"
        for name, value in (
            ("intent to click", f.intent_to_click_ms),
            ("click to confirmation", f.click_to_confirm_ms),
        )
        if value is not None
    ]
    lines.append("average latency: " + (", ".join(latency) if latency else "none measured"))
    return lines
