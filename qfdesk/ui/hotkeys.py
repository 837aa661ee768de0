"""BUY / SELL hotkeys: window-wide shortcuts, configurable, stored in QSettings.

One press, one intent: a key held down trades once, however long the platform's auto-repeat
goes on. QShortcut matches the keys (and lets a text field that has the focus keep them);
an application event filter sees every press and release of the window first and lets an
activation through only when its press started a hold (see :class:`KeyHold`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.ui.key_hold import KeyHold
from qfdesk.ui.layout_store import LayoutStore

log = logging.getLogger(__name__)

_OVERRIDE = QtCore.QEvent.Type.ShortcutOverride  # sent for every press, before any shortcut
_RELEASE = QtCore.QEvent.Type.KeyRelease
_KEY_EVENTS = (_OVERRIDE, QtCore.QEvent.Type.KeyPress, _RELEASE)
_DEACTIVATE = QtCore.QEvent.Type.WindowDeactivate

DEFAULT_BUY = "Shift+W"
DEFAULT_SELL = "Shift+S"


def _shortcut_window(widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """The window whose shortcuts a key pressed in ``widget`` can trigger: a floating dock
    belongs to its main window, as Qt's window-shortcut context has it."""
    top = widget.window()
    while isinstance(top, QtWidgets.QDockWidget) and top.parentWidget() is not None:
        top = cast(QtWidgets.QWidget, top.parentWidget()).window()
    return top


class Hotkeys(QtCore.QObject):
    changed = QtCore.Signal(str, str)

    def __init__(
        self,
        window: QtWidgets.QWidget,
        store: LayoutStore,
        buy: Callable[[], object],
        sell: Callable[[], object],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.hold = KeyHold()
        self._fresh_press = False
        self._last_key_event: tuple[QtCore.QEvent.Type, int, int, bool] | None = None
        self.buy = QtGui.QShortcut(window)
        self.sell = QtGui.QShortcut(window)
        self.buy.activated.connect(lambda: self._activated("BUY", buy))
        self.sell.activated.connect(lambda: self._activated("SELL", sell))
        for shortcut in (self.buy, self.sell):
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.setAutoRepeat(False)
        self.dialog: QtWidgets.QDialog | None = None
        self.apply(store.text("hotkeys/buy", DEFAULT_BUY), store.text("hotkeys/sell", DEFAULT_SELL))
        cast(QtCore.QCoreApplication, QtWidgets.QApplication.instance()).installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Feeds :attr:`hold` with the window's key events; never consumes one."""
        kind = event.type()
        if kind in _KEY_EVENTS:
            if isinstance(watched, QtWidgets.QWidget) and _shortcut_window(watched) is self.window:
                self._key_event(kind, cast(QtGui.QKeyEvent, event))
        elif kind == _DEACTIVATE and watched is self.window:
            self.hold.clear()
        return False

    def _key_event(self, kind: QtCore.QEvent.Type, event: QtGui.QKeyEvent) -> None:
        """A press reaches the filter as ShortcutOverride, then (if no shortcut took it) as
        KeyPress: what the override found is for that press's activation only. Qt hands an
        ignored key event on to each parent widget, and the filter sees every hand-over:
        only the first of them counts."""
        code = event.nativeScanCode() or event.key()
        seen = (kind, code, event.timestamp(), event.isAutoRepeat())
        if seen == self._last_key_event:
            return
        self._last_key_event = seen
        if kind == _OVERRIDE:
            self._fresh_press = self.hold.press(code, event.timestamp(), event.isAutoRepeat())
            return
        self._fresh_press = False
        if kind == _RELEASE:
            self.hold.release(code, event.timestamp(), event.isAutoRepeat())

    def _activated(self, side: str, intent: Callable[[], object]) -> None:
        """A shortcut matched: the press that started a hold trades, nothing else does."""
        fresh, self._fresh_press = self._fresh_press, False
        if fresh:
            intent()
        else:
            log.debug("%s hotkey: the key is still held (auto-repeat); no new trade", side)

    def apply(self, buy: str, sell: str) -> None:
        self.buy.setKey(QtGui.QKeySequence(buy))
        self.sell.setKey(QtGui.QKeySequence(sell))
        self.store.set_text("hotkeys/buy", buy)
        self.store.set_text("hotkeys/sell", sell)
        self.changed.emit(buy, sell)

    def keys(self) -> tuple[str, str]:
        return self.buy.key().toString(), self.sell.key().toString()

    def edit(self, parent: QtWidgets.QWidget) -> QtWidgets.QDialog:
        """A small non-blocking dialog to change both keys."""
        dialog = QtWidgets.QDialog(parent)
        dialog.setWindowTitle("Trade hotkeys")
        buy_edit = QtWidgets.QKeySequenceEdit(self.buy.key(), dialog)
        sell_edit = QtWidgets.QKeySequenceEdit(self.sell.key(), dialog)
        form = QtWidgets.QFormLayout(dialog)
        form.addRow("BUY", buy_edit)
        form.addRow("SELL", sell_edit)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        dialog.accepted.connect(
            lambda: self.apply(
                buy_edit.keySequence().toString() or DEFAULT_BUY,
                sell_edit.keySequence().toString() or DEFAULT_SELL,
            )
        )
        self.dialog = dialog
        dialog.open()
        return dialog
