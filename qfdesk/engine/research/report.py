"""The sweep's answer to "does this strategy beat the payout?", from every combination's stats
(and the trades of those the walk-forward chose: ``scan.py``).

- ``best_in_sample``: the combination with the highest net profit over all the candles, its
  win rate and one-sided binomial p-value against break-even, and that p-value adjusted by
  Holm for the number of combinations tried (``adjusted_p_value``);
- ``walk_forward``: the out-of-sample result of choosing on the past (walk_forward.py);
- ``pbo``: the probability that choosing the best backtest overfits (pbo.py);
- ``per_combination``: each combination's figures over the span the walk-forward trades out
  of sample (every block after the first), for a map of the parameter landscape;
- ``verdict``: "edge" only when the out-of-sample win rate beats break-even with p < alpha
  AND the adjusted p-value of the best in-sample combination is below alpha; otherwise
  "no edge", with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qfdesk.engine.research.grid import Grid
from qfdesk.engine.research.pbo import probability_of_overfitting
from qfdesk.engine.research.scan import Scan, Tally, tally
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.significance import holm, p_above_each
from qfdesk.engine.research.walk_forward import walk_forward

EDGE = "edge"
NO_EDGE = "no edge"


@dataclass(frozen=True, slots=True)
class Summary:
    trades: int
    wins: int
    losses: int
    refunds: int
    win_rate: float | None
    net_profit: float
    max_drawdown: float
    break_even_win_rate: float
    p_value: float


def summarize(counted: Tally) -> Summary:
    """The tally's figures, and its win rate tested against its break-even (refunds decide
    nothing, so they are left out of both)."""
    return summarize_each([counted])[0]


def summarize_each(tallies: Sequence[Tally]) -> list[Summary]:
    """:func:`summarize` of each tally, their p-values in one call."""
    wins = np.array([t.wins for t in tallies], dtype=np.int64)
    decided = wins + np.array([t.losses for t in tallies], dtype=np.int64)
    rates = np.array([t.break_even_win_rate for t in tallies])
    p_values = p_above_each(wins, decided, rates).tolist()
    return [Summary(**asdict(t), p_value=p) for t, p in zip(tallies, p_values, strict=True)]


@dataclass(frozen=True)
class SweepReport:
    break_even_win_rate: float
    payout: float
    payout_source: str
    candles: int
    combinations: int
    skipped: int
    skip_reasons: tuple[str, ...]
    best_in_sample: dict[str, Any]
    walk_forward: dict[str, Any]
    adjusted_p_value: float
    pbo: float | None
    pbo_blocks: int
    per_combination: tuple[dict[str, Any], ...]
    verdict: str
    reason: str
    out_of_sample_profit: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["out_of_sample_profit"]
        out["skip_reasons"] = list(self.skip_reasons)
        out["per_combination"] = list(self.per_combination)
        return out

    def _payout_words(self) -> str:
        if self.payout_source == "history":
            return "payouts from the recorded history"
        return f"payout {self.payout:g}%"

    def describe(self) -> str:
        """The verdict and its numbers in plain words."""
        oos = self.walk_forward["out_of_sample"]
        rate = "n/a" if oos["win_rate"] is None else f"{oos['win_rate'] * 100:.1f}%"
        words = [
            f"{rate} out of sample over {oos['trades']:,} trades",
            f"break-even {self.break_even_win_rate * 100:.1f}% ({self._payout_words()})",
            f"p = {oos['p_value']:.3g}",
            f"best of {self.combinations} combinations: adjusted p = {self.adjusted_p_value:.3g}",
        ]
        if self.pbo is not None:
            judged = "probably overfit" if self.pbo >= 0.5 else "selection carries over"
            words.append(f"{judged}: PBO {self.pbo:.2f}")
        return f"{self.verdict.upper()}: " + "; ".join(words) + f".\n{self.reason}"


def analyse(
    scan: Scan,
    grid: Grid,
    candles: int,
    settings: SweepSettings,
    payout_source: str = "fixed",
) -> SweepReport:
    """The report over ``scan`` (one combination's stats per grid combination, in grid
    order). ``payout_source`` says where the trades' payouts came from ("fixed" or
    "history")."""
    settings.check(candles)
    stats = scan.stats
    summaries = summarize_each([s.whole for s in stats] + [s.late for s in stats])
    whole, late = summaries[: len(stats)], summaries[len(stats) :]
    adjusted = holm(np.array([s.p_value for s in whole]))
    best = int(np.argmax([s.net_profit for s in whole]))
    folds = walk_forward([s.in_sample for s in stats], scan.kept, candles, settings.folds)
    oos_outcome, oos_profit, oos_payout = (
        np.concatenate([getattr(f, name) for f in folds])
        for name in ("outcome", "profit", "payout")
    )
    oos = summarize(tally(oos_outcome, oos_profit, oos_payout, settings.payout))
    pbo = probability_of_overfitting(np.column_stack([s.blocks for s in stats]))
    landscape = tuple(
        {"params": dict(s.params), **asdict(summary)}
        for s, summary in zip(stats, late, strict=True)
    )
    per_fold = []
    for fold in folds:
        one = summarize(tally(fold.outcome, fold.profit, fold.payout, settings.payout))
        per_fold.append(
            {
                "fold": fold.fold,
                "in_sample_candles": list(fold.in_sample_rows),
                "out_of_sample_candles": list(fold.out_of_sample_rows),
                "params": dict(stats[fold.chosen].params),
                "in_sample_net_profit": fold.in_sample_net,
                **asdict(one),
            }
        )
    verdict, reason = _verdict(oos, float(adjusted[best]), settings.alpha, len(stats))
    return SweepReport(
        break_even_win_rate=oos.break_even_win_rate,
        payout=settings.payout,
        payout_source=payout_source,
        candles=candles,
        combinations=grid.tried,
        skipped=grid.skipped,
        skip_reasons=grid.skip_reasons,
        best_in_sample={"params": dict(stats[best].params), **asdict(whole[best])},
        walk_forward={"folds": settings.folds, "out_of_sample": asdict(oos), "per_fold": per_fold},
        adjusted_p_value=float(adjusted[best]),
        pbo=pbo,
        pbo_blocks=settings.pbo_blocks,
        per_combination=landscape,
        verdict=verdict,
        reason=reason,
        out_of_sample_profit=oos_profit,
    )


def _verdict(oos: Summary, adjusted: float, alpha: float, tried: int) -> tuple[str, str]:
    if oos.wins + oos.losses == 0:
        return NO_EDGE, "No out-of-sample trade was decided: there is nothing to judge."
    rate = oos.wins / (oos.wins + oos.losses)
    be = oos.break_even_win_rate
    if oos.p_value >= alpha:
        return NO_EDGE, (
            f"Out of sample the win rate {rate * 100:.1f}% does not beat break-even "
            f"{be * 100:.1f}% with confidence (p = {oos.p_value:.3g} >= {alpha:g})."
        )
    if adjusted >= alpha:
        return NO_EDGE, (
            f"The best in-sample combination is not significant once all {tried} combinations "
            f"tried are counted (Holm-adjusted p = {adjusted:.3g} >= {alpha:g})."
        )
    return EDGE, (
        f"Out of sample {rate * 100:.1f}% beats break-even {be * 100:.1f}% (p = "
        f"{oos.p_value:.3g}), and the best combination stays significant after the search "
        f"(adjusted p = {adjusted:.3g})."
    )
