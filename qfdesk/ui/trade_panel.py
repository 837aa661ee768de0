"""The trade panel: asset, payout, amount, expiry, BUY / SELL and what happened last."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.ui.dark_theme import SELL, TEXT, WARN
from qfdesk.ui.stake_plan_box import StakePlanBox

EXPIRIES = (3, 5, 15, 30, 60, 180, 300, 900, 1800, 3600)


def expiry_label(seconds: int) -> str:
    if seconds < 60:
        return f"S{seconds}"
    if seconds < 3600:
        return f"M{seconds // 60}"
    return f"H{seconds // 3600}"


class TradePanel(QtWidgets.QWidget):
    buyClicked = QtCore.Signal()
    sellClicked = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(210)
        self.asset_label = QtWidgets.QLabel("-")
        self.asset_label.setObjectName("bigValue")
        self.asset_label.setWordWrap(True)
        self.payout_label = QtWidgets.QLabel("payout -")
        self.payout_label.setObjectName("bigValue")
        self.amount = QtWidgets.QDoubleSpinBox()
        self.amount.setRange(1, 100000)
        self.amount.setDecimals(2)
        self.amount.setValue(1)
        self.amount.setPrefix("$ ")
        self.stake_plan = StakePlanBox()
        self.expiry = QtWidgets.QComboBox()
        for seconds in EXPIRIES:
            self.expiry.addItem(expiry_label(seconds), seconds)
        self.expiry.setCurrentIndex(EXPIRIES.index(60))
        self.buy_button = QtWidgets.QPushButton("BUY \u25b2")
        self.buy_button.setObjectName("buyButton")
        self.sell_button = QtWidgets.QPushButton("SELL \u25bc")
        self.sell_button.setObjectName("sellButton")
        for button in (self.buy_button, self.sell_button):
            button.setMinimumHeight(46)
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.buy_button.clicked.connect(self.buyClicked)
        self.sell_button.clicked.connect(self.sellClicked)
        self.hotkeys_label = QtWidgets.QLabel("")
        self.hotkeys_label.setObjectName("sectionTitle")
        self.hotkeys_label.setWordWrap(True)
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        self._badges = QtWidgets.QHBoxLayout()
        self._badges.setSpacing(6)
        layout.addLayout(self._badges)
        self._balance_slot = QtWidgets.QVBoxLayout()
        layout.addLayout(self._balance_slot)
        layout.addSpacing(6)
        for title, widget in (
            ("Asset", self.asset_label),
            ("Payout", self.payout_label),
            ("Amount", self.amount),
            ("Stake plan", self.stake_plan),
            ("Expiry", self.expiry),
        ):
            caption = QtWidgets.QLabel(title)
            caption.setObjectName("sectionTitle")
            layout.addWidget(caption)
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(self.buy_button)
        layout.addWidget(self.sell_button)
        layout.addWidget(self.hotkeys_label)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def set_header(self, badges: list[QtWidgets.QWidget], balance: QtWidgets.QWidget) -> None:
        """Badges (account type, SIMULATED) and the balance, above everything else."""
        for badge in badges:
            self._badges.addWidget(badge)
        self._badges.addStretch(1)
        self._balance_slot.addWidget(balance)

    def set_asset(self, name: str, payout: float | None) -> None:
        self.asset_label.setText(name or "-")
        self.payout_label.setText("-" if payout is None else f"{payout:g}%")

    def amount_value(self) -> float:
        return round(self.amount.value(), 2)

    def expiry_seconds(self) -> int:
        return int(self.expiry.currentData())

    def set_expiry(self, seconds: int) -> None:
        index = self.expiry.findData(seconds)
        if index >= 0:
            self.expiry.setCurrentIndex(index)

    def set_busy(self, busy: bool) -> None:
        """While a trade is in flight both buttons are off: one intent, one trade."""
        self.buy_button.setEnabled(not busy)
        self.sell_button.setEnabled(not busy)

    def set_hotkeys(self, buy: str, sell: str) -> None:
        self.hotkeys_label.setText(f"hotkeys: BUY {buy}, SELL {sell}")

    def show_message(self, text: str, kind: str = "info") -> None:
        color = {"error": SELL, "warning": WARN}.get(kind, TEXT)
        self.message.setStyleSheet(f"color: {color};")
        self.message.setText(text)
