"""The settings dialog: every setting, one editor each, the reason under a refused value.

OK checks everything with the settings' own validation; anything refused stays open with
the reason under its field, and nothing is saved. ``accepted_settings`` holds the result.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.settings import FIELD_INFO, THEMES, AppSettings, parse_value, problems
from qfdesk.settings.model import field_names

ERROR_STYLE = "color: #ef5350;"
HINT_STYLE = "color: #787b86; font-size: 11px;"
RESTART_NOTE = (
    "The data folder and the save switches at start take effect at the next start; the rest "
    "at once."
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SettingsDialog(QtWidgets.QDialog):
    settingsAccepted = QtCore.Signal(object)  # AppSettings

    def __init__(self, settings: AppSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("QuantumFlux Desk settings")
        self.setMinimumWidth(560)
        self.accepted_settings: AppSettings | None = None
        self.editors: dict[str, QtWidgets.QWidget] = {}
        self.errors: dict[str, QtWidgets.QLabel] = {}
        self._path_lines: dict[str, QtWidgets.QLineEdit] = {}
        self._sections: list[str] = []
        tabs = QtWidgets.QTabWidget(self)
        forms: dict[str, QtWidgets.QFormLayout] = {}
        for name in field_names():
            info = FIELD_INFO[name]
            if info.section not in forms:
                page = QtWidgets.QWidget()
                forms[info.section] = QtWidgets.QFormLayout(page)
                tabs.addTab(page, info.section)
                self._sections.append(info.section)
            editor = self._editor(name, info.kind, getattr(settings, name))
            self.editors[name] = editor
            column = QtWidgets.QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(editor)
            if info.hint:
                hint = QtWidgets.QLabel(info.hint)
                hint.setStyleSheet(HINT_STYLE)
                column.addWidget(hint)
            error = QtWidgets.QLabel("")
            error.setObjectName(f"error_{name}")
            error.setWordWrap(True)
            error.setStyleSheet(ERROR_STYLE)
            error.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            error.hide()
            column.addWidget(error)
            self.errors[name] = error
            forms[info.section].addRow(info.label, column)
        self.summary = QtWidgets.QLabel(RESTART_NOTE)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(HINT_STYLE)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
            | QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(lambda: self.show_settings(AppSettings()))
        self.buttons = buttons
        self.tabs = tabs
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    # ----- editors ---------------------------------------------------------------------------

    def _editor(self, name: str, kind: str, value: object) -> QtWidgets.QWidget:
        if kind == "bool":
            box = QtWidgets.QCheckBox()
            box.setChecked(bool(value))
            return box
        if kind == "hotkey":
            keys = QtWidgets.QKeySequenceEdit(QtGui.QKeySequence(str(value)))
            keys.setMaximumSequenceLength(1)
            return keys
        if kind == "choice":
            combo = QtWidgets.QComboBox()
            combo.addItems(list(THEMES))
            combo.setCurrentText(str(value))
            return combo
        line = QtWidgets.QLineEdit(_text(value))
        if kind in ("path", "dir"):
            holder = QtWidgets.QWidget()
            row = QtWidgets.QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(line, 1)
            browse = QtWidgets.QPushButton("Choose\u2026")
            browse.clicked.connect(lambda: self._browse(line, kind))
            row.addWidget(browse)
            self._path_lines[name] = line
            return holder
        return line

    def _browse(self, line: QtWidgets.QLineEdit, kind: str) -> None:
        if kind == "dir":
            chosen = QtWidgets.QFileDialog.getExistingDirectory(self, "Data folder", line.text())
        else:
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Chrome program", line.text())
        if chosen:
            line.setText(chosen)

    def line(self, name: str) -> QtWidgets.QLineEdit:
        """The text editor of field ``name`` (inside its row for paths)."""
        editor = self._path_lines.get(name, self.editors[name])
        assert isinstance(editor, QtWidgets.QLineEdit)
        return editor

    def raw_value(self, name: str) -> object:
        editor = self.editors[name]
        if isinstance(editor, QtWidgets.QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QtWidgets.QKeySequenceEdit):
            return editor.keySequence().toString(QtGui.QKeySequence.SequenceFormat.PortableText)
        if isinstance(editor, QtWidgets.QComboBox):
            return editor.currentText()
        return self.line(name).text()

    def show_settings(self, settings: AppSettings) -> None:
        for name in field_names():
            editor, value = self.editors[name], getattr(settings, name)
            if isinstance(editor, QtWidgets.QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QtWidgets.QKeySequenceEdit):
                editor.setKeySequence(QtGui.QKeySequence(str(value)))
            elif isinstance(editor, QtWidgets.QComboBox):
                editor.setCurrentText(str(value))
            else:
                self.line(name).setText(_text(value))
        self.show_errors({})

    # ----- checking ----------------------------------------------------------------------

    def collect(self) -> tuple[AppSettings | None, dict[str, str]]:
        """The settings in the editors, or None and the reason for each refused field."""
        values: dict[str, object] = {}
        found: dict[str, str] = {}
        for name in field_names():
            try:
                values[name] = parse_value(name, self.raw_value(name))
            except ValueError as error:
                found[name] = str(error)
        if found:
            return None, found
        settings = AppSettings(**values)  # type: ignore[arg-type]
        found = problems(settings)
        return (None, found) if found else (settings, {})

    def show_errors(self, found: dict[str, str]) -> None:
        for name, label in self.errors.items():
            label.setText(found.get(name, ""))
            label.setVisible(name in found)
        for index in range(self.tabs.count()):
            section = self._sections[index]
            count = sum(FIELD_INFO[name].section == section for name in found)
            self.tabs.setTabText(index, f"{section} ({count} refused)" if count else section)
        if found:
            first = next(iter(found))
            self.tabs.setCurrentIndex(self._sections.index(FIELD_INFO[first].section))
            self.summary.setStyleSheet(ERROR_STYLE)
            count = len(found)
            self.summary.setText(
                f"{count} setting{'s' if count > 1 else ''} refused; nothing was saved. "
                "Correct the fields marked in red."
            )
        else:
            self.summary.setStyleSheet(HINT_STYLE)
            self.summary.setText(RESTART_NOTE)

    def try_accept(self) -> bool:
        settings, found = self.collect()
        self.show_errors(found)
        if settings is None:
            return False
        self.accepted_settings = settings
        self.settingsAccepted.emit(settings)
        self.accept()
        return True
