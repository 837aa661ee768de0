"""The page-check banner and Help > Selectors in a real window without Chrome."""

from __future__ import annotations

import json
import threading

from desk_helpers import offline_window

from qfdesk.engine.page_check import ElementCheck, Feature, PageCheck
from qfdesk.engine.paths import config_dir


def test_help_selectors_shows_where_the_override_file_lives_and_a_working_example(
    tmp_path, qtbot, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    window = offline_window(tmp_path, qtbot)
    (help_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    (action,) = [a for a in help_menu.actions() if a.text() == "Selectors\u2026"]
    action.trigger()
    dialog = window.page_check.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.path_field.text() == str(config_dir() / "selectors.json")
    example = json.loads(dialog.example.toPlainText())
    assert example["elements"]["buy_button"]["selectors"][0]["css"]
    assert "not been checked yet" in dialog.status.text()
    dialog.close()


def test_the_banner_shows_a_failed_check_and_check_again_reports_what_it_finds(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    banner = window.page_check.banner
    assert not banner.isVisible()
    missing = PageCheck((ElementCheck("sell_button", True, "SELL / put button"),))
    told = threading.Thread(target=window.bridge.page_check.update, args=(missing,))
    told.start()
    told.join()
    qtbot.waitUntil(banner.isVisible, timeout=3000)
    assert banner.text().startswith("The SELL button was not found on the page: trading by hand")
    banner.check_button.click()
    assert not banner.check_button.isEnabled(), "checking"
    qtbot.waitUntil(lambda: "could not be checked" in banner.text(), timeout=5000)
    assert "Not connected to Chrome" in banner.text()
    assert banner.isVisible() and banner.check_button.isEnabled()
    assert window.bridge.page_check.refusal(Feature.MANUAL_TRADING) is None, (
        "a check that could not run switches nothing off"
    )
