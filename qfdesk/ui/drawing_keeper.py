"""Each asset's drawings, kept across restarts, and the Draw menu that makes them.

The chart shows one asset's drawings at a time: choosing an asset puts its saved drawings
on the chart; every change the trader makes (a line drawn, dragged or deleted) is saved for
that asset at once and keeps the asset's line alerts in step (each horizontal line is a
price alert of its own).
"""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.ui.alerts import AlertCenter
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.chart.drawings import DrawKind, drawings_from_json, drawings_to_json
from qfdesk.ui.layout_store import LayoutStore

log = logging.getLogger(__name__)

TOOLS = (
    (DrawKind.HLINE, "&Horizontal line", "Alt+H"),
    (DrawKind.TREND, "&Trend line", "Alt+T"),
    (DrawKind.ZONE, "&Rectangle zone", "Alt+R"),
)


class DrawingKeeper(QtCore.QObject):
    def __init__(
        self,
        chart: ChartWidget,
        store: LayoutStore,
        alerts: AlertCenter,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.chart = chart
        self.store = store
        self.alerts = alerts
        self.asset = ""
        chart.drawings.changed.connect(self._changed)

    def show(self, asset: str) -> None:
        """Put ``asset``'s saved drawings on the chart (the chart now shows ``asset``)."""
        self.asset = asset
        drawings, problems = drawings_from_json(self.store.drawings(asset))
        for problem in problems:
            log.warning("a drawing of %s was not restored: %s", asset, problem)
        self.chart.drawings.set_drawings(drawings)

    def _changed(self) -> None:
        if not self.asset:
            return
        drawings = self.chart.drawings.drawings
        self.store.set_drawings(self.asset, drawings_to_json(drawings))
        self.alerts.sync_lines(self.asset, drawings)

    def fill_menu(self, menu: QtWidgets.QMenu) -> None:
        """The tools (the next click or two on the chart place one; Esc stops), and Delete."""
        for kind, label, shortcut in TOOLS:
            action = menu.addAction(label)
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, k=kind: self._tool(k))
        menu.addSeparator()
        delete = menu.addAction("&Delete the selected drawing")
        delete.triggered.connect(self.chart.drawings.delete_selected)

    def _tool(self, kind: DrawKind) -> None:
        if not self.asset:
            return
        self.chart.drawings.set_tool(kind)
        self.chart.setFocus()
