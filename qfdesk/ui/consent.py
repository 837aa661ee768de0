"""REAL-money consent: asked once per session before the first REAL trade, never stored."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from PySide6 import QtWidgets

log = logging.getLogger(__name__)


class RealConsent:
    """``await ask(balance_text)`` -> True only if the trader explicitly says yes.

    A yes holds for the rest of this session (this object); a no is asked again next time.
    The dialog opens over ``parent`` with ``open()`` (window-modal, never blocking the event
    loop).
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        self.parent = parent
        self.granted = False
        self.dialog: QtWidgets.QMessageBox | None = None
        self.asked = 0

    async def ask(self, detail: str) -> bool:
        if self.granted:
            return True
        self.asked += 1
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        box = QtWidgets.QMessageBox(self.parent)
        box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
        box.setWindowTitle("REAL account: trade real money?")
        box.setText("The platform shows a REAL account. This trade would use real money.")
        box.setInformativeText(f"{detail}\n\nAllow trading on the REAL account for this session?")
        yes = box.addButton(
            "Yes, trade real money this session", QtWidgets.QMessageBox.ButtonRole.AcceptRole
        )
        box.addButton("No", QtWidgets.QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cast(QtWidgets.QPushButton, box.buttons()[-1]))

        def finished(_: int) -> None:
            if not answer.done():
                answer.set_result(box.clickedButton() is yes)

        box.finished.connect(finished)
        self.dialog = box
        box.open()
        try:
            agreed = await answer
        finally:
            self.dialog = None
            box.deleteLater()
        self.granted = agreed
        log.warning(
            "REAL account trading %s by the trader for this session",
            "ALLOWED" if agreed else "refused",
        )
        return agreed
