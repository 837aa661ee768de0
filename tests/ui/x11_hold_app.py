"""Run on a real X server (``test_hotkey_x11`` starts Xvfb): the offline main window, Shift+W
held down through XTest for HOLD_S seconds, released, then pressed once more.

Prints one JSON line: the trade intents the window made (one record each; without Chrome each
is refused at once, so a hold outlives many of them) and the W presses X delivered, flagged as
auto-repeat or not.

    python x11_hold_app.py TMP_DIR
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.events import AssetInfo, AssetTable
from qfdesk.ui.app import create_event_loop, create_qapp
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler

HOLD_S = 2.0
XK_SHIFT_L = 0xFFE1
XK_W = ord("w")
EURUSD = AssetInfo(1, "EURUSD_otc", "EUR/USD OTC", "currency", 90, True, True, (60,))


class XTestKeyboard:
    """Presses and releases keys as the X server's own keyboard would (libXtst)."""

    def __init__(self) -> None:
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self.display = self.x11.XOpenDisplay(None)
        if not self.display:
            raise RuntimeError("cannot open the X display")

    def key(self, keysym: int, down: bool) -> None:
        code = self.x11.XKeysymToKeycode(self.display, keysym)
        self.xtst.XTestFakeKeyEvent(self.display, code, int(down), 0)
        self.x11.XFlush(self.display)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.display)


class PressCounter(QtCore.QObject):
    """Counts the W presses reaching the window (each press's ShortcutOverride, once: Qt
    hands it on to the parent widgets too)."""

    def __init__(self, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.presses: set[tuple[int, bool]] = set()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if (
            event.type() == QtCore.QEvent.Type.ShortcutOverride
            and event.key() == QtCore.Qt.Key.Key_W
            and isinstance(watched, QtWidgets.QWidget)
            and watched.window() is self.window
        ):
            self.presses.add((event.timestamp(), event.isAutoRepeat()))
        return False

    def count(self, flagged: bool) -> int:
        return sum(1 for _, repeat in self.presses if repeat is flagged)


def play(keyboard: XTestKeyboard, ready: threading.Event, done: threading.Event) -> None:
    try:
        if not ready.wait(30):
            return
        keyboard.key(XK_SHIFT_L, True)
        keyboard.key(XK_W, True)
        time.sleep(HOLD_S)
        keyboard.key(XK_W, False)
        keyboard.key(XK_SHIFT_L, False)
        time.sleep(0.3)
        keyboard.key(XK_SHIFT_L, True)
        keyboard.key(XK_W, True)
        time.sleep(0.1)
        keyboard.key(XK_W, False)
        keyboard.key(XK_SHIFT_L, False)
        time.sleep(0.5)
    finally:
        done.set()


def main(tmp: Path) -> None:
    app = create_qapp()
    loop = create_event_loop(app)
    window = compose_desk(
        bridge=LiveBridge(tmp / "data", tmp / "artifacts"),
        store=LayoutStore(
            QtCore.QSettings(str(tmp / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        ),
        data_root=tmp / "data",
        browser_settings=BrowserSettings(port=1),
        log_handler=QtLogHandler(),
    )
    window.market.apply([AssetTable((EURUSD,))])
    window.choose_asset(EURUSD.symbol, sync_page=False)
    counter = PressCounter(window)
    app.installEventFilter(counter)
    window.show()
    window.activateWindow()
    keyboard = XTestKeyboard()
    ready = threading.Event()
    done = threading.Event()
    threading.Thread(target=play, args=(keyboard, ready, done), daemon=True).start()

    def tick() -> None:
        if window.isActiveWindow() and window.windowHandle().isExposed():
            ready.set()  # the keys go to this window from now on
        if done.is_set():
            loop.stop()

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    with loop:
        loop.run_forever()
    keyboard.close()
    records = window.book.records
    print(
        json.dumps(
            {
                "window_active": ready.is_set(),
                "intents": len(records),
                "directions": [r.direction.value for r in records],
                "flagged": counter.count(True),
                "unflagged": counter.count(False),
                "focus": type(app.focusWidget()).__name__,
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
