"""The auto-trader's toolbar switch and status badge: a state nobody can miss.

OFF is a grey "AUTO OFF"; ON is "AUTO ON · PAPER" on amber or "AUTO ON · LIVE" on red, and a
badge in the status bar says the same. The switch is created unchecked and its state is never
saved or restored: the auto-trader is off at every start. Toggling only asks; the controller
decides and calls :meth:`AutoTradeSwitch.show_state` with what really runs.
"""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from qfdesk.ui.dark_theme import REAL, WARN, badge_style

OFF_TEXT = "AUTO OFF"
OFF_STYLE = "background: #2a2e39; color: #787b86; font-weight: bold;"
_ON = {
    True: ("AUTO ON \u00b7 PAPER", WARN, "#131722"),
    False: ("AUTO ON \u00b7 LIVE", REAL, "#ffffff"),
}


class AutoTradeSwitch(QtGui.QAction):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(OFF_TEXT, parent)
        self.setObjectName("autoTradeAction")
        self.setCheckable(True)
        self.setChecked(False)
        self.badge = QtWidgets.QLabel("")
        self.badge.setObjectName("autoTradeBadge")
        self.badge.hide()
        self.on = False
        self.paper = True
        self.show_state(False, True)

    def show_state(self, on: bool, paper: bool) -> None:
        """Show what runs: the text, the colours, the check mark and the badge agree."""
        self.on, self.paper = on, paper
        if self.isChecked() != on:
            self.blockSignals(True)
            self.setChecked(on)
            self.blockSignals(False)
        if on:
            text, background, foreground = _ON[paper]
            style = f"{badge_style(background, foreground)} font-weight: bold;"
            self.setText(text)
            self.setToolTip(
                "The auto-trader is ON: "
                + ("signals become paper trades (no click)." if paper else "it places REAL CLICKS")
                + " Click to switch it off."
            )
            self.badge.setText(
                "AUTO-TRADING: PAPER (no clicks)" if paper else "AUTO-TRADING: LIVE (places trades)"
            )
            self.badge.setStyleSheet(style)
            self.badge.show()
        else:
            style = OFF_STYLE
            self.setText(OFF_TEXT)
            self.setToolTip("The auto-trader is off. Click to choose strategies and start it.")
            self.badge.hide()
        for widget in self.associatedObjects():
            if isinstance(widget, QtWidgets.QToolButton):
                widget.setStyleSheet(f"QToolButton {{ {style} padding: 4px 10px; }}")

    def show_activity(self, text: str) -> None:
        """What the running auto-trader has done so far, after the mode in the badge."""
        if self.on:
            mode = "PAPER (no clicks)" if self.paper else "LIVE (places trades)"
            self.badge.setText(f"AUTO-TRADING: {mode} \u00b7 {text}")

    def button_style(self, toolbar: QtWidgets.QToolBar) -> str:
        """The style sheet of this switch's button in ``toolbar`` (what the trader sees)."""
        widget = toolbar.widgetForAction(self)
        return widget.styleSheet() if widget is not None else ""
