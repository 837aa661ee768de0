"""BUY / SELL hotkeys: window-wide shortcuts, configurable, stored in QSettings."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.ui.layout_store import LayoutStore

DEFAULT_BUY = "Shift+W"
DEFAULT_SELL = "Shift+S"


class Hotkeys(QtCore.QObject):
    changed = QtCore.Signal(str, str)

    def __init__(
        self,
        window: QtWidgets.QWidget,
        store: LayoutStore,
        buy: Callable[[], None],
        sell: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self.store = store
        self.buy = QtGui.QShortcut(window)
        self.sell = QtGui.QShortcut(window)
        self.buy.activated.connect(buy)
        self.sell.activated.connect(sell)
        for shortcut in (self.buy, self.sell):
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.setAutoRepeat(False)
        self.dialog: QtWidgets.QDialog | None = None
        self.apply(store.text("hotkeys/buy", DEFAULT_BUY), store.text("hotkeys/sell", DEFAULT_SELL))

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
