"""The settings file in the running app: loaded at start, applied to the window, edited.

The window's parts take what they consume: the BUY/SELL hotkeys, the save switches' start
state and the CSV chunk sizes, the manual risk limits, the browser settings of the connect
panel, and the theme. The File menu gets "Settings...", the Help menu "Paths and about...".
A settings file that had problems, and a strategies or selectors file beside it that cannot
be used, are reported once the window shows.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.risk import RiskManager
from qfdesk.settings import AppSettings, SettingsError, SettingsStore, problems
from qfdesk.ui.connect_panel import ConnectPanel
from qfdesk.ui.dark_theme import apply_dark_theme
from qfdesk.ui.hotkeys import Hotkeys
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.paths_dialog import PathsDialog
from qfdesk.ui.settings_dialog import SettingsDialog
from qfdesk.ui.start_checks import config_file_problems
from qfdesk.ui.welcome import WelcomeChoice, WelcomeDialog

log = logging.getLogger(__name__)


def apply_theme(app: QtWidgets.QApplication, theme: str) -> None:
    """``dark`` (the terminal's own) or ``system`` (Qt's standard look; charts stay dark)."""
    if theme == "dark":
        apply_dark_theme(app)
        return
    app.setStyleSheet("")
    app.setPalette(app.style().standardPalette())


@dataclass(frozen=True, slots=True)
class SettingsTargets:
    """What the settings apply to, and the window their menu entries and dialogs go in."""

    window: QtWidgets.QMainWindow
    save_candles: QtGui.QAction
    save_ticks: QtGui.QAction
    hotkeys: Hotkeys
    risk: RiskManager
    connect_panel: ConnectPanel | None
    """None on the simulated platform: its Chrome settings are the simulator's."""
    bridge: LiveBridge
    data_root: Path


class DeskPreferences(QtCore.QObject):
    """Holds the current :class:`AppSettings`; ``store`` None keeps them in memory only."""

    changed = QtCore.Signal(object)  # AppSettings

    def __init__(
        self,
        settings: AppSettings,
        store: SettingsStore | None = None,
        load_problems: tuple[str, ...] = (),
        file_problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.load_problems = load_problems
        self.file_problems = file_problems
        self.targets: SettingsTargets | None = None
        self.dialog: QtWidgets.QDialog | None = None

    @classmethod
    def load(cls, store: SettingsStore | None = None) -> DeskPreferences:
        """The settings in ``store`` (default: the config dir's), and the problems of the
        strategies and selectors files in the same folder."""
        store = store or SettingsStore()
        result = store.load()
        return cls(result.settings, store, result.problems, config_file_problems(store.path.parent))

    # ----- changing --------------------------------------------------------------------------

    def update(self, settings: AppSettings) -> str | None:
        """Keep, save and apply ``settings``; the reason if they were refused or not saved."""
        found = problems(settings)
        if found:
            return "; ".join(f"{name}: {reason}" for name, reason in found.items())
        if self.store is not None:
            try:
                self.store.save(settings)
            except SettingsError as error:
                return str(error)
            except OSError as error:
                return f"could not write {self.store.path}: {error}"
        self.settings = settings
        self._apply(settings)
        self.changed.emit(settings)
        return None

    def first_run_choice(self, parent: QtWidgets.QWidget | None = None) -> WelcomeChoice | None:
        """The welcome, the first time only (None afterwards); its choice either way."""
        if self.settings.welcome_shown:
            return None
        dialog = WelcomeDialog(self.settings.platform_url, parent)
        self.dialog = dialog
        dialog.exec()
        problem = self.update(dataclasses.replace(self.settings, welcome_shown=True))
        if problem:
            log.error("the welcome will show again next time: %s", problem)
        log.info("first run: %s", dialog.choice.value)
        return dialog.choice

    # ----- the window ------------------------------------------------------------------------

    @property
    def window(self) -> QtWidgets.QMainWindow | None:
        return None if self.targets is None else self.targets.window

    def attach(self, targets: SettingsTargets) -> None:
        """Apply the settings to ``targets`` and add the settings and paths menu entries."""
        self.targets = targets
        targets.save_candles.setChecked(self.settings.save_candles)
        targets.save_ticks.setChecked(self.settings.save_ticks)
        self._apply(self.settings)
        targets.hotkeys.changed.connect(self._hotkeys_edited)
        self._menus(targets.window)
        if self.load_problems or self.file_problems:
            QtCore.QTimer.singleShot(0, self._report_load_problems)

    def _apply(self, settings: AppSettings) -> None:
        app = QtWidgets.QApplication.instance()
        if isinstance(app, QtWidgets.QApplication):
            apply_theme(app, settings.theme)
        targets = self.targets
        if targets is None:
            return
        if targets.hotkeys.keys() != (settings.hotkey_buy, settings.hotkey_sell):
            targets.hotkeys.apply(settings.hotkey_buy, settings.hotkey_sell)
        sink = targets.bridge.sink
        sink.settings = dataclasses.replace(
            sink.settings, candle_chunk=settings.candle_chunk, tick_chunk=settings.tick_chunk
        )
        targets.risk.limits = settings.risk_limits()
        panel = targets.connect_panel
        if panel is not None:
            panel.settings = dataclasses.replace(
                panel.settings,
                chrome_path=settings.chrome_path or None,
                port=settings.debugging_port,
                url=settings.platform_url,
            )
            panel.url.setText(settings.platform_url)

    def _hotkeys_edited(self, buy: str, sell: str) -> None:
        if (buy, sell) == (self.settings.hotkey_buy, self.settings.hotkey_sell):
            return
        problem = self.update(dataclasses.replace(self.settings, hotkey_buy=buy, hotkey_sell=sell))
        if problem and self.targets is not None:
            self.targets.hotkeys.apply(self.settings.hotkey_buy, self.settings.hotkey_sell)
            self._warn("Hotkeys not changed", f"The hotkeys were not changed: {problem}")

    def _menus(self, window: QtWidgets.QMainWindow) -> None:
        bar = window.menuBar()
        file_menu = _menu(bar, "File")
        settings_action = QtGui.QAction("&Settings\u2026", window)
        settings_action.setShortcut(QtGui.QKeySequence.StandardKey.Preferences)
        settings_action.triggered.connect(self.open_settings)
        if file_menu is not None and file_menu.actions():
            file_menu.insertAction(file_menu.actions()[0], settings_action)
            file_menu.insertSeparator(file_menu.actions()[1])
        else:
            bar.addAction(settings_action)
        help_menu = _menu(bar, "Help") or bar.addMenu("&Help")
        help_menu.addAction("&Paths and about\u2026", self.open_paths)

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.window)
        dialog.settingsAccepted.connect(self._dialog_accepted)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_accepted(self, settings: AppSettings) -> None:
        problem = self.update(settings)
        if problem:
            self._warn("Settings not saved", f"The settings were not saved: {problem}")

    def open_paths(self) -> PathsDialog:
        data_root = self.targets.data_root if self.targets else self.settings.data_root()
        dialog = PathsDialog(data_root, parent=self.window)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _report_load_problems(self) -> None:
        parts = []
        if self.load_problems:
            parts.append(
                "Some settings could not be used; the defaults replace them. Check them in "
                "File > Settings.\n\n" + "\n".join(self.load_problems)
            )
        if self.file_problems:
            parts.append("\n\n".join(self.file_problems))
        title = "Settings" if self.load_problems else "Files not used"
        self._warn(title, "\n\n".join(parts))

    def _warn(self, title: str, text: str) -> QtWidgets.QMessageBox:
        """A non-blocking warning with selectable text."""
        log.warning("%s: %s", title, text)
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning,
            title,
            text,
            QtWidgets.QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dialog = box
        box.open()
        return box


def _menu(bar: QtWidgets.QMenuBar, title: str) -> QtWidgets.QMenu | None:
    """The menu of the bar titled ``title`` (its & left out), if there is one."""
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QtWidgets.QMenu) and action.text().replace("&", "") == title:
            return menu
    return None
