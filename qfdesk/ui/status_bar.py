"""The status bar: connection, source state and tick age, account, balance, clock, frames/s."""

from __future__ import annotations

from PySide6 import QtWidgets

from qfdesk.ui.dark_theme import (
    DEMO,
    REAL,
    SELL,
    TEXT,
    WARN,
    account_badge,
    badge_style,
    money_text,
)
from qfdesk.ui.source_state import SourceState

_STATE_COLORS = {
    SourceState.LIVE: DEMO,
    SourceState.HISTORICAL: WARN,
    SourceState.DISCONNECTED: SELL,
}


MIN_TEXT_WIDTH = 40


class StatusBar(QtWidgets.QStatusBar):
    """The left-hand texts (connection, source, tick age) take the room there is and are cut
    short, with the whole text in their tooltips: a longer text never widens the window."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection = QtWidgets.QLabel("not connected")
        self.state = QtWidgets.QLabel(SourceState.DISCONNECTED.value)
        self.state.setObjectName("badge")
        self.source = QtWidgets.QLabel("source: -")
        self.tick_age = QtWidgets.QLabel("no tick yet")
        self.account = QtWidgets.QLabel("account ?")
        self.account.setObjectName("badge")
        self.balance = QtWidgets.QLabel("balance -")
        self.clock = QtWidgets.QLabel("clock offset -")
        self.rate = QtWidgets.QLabel("0 frames/s")
        for widget in (self.connection, self.state, self.source, self.tick_age):
            self.addWidget(widget)
        for label in (self.connection, self.source, self.tick_age):
            label.setMinimumWidth(MIN_TEXT_WIDTH)  # instead of the whole text's width
        for widget in (self.account, self.balance, self.clock, self.rate):
            self.addPermanentWidget(widget)
        self.show_state(SourceState.DISCONNECTED, "-", None)
        self.show_account(None, None, "")

    def show_state(self, state: SourceState, source: str, age_text: str | None) -> None:
        self.state.setText(state.value)
        self.state.setStyleSheet(badge_style(_STATE_COLORS[state]))
        _set_text(self.source, f"source: {source}")
        _set_text(self.tick_age, age_text or "no tick yet")

    def show_connection(self, text: str) -> None:
        _set_text(self.connection, text)

    def show_account(self, is_demo: bool | None, balance: float | None, currency: str) -> None:
        text, background = account_badge(is_demo)
        self.account.setText(text)
        self.account.setStyleSheet(
            badge_style(background, TEXT) if is_demo is None else badge_style(background)
        )
        self.balance.setText(f"balance {money_text(balance, currency)}")
        self.balance.setStyleSheet(f"color: {REAL}; font-weight: bold;" if is_demo is False else "")

    def show_health(self, frames_per_s: float | None, clock_offset: float | None) -> None:
        self.rate.setText(f"{frames_per_s or 0:.1f} frames/s")
        self.clock.setText(
            "clock offset -" if clock_offset is None else f"clock offset {clock_offset:+.1f} s"
        )


def _set_text(label: QtWidgets.QLabel, text: str) -> None:
    label.setText(text)
    label.setToolTip(text)
