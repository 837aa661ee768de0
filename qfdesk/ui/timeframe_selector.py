"""The timeframe selector: one checkable button per timeframe, 5s to 4h."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.engine.timeframes import TIMEFRAMES


class TimeframeSelector(QtWidgets.QWidget):
    timeframeChosen = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._group = QtWidgets.QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[int, QtWidgets.QToolButton] = {}
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for label, seconds in TIMEFRAMES.items():
            button = QtWidgets.QToolButton(self)
            button.setText(label)
            button.setCheckable(True)
            button.setToolTip(f"{label} candles")
            self._group.addButton(button, seconds)
            self.buttons[seconds] = button
            layout.addWidget(button)
        self._group.idClicked.connect(self.timeframeChosen)

    def timeframe(self) -> int:
        return self._group.checkedId()

    def show_timeframe(self, seconds: int) -> None:
        button = self.buttons.get(seconds)
        if button is not None:
            button.setChecked(True)

    def choose(self, seconds: int) -> None:
        self.buttons[seconds].click()
