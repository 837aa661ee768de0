"""The auto-trader's dialog refuses parameters that are not finite numbers, saying why, and
does not start."""

from __future__ import annotations

import pytest

from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.ui.autotrade_panel import AutoTradeDialog

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    "params, reason",
    [
        ("fast=inf slow=20", "fast must be a finite number, got 'inf'"),
        ("fast=1e400 slow=20", "fast must be a finite number, got '1e400'"),
        ("confidence=nan", "confidence must be a finite number, got 'nan'"),
        ("expiry=1e30", "expiry must be at most 1,000,000,000, got '1e30'"),
        ("fast=[1]", "fast must be a number, got '[1]'"),
    ],
)
def test_a_parameter_that_is_not_a_finite_number_is_refused_and_nothing_starts(
    qtbot, params, reason
):
    dialog = AutoTradeDialog(
        StrategyRegistry(), ["EURUSD_otc"], RiskLimits(), current_asset="EURUSD_otc"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.choose_strategy("sma-cross", params)
    dialog.start_button.click()
    assert dialog.error.text() == f"Cannot start: sma-cross: {reason}"
    assert dialog.setup is None and dialog.isVisible()
