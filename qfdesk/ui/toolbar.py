"""The main toolbar: asset, timeframe, indicators, the save switches and the auto-trading slot.

The auto-trader is built elsewhere; it puts its switch here with
:meth:`MainToolbar.add_autotrade_action` (a checkable QAction whose state is obvious), into
the place reserved for it after the save switches, left of the flexible space, so that it
never overflows out of sight on a narrow window.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.ui.asset_selector import AssetSelector
from qfdesk.ui.timeframe_selector import TimeframeSelector


class MainToolbar(QtWidgets.QToolBar):
    saveCandlesToggled = QtCore.Signal(bool)
    saveTicksToggled = QtCore.Signal(bool)

    def __init__(self, indicators_menu: QtWidgets.QMenu, parent: QtWidgets.QWidget | None = None):
        super().__init__("Main toolbar", parent)
        self.setObjectName("mainToolbar")
        self.setMovable(False)
        self.assets = AssetSelector(self)
        self.timeframes = TimeframeSelector(self)
        self.addWidget(self.assets)
        self.addSeparator()
        self.addWidget(self.timeframes)
        self.addSeparator()
        indicators = QtWidgets.QToolButton(self)
        indicators.setText("Indicators \u25be")
        indicators.setMenu(indicators_menu)
        indicators.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.indicators_button = indicators
        self.addWidget(indicators)
        self.addSeparator()
        self.save_candles = self._switch("Save candles", "write closed candles to CSV files")
        self.save_ticks = self._switch("Save ticks", "write every tick to CSV files")
        self.save_candles.toggled.connect(self.saveCandlesToggled)
        self.save_ticks.toggled.connect(self.saveTicksToggled)
        self.autotrade_slot = self.addSeparator()
        spacer = QtWidgets.QWidget(self)
        spacer.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred
        )
        self.spacer_action = self.addWidget(spacer)
        self.autotrade_action: QtGui.QAction | None = None

    def _switch(self, text: str, tip: str) -> QtGui.QAction:
        action = self.addAction(text)
        action.setCheckable(True)
        action.setChecked(False)
        action.setToolTip(tip)
        return action

    def add_autotrade_action(self, action: QtGui.QAction) -> None:
        """The auto-trader's on/off switch, at the reserved place (left of the space)."""
        if self.autotrade_action is not None:
            self.removeAction(self.autotrade_action)
        self.autotrade_action = action
        self.insertAction(self.spacer_action, action)
