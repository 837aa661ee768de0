"""The status bar's text never makes the main window wider."""

from __future__ import annotations

from PySide6 import QtWidgets

from qfdesk.ui.autotrade_action import AutoTradeSwitch
from qfdesk.ui.source_state import SourceState
from qfdesk.ui.status_bar import StatusBar

WIDTH = 1500  # the main window's default width
LONG = "Chrome 127.0.0.1:9222: attached, draining the performance log " * 6


def test_longer_status_texts_and_the_auto_trader_starting_never_widen_the_window(qtbot):
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QtWidgets.QWidget())
    status = StatusBar(window)
    window.setStatusBar(status)
    window.resize(WIDTH, 600)
    window.show()
    qtbot.waitExposed(window)
    width = window.width()

    status.show_connection(LONG)
    status.show_state(SourceState.HISTORICAL, LONG, "last tick 3 h 12 min ago")
    switch = AutoTradeSwitch(window)
    status.addPermanentWidget(switch.badge)
    switch.show_state(True, False)
    for _ in range(5):
        qtbot.wait(20)

    assert window.width() == width == WIDTH
    assert status.connection.width() < status.connection.sizeHint().width()  # cut short
    assert switch.badge.width() >= switch.badge.sizeHint().width()  # the badge is never cut
    assert status.connection.toolTip() == LONG
    assert status.source.toolTip() == f"source: {LONG}"
