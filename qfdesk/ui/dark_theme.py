"""The terminal's dark theme: a Fusion palette and a few style rules (colours of the chart)."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from qfdesk.ui.chart import theme

WINDOW = "#0f121a"
PANEL = "#171b26"
RAISED = "#1e2230"
BORDER = "#2a2e39"
TEXT = theme.FOREGROUND
BRIGHT = "#e0e3eb"
ACCENT = "#2962ff"
BUY = theme.UP
SELL = theme.DOWN
REAL = "#ff1744"
DEMO = "#26a69a"
WARN = "#f0b90b"

STYLE = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QWidget {{ color: {TEXT}; font-size: 12px; }}
QToolBar {{ background: {PANEL}; border: 0; border-bottom: 1px solid {BORDER}; spacing: 6px;
  padding: 3px; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QDockWidget {{ color: {BRIGHT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; border-bottom: 1px solid {BORDER}; }}
QTableWidget, QPlainTextEdit, QListWidget {{ background: {theme.BACKGROUND};
  gridline-color: {BORDER}; border: 1px solid {BORDER}; selection-background-color: {RAISED}; }}
QHeaderView::section {{ background: {PANEL}; color: {TEXT}; border: 0;
  border-right: 1px solid {BORDER}; padding: 3px 6px; }}
QLineEdit, QComboBox, QDoubleSpinBox, QSpinBox, QKeySequenceEdit {{ background: {RAISED};
  border: 1px solid {BORDER}; border-radius: 3px; padding: 3px 6px; color: {BRIGHT}; }}
QComboBox QAbstractItemView {{ background: {RAISED}; color: {BRIGHT};
  selection-background-color: {ACCENT}; }}
QPushButton, QToolButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 3px;
  padding: 4px 10px; color: {BRIGHT}; }}
QPushButton:hover, QToolButton:hover {{ border-color: {ACCENT}; }}
QToolButton:checked {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton:disabled {{ color: #5d606b; background: {PANEL}; }}
QPushButton#buyButton {{ background: {BUY}; color: white; font-weight: bold; font-size: 15px;
  padding: 10px; border: 0; }}
QPushButton#sellButton {{ background: {SELL}; color: white; font-weight: bold; font-size: 15px;
  padding: 10px; border: 0; }}
QPushButton#buyButton:disabled, QPushButton#sellButton:disabled {{ background: {RAISED};
  color: #5d606b; }}
QLabel#badge {{ border-radius: 3px; padding: 2px 8px; font-weight: bold; }}
QLabel#sectionTitle {{ color: #787b86; font-size: 11px; text-transform: uppercase; }}
QLabel#bigValue {{ color: {BRIGHT}; font-size: 16px; font-weight: bold; }}
QFrame#connectPanel {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; }}
QMenu {{ background: {RAISED}; border: 1px solid {BORDER}; }}
QMenu::item:selected {{ background: {ACCENT}; }}
"""


def apply_dark_theme(app: QtWidgets.QApplication) -> None:
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    colors = {
        QtGui.QPalette.ColorRole.Window: WINDOW,
        QtGui.QPalette.ColorRole.WindowText: TEXT,
        QtGui.QPalette.ColorRole.Base: theme.BACKGROUND,
        QtGui.QPalette.ColorRole.AlternateBase: PANEL,
        QtGui.QPalette.ColorRole.Text: BRIGHT,
        QtGui.QPalette.ColorRole.Button: RAISED,
        QtGui.QPalette.ColorRole.ButtonText: BRIGHT,
        QtGui.QPalette.ColorRole.Highlight: ACCENT,
        QtGui.QPalette.ColorRole.HighlightedText: "#ffffff",
        QtGui.QPalette.ColorRole.ToolTipBase: RAISED,
        QtGui.QPalette.ColorRole.ToolTipText: BRIGHT,
        QtGui.QPalette.ColorRole.PlaceholderText: "#5d606b",
    }
    for role, color in colors.items():
        palette.setColor(role, QtGui.QColor(color))
    app.setPalette(palette)
    app.setStyleSheet(STYLE)


def badge_style(background: str, foreground: str = "#ffffff") -> str:
    return f"background: {background}; color: {foreground};"


def account_badge(is_demo: bool | None) -> tuple[str, str]:
    """Text and background of the account-type badge: DEMO, REAL (red) or not known yet."""
    if is_demo is None:
        return "ACCOUNT ?", BORDER
    return ("DEMO", DEMO) if is_demo else ("REAL", REAL)


def money_text(balance: float | None, currency: str) -> str:
    return "-" if balance is None else f"{balance:,.2f} {currency}".strip()
