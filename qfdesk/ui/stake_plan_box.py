"""Choosing a stake plan: the amount as typed, a percent of the balance, or a martingale or
anti-martingale from the typed amount (see ``engine.stake_plan``). A plan the risk limits
would break at its deepest step is explained here and not used."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.stake_plan import PlanKind, StakePlan, plan_problems, worst_case
from qfdesk.ui.dark_theme import SELL

TYPED = "typed"


class StakePlanBox(QtWidgets.QWidget):
    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QtWidgets.QComboBox(self)
        for data, label in (
            (TYPED, "Amount as typed"),
            (PlanKind.PERCENT.value, "% of balance"),
            (PlanKind.MARTINGALE.value, "Martingale"),
            (PlanKind.ANTI_MARTINGALE.value, "Anti-martingale"),
        ):
            self.kind.addItem(label, data)
        self.percent = QtWidgets.QDoubleSpinBox(self)
        self.percent.setRange(0.1, 100)
        self.percent.setValue(1.0)
        self.percent.setSuffix(" %")
        self.multiplier = QtWidgets.QDoubleSpinBox(self)
        self.multiplier.setRange(1.1, 10)
        self.multiplier.setSingleStep(0.1)
        self.multiplier.setValue(2.0)
        self.multiplier.setPrefix("x")
        self.steps = QtWidgets.QSpinBox(self)
        self.steps.setRange(1, 10)
        self.steps.setValue(3)
        self.steps.setSuffix(" steps")
        self.problem = QtWidgets.QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {SELL};")
        self.worst = QtWidgets.QLabel(self)
        self.worst.setWordWrap(True)
        self.worst.hide()
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind, 0, 0, 1, 2)
        layout.addWidget(self.percent, 1, 0, 1, 2)
        layout.addWidget(self.multiplier, 2, 0)
        layout.addWidget(self.steps, 2, 1)
        layout.addWidget(self.problem, 3, 0, 1, 2)
        layout.addWidget(self.worst, 4, 0, 1, 2)
        for signal in (
            self.kind.currentIndexChanged,
            self.percent.valueChanged,
            self.multiplier.valueChanged,
            self.steps.valueChanged,
        ):
            signal.connect(self._edited)
        self._edited()

    def _edited(self) -> None:
        kind = self.kind.currentData()
        self.percent.setVisible(kind == PlanKind.PERCENT.value)
        progressive = kind in (PlanKind.MARTINGALE.value, PlanKind.ANTI_MARTINGALE.value)
        self.multiplier.setVisible(progressive)
        self.steps.setVisible(progressive)
        self.changed.emit()

    def chosen(self) -> bool:
        """A plan is chosen (not the amount as typed)."""
        return bool(self.kind.currentData() != TYPED)

    def show_plan(self, plan: StakePlan | None) -> None:
        """Show ``plan``'s kind and settings (None: the amount as typed)."""
        self.kind.setCurrentIndex(self.kind.findData(TYPED if plan is None else plan.kind.value))
        if plan is not None:
            self.percent.setValue(plan.percent)
            self.multiplier.setValue(plan.multiplier)
            self.steps.setValue(plan.max_steps)

    def plan(self, base: float) -> StakePlan | None:
        """The plan chosen, from the typed amount ``base``; None for the amount as typed."""
        kind = self.kind.currentData()
        if kind == TYPED:
            return None
        return StakePlan(
            PlanKind(kind),
            base=base,
            percent=self.percent.value(),
            multiplier=self.multiplier.value(),
            max_steps=self.steps.value(),
        )

    def check(self, base: float, limits: RiskLimits) -> StakePlan | None:
        """The plan if the limits allow it (its problems shown here otherwise)."""
        plan = self.plan(base)
        problems = [] if plan is None else plan_problems(plan, limits)
        self.problem.setText("; ".join(problems))
        self.problem.setVisible(bool(problems))
        self.worst.setText("" if plan is None or problems else worst_case(plan, limits))
        self.worst.setVisible(bool(self.worst.text()))
        return None if problems else plan
