"""The items that draw one indicator: lines (and a histogram) on the price plot or a pane."""

from __future__ import annotations

from typing import cast

import pyqtgraph as pg
from PySide6 import QtCore

from qfdesk.ui.chart import theme
from qfdesk.ui.chart.histogram_item import HistogramItem
from qfdesk.ui.chart.indicator_spec import IndicatorSpec
from qfdesk.ui.chart.indicator_values import IndicatorValues
from qfdesk.ui.chart.line_item import LineItem


def _line(color: str, dashed: bool = False) -> LineItem:
    style = QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine
    return LineItem(pg.mkPen(color, width=0, style=style))


class IndicatorView:
    """Lines for each output of ``spec`` in ``plot`` (one line per output, histogram apart)."""

    def __init__(self, spec: IndicatorSpec, plot: pg.PlotItem) -> None:
        self.spec = spec
        self.plot = plot
        info = spec.info
        self.lines: dict[str, LineItem] = {}
        self.histogram: HistogramItem | None = None
        for i, name in enumerate(info.outputs):
            if name == info.histogram:
                self.histogram = HistogramItem()
                plot.addItem(self.histogram)
                continue
            primary = i == 0 or spec.kind == "bollinger"
            color = spec.color if primary else theme.SECONDARY_LINE
            line = _line(color, dashed=spec.kind == "bollinger" and name == "middle")
            plot.addItem(line)
            self.lines[name] = line
        self.levels = []
        for level in info.levels:
            guide = pg.InfiniteLine(
                pos=level,
                angle=0,
                movable=False,
                pen=pg.mkPen(theme.LEVEL_LINE, width=0, style=QtCore.Qt.PenStyle.DotLine),
            )
            plot.addItem(guide, ignoreBounds=True)
            self.levels.append(guide)
        if info.y_range is not None:
            plot.vb.setYRange(*info.y_range, padding=0.02)

    def show(self, values: IndicatorValues, appended: bool = False) -> None:
        """Draw ``values`` (value i at bar index i); ``appended``: only new ones at the end."""
        for name, line in self.lines.items():
            line.set_values(values.output(name), appended)
        if self.histogram is not None:
            histogram = cast(str, self.spec.info.histogram)  # named whenever there is one
            self.histogram.set_values(values.output(histogram), appended)

    def remove(self) -> None:
        items = [*self.lines.values(), *self.levels]
        if self.histogram is not None:
            items.append(self.histogram)
        for item in items:
            self.plot.removeItem(item)
