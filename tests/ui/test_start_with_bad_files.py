"""The real app started on bad files: settings of random bytes, a strategies file and a
selectors file of the wrong shape, a layout file of random bytes. The window opens, says in
words which files were not used and where their copies are, and everything it writes is in
the one config folder, private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui]

APP_DIR = "QuantumFlux Desk"

DRIVER = """
import sys
from PySide6 import QtCore, QtWidgets
import qfdesk.ui.desktop as desktop
from qfdesk.cli import main
from qfdesk.ui.main_window import MainWindow
from qfdesk.ui.welcome import WelcomeDialog

original = desktop.create_qapp
timers = []

def poll():
    for widget in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(widget, WelcomeDialog) and widget.isVisible():
            widget.later_button.click()
        if isinstance(widget, QtWidgets.QMessageBox) and widget.isVisible():
            print("BOX", widget.windowTitle(), flush=True)
            print(widget.text().replace("\\n", " | "), flush=True)
            widget.close()
            for window in QtWidgets.QApplication.topLevelWidgets():
                if isinstance(window, MainWindow):
                    QtCore.QTimer.singleShot(300, window.close)
            timers[0].stop()

def create_qapp(*args):
    app = original(*args)
    timer = QtCore.QTimer(app)
    timer.timeout.connect(poll)
    timer.start(100)
    timers.append(timer)
    return app

desktop.create_qapp = create_qapp
sys.exit(main([]))
"""

BAD_FILES = {
    "settings.json": bytes(range(128, 256)),
    "strategies.json": b'{"files": 5}',
    "selectors.json": b"[1]",
    "layout.ini": bytes(range(256)) * 4,
}


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("bad_files")
    config = tmp / "xdg_config_home" / APP_DIR
    config.mkdir(parents=True)
    for name, content in BAD_FILES.items():
        (config / name).write_bytes(content)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp / name.lower())
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp, done


def test_the_window_opens_and_names_every_file_it_did_not_use(started):
    tmp, done = started
    config = tmp / "xdg_config_home" / APP_DIR
    box = done.stdout.split("BOX ", 1)[1]
    assert box.startswith("Settings\n")
    assert f"the settings file {config / 'settings.json'} is not text" in box
    assert f'the strategies file {config / "strategies.json"} has a "files" part' in box
    assert f"the selectors file {config / 'selectors.json'} is not used" in box
    for name in ("settings", "strategies", "selectors"):
        (copy,) = config.glob(f"{name}.unreadable-*.json")
        assert copy.read_bytes() == BAD_FILES[f"{name}.json"] and str(copy) in box


def test_everything_it_wrote_is_in_the_one_config_folder(started):
    tmp, _ = started
    config = tmp / "xdg_config_home" / APP_DIR
    assert sorted(path.name for path in (tmp / "xdg_config_home").iterdir()) == [APP_DIR]
    assert "[window]" in (config / "layout.ini").read_text(errors="replace")


def test_everything_it_wrote_is_private(started):
    tmp, _ = started
    written = [tmp / "xdg_config_home" / APP_DIR, tmp / "xdg_state_home" / APP_DIR]
    for root in written:
        for path in [root, *root.rglob("*")]:
            want = 0o700 if path.is_dir() else 0o600
            assert stat.S_IMODE(path.stat().st_mode) == want, path
    assert (tmp / "xdg_state_home" / APP_DIR / "log" / "qfdesk.log").is_file()
