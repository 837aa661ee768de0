"""The log dock: the app's own logging, handed to the GUI thread through a Qt signal."""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtGui, QtWidgets

MAX_LINES = 5000
_LEVEL_COLORS = {
    logging.DEBUG: "#787b86",
    logging.INFO: "#b2b5be",
    logging.WARNING: "#f0b90b",
    logging.ERROR: "#ef5350",
    logging.CRITICAL: "#ff1744",
}


class _Emitter(QtCore.QObject):
    record = QtCore.Signal(int, str)


class QtLogHandler(logging.Handler):
    """A logging handler safe to call from any thread: it only emits a signal."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.emitter = _Emitter()
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.emitter.record.emit(record.levelno, self.format(record))
        except RuntimeError:  # the emitter is gone (app shutting down)
            pass


class LogPanel(QtWidgets.QPlainTextEdit):
    """Read-only, colour by level, keeps the last MAX_LINES lines."""

    def __init__(self, handler: QtLogHandler, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setStyleSheet("font-family: monospace; font-size: 11px;")
        handler.emitter.record.connect(self.append_line, QtCore.Qt.ConnectionType.QueuedConnection)

    def append_line(self, level: int, text: str) -> None:
        color = _LEVEL_COLORS.get(level, _LEVEL_COLORS[logging.INFO])
        fmt = QtGui.QTextCharFormat()
        fmt.setForeground(QtGui.QColor(color))
        cursor = self.textCursor()
        cursor.movePosition(QtGui.QTextCursor.MoveOperation.End)
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(text, fmt)
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum() - 4:
            bar.setValue(bar.maximum())

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()
