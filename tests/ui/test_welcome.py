"""The first-run welcome: shown once (the marker lives in the settings file), choices kept."""

from __future__ import annotations

import json

import pytest
from PySide6 import QtCore

from qfdesk.settings import SettingsStore
from qfdesk.ui.preferences import DeskPreferences
from qfdesk.ui.welcome import WelcomeChoice, WelcomeDialog

pytestmark = pytest.mark.gui


def answer_welcome(prefs: DeskPreferences, button: str, seen: list[WelcomeDialog]) -> None:
    """Click ``button`` of the welcome once it is up (it runs modally)."""

    def click() -> None:
        dialog = prefs.dialog
        assert isinstance(dialog, WelcomeDialog) and dialog.isVisible()
        seen.append(dialog)
        getattr(dialog, button).click()

    QtCore.QTimer.singleShot(50, click)


@pytest.mark.parametrize(
    ("button", "choice"),
    [
        ("simulated_button", WelcomeChoice.SIMULATED),
        ("launch_button", WelcomeChoice.LAUNCH_CHROME),
        ("later_button", WelcomeChoice.LATER),
    ],
)
def test_the_welcome_shows_once(qapp, tmp_path, button, choice):
    path = tmp_path / "config" / "settings.json"
    prefs = DeskPreferences.load(SettingsStore(path))
    seen: list[WelcomeDialog] = []
    answer_welcome(prefs, button, seen)
    assert prefs.first_run_choice() is choice
    assert len(seen) == 1
    assert json.loads(path.read_text())["settings"]["welcome_shown"] is True

    for _ in range(2):  # the same session, then the next start
        again = DeskPreferences.load(SettingsStore(path))
        assert again.first_run_choice() is None
        assert again.dialog is None, "no welcome the second time"


def test_the_welcome_explains_the_session_and_the_simulator(qapp):
    dialog = WelcomeDialog("https://pocketoption.com/en/cabinet/demo-quick-high-low/")
    text = dialog.intro.text()
    assert "reads that Chrome session" in text and "simulated platform" in text
    assert dialog.launch_button.text().startswith("Launch Chrome on the platform")
    assert dialog.simulated_button.text() == "Try the simulated platform first"
    dialog.close()
    assert dialog.choice is WelcomeChoice.LATER, "closing the welcome is 'later'"
