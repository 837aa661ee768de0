"""Stake plans: how much the next trade stakes, never past a risk limit.

- **fixed**: ``base`` every trade;
- **percent**: ``percent`` of the balance at each trade (rounded to cents);
- **martingale**: ``base`` times ``multiplier`` after each loss, back to ``base`` after a win;
- **anti-martingale**: ``base`` times ``multiplier`` after each win, back after a loss.

A step is one multiplication; after ``max_steps`` in a row the next result starts again at
``base`` (the plan never escalates forever). Refunds leave the step as it is. Every stake is
checked against the limits it runs under (``min_stake`` .. ``max_stake``) and the balance: a
stake a plan would need that breaks one of them is never clipped into a smaller one that
would change the plan's arithmetic; the plan **stops** instead and says why, and stays
stopped until :meth:`StakeSequence.restart`. :func:`plan_problems` says before the first trade
whether a plan can ever reach a stake past the limits (its deepest step).

Results must come in the order the trades were placed; with several trades open at once a
martingale's step follows the order they settle in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from qfdesk.engine.risk import RiskLimits


class PlanKind(str, Enum):
    FIXED = "fixed"
    PERCENT = "percent"
    MARTINGALE = "martingale"
    ANTI_MARTINGALE = "anti-martingale"


@dataclass(frozen=True, slots=True)
class StakePlan:
    kind: PlanKind = PlanKind.FIXED
    base: float = 1.0
    percent: float = 1.0
    multiplier: float = 2.0
    max_steps: int = 3

    def describe(self) -> str:
        if self.kind is PlanKind.FIXED:
            return f"fixed {self.base:g}"
        if self.kind is PlanKind.PERCENT:
            return f"{self.percent:g}% of the balance"
        after = "loss" if self.kind is PlanKind.MARTINGALE else "win"
        return (
            f"{self.kind.value}: {self.base:g}, x{self.multiplier:g} after each {after}, "
            f"at most {self.max_steps} steps"
        )


@dataclass(frozen=True, slots=True)
class NextStake:
    """The next trade's stake, or None with the reason the plan stopped."""

    stake: float | None
    reason: str


def plan_problems(plan: StakePlan, limits: RiskLimits) -> list[str]:
    """What makes ``plan`` unusable under ``limits``, in words (empty: fine)."""
    found = []
    if plan.kind is PlanKind.PERCENT:
        if not 0 < plan.percent <= 100:
            found.append("the percent of the balance must be above 0 and at most 100")
        return found
    if plan.base <= 0:
        found.append("the base stake must be above 0")
    elif plan.base < limits.min_stake:
        found.append(
            f"the base stake {plan.base:g} is below the minimum stake {limits.min_stake:g}"
        )
    if plan.kind in (PlanKind.MARTINGALE, PlanKind.ANTI_MARTINGALE):
        if plan.multiplier <= 1:
            found.append("the multiplier must be above 1")
        if plan.max_steps < 1:
            found.append("at least one step")
    if not found:
        deepest = _stake_at(plan, _max_step(plan))
        if deepest > limits.max_stake:
            found.append(
                f"step {_max_step(plan)} would stake {deepest:g}, above the maximum stake "
                f"{limits.max_stake:g}: lower the base, the multiplier or the steps"
            )
    return found


def worst_case(plan: StakePlan, limits: RiskLimits) -> str:
    """The plan's worst case in words: its deepest stake and what a run of losses to it
    costs, beside the daily loss limit (a percent plan's stake follows the balance)."""
    if plan.kind is PlanKind.PERCENT:
        return (
            f"worst case: each stake {plan.percent:g}% of the balance, at most the maximum "
            f"stake {limits.max_stake:g}"
        )
    deepest = _max_step(plan)
    stakes = [_stake_at(plan, step) for step in range(deepest + 1)]
    at_risk = round(sum(stakes), 2)
    text = f"worst case: step {deepest} stakes {stakes[-1]:g}; {at_risk:g} at risk"
    if plan.kind is PlanKind.MARTINGALE and deepest:
        text += f" over {deepest + 1} losses in a row"
    if limits.daily_loss_limit is not None and at_risk > limits.daily_loss_limit:
        text += (
            f", more than the daily loss limit {limits.daily_loss_limit:g} (the risk manager "
            "stops trading there first)"
        )
    return text


def _max_step(plan: StakePlan) -> int:
    return plan.max_steps if plan.kind in (PlanKind.MARTINGALE, PlanKind.ANTI_MARTINGALE) else 0


def _stake_at(plan: StakePlan, step: int) -> float:
    return round(plan.base * plan.multiplier**step, 2)


class StakeSequence:
    """One plan in use: the step it is at, and whether it stopped."""

    def __init__(self, plan: StakePlan, limits: RiskLimits) -> None:
        self.plan = plan
        self.limits = limits
        self.step = 0
        self.stopped: str | None = None

    def restart(self) -> None:
        self.step, self.stopped = 0, None

    def next_stake(self, balance: float) -> NextStake:
        if self.stopped is not None:
            return NextStake(None, self.stopped)
        plan, lim = self.plan, self.limits
        if plan.kind is PlanKind.PERCENT:
            stake = round(balance * plan.percent / 100.0, 2)
            how = f"{plan.percent:g}% of balance {balance:.2f}"
        else:
            stake = _stake_at(plan, self.step)
            how = plan.describe() + (f", step {self.step}" if self.step else "")
        problem = None
        if stake > lim.max_stake:
            problem = f"above the maximum stake {lim.max_stake:g}"
        elif stake < lim.min_stake:
            problem = f"below the minimum stake {lim.min_stake:g}"
        elif stake > balance:
            problem = f"more than the balance {balance:.2f}"
        if problem is not None:
            self.stopped = (
                f"stake plan stopped: the next stake {stake:g} ({how}) would be {problem}"
            )
            return NextStake(None, self.stopped)
        return NextStake(stake, how)

    def record(self, profit: float) -> None:
        """The result of the trade the last stake was for."""
        kind = self.plan.kind
        if profit == 0 or kind in (PlanKind.FIXED, PlanKind.PERCENT):
            return
        escalate = (profit < 0) == (kind is PlanKind.MARTINGALE)
        if escalate and self.step < self.plan.max_steps:
            self.step += 1
        else:
            self.step = 0
