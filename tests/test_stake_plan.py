"""Stake plans: fixed, percent of balance, martingale and anti-martingale, each checked
against the risk limits; a step past a limit stops the plan with the reason, never clipped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.stake_plan import (
    PlanKind,
    StakePlan,
    StakeSequence,
    plan_problems,
    worst_case,
)

LIMITS = RiskLimits(min_stake=1.0, max_stake=10.0)


def stakes(plan: StakePlan, results: list[float], balance: float = 1000.0) -> list[float | None]:
    sequence = StakeSequence(plan, LIMITS)
    out = []
    for profit in results:
        out.append(sequence.next_stake(balance).stake)
        sequence.record(profit)
    return out


def test_a_martingale_doubles_after_each_loss_and_resets_after_a_win():
    plan = StakePlan(PlanKind.MARTINGALE, base=1.0, multiplier=2.0, max_steps=3)
    assert stakes(plan, [-1, -1, 0, -1, 1, -1]) == [1, 2, 4, 4, 8, 1]


def test_a_martingale_starts_again_at_its_base_after_its_last_step():
    plan = StakePlan(PlanKind.MARTINGALE, base=1.0, multiplier=2.0, max_steps=2)
    assert stakes(plan, [-1, -1, -1, -1]) == [1, 2, 4, 1]


def test_an_anti_martingale_grows_after_wins_and_resets_after_a_loss():
    plan = StakePlan(PlanKind.ANTI_MARTINGALE, base=1.5, multiplier=2.0, max_steps=2)
    assert stakes(plan, [0.9, 0.9, -1, 0.9, 0.9]) == [1.5, 3, 6, 1.5, 3]


def test_percent_of_balance_follows_the_balance():
    sequence = StakeSequence(StakePlan(PlanKind.PERCENT, percent=2.0), LIMITS)
    assert sequence.next_stake(250.0).stake == 5.0
    assert sequence.next_stake(333.0).stake == 6.66


def test_a_step_past_the_maximum_stake_stops_the_plan_and_says_why():
    plan = StakePlan(PlanKind.MARTINGALE, base=3.0, multiplier=2.0, max_steps=3)
    assert "step 3 would stake 24, above the maximum stake 10" in plan_problems(plan, LIMITS)[0]
    sequence = StakeSequence(plan, LIMITS)
    assert [sequence.next_stake(1000).stake for _ in range(1)] == [3.0]
    sequence.record(-1)
    assert sequence.next_stake(1000).stake == 6.0
    sequence.record(-1)
    refused = sequence.next_stake(1000)
    assert refused.stake is None
    assert "the next stake 12" in refused.reason and "above the maximum stake 10" in refused.reason
    sequence.record(1)
    assert sequence.next_stake(1000).stake is None, "a stopped plan stays stopped"
    sequence.restart()
    assert sequence.next_stake(1000).stake == 3.0


def test_a_stake_above_the_balance_or_below_the_minimum_stops_the_plan():
    fixed = StakeSequence(StakePlan(PlanKind.FIXED, base=5.0), LIMITS)
    assert "more than the balance" in fixed.next_stake(4.0).reason
    percent = StakeSequence(StakePlan(PlanKind.PERCENT, percent=1.0), LIMITS)
    assert "below the minimum stake 1" in percent.next_stake(50.0).reason


@pytest.mark.parametrize(
    ("plan", "problem"),
    [
        (StakePlan(PlanKind.MARTINGALE, multiplier=1.0), "multiplier must be above 1"),
        (StakePlan(PlanKind.FIXED, base=0.5), "below the minimum stake"),
        (StakePlan(PlanKind.PERCENT, percent=0), "percent of the balance"),
    ],
)
def test_a_plan_that_makes_no_sense_is_explained(plan, problem):
    assert any(problem in text for text in plan_problems(plan, LIMITS))


@given(
    kind=st.sampled_from(list(PlanKind)),
    base=st.floats(0.5, 20),
    multiplier=st.floats(1.1, 4),
    steps=st.integers(1, 6),
    results=st.lists(st.sampled_from([-1.0, 0.0, 0.9]), max_size=30),
    balance=st.floats(1, 500),
)
def test_no_plan_ever_stakes_past_a_limit_or_the_balance(
    kind, base, multiplier, steps, results, balance
):
    plan = StakePlan(kind, base=base, percent=base, multiplier=multiplier, max_steps=steps)
    sequence = StakeSequence(plan, LIMITS)
    for profit in results:
        stake = sequence.next_stake(balance).stake
        if stake is not None:
            assert LIMITS.min_stake <= stake <= min(LIMITS.max_stake, balance)
        sequence.record(profit)


def test_the_worst_case_gives_the_deepest_stake_and_the_total_at_risk_beside_the_daily_limit():
    plan = StakePlan(PlanKind.MARTINGALE, base=1.0, multiplier=2.0, max_steps=3)
    text = worst_case(plan, RiskLimits(max_stake=10.0, daily_loss_limit=10.0))
    assert text.startswith("worst case: step 3 stakes 8; 15 at risk over 4 losses in a row")
    assert "more than the daily loss limit 10" in text
    assert "daily loss" not in worst_case(plan, RiskLimits(max_stake=10.0))
