"""A non-modal dialog showing an uncaught exception's traceback as copyable text."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


class ErrorDialog(QtWidgets.QDialog):
    def __init__(self, title: str, details: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("QuantumFlux Desk: unexpected error")
        self.setAttribute(QtGui.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 420)
        self.details = details
        self.times = 1
        self._title = title
        heading = QtWidgets.QLabel()
        heading.setWordWrap(True)
        self.heading = heading
        self._set_heading()
        self.text = QtWidgets.QPlainTextEdit(details)
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(
            QtGui.Qt.TextInteractionFlag.TextSelectableByMouse
            | QtGui.Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text.setStyleSheet("font-family: monospace;")
        copy = QtWidgets.QPushButton("Copy")
        copy.clicked.connect(self.copy_text)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(copy)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)

    def _set_heading(self) -> None:
        again = f" (happened {self.times} times)" if self.times > 1 else ""
        self.heading.setText(
            f"{self._title}{again}\nThe error was logged and the app goes on. Copy the text "
            "below into a bug report if it happens again."
        )

    def repeated(self) -> None:
        self.times += 1
        self._set_heading()

    def copy_text(self) -> None:
        QtWidgets.QApplication.clipboard().setText(self.text.toPlainText())
