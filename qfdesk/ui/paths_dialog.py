"""About and paths: the version, and every folder the app uses with buttons to open or copy it."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk import __version__
from qfdesk.engine import paths


def app_folders(data_root: Path, profile_dir: Path | None = None) -> list[tuple[str, Path]]:
    """The folders shown, in order: config, data, logs, artifacts, Chrome profile."""
    return [
        ("Settings and overrides", paths.config_dir()),
        ("Market data (CSV)", data_root),
        ("Logs", paths.logs_dir()),
        ("Screenshots and diagnostics", paths.artifacts_dir()),
        ("Chrome profile", profile_dir or paths.default_profile_dir()),
    ]


class PathsDialog(QtWidgets.QDialog):
    def __init__(
        self,
        data_root: Path,
        profile_dir: Path | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About QuantumFlux Desk")
        self.setMinimumWidth(640)
        icon = QtGui.QIcon(str(paths.resource_path("icons", "qfdesk-64.png")))
        picture = QtWidgets.QLabel()
        picture.setPixmap(icon.pixmap(64, 64))
        title = QtWidgets.QLabel(f"QuantumFlux Desk {__version__}")
        title.setObjectName("bigValue")
        self.version_label = title
        where = (
            "bundle"
            if paths.is_frozen()
            else "source checkout"
            if paths.is_source_checkout()
            else "installed package"
        )
        detail = QtWidgets.QLabel(f"Running from a {where}. Resources: {paths.resources_dir()}")
        detail.setWordWrap(True)
        header = QtWidgets.QHBoxLayout()
        header.addWidget(picture)
        text = QtWidgets.QVBoxLayout()
        text.addWidget(title)
        text.addWidget(detail)
        header.addLayout(text, 1)
        grid = QtWidgets.QGridLayout()
        self.folders = app_folders(data_root, profile_dir)
        self.path_labels: dict[str, QtWidgets.QLineEdit] = {}
        self.open_buttons: dict[str, QtWidgets.QPushButton] = {}
        for row, (name, folder) in enumerate(self.folders):
            shown = QtWidgets.QLineEdit(str(folder))
            shown.setReadOnly(True)
            open_button = QtWidgets.QPushButton("Open")
            open_button.setToolTip(f"open {folder} in the file manager (created if missing)")
            open_button.clicked.connect(lambda _=False, f=folder: self.open_folder(f))
            copy = QtWidgets.QPushButton("Copy")
            copy.setToolTip("copy the path")
            copy.clicked.connect(lambda _=False, f=folder: self.copy_path(f))
            grid.addWidget(QtWidgets.QLabel(name), row, 0)
            grid.addWidget(shown, row, 1)
            grid.addWidget(open_button, row, 2)
            grid.addWidget(copy, row, 3)
            self.path_labels[name] = shown
            self.open_buttons[name] = open_button
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(close)

    def open_folder(self, folder: Path) -> bool:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.message.setText(f"Cannot create {folder}: {error}")
            return False
        opened = QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(folder)))
        self.message.setText(
            f"Opened {folder}." if opened else f"No file manager opened {folder}; copy the path."
        )
        return opened

    def copy_path(self, folder: Path) -> None:
        QtWidgets.QApplication.clipboard().setText(str(folder))
        self.message.setText(f"Copied {folder}")
