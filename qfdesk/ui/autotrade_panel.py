"""The auto-trader's settings dialog: strategies with parameters, assets, timeframe, paper or
live, and the auto-trader's own risk limits. It only builds an :class:`AutoTradeSetup`;
starting is the controller's job.

A trader's strategy file added here is read in the background (:class:`StrategyFiles`): the
dialog says it is reading it and stays usable, then lists its strategies or says why it
cannot be used; strategies of the strategies file still being read at startup join the list
when they are read. Choices already made in the list are kept."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from qfdesk.engine.autotrader import AutoTradeConfig, StrategyChoice
from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.stake_plan import StakePlan
from qfdesk.engine.strategies import StrategyError, StrategyRegistry
from qfdesk.engine.strategies.params import param_items, parse_params
from qfdesk.engine.timeframes import TIMEFRAMES, timeframe_label
from qfdesk.ui.stake_plan_box import StakePlanBox
from qfdesk.ui.strategy_files import StrategyFiles


@dataclass(frozen=True, slots=True)
class AutoTradeSetup:
    config: AutoTradeConfig
    limits: RiskLimits
    stake_plan: StakePlan | None = None
    """How the stake goes from trade to trade; None: the stake above, every trade."""


def with_fixed_stake(base: RiskLimits, stake: float, **changes: Any) -> RiskLimits:
    """``base`` trading a fixed ``stake`` (its stake bounds widened to allow it)."""
    return dataclasses.replace(
        base,
        stake=stake,
        stake_percent=None,
        min_stake=min(base.min_stake, stake),
        max_stake=max(base.max_stake, stake),
        **changes,
    )


def _none_if_zero(value: float) -> float | None:
    return None if value <= 0 else value


class AutoTradeDialog(QtWidgets.QDialog):
    fileLoaded = QtCore.Signal(object, object)  # path, its strategies' names (now listed)
    fileRefused = QtCore.Signal(object, str)  # path, why it cannot be used (now shown)

    def __init__(
        self,
        registry: StrategyRegistry,
        assets: list[str],
        base_limits: RiskLimits,
        *,
        current_asset: str = "",
        timeframe: int = 60,
        previous: AutoTradeSetup | None = None,
        parent: QtWidgets.QWidget | None = None,
        files: StrategyFiles | None = None,
    ) -> None:
        """``files`` reads strategy files for the registry (the controller's, which also
        reads the strategies file at startup; by default one of the dialog's own)."""
        super().__init__(parent)
        self.setWindowTitle("Auto-trader")
        self.setObjectName("autoTradeDialog")
        self.registry = registry
        self.base_limits = base_limits
        self.setup: AutoTradeSetup | None = None
        self.files = files if files is not None else StrategyFiles(registry, self)
        self._asked: set[Path] = set()  # files added here, being read
        self.files.fileRead.connect(self._on_file_read)
        self.files.fileFailed.connect(self._on_file_failed)
        self.files.configRead.connect(self._on_config_read)

        self.strategies = QtWidgets.QTableWidget(0, 2, self)
        self.strategies.setHorizontalHeaderLabels(["Strategy", "Parameters (name=value ...)"])
        self.strategies.horizontalHeader().setStretchLastSection(True)
        self.strategies.verticalHeader().hide()
        self._fill_strategies()
        add_file = QtWidgets.QPushButton("Add strategy file\u2026", self)
        add_file.clicked.connect(self._add_file)

        self.assets = QtWidgets.QListWidget(self)
        for symbol in sorted(set(assets) | ({current_asset} if current_asset else set())):
            item = QtWidgets.QListWidgetItem(symbol, self.assets)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Unchecked)
        self.timeframe = QtWidgets.QComboBox(self)
        for seconds in sorted(TIMEFRAMES.values()):
            self.timeframe.addItem(timeframe_label(seconds), seconds)
        self.paper = QtWidgets.QRadioButton("Paper: simulated trades, no clicks", self)
        self.live = QtWidgets.QRadioButton("Live: places trades on the platform page", self)
        self.paper.setChecked(True)

        self.stake = self._spin(base_limits.stake, 0.01, 100000, 2)
        self.max_per_hour = self._spin(base_limits.max_trades_per_hour or 0, 0, 10000, 0)
        self.max_open = self._spin(base_limits.max_open_trades or 0, 0, 1000, 0)
        self.min_confidence = self._spin(base_limits.min_confidence, 0, 1, 2)
        self.daily_loss = self._spin(base_limits.daily_loss_limit or 0, 0, 1e9, 2)
        self.max_losses = self._spin(base_limits.max_consecutive_losses or 0, 0, 1000, 0)

        risk = QtWidgets.QFormLayout()
        risk.addRow("Stake", self.stake)
        self.stake_plan = StakePlanBox(self)
        self.stake_plan.changed.connect(self._check_plan)
        self.stake.valueChanged.connect(self._check_plan)
        risk.addRow("Stake plan", self.stake_plan)
        risk.addRow("Max trades per hour (0 = off)", self.max_per_hour)
        risk.addRow("Max open trades (0 = off)", self.max_open)
        risk.addRow("Min confidence", self.min_confidence)
        risk.addRow("Daily loss limit (0 = off)", self.daily_loss)
        risk.addRow("Losses in a row before a pause (0 = off)", self.max_losses)
        self.error = QtWidgets.QLabel("", self)
        self.error.setObjectName("autoTradeError")
        self.error.setStyleSheet("color: #ff5252;")
        self.error.setWordWrap(True)
        self.note = QtWidgets.QLabel("", self)
        self.note.setObjectName("autoTradeNote")
        self.note.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(self)
        self.start_button = buttons.addButton(
            "Start", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        left = QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("Strategies"))
        left.addWidget(self.strategies, 1)
        left.addWidget(add_file)
        middle = QtWidgets.QVBoxLayout()
        middle.addWidget(QtWidgets.QLabel("Assets"))
        middle.addWidget(self.assets, 1)
        middle.addWidget(QtWidgets.QLabel("Timeframe"))
        middle.addWidget(self.timeframe)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.paper)
        right.addWidget(self.live)
        right.addLayout(risk)
        right.addStretch(1)
        columns = QtWidgets.QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(middle, 2)
        columns.addLayout(right, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(980, 460)
        self.choose_timeframe(timeframe)
        if previous is not None:
            self.apply(previous)
        elif current_asset:
            self.choose_assets([current_asset])
        self._show_reading()

    def _spin(
        self, value: float, low: float, high: float, decimals: int
    ) -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox(self)
        spin.setRange(low, high)
        spin.setDecimals(decimals)
        spin.setValue(float(value))
        return spin

    def _cell(self, row: int, column: int) -> QtWidgets.QTableWidgetItem:
        item = self.strategies.item(row, column)
        assert item is not None, "every strategy row has its two cells"
        return item

    def _fill_strategies(self) -> None:
        """List the registry's strategies, keeping what was chosen and typed."""
        kept = {
            self._cell(row, 0).text(): (
                self._cell(row, 0).checkState(),
                self._cell(row, 1).text(),
            )
            for row in range(self.strategies.rowCount())
        }
        self.strategies.setRowCount(0)
        for name in self.registry.names():
            state, text = kept.get(name, (QtCore.Qt.CheckState.Unchecked, ""))
            row = self.strategies.rowCount()
            self.strategies.insertRow(row)
            item = QtWidgets.QTableWidgetItem(name)
            item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(state)
            params = QtWidgets.QTableWidgetItem(text)
            params.setToolTip(self._params_help(name))
            item.setToolTip(params.toolTip())
            self.strategies.setItem(row, 0, item)
            self.strategies.setItem(row, 1, params)

    def _params_help(self, name: str) -> str:
        """The strategy's description and its parameters with their current values."""
        description, values, known = self.registry.describe(name)
        lines = [description]
        lines += [f"{key}={value:g}: {known[key].help}" for key, value in values.items()]
        return "\n".join(lines)

    def _add_file(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Strategy file", str(Path.home()), "Python files (*.py)"
        )
        if path:
            self.load_strategy_file(Path(path))

    def load_strategy_file(self, path: Path) -> None:
        """Read the strategies a Python file defines, in the background: "reading" shows
        meanwhile; then they are listed (``fileLoaded``) or the reason it cannot be used is
        shown (``fileRefused``)."""
        self._asked.add(path)
        self.error.setText("")
        self._show_reading()
        self.files.read_file(path)

    def _show_reading(self) -> None:
        reading = [f"reading strategy file {path.name}\u2026" for path in sorted(self._asked)]
        if self.files.config_loading:
            reading.insert(0, "reading the strategies file\u2026")
        self.note.setText("; ".join(reading))

    def _on_file_read(self, path: Path, names: list[str]) -> None:
        self._fill_strategies()
        if path in self._asked:
            self._asked.discard(path)
            self.error.setText("")
            self._show_reading()
            self.fileLoaded.emit(path, names)

    def _on_file_failed(self, path: Path, message: str) -> None:
        if path in self._asked:
            self._asked.discard(path)
            self.error.setText(message)
            self._show_reading()
            self.fileRefused.emit(path, message)

    def _on_config_read(self, problems: list[str]) -> None:
        self._fill_strategies()
        self._show_reading()

    # ----- programmatic choices (the dialog's widgets, filled) --------------------------

    def _row(self, name: str) -> int:
        for row in range(self.strategies.rowCount()):
            if self._cell(row, 0).text() == name:
                return row
        raise KeyError(name)

    def choose_strategy(self, name: str, params: str = "", checked: bool = True) -> None:
        row = self._row(name)
        state = QtCore.Qt.CheckState.Checked if checked else QtCore.Qt.CheckState.Unchecked
        self._cell(row, 0).setCheckState(state)
        self._cell(row, 1).setText(params)

    def choose_assets(self, symbols: list[str]) -> None:
        for i in range(self.assets.count()):
            item = self.assets.item(i)
            checked = item.text() in symbols
            item.setCheckState(
                QtCore.Qt.CheckState.Checked if checked else QtCore.Qt.CheckState.Unchecked
            )

    def choose_timeframe(self, seconds: int) -> None:
        index = self.timeframe.findData(seconds)
        if index >= 0:
            self.timeframe.setCurrentIndex(index)

    def apply(self, setup: AutoTradeSetup) -> None:
        for choice in setup.config.strategies:
            text = " ".join(f"{k}={v:g}" for k, v in choice.params.items())
            if choice.name in self.registry.names():
                self.choose_strategy(choice.name, text)
        self.choose_assets(list(setup.config.assets))
        self.choose_timeframe(setup.config.timeframe)
        (self.paper if setup.config.paper else self.live).setChecked(True)
        limits = setup.limits
        self.stake.setValue(limits.stake)
        self.max_per_hour.setValue(limits.max_trades_per_hour or 0)
        self.max_open.setValue(limits.max_open_trades or 0)
        self.min_confidence.setValue(limits.min_confidence)
        self.daily_loss.setValue(limits.daily_loss_limit or 0)
        self.max_losses.setValue(limits.max_consecutive_losses or 0)
        self.stake_plan.show_plan(setup.stake_plan)

    def _check_plan(self) -> None:
        self.stake_plan.check(self.stake.value(), self._limits_now())

    def _limits_now(self) -> RiskLimits:
        return with_fixed_stake(
            self.base_limits,
            self.stake.value(),
            max_trades_per_hour=int(self.max_per_hour.value()) or None,
            max_open_trades=int(self.max_open.value()) or None,
            min_confidence=self.min_confidence.value(),
            daily_loss_limit=_none_if_zero(self.daily_loss.value()),
            max_consecutive_losses=int(self.max_losses.value()) or None,
        )

    # ----- result ----------------------------------------------------------------------------

    def build(self) -> AutoTradeSetup:
        """The setup the widgets describe; StrategyError or ValueError saying what is wrong."""
        choices = []
        for row in range(self.strategies.rowCount()):
            item = self._cell(row, 0)
            if item.checkState() != QtCore.Qt.CheckState.Checked:
                continue
            given = parse_params(param_items(self._cell(row, 1).text()))
            values = self.registry.check(item.text(), given)
            changed = {k: values[k] for k in given}
            choices.append(StrategyChoice(item.text(), changed))
        assets = tuple(
            self.assets.item(i).text()
            for i in range(self.assets.count())
            if self.assets.item(i).checkState() == QtCore.Qt.CheckState.Checked
        )
        config = AutoTradeConfig(
            tuple(choices), assets, int(self.timeframe.currentData()), self.paper.isChecked()
        )
        problems = config.problems()
        if problems:
            raise ValueError("; ".join(problems))
        limits = self._limits_now()
        problems = limits.problems()
        if problems:
            raise ValueError("; ".join(problems))
        plan = self.stake_plan.check(self.stake.value(), limits)
        if plan is None and self.stake_plan.chosen():
            raise ValueError(f"the stake plan: {self.stake_plan.problem.text()}")
        return AutoTradeSetup(config, limits, plan)

    def accept(self) -> None:
        try:
            self.setup = self.build()
        except (StrategyError, ValueError) as exc:
            self.error.setText(f"Cannot start: {exc}")
            return
        super().accept()
