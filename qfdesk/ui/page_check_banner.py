"""The page-check banner across the top of the window, and Help > Selectors.

The banner is hidden while every critical element of the platform page was found. When the
check on attach (or a later one) misses one, it says which, what is off for it (the order
desk refuses those trades meanwhile) and how to fix it; charting goes on. It checks again on
its *Check again* button and whenever the user's ``selectors.json`` is saved, and hides once
a check finds everything.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.browser.selectors import user_selectors_path
from qfdesk.engine.page_check import PageCheck
from qfdesk.ui.dark_theme import WARN
from qfdesk.ui.live_bridge import LiveBridge

RECHECK_AFTER_SAVE_MS = 500  # editors write a file in several steps: check once, after them

EXAMPLE = {
    "elements": {
        "buy_button": {
            "selectors": [
                {"css": "#put-call-buttons-chart-1 .button-call-wrap a.btn"},
                {"css": ".btn-call"},
            ]
        }
    }
}


def _example_text() -> str:
    return json.dumps(EXAMPLE, indent=2)


class PageCheckBanner(QtWidgets.QFrame):
    """Shows the latest page check when it is not all well (told on any thread)."""

    checked = QtCore.Signal(object)  # PageCheck
    checkAgain = QtCore.Signal()
    helpRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageCheck")
        self.setStyleSheet(
            f"QFrame#pageCheck {{ background: {WARN}; }} "
            "QFrame#pageCheck QLabel { color: #000000; font-weight: bold; font-size: 13px; }"
        )
        self.label = QtWidgets.QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QtWidgets.QPushButton("Check again", self)
        self.help_button = QtWidgets.QPushButton("Selectors help\u2026", self)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.check_button)
        layout.addWidget(self.help_button)
        self.check_button.clicked.connect(self._check_again)
        self.help_button.clicked.connect(self.helpRequested)
        self.checked.connect(self.show_check, QtCore.Qt.ConnectionType.QueuedConnection)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def _check_again(self) -> None:
        self.check_button.setEnabled(False)
        self.check_button.setText("Checking\u2026")
        self.checkAgain.emit()

    def show_check(self, check: PageCheck) -> None:
        self.check_button.setEnabled(True)
        self.check_button.setText("Check again")
        self.label.setText(check.text)
        self.setVisible(not check.ok)


class SelectorsHelp(QtWidgets.QDialog):
    """How the page's elements are found and how a ``selectors.json`` overrides them."""

    def __init__(
        self, check: PageCheck | None, path: Path, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Selectors")
        self.resize(720, 600)
        intro = QtWidgets.QLabel(
            "<p>qfdesk finds the platform page's buttons and fields with <i>selectors</i> "
            "(CSS or XPath), several per element, tried best first. When the platform changes "
            "its page, an element may no longer be found: what depends on it is switched off "
            "(charting never is) and a yellow banner says so.</p>"
            "<p><b>To fix it without a new release</b>, give the element's new selector in "
            "this file (create it if it is not there):</p>",
            self,
        )
        intro.setWordWrap(True)
        self.path_field = QtWidgets.QLineEdit(str(path), self)
        self.path_field.setReadOnly(True)
        copy = QtWidgets.QPushButton("Copy path", self)
        copy.clicked.connect(lambda: QtGui.QGuiApplication.clipboard().setText(str(path)))
        where = QtWidgets.QHBoxLayout()
        where.addWidget(self.path_field, 1)
        where.addWidget(copy)
        how = QtWidgets.QLabel(
            "<p>It names only the elements it changes; the others keep the built-in "
            "selectors. For example, if the BUY button was not found:</p>",
            self,
        )
        how.setWordWrap(True)
        self.example = QtWidgets.QPlainTextEdit(_example_text(), self)
        self.example.setReadOnly(True)
        self.example.setFont(
            QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        )
        steps = QtWidgets.QLabel(
            "<p>To find the new selector: in the platform's Chrome, right-click the element, "
            "<i>Inspect</i>, and read its classes (a class <code>btn-buy</code> is the CSS "
            "selector <code>.btn-buy</code>). Element names: <code>buy_button</code>, "
            "<code>sell_button</code>, <code>amount_input</code>, <code>expiry_value</code>, "
            "<code>payout</code>, <code>current_asset</code>, <code>balance</code>; "
            "<code>qfdesk doctor</code> lists them all and which selector finds each.</p>"
            "<p>Save the file: qfdesk checks the page again (or press <i>Check again</i> in "
            "the banner). While the file is not valid JSON it is not used (a copy is kept) "
            "and the built-in selectors are; the banner says so.</p>",
            self,
        )
        steps.setWordWrap(True)
        steps.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.status = QtWidgets.QLabel(_status_text(check), self)
        self.status.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(where)
        layout.addWidget(how)
        layout.addWidget(self.example, 1)
        layout.addWidget(steps)
        layout.addWidget(self.status)
        layout.addWidget(buttons)


def _status_text(check: PageCheck | None) -> str:
    if check is None:
        return "The page has not been checked yet: connect to the platform's Chrome first."
    if check.ok:
        return "The last check found every critical element on the page."
    return f"The last check: {check.text}"


class PageCheckWatch(QtCore.QObject):
    """The banner kept up to date with the bridge's checks, the Help dialog, and a new check
    whenever the user's selectors file is saved."""

    def __init__(
        self,
        bridge: LiveBridge,
        banner: PageCheckBanner,
        path: Path,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.banner = banner
        self.path = path
        self.dialog: SelectorsHelp | None = None
        bridge.page_check.add_listener(banner.checked.emit)
        banner.checkAgain.connect(bridge.check_page)
        banner.checked.connect(lambda _check: self._watch())  # a folder made since
        banner.helpRequested.connect(self.show_help)
        self._saved = QtCore.QTimer(self)
        self._saved.setSingleShot(True)
        self._saved.setInterval(RECHECK_AFTER_SAVE_MS)
        self._saved.timeout.connect(self._recheck)
        self.watcher = QtCore.QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._changed)
        self.watcher.fileChanged.connect(self._changed)
        self._watch()

    def _watch(self) -> None:
        """Watch the file and its folder (an editor that saves by renaming replaces the
        file: the folder changes, and the new file is watched again)."""
        for target in (self.path.parent, self.path):
            if target.exists() and str(target) not in (
                self.watcher.files() + self.watcher.directories()
            ):
                self.watcher.addPath(str(target))

    def _changed(self, _path: str) -> None:
        self._watch()
        self._saved.start()

    def _recheck(self) -> None:
        if self.bridge.connected:
            self.bridge.check_page()

    def show_help(self) -> None:
        parent = self.banner.window()
        self.dialog = SelectorsHelp(self.bridge.page_check.current, self.path, parent)
        self.dialog.show()


def install_page_check(
    *,
    bridge: LiveBridge,
    layout: QtWidgets.QBoxLayout,
    below: QtWidgets.QWidget,
    help_menu: QtWidgets.QMenu,
    parent: QtWidgets.QWidget,
) -> PageCheckWatch:
    """The banner in ``layout`` right under ``below`` (the trading alarm), Help > Selectors...
    in ``help_menu``, and the checks wired to them."""
    banner = PageCheckBanner(parent)
    layout.insertWidget(layout.indexOf(below) + 1, banner)
    watch = PageCheckWatch(bridge, banner, user_selectors_path(), parent)
    help_menu.addAction("Selectors\u2026", watch.show_help)
    return watch
