"""The Indicators menu: add, configure and remove chart indicators (the chart keeps them)."""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.chart.indicator_spec import KINDS

MENU_KINDS = ("sma", "ema", "bollinger", "rsi", "macd")
_NAMES = {"sma": "SMA", "ema": "EMA", "bollinger": "Bollinger Bands", "rsi": "RSI", "macd": "MACD"}


class IndicatorDialog(QtWidgets.QDialog):
    """Edits one indicator's parameters; opened with ``open()`` (never blocks)."""

    def __init__(self, spec: dict[str, Any], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        kind = KINDS[spec["kind"]]
        self.setWindowTitle(f"Configure {kind.label}")
        form = QtWidgets.QFormLayout(self)
        self.fields: dict[str, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox] = {}
        for name, default in kind.defaults.items():
            value = spec.get("params", {}).get(name, default)
            if isinstance(default, int):
                box: QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox = QtWidgets.QSpinBox(self)
                box.setRange(1, 1000)
            else:
                box = QtWidgets.QDoubleSpinBox(self)
                box.setRange(0.1, 10.0)
                box.setSingleStep(0.1)
            box.setValue(value)
            form.addRow(name, box)
            self.fields[name] = box
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def edited_spec(self) -> dict[str, Any]:
        params = {name: box.value() for name, box in self.fields.items()}
        return {**self.spec, "params": params}


class IndicatorsMenu(QtWidgets.QMenu):
    def __init__(self, chart: ChartWidget, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Indicators", parent)
        self.chart = chart
        self.dialog: IndicatorDialog | None = None
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        for kind in MENU_KINDS:
            action = self.addAction(f"Add {_NAMES[kind]}")
            action.triggered.connect(lambda _=False, k=kind: self.chart.add_indicator({"kind": k}))
        specs = self.chart.indicator_specs()
        if specs:
            self.addSeparator()
        titles = {spec.id: spec.title for spec in self.chart.indicators.specs()}
        for spec in specs:
            title = titles.get(spec["id"], spec["kind"])
            sub = self.addMenu(title)
            sub.addAction("Configure\u2026").triggered.connect(
                lambda _=False, s=spec: self.configure(s["id"])
            )
            sub.addAction("Remove").triggered.connect(
                lambda _=False, s=spec: self.chart.remove_indicator(s["id"])
            )

    def configure(self, spec_id: str) -> IndicatorDialog:
        spec = next(s for s in self.chart.indicator_specs() if s["id"] == spec_id)
        dialog = IndicatorDialog(spec, self.parentWidget())
        dialog.accepted.connect(
            lambda: self.chart.configure_indicator(spec_id, dialog.edited_spec())
        )
        self.dialog = dialog
        dialog.open()
        return dialog
