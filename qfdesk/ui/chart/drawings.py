"""Drawing tools on the price pane: horizontal lines, trend lines and zones.

A drawing is kept in platform time and price (:class:`Drawing`), never in bar index, so it
stays where it was drawn across a timeframe switch and a restart (the window keeps each
asset's drawings, as JSON, in its layout store). With a tool chosen (:meth:`DrawingLayer.
set_tool`), clicks on the chart place it: one for a horizontal line, two for a trend line
(its ends) or a zone (two corners). Each point placed snaps to the open, high, low or close
of the candle under it when within ``SNAP_PIXELS`` of one (and then to that candle's time).
A drawing is dragged to move it
(a trend line's and a zone's handles reshape it), clicked to select it, and the selected one
is removed with Delete.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart.bar_index import time_to_x, x_to_time

SNAP_PIXELS = 8
PEN = "#42a5f5"
SELECTED = "#f0b90b"


class DrawKind(str, Enum):
    HLINE = "hline"
    TREND = "trend"
    ZONE = "zone"


POINTS = {DrawKind.HLINE: 1, DrawKind.TREND: 2, DrawKind.ZONE: 2}


@dataclass(frozen=True, slots=True)
class Drawing:
    id: str
    kind: DrawKind
    points: tuple[tuple[float, float], ...]
    """(platform time, price) of each point: one for a line, two ends, two corners."""

    @property
    def price(self) -> float:
        """A horizontal line's price (the first point's, for the others)."""
        return self.points[0][1]


def drawings_to_json(drawings: Sequence[Drawing]) -> str:
    return json.dumps(
        [
            {"id": d.id, "kind": d.kind.value, "points": [list(p) for p in d.points]}
            for d in drawings
        ]
    )


def drawings_from_json(text: str) -> tuple[list[Drawing], list[str]]:
    """The drawings in ``text``, and what was wrong with those left out."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        return [], [f"the saved drawings are not JSON ({error}); none restored"]
    if not isinstance(raw, list):
        return [], ["the saved drawings are not a list; none restored"]
    found, problems = [], []
    for n, item in enumerate(raw, start=1):
        try:
            kind = DrawKind(item["kind"])
            points = tuple((float(t), float(p)) for t, p in item["points"])
            if len(points) != POINTS[kind]:
                raise ValueError(f"{len(points)} points for a {kind.value}")
            found.append(Drawing(str(item["id"]), kind, points))
        except (KeyError, TypeError, ValueError) as error:
            problems.append(f"drawing {n} left out: {error}")
    return found, problems


def snap_price(series: CandleSeries | None, x: float, price: float, tolerance: float) -> float:
    """``price``, or the open/high/low/close of the candle at bar ``x`` nearest to it when
    that is within ``tolerance``."""
    if series is None or not len(series):
        return price
    i = round(min(max(x, 0), len(series) - 1))
    values = np.array([series.open[i], series.high[i], series.low[i], series.close[i]])
    nearest = float(values[np.argmin(np.abs(values - price))])
    return nearest if abs(nearest - price) <= tolerance else price


class DrawingLayer(QtCore.QObject):
    changed = QtCore.Signal()  # a drawing was added, moved or removed (to keep them)

    def __init__(self, plot: pg.PlotItem, series: Callable[[], CandleSeries | None]) -> None:
        super().__init__()
        self.plot = plot
        self._series = series
        self._drawings: dict[str, Drawing] = {}
        self._items: dict[str, Any] = {}
        self.tool: DrawKind | None = None
        self.selected: str | None = None
        self._pending: list[tuple[float, float]] = []
        self._placing = False

    # ----- model --------------------------------------------------------------------------

    @property
    def drawings(self) -> list[Drawing]:
        return list(self._drawings.values())

    def set_drawings(self, drawings: Sequence[Drawing]) -> None:
        for drawing_id in list(self._items):
            self._remove_item(drawing_id)
        self._drawings = {d.id: d for d in drawings}
        self.selected = None
        self.refresh()

    def add(self, drawing: Drawing) -> None:
        self._drawings[drawing.id] = drawing
        self._place(drawing)
        self.changed.emit()

    def remove(self, drawing_id: str) -> bool:
        if self._drawings.pop(drawing_id, None) is None:
            return False
        self._remove_item(drawing_id)
        if self.selected == drawing_id:
            self.selected = None
        self.changed.emit()
        return True

    def delete_selected(self) -> bool:
        return self.selected is not None and self.remove(self.selected)

    # ----- coordinates --------------------------------------------------------------------

    def _axis(self) -> tuple[np.ndarray, int]:
        series = self._series()
        if series is None:
            return np.empty(0, dtype=np.int64), 60
        return series.start, series.timeframe

    def x_of(self, t: float) -> float:
        starts, timeframe = self._axis()
        return time_to_x(starts, timeframe, t)

    def time_of(self, x: float) -> float:
        starts, timeframe = self._axis()
        return x_to_time(starts, timeframe, x)

    def snap_tolerance(self) -> float:
        """SNAP_PIXELS in price units at the current zoom."""
        height = self.plot.vb.height()
        (_, _), (y0, y1) = self.plot.vb.viewRange()
        return float(abs(y1 - y0) / max(height, 1.0) * SNAP_PIXELS)

    # ----- placing ------------------------------------------------------------------------

    def set_tool(self, tool: DrawKind | None) -> None:
        """Draw ``tool`` with the next clicks (None: stop drawing)."""
        self.tool = tool
        self._pending = []

    def click(self, x: float, price: float) -> bool:
        """A click at view point (``x``, ``price``) with a tool chosen: place a point; True
        when the click was used."""
        tool = self.tool
        if tool is None:
            return False
        snapped = snap_price(self._series(), x, price, self.snap_tolerance())
        if snapped != price:  # on the candle's price: at the candle's time too
            x = float(round(x))
        self._pending.append((self.time_of(x), snapped))
        if len(self._pending) < POINTS[tool]:
            return True
        drawing = Drawing(uuid.uuid4().hex[:10], tool, tuple(self._pending))
        self._pending = []
        self.tool = None
        self.add(drawing)
        self.select(drawing.id)
        return True

    def select(self, drawing_id: str | None) -> None:
        self.selected = drawing_id
        for item_id, item in self._items.items():
            pen = pg.mkPen(SELECTED if item_id == drawing_id else PEN, width=2)
            item.setPen(pen)

    # ----- items --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Put every drawing on the current bar-index axis (the series changed)."""
        self._placing = True
        try:
            for drawing in self._drawings.values():
                self._place(drawing)
        finally:
            self._placing = False

    def _place(self, drawing: Drawing) -> None:
        self._placing = True
        try:
            item = self._items.get(drawing.id)
            if item is None:
                item = self._new_item(drawing)
                self._items[drawing.id] = item
                self.plot.addItem(item, ignoreBounds=True)
            if drawing.kind is DrawKind.HLINE:
                item.setPos(drawing.price)
            elif drawing.kind is DrawKind.TREND:
                (t0, p0), (t1, p1) = drawing.points
                x0, x1 = self.x_of(t0), self.x_of(t1)
                item.setPos((0, 0), update=False, finish=False)
                handles = item.getHandles()
                item.movePoint(handles[0], (x0, p0), finish=False)
                item.movePoint(handles[1], (x1, p1), finish=False)
            else:
                (t0, p0), (t1, p1) = drawing.points
                x0, x1 = self.x_of(t0), self.x_of(t1)
                item.setPos((min(x0, x1), min(p0, p1)), update=False, finish=False)
                item.setSize((abs(x1 - x0), abs(p1 - p0)), finish=False)
        finally:
            self._placing = False

    def _new_item(self, drawing: Drawing) -> Any:
        pen = pg.mkPen(PEN, width=2)
        item: Any
        if drawing.kind is DrawKind.HLINE:
            item = pg.InfiniteLine(angle=0, movable=True, pen=pen, hoverPen=pg.mkPen(SELECTED))
            item.sigPositionChangeFinished.connect(lambda _=None, i=drawing.id: self._moved(i))
            item.sigClicked.connect(lambda *_, i=drawing.id: self.select(i))
        elif drawing.kind is DrawKind.TREND:
            item = pg.LineSegmentROI([(0, 0), (1, 1)], pen=pen, movable=True)
            item.sigRegionChangeFinished.connect(lambda _=None, i=drawing.id: self._moved(i))
        else:
            item = pg.RectROI((0, 0), (1, 1), pen=pen, movable=True)
            item.sigRegionChangeFinished.connect(lambda _=None, i=drawing.id: self._moved(i))
        if drawing.kind is not DrawKind.HLINE:
            item.setAcceptedMouseButtons(QtCore.Qt.MouseButton.LeftButton)
            item.sigClicked.connect(lambda *_, i=drawing.id: self.select(i))
        item.setZValue(60)
        return item

    def _remove_item(self, drawing_id: str) -> None:
        item = self._items.pop(drawing_id, None)
        if item is not None:
            self.plot.removeItem(item)

    def _moved(self, drawing_id: str) -> None:
        """A drawing was dragged: keep where it is now, in time and price."""
        if self._placing:
            return
        old = self._drawings.get(drawing_id)
        item = self._items.get(drawing_id)
        if old is None or item is None:
            return
        if old.kind is DrawKind.HLINE:
            points: tuple[tuple[float, float], ...] = ((old.points[0][0], float(item.value())),)
        elif old.kind is DrawKind.TREND:
            origin = item.pos()
            ends = [origin + p for p in item.listPoints()]
            points = tuple((self.time_of(p.x()), float(p.y())) for p in ends)
        else:
            pos, size = item.pos(), item.size()
            points = (
                (self.time_of(pos.x()), float(pos.y())),
                (self.time_of(pos.x() + size.x()), float(pos.y() + size.y())),
            )
        self._drawings[drawing_id] = Drawing(drawing_id, old.kind, points)
        self.select(drawing_id)
        self.changed.emit()
