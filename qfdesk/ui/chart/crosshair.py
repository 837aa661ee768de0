"""Crosshair across the price plot and the panes, reporting the hovered bar rate-limited."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6 import QtCore

from qfdesk.ui.chart import theme

MOUSE_RATE_LIMIT = 30  # crosshair updates per second at most


class Crosshair:
    """A vertical line in every plot and a horizontal line in the plot under the mouse."""

    def __init__(self, scene: pg.GraphicsScene, on_bar: Callable[[int | None], None]) -> None:
        self._on_bar = on_bar
        self._pen = pg.mkPen(theme.CROSSHAIR, width=0, style=QtCore.Qt.PenStyle.DashLine)
        self._plots: list[tuple[pg.PlotItem, pg.InfiniteLine, pg.InfiniteLine]] = []
        self._proxy = pg.SignalProxy(
            scene.sigMouseMoved, rateLimit=MOUSE_RATE_LIMIT, slot=self._mouse_moved
        )

    def attach(self, plot: pg.PlotItem) -> None:
        vline = pg.InfiniteLine(angle=90, movable=False, pen=self._pen)
        hline = pg.InfiniteLine(angle=0, movable=False, pen=self._pen)
        for line in (vline, hline):
            line.setVisible(False)
            line.setZValue(100)
            plot.addItem(line, ignoreBounds=True)
        self._plots.append((plot, vline, hline))

    def detach(self, plot: pg.PlotItem) -> None:
        for entry in self._plots:
            if entry[0] is plot:
                plot.removeItem(entry[1])
                plot.removeItem(entry[2])
                self._plots.remove(entry)
                return

    def _mouse_moved(self, event: tuple[QtCore.QPointF]) -> None:
        self.move_to_scene_pos(event[0])

    def move_to_scene_pos(self, pos: QtCore.QPointF) -> None:
        """Place the crosshair at a scene position (hidden outside every plot)."""
        under = next((p for p, _, _ in self._plots if p.vb.sceneBoundingRect().contains(pos)), None)
        if under is None:
            self.hide()
            self._on_bar(None)
            return
        point = under.vb.mapSceneToView(pos)
        index = round(point.x())
        for plot, vline, hline in self._plots:
            vline.setPos(index)
            vline.setVisible(True)
            hline.setVisible(plot is under)
            if plot is under:
                hline.setPos(point.y())
        self._on_bar(index)

    def hide(self) -> None:
        for _, vline, hline in self._plots:
            vline.setVisible(False)
            hline.setVisible(False)
