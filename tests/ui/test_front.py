"""With ``--demo`` the platform's window opens over the terminal: once the page is attached,
the terminal comes to the front and takes the focus back, once."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from qfdesk.ui.front import raise_when_page_is_up
from qfdesk.ui.live_bridge import LiveBridge

pytestmark = pytest.mark.gui


def test_the_terminal_takes_the_focus_back_once_the_page_is_attached(qtbot, tmp_path):
    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    terminal = QtWidgets.QMainWindow()
    browser = QtWidgets.QWidget()  # stands for the browser's window, shown after the terminal
    qtbot.addWidget(terminal)
    qtbot.addWidget(browser)
    raise_when_page_is_up(terminal, bridge)
    terminal.show()
    browser.show()
    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow, timeout=5000)

    bridge.connectFinished.emit(False, "no Chrome")
    qtbot.wait(1000)
    assert browser.isActiveWindow(), "a failed attach leaves the windows as they are"
    bridge.connectFinished.emit(True, "attached")
    qtbot.waitUntil(terminal.isActiveWindow, timeout=5000)

    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow, timeout=5000)
    bridge.connectFinished.emit(True, "attached again")
    qtbot.wait(1000)
    assert browser.isActiveWindow(), "only once: a re-attach does not steal the focus"
