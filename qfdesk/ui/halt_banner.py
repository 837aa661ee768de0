"""The trading alarm across the top of the main window: hidden until it trips."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.engine.trading_halt import Alarm, TradingHalt
from qfdesk.ui.dark_theme import REAL


class HaltBanner(QtWidgets.QLabel):
    """Shows what was placed and what was meant once ``halt`` trips (on any thread)."""

    tripped = QtCore.Signal(object)  # Alarm

    def __init__(self, halt: TradingHalt, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tradingHalt")
        self.setWordWrap(True)
        self.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(
            f"background: {REAL}; color: #ffffff; font-weight: bold; padding: 8px; font-size: 14px;"
        )
        self.hide()
        self.tripped.connect(self._show, QtCore.Qt.ConnectionType.QueuedConnection)
        halt.add_listener(self.tripped.emit)

    def _show(self, alarm: Alarm) -> None:
        self.setText(alarm.text)
        self.show()
