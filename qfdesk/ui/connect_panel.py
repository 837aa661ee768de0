"""Shown when no Chrome is attached: launch Chrome on the platform, or attach to an address."""

from __future__ import annotations

import dataclasses
from typing import cast

from PySide6 import QtCore, QtWidgets

from qfdesk.browser.live import parse_address
from qfdesk.browser.settings import DEFAULT_URL, BrowserSettings

PANEL_WIDTH = 560


class ConnectPanel(QtWidgets.QFrame):
    launchRequested = QtCore.Signal(object)  # BrowserSettings
    attachRequested = QtCore.Signal(object)  # BrowserSettings

    def __init__(self, settings: BrowserSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectPanel")
        self.settings = settings
        self.title = QtWidgets.QLabel("No Chrome to attach to")
        self.title.setObjectName("bigValue")
        self.detail = QtWidgets.QLabel(
            f"Nothing answers on {settings.address}. Launch Chrome on the trading platform, or "
            "attach to a Chrome started with --remote-debugging-port."
        )
        self.detail.setWordWrap(True)
        self.url = QtWidgets.QLineEdit(settings.url or DEFAULT_URL)
        self.launch_button = QtWidgets.QPushButton("Launch Chrome on the platform")
        self.address = QtWidgets.QLineEdit(settings.address)
        self.attach_button = QtWidgets.QPushButton("Attach")
        self.error = QtWidgets.QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ef5350;")
        self.error.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QtWidgets.QFormLayout()
        form.addRow("Platform page", self.url)
        form.addRow("", self.launch_button)
        form.addRow("Chrome address", self.address)
        form.addRow("", self.attach_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addLayout(form)
        layout.addWidget(self.error)
        self.setFixedWidth(PANEL_WIDTH)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.launch_button.clicked.connect(self._launch)
        self.attach_button.clicked.connect(self._attach)
        self._fit()

    def _launch(self) -> None:
        settings = dataclasses.replace(self.settings, url=self.url.text().strip())
        self.set_busy("Launching Chrome\u2026")
        self.launchRequested.emit(settings)

    def _attach(self) -> None:
        try:
            host, port = parse_address(self.address.text().strip())
        except ValueError as error:
            self.show_error(str(error))
            return
        settings = dataclasses.replace(self.settings, host=host, port=port)
        self.set_busy(f"Attaching to {host}:{port}\u2026")
        self.attachRequested.emit(settings)

    def set_busy(self, text: str) -> None:
        self.error.setStyleSheet("color: #b2b5be;")
        self.error.setText(text)
        self._fit()
        self.launch_button.setEnabled(False)
        self.attach_button.setEnabled(False)

    def show_error(self, text: str) -> None:
        self.error.setStyleSheet("color: #ef5350;")
        self.error.setText(text)
        self._fit()
        self.launch_button.setEnabled(True)
        self.attach_button.setEnabled(True)

    def _fit(self) -> None:
        """Word-wrapped labels need the height for this width, not the plain size hint."""
        self.setFixedHeight(cast(QtWidgets.QLayout, self.layout()).heightForWidth(PANEL_WIDTH))
