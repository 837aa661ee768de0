"""The first start of the real app shows the welcome once; its choice starts the session.

The app runs as a subprocess (``qfdesk`` with fresh XDG folders, offscreen). A small driver
answers the welcome like a trader would, by clicking its button, and closes the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser_helpers import needs_browser

pytestmark = [pytest.mark.gui]

DRIVER = """
import sys
from PySide6 import QtCore, QtWidgets
import qfdesk.ui.desktop as desktop
from qfdesk.cli import main
from qfdesk.ui.welcome import WelcomeDialog
from qfdesk.ui.main_window import MainWindow

button, close_when = sys.argv[1], sys.argv[2]
original = desktop.create_qapp
timers = []

def poll():
    for widget in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(widget, WelcomeDialog) and widget.isVisible():
            print("WELCOME SHOWN", flush=True)
            getattr(widget, button).click()
        if isinstance(widget, MainWindow) and widget.isVisible():
            done = widget.source_state.value == "LIVE" if close_when == "live" else True
            if done:
                print("WINDOW", widget.windowTitle(), widget.source_state.value, flush=True)
                QtCore.QTimer.singleShot(500, widget.close)
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


def start_app(tmp_path: Path, button: str, close_when: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    return subprocess.run(
        [sys.executable, "-c", DRIVER, button, close_when],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def settings_file(tmp_path: Path) -> dict:
    path = tmp_path / "xdg_config_home" / "QuantumFlux Desk" / "settings.json"
    return json.loads(path.read_text())["settings"]


@pytest.mark.browser
@needs_browser
def test_first_start_welcome_then_the_simulated_platform_then_never_again(tmp_path):
    first = start_app(tmp_path, "simulated_button", "live")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("WELCOME SHOWN") == 1
    assert "WINDOW QuantumFlux Desk \u2014 SIMULATED platform LIVE" in first.stdout
    assert "first run: simulated" in first.stderr
    assert settings_file(tmp_path)["welcome_shown"] is True

    second = start_app(tmp_path, "later_button", "shown")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "WELCOME SHOWN" not in second.stdout
    assert "WINDOW QuantumFlux Desk " in second.stdout, "the app starts straight away"
