"""The trade panel's stake plan: the amount as typed by default, a plan from the typed
amount, and a plan the risk limits would break explained and not used."""

from __future__ import annotations

from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.stake_plan import PlanKind
from qfdesk.ui.trade_panel import TradePanel

LIMITS = RiskLimits(min_stake=1.0, max_stake=10.0)


def test_the_amount_as_typed_is_the_default_and_a_martingale_starts_from_it(qtbot):
    panel = TradePanel()
    qtbot.addWidget(panel)
    box = panel.stake_plan
    assert box.check(2.0, LIMITS) is None and not box.problem.isVisibleTo(panel)

    box.kind.setCurrentIndex(box.kind.findData(PlanKind.MARTINGALE.value))
    box.multiplier.setValue(2.0)
    box.steps.setValue(2)
    plan = box.check(2.0, LIMITS)
    assert plan is not None and (plan.kind, plan.base, plan.max_steps) == (
        PlanKind.MARTINGALE,
        2.0,
        2,
    )
    assert box.multiplier.isVisibleTo(panel) and not box.percent.isVisibleTo(panel)


def test_a_plan_past_the_maximum_stake_is_explained_and_not_used(qtbot):
    panel = TradePanel()
    qtbot.addWidget(panel)
    box = panel.stake_plan
    box.kind.setCurrentIndex(box.kind.findData(PlanKind.MARTINGALE.value))
    box.steps.setValue(3)
    assert box.check(2.0, LIMITS) is None
    assert "step 3 would stake 16, above the maximum stake 10" in box.problem.text()
    assert box.problem.isVisibleTo(panel)


def test_a_usable_plan_shows_its_worst_case_before_it_is_used(qtbot):
    panel = TradePanel()
    qtbot.addWidget(panel)
    box = panel.stake_plan
    box.kind.setCurrentIndex(box.kind.findData(PlanKind.MARTINGALE.value))
    box.steps.setValue(2)
    assert box.check(2.0, LIMITS) is not None
    assert box.worst.isVisibleTo(panel)
    assert box.worst.text().startswith("worst case: step 2 stakes 8; 14 at risk")
