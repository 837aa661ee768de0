"""The settings dialog refuses bad values with the reason under each field; accepted settings
reach the window's parts (hotkeys, chunk sizes, risk limits, connect panel) and the file."""

from __future__ import annotations

import json
import stat

import pytest
from PySide6 import QtGui, QtWidgets

from qfdesk.settings import AppSettings, SettingsStore
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.desktop import settings_targets
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.preferences import DeskPreferences
from qfdesk.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.gui


def type_into(dialog: SettingsDialog, name: str, text: str) -> None:
    line = dialog.line(name)
    line.clear()
    line.insert(text)


def set_key(dialog: SettingsDialog, name: str, keys: str) -> None:
    editor = dialog.editors[name]
    assert isinstance(editor, QtWidgets.QKeySequenceEdit)
    editor.setKeySequence(QtGui.QKeySequence(keys))


def shown_errors(dialog: SettingsDialog) -> dict[str, str]:
    return {name: label.text() for name, label in dialog.errors.items() if not label.isHidden()}


@pytest.fixture
def window(qapp, tmp_path, store):
    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    handler = QtLogHandler()
    window = compose_desk(
        bridge=bridge,
        store=store,
        data_root=tmp_path / "data",
        browser_settings=AppSettings().browser_settings(),
        log_handler=handler,
    )
    window.show()
    yield window
    window.close()
    bridge.stop(close_chrome=False)
    window.deleteLater()


def test_bad_values_are_refused_with_reasons_and_nothing_is_saved(qapp):
    saved: list[AppSettings] = []
    dialog = SettingsDialog(AppSettings())
    dialog.settingsAccepted.connect(saved.append)
    dialog.show()
    type_into(dialog, "debugging_port", "80")
    type_into(dialog, "platform_url", "pocketoption")
    type_into(dialog, "candle_chunk", "0")
    type_into(dialog, "min_payout", "101")
    type_into(dialog, "chrome_path", "/nonexistent/chrome")
    set_key(dialog, "hotkey_buy", "B")
    assert dialog.try_accept() is False
    errors = shown_errors(dialog)
    assert set(errors) == {
        "debugging_port",
        "platform_url",
        "candle_chunk",
        "min_payout",
        "chrome_path",
        "hotkey_buy",
    }
    assert "between 1024 and 65535" in errors["debugging_port"]
    assert "https://" in errors["platform_url"]
    assert "between 1 and" in errors["candle_chunk"]
    assert "0 to 100" in errors["min_payout"]
    assert "no program at /nonexistent/chrome" in errors["chrome_path"]
    assert "would trade while you type" in errors["hotkey_buy"]
    assert "6 settings refused; nothing was saved" in dialog.summary.text()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == ["Platform (3 refused)", "Data (1 refused)", "Trading (2 refused)", "Look"]
    assert dialog.tabs.currentIndex() == 0
    assert dialog.isVisible() and saved == [] and dialog.accepted_settings is None
    dialog.close()


def test_rules_across_fields_show_on_both_fields(qapp):
    dialog = SettingsDialog(AppSettings())
    type_into(dialog, "min_stake", "50")
    type_into(dialog, "max_stake", "10")
    set_key(dialog, "hotkey_sell", "Shift+W")
    assert dialog.try_accept() is False
    errors = shown_errors(dialog)
    assert errors["min_stake"] == errors["max_stake"] == "the largest amount is below the smallest"
    assert errors["hotkey_buy"] == errors["hotkey_sell"] == "BUY and SELL need different hotkeys"
    dialog.close()


def test_good_values_are_accepted_and_errors_clear(qapp, tmp_path):
    chrome = tmp_path / "chrome"
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(chrome.stat().st_mode | stat.S_IXUSR)
    dialog = SettingsDialog(AppSettings())
    type_into(dialog, "debugging_port", "80")
    assert dialog.try_accept() is False
    type_into(dialog, "debugging_port", "9333")
    type_into(dialog, "chrome_path", str(chrome))
    type_into(dialog, "tick_chunk", "2500")
    type_into(dialog, "max_open_trades", "")
    type_into(dialog, "daily_loss_limit", "75,5")
    set_key(dialog, "hotkey_buy", "Ctrl+Up")
    set_key(dialog, "hotkey_sell", "Ctrl+Down")
    dialog.editors["save_ticks"].setChecked(True)
    dialog.editors["theme"].setCurrentText("system")
    assert dialog.try_accept() is True
    assert shown_errors(dialog) == {}
    assert dialog.accepted_settings == AppSettings(
        debugging_port=9333,
        chrome_path=str(chrome),
        tick_chunk=2500,
        max_open_trades=None,
        daily_loss_limit=75.5,
        hotkey_buy="Ctrl+Up",
        hotkey_sell="Ctrl+Down",
        save_ticks=True,
        theme="system",
    )


def test_restore_defaults_fills_every_editor(qapp):
    dialog = SettingsDialog(AppSettings(debugging_port=9555, theme="system", save_ticks=True))
    dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).click()
    settings, found = dialog.collect()
    assert found == {} and settings == AppSettings()
    dialog.close()


def test_a_window_given_no_limits_trades_by_hand_under_the_default_settings_limits(window):
    assert window.risk.limits == AppSettings().risk_limits()


def test_settings_reach_the_window_and_the_file(qapp, tmp_path, window):
    path = tmp_path / "config" / "settings.json"
    start = AppSettings(save_candles=True, candle_chunk=33, hotkey_buy="F7", hotkey_sell="F8")
    SettingsStore(path).save(start)
    prefs = DeskPreferences.load(SettingsStore(path))
    prefs.attach(settings_targets(window, window.bridge, tmp_path / "data"))
    assert window.toolbar.save_candles.isChecked() and not window.toolbar.save_ticks.isChecked()
    sink = window.bridge.sink.settings
    assert (sink.save_candles, sink.save_ticks, sink.candle_chunk) == (True, False, 33)
    assert window.hotkeys.keys() == ("F7", "F8")

    dialog = prefs.open_settings()
    type_into(dialog, "tick_chunk", "4321")
    type_into(dialog, "max_stake", "250")
    type_into(dialog, "debugging_port", "9444")
    set_key(dialog, "hotkey_buy", "Alt+B")
    assert dialog.try_accept() is True
    assert window.bridge.sink.settings.tick_chunk == 4321
    assert window.risk.limits.max_stake == 250
    assert window.hotkeys.keys() == ("Alt+B", "F8")
    assert window.connect_panel.settings.port == 9444
    saved = json.loads(path.read_text())["settings"]
    assert (saved["tick_chunk"], saved["max_stake"], saved["hotkey_buy"]) == (4321, 250, "Alt+B")

    window.hotkeys.apply("Ctrl+1", "Ctrl+2")  # the Trading > Hotkeys dialog's way
    assert json.loads(path.read_text())["settings"]["hotkey_sell"] == "Ctrl+2"
    window.hotkeys.apply("1", "Ctrl+2")  # refused: a bare key would trade while typing
    assert window.hotkeys.keys() == ("Ctrl+1", "Ctrl+2")
    assert json.loads(path.read_text())["settings"]["hotkey_buy"] == "Ctrl+1"
    assert "would trade while you type" in prefs.dialog.text()
    prefs.dialog.close()


def test_problems_of_the_file_are_shown_when_the_window_opens(qapp, qtbot, tmp_path, window):
    path = tmp_path / "settings.json"
    path.write_text('{"version": 2, "settings": {"debugging_port": 5}}')
    prefs = DeskPreferences.load(SettingsStore(path))
    prefs.attach(settings_targets(window, window.bridge, tmp_path / "data"))
    qtbot.waitUntil(lambda: isinstance(prefs.dialog, QtWidgets.QMessageBox), timeout=2000)
    text = prefs.dialog.text()
    assert "debugging_port: the debugging port must be between 1024 and 65535" in text
    assert window.connect_panel.settings.port == AppSettings().debugging_port
    prefs.dialog.close()


def test_the_menus_open_settings_and_paths(qapp, tmp_path, window):
    prefs = DeskPreferences(AppSettings())
    prefs.attach(settings_targets(window, window.bridge, tmp_path / "data"))
    actions = {
        a.text().replace("&", ""): a
        for menu in window.menuBar().findChildren(QtWidgets.QMenu)
        for a in menu.actions()
    }
    # One Help menu: the window's (Report a problem, Selectors) gets Paths and about too.
    helps = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert len(helps) == 1
    assert [a.text() for a in helps[0].actions()] == [
        "Report a problem\u2026",
        "Selectors\u2026",
        "&Paths and about\u2026",
    ]
    actions["Settings\u2026"].trigger()
    assert isinstance(prefs.dialog, SettingsDialog) and prefs.dialog.isVisible()
    prefs.dialog.close()
    actions["Paths and about\u2026"].trigger()
    assert prefs.dialog.windowTitle() == "About QuantumFlux Desk" and prefs.dialog.isVisible()
    prefs.dialog.close()


def test_strategies_and_selectors_files_not_used_are_shown_when_the_window_opens(
    qapp, qtbot, tmp_path, window
):
    path = tmp_path / "settings.json"
    SettingsStore(path).save(AppSettings())
    (tmp_path / "strategies.json").write_text('{"files": 5}')
    (tmp_path / "selectors.json").write_text("[1]")
    prefs = DeskPreferences.load(SettingsStore(path))
    prefs.attach(settings_targets(window, window.bridge, tmp_path / "data"))
    qtbot.waitUntil(lambda: isinstance(prefs.dialog, QtWidgets.QMessageBox), timeout=2000)
    text = prefs.dialog.text()
    assert prefs.dialog.windowTitle() == "Files not used"
    assert f'the strategies file {tmp_path / "strategies.json"} has a "files" part' in text
    assert "only the built-in strategies are used" in text
    assert f"the selectors file {tmp_path / 'selectors.json'} is not used" in text
    assert "the built-in selectors are used" in text
    kept = sorted(p.name for p in tmp_path.glob("*.unreadable-*.json"))
    assert [name.split(".")[0] for name in kept] == ["selectors", "strategies"]
    assert all(name in text for name in kept)
    prefs.dialog.close()
