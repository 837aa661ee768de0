"""About/Paths: the version and every folder the app uses, opened and copied from buttons."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk import __version__
from qfdesk.engine import paths
from qfdesk.ui.paths_dialog import PathsDialog

pytestmark = pytest.mark.gui


class OpenedUrls(QtCore.QObject):
    """Receives the URLs QDesktopServices would hand to the file manager."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QtCore.QUrl] = []

    @QtCore.Slot(QtCore.QUrl)
    def open(self, url: QtCore.QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return tmp_path


@pytest.fixture
def opened(qapp):
    catcher = OpenedUrls()
    QtGui.QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QtGui.QDesktopServices.unsetUrlHandler("file")


def test_every_folder_is_listed_with_the_version(qapp, xdg):
    data_root = xdg / "market"
    dialog = PathsDialog(data_root)
    shown = {name: Path(edit.text()) for name, edit in dialog.path_labels.items()}
    app_dir = "QuantumFlux Desk"
    assert shown == {
        "Settings and overrides": xdg / "xdg_config_home" / app_dir,
        "Market data (CSV)": data_root,
        "Logs": xdg / "xdg_state_home" / app_dir / "log",
        "Screenshots and diagnostics": xdg / "xdg_data_home" / app_dir / "artifacts",
        "Chrome profile": paths.default_profile_dir(),
    }
    assert __version__ in dialog.version_label.text()
    dialog.close()


def test_open_creates_the_folder_and_hands_it_to_the_file_manager(qapp, xdg, opened):
    dialog = PathsDialog(xdg / "market")
    logs = paths.logs_dir()
    assert not logs.exists()
    dialog.open_buttons["Logs"].click()
    assert logs.is_dir()
    assert [url.toLocalFile() for url in opened.urls] == [str(logs)]
    assert dialog.message.text() == f"Opened {logs}."
    dialog.close()


def test_copy_puts_the_path_on_the_clipboard(qapp, xdg):
    dialog = PathsDialog(xdg / "market")
    copy = [
        b
        for b in dialog.findChildren(QtWidgets.QPushButton)
        if b.text() == "Copy" and "copy the path" in b.toolTip()
    ]
    assert len(copy) == 5
    copy[1].click()
    assert QtWidgets.QApplication.clipboard().text() == str(xdg / "market")
    dialog.close()


def test_a_folder_that_cannot_be_made_is_reported(qapp, xdg, opened):
    blocker = xdg / "market"
    blocker.write_text("a file where the data folder should be")
    dialog = PathsDialog(blocker / "csv")
    assert dialog.open_folder(blocker / "csv") is False
    assert dialog.message.text().startswith(f"Cannot create {blocker / 'csv'}")
    assert opened.urls == []
    dialog.close()
