"""Key events as the platform delivers them, sent to a real window through QApplication.

A held key on X11 gives one press, then repeats: flagged ones (``isAutoRepeat()``) and, when
Qt's look-ahead misses, release + press pairs with one timestamp and no flag.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier
KEY_W = QtCore.Qt.Key.Key_W
PRESS = QtCore.QEvent.Type.KeyPress
RELEASE = QtCore.QEvent.Type.KeyRelease
REPEAT_EVERY_MS = 40


def send_key(
    window: QtWidgets.QWidget,
    kind: QtCore.QEvent.Type,
    at_ms: int,
    *,
    key: QtCore.Qt.Key = KEY_W,
    modifiers: QtCore.Qt.KeyboardModifier = SHIFT,
    auto_repeat: bool = False,
) -> None:
    event = QtGui.QKeyEvent(kind, key, modifiers, "W", auto_repeat)
    event.setTimestamp(at_ms)
    QtWidgets.QApplication.sendEvent(window, event)


class HeldKey:
    """Shift+W held on ``window``: ``press`` once, ``repeat`` as often as wanted, ``release``.
    Timestamps advance like a keyboard's (ms)."""

    def __init__(self, window: QtWidgets.QWidget, start_ms: int = 100_000) -> None:
        self.window = window
        self.now = start_ms

    def press(self) -> None:
        send_key(self.window, PRESS, self.now)

    def flagged_repeat(self) -> None:
        self.now += REPEAT_EVERY_MS
        send_key(self.window, PRESS, self.now, auto_repeat=True)

    def unflagged_repeat(self) -> None:
        """The pair Qt's X11 look-ahead did not recognise: a release and a press, same time."""
        self.now += REPEAT_EVERY_MS
        send_key(self.window, RELEASE, self.now)
        send_key(self.window, PRESS, self.now)

    def repeats(self, count: int) -> None:
        for i in range(count):
            if i % 2:
                self.unflagged_repeat()
            else:
                self.flagged_repeat()

    def release(self) -> None:
        self.now += REPEAT_EVERY_MS
        send_key(self.window, RELEASE, self.now)

    def pause(self, ms: int) -> None:
        self.now += ms
