"""The first-run welcome: log in on the platform in Chrome, or try the simulated platform."""

from __future__ import annotations

from enum import Enum

from PySide6 import QtWidgets

from qfdesk.engine.paths import default_profile_dir


class WelcomeChoice(str, Enum):
    LAUNCH_CHROME = "launch"
    SIMULATED = "simulated"
    LATER = "later"


INTRO = (
    "<h2>Welcome to QuantumFlux Desk</h2>"
    "<p>The app works with <b>your own Chrome</b>. It opens Chrome on the trading platform "
    "with a profile of its own; you log in there as usual. The app then reads that Chrome "
    "session: live prices, your account and balance, your trades. It never sees or stores "
    "your password, and the login stays in that profile for next time.</p>"
    "<p>Not ready to connect your account? Try the <b>simulated platform</b> first: a "
    "built-in practice market with live prices, no account and no money involved.</p>"
)


class WelcomeDialog(QtWidgets.QDialog):
    """``choice`` is what the trader picked (LATER if the dialog was closed)."""

    def __init__(self, platform_url: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to QuantumFlux Desk")
        self.setMinimumWidth(680)
        self.choice = WelcomeChoice.LATER
        self.intro = QtWidgets.QLabel(INTRO)
        self.intro.setWordWrap(True)
        where = QtWidgets.QLabel(
            f"Platform page: {platform_url}<br>Chrome profile: {default_profile_dir()}"
        )
        where.setWordWrap(True)
        where.setStyleSheet("color: #787b86; font-size: 11px;")
        self.launch_button = QtWidgets.QPushButton("Launch Chrome on the platform and log in")
        self.launch_button.setDefault(True)
        self.simulated_button = QtWidgets.QPushButton("Try the simulated platform first")
        self.later_button = QtWidgets.QPushButton("Later")
        self.launch_button.clicked.connect(lambda: self.choose(WelcomeChoice.LAUNCH_CHROME))
        self.simulated_button.clicked.connect(lambda: self.choose(WelcomeChoice.SIMULATED))
        self.later_button.clicked.connect(lambda: self.choose(WelcomeChoice.LATER))
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.simulated_button)
        buttons.addWidget(self.launch_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(where)
        layout.addLayout(buttons)

    def choose(self, choice: WelcomeChoice) -> None:
        self.choice = choice
        self.accept()
