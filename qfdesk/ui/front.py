"""The terminal in front once the platform's page is up.

The demo (and a Chrome the app launches) opens its window over the terminal when the page
loads, and covers it; once the bridge says the page is attached, the terminal raises itself
and takes the focus back, once, a moment later (the browser's window maps after it loads).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from qfdesk.ui.live_bridge import LiveBridge

RAISE_AFTER_MS = 700


def raise_when_page_is_up(window: QtWidgets.QWidget, bridge: LiveBridge) -> None:
    def attached(ok: bool, _text: str) -> None:
        if not ok:
            return
        bridge.connectFinished.disconnect(attached)
        QtCore.QTimer.singleShot(RAISE_AFTER_MS, window, lambda: bring_to_front(window))

    bridge.connectFinished.connect(attached, QtCore.Qt.ConnectionType.QueuedConnection)


def bring_to_front(window: QtWidgets.QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
