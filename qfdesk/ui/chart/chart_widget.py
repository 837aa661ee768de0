"""ChartWidget: candles of one CandleSeries with panes, crosshair, markers and indicators.

Data changes only mark the chart dirty; a single-shot timer applies them at most 30 times a
second (``flush``). The x axis is the bar index; the y range follows what is visible.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import tzinfo
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import theme
from qfdesk.ui.chart.candle_item import CandleItem
from qfdesk.ui.chart.chart_indicators import ChartIndicators
from qfdesk.ui.chart.crosshair import Crosshair
from qfdesk.ui.chart.drawings import DrawingLayer
from qfdesk.ui.chart.forming_item import FormingCandleItem
from qfdesk.ui.chart.last_price import LastPriceLine
from qfdesk.ui.chart.markers import MarkerLayer, SignalMarker, TradeMarker
from qfdesk.ui.chart.open_trades import OpenTradeLabels
from qfdesk.ui.chart.time_axis import TimeAxisItem, local_time
from qfdesk.ui.chart.visible_range import VisibleExtremes

MAX_REPAINTS_PER_SECOND = 30
Y_PADDING = 0.05
AXIS_WIDTH = 72
RIGHT_MARGIN_BARS = 5
PAN_FRACTION = 0.1
ZOOM_IN = 0.8
MIN_VISIBLE_BARS = 8


class ChartWidget(QtWidgets.QWidget):
    """A self-contained candle chart to embed in the main window.

    Feed it with ``set_series(series, closed_len)`` once, then ``series_changed(closed_len)``
    after every tick or new candle (the last ``len(series) - closed_len`` candle is forming).
    Call it on the GUI thread only (data from workers arrives through Qt signals). Indicators
    cover closed candles; the forming one gets its values when it closes.
    """

    barHovered = QtCore.Signal(int)  # bar index under the crosshair, -1 when none
    followChanged = QtCore.Signal(bool)  # True while the view sticks to the newest bar
    indicatorsChanged = QtCore.Signal()  # the indicator specs changed (to persist them)

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        platform_offset: float = 0.0,
        tz: tzinfo | None = None,
        price_decimals: int = 5,
        initial_bars: int = 120,
    ) -> None:
        super().__init__(parent)
        self._series: CandleSeries | None = None
        self._closed = 0
        self._shown_len = 0
        self._offset = platform_offset
        self._tz = tz
        self._decimals = price_decimals
        self._initial_bars = initial_bars
        self._follow = True
        self._scrolling = False
        self._dirty = False
        self._hovered: int | None = None
        self.flush_count = 0

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(math.ceil(1000 / MAX_REPAINTS_PER_SECOND))
        self._timer.timeout.connect(self.flush)

        self._readout = QtWidgets.QLabel(self)
        self._readout.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self._readout.setStyleSheet(
            f"background: {theme.BACKGROUND}; color: {theme.FOREGROUND}; padding: 2px 6px;"
            " font-family: monospace;"
        )
        self._graphics = pg.GraphicsLayoutWidget(self)
        self._graphics.setBackground(theme.BACKGROUND)
        self._graphics.ci.setSpacing(0)
        self._graphics.installEventFilter(self)
        self._graphics.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._readout)
        layout.addWidget(self._graphics, 1)

        self.price_plot = self._new_plot()
        self._graphics.addItem(self.price_plot, row=0, col=0)
        self._candles = CandleItem()
        self._forming = FormingCandleItem()
        self.price_plot.addItem(self._candles)
        self.price_plot.addItem(self._forming)
        self._extremes = VisibleExtremes()
        self.markers = MarkerLayer(self.price_plot)
        self.last_price = LastPriceLine(self.price_plot)
        self.drawings = DrawingLayer(self.price_plot, lambda: self._series)
        self._graphics.scene().sigMouseClicked.connect(self._scene_clicked)
        self.open_trades = OpenTradeLabels(self.price_plot)
        self.clock: Callable[[], float] = time.time
        """Wall-clock seconds (UTC epoch); platform time adds the platform offset."""
        self._countdown = QtCore.QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._refresh_open_trades)
        self._panes: list[pg.PlotItem] = []
        self._crosshair = Crosshair(self._graphics.scene(), self._crosshair_moved)
        self._crosshair.attach(self.price_plot)
        self.indicators = ChartIndicators(self.price_plot, self.add_pane, self.remove_pane)
        self.price_plot.vb.sigXRangeChanged.connect(self._x_range_changed)
        self._update_bottom_axes()
        self._show_readout(None)

    # ----- building plots -------------------------------------------------------------------

    def _new_plot(self) -> pg.PlotItem:
        axis = TimeAxisItem("bottom")
        axis.set_offset(self._offset, self._tz)
        plot = pg.PlotItem(axisItems={"bottom": axis})
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.getAxis("right").setWidth(AXIS_WIDTH)
        plot.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        for name in ("right", "bottom"):
            axis = plot.getAxis(name)
            axis.setTextPen(theme.FOREGROUND)
            axis.setPen(theme.FOREGROUND)
            axis.setStyle(maxTickLevel=1, maxTextLevel=1)  # fewer ticks: cheaper, calmer
        vb = plot.vb
        vb.setMouseEnabled(x=True, y=False)
        vb.disableAutoRange()
        return plot

    def add_pane(self) -> pg.PlotItem:
        """A new plot below the others, x-linked to the price plot."""
        plot = self._new_plot()
        plot.setXLink(self.price_plot)
        self._graphics.addItem(plot, row=len(self._panes) + 1, col=0)
        self._panes.append(plot)
        self._crosshair.attach(plot)
        self._set_row_stretch()
        self._update_bottom_axes()
        self._refresh_axis_source()
        return plot

    def remove_pane(self, plot: pg.PlotItem) -> None:
        self._crosshair.detach(plot)
        self._panes.remove(plot)
        self._graphics.removeItem(plot)
        for row, pane in enumerate(self._panes, start=1):
            self._graphics.removeItem(pane)
            self._graphics.addItem(pane, row=row, col=0)
        self._set_row_stretch()
        self._update_bottom_axes()

    @property
    def graphics(self) -> pg.GraphicsLayoutWidget:
        """The view holding the plots (for rendering, events and screenshots)."""
        return self._graphics

    @property
    def panes(self) -> list[pg.PlotItem]:
        return list(self._panes)

    def _set_row_stretch(self) -> None:
        layout = self._graphics.ci.layout
        layout.setRowStretchFactor(0, 3)
        for row in range(1, len(self._panes) + 1):
            layout.setRowStretchFactor(row, 1)

    def _plots(self) -> list[pg.PlotItem]:
        return [self.price_plot, *self._panes]

    def _update_bottom_axes(self) -> None:
        plots = self._plots()
        for plot in plots[:-1]:
            plot.hideAxis("bottom")
        plots[-1].showAxis("bottom")

    # ----- data -----------------------------------------------------------------------------

    @property
    def series(self) -> CandleSeries | None:
        return self._series

    @property
    def closed_len(self) -> int:
        return self._closed

    @property
    def candle_item(self) -> CandleItem:
        return self._candles

    @property
    def forming_item(self) -> FormingCandleItem:
        return self._forming

    def set_series(self, series: CandleSeries | None, closed_len: int | None = None) -> None:
        """Show ``series`` (None: nothing); candles from ``closed_len`` on are forming."""
        self._series = series
        n = len(series) if series is not None else 0
        self._closed = n if closed_len is None else max(0, min(closed_len, n))
        self._shown_len = n
        self._candles.set_series(series, self._closed)
        self.indicators.reset(series, self._closed)
        self._extremes.reset()
        self._refresh_axis_source()
        self._set_limits()
        self._follow = True
        self._set_x_range(n - self._initial_bars, n - 1 + RIGHT_MARGIN_BARS)
        self._forming.clear()
        self._dirty = True
        self.flush()
        self._show_last_price()
        self._show_readout(self._hovered)

    def series_changed(self, closed_len: int | None = None) -> None:
        """The series got a tick or new candles; drawn at the next repaint (<= 30/s)."""
        series = self._series
        if series is None:
            return
        n = len(series)
        self._closed = n if closed_len is None else max(0, min(closed_len, n))
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Apply pending data changes now (the repaint timer calls this)."""
        self._timer.stop()
        series = self._series
        if not self._dirty or series is None:
            self._dirty = False
            return
        self._dirty = False
        self.flush_count += 1
        n = len(series)
        if self._candles.count != self._closed:
            self._candles.set_count(self._closed)
            self.indicators.extend(self._closed)
        if n != self._shown_len:
            grown = n - self._shown_len
            self._shown_len = n
            self._refresh_axis_source()
            self._set_limits()
            if self._follow and grown > 0:
                (x0, x1), _ = self.price_plot.vb.viewRange()
                self._set_x_range(x0 + grown, x1 + grown)
        if self._closed < n:
            i = n - 1
            self._forming.set_bar(i, series.open[i], series.high[i], series.low[i], series.close[i])
        else:
            self._forming.clear()
        self._show_last_price()
        self._fit_y()
        if self._hovered is None:
            self._show_readout(None)

    def _show_last_price(self) -> None:
        series = self._series
        if series is None or not len(series):
            self.last_price.set(None, True, self._decimals)
        else:
            i = len(series) - 1
            close = float(series.close[i])
            self.last_price.set(close, close >= float(series.open[i]), self._decimals)
        self._refresh_open_trades()

    def platform_now(self) -> float:
        return self.clock() + self._offset

    def _refresh_open_trades(self) -> None:
        self.open_trades.update(
            self.markers.trades, self.markers.x_of, self.last_price.price, self.platform_now()
        )
        if self.open_trades.count and not self._countdown.isActive():
            self._countdown.start()
        elif not self.open_trades.count:
            self._countdown.stop()

    def _refresh_axis_source(self) -> None:
        series = self._series
        starts = series.start if series is not None else np.empty(0, dtype=np.int64)
        timeframe = series.timeframe if series is not None else 60
        for plot in self._plots():
            plot.getAxis("bottom").set_source(starts, timeframe)
        self.drawings.refresh()
        self.markers.set_time_source(starts, timeframe)

    def _set_limits(self) -> None:
        n = self._shown_len
        self.price_plot.vb.setLimits(
            xMin=-RIGHT_MARGIN_BARS,
            xMax=max(n, 1) + 10 * RIGHT_MARGIN_BARS,
            minXRange=MIN_VISIBLE_BARS,
        )

    def set_price_decimals(self, decimals: int) -> None:
        """Digits after the point in the readout (the asset's quote precision)."""
        self._decimals = decimals
        self._show_readout(self._hovered)
        self._show_last_price()

    def set_platform_offset(self, platform_offset: float, tz: tzinfo | None = None) -> None:
        """Seconds the platform clock runs ahead of UTC (labels show platform time - offset)."""
        self._offset = platform_offset
        self._tz = tz
        for plot in self._plots():
            plot.getAxis("bottom").set_offset(platform_offset, tz)
        self._show_readout(self._hovered)

    # ----- view -----------------------------------------------------------------------------

    def visible_range(self) -> tuple[int, int]:
        """Series indices [lo, hi) of candles (closed or forming) inside the view."""
        (x0, x1), _ = self.price_plot.vb.viewRange()
        lo = max(0, math.floor(x0 + 0.5))
        hi = min(self._shown_len, math.floor(x1 + 0.5) + 1)
        return lo, max(lo, hi)

    def is_following(self) -> bool:
        return self._follow

    def scroll_to_end(self) -> None:
        """Show the newest candles and follow new ones."""
        (x0, x1), _ = self.price_plot.vb.viewRange()
        right = self._shown_len - 1 + RIGHT_MARGIN_BARS
        self._set_x_range(right - (x1 - x0), right)

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (negative: back in time)."""
        (x0, x1), _ = self.price_plot.vb.viewRange()
        step = (x1 - x0) * fraction
        step = math.copysign(max(abs(step), 1.0), step)
        self.price_plot.vb.setXRange(x0 + step, x1 + step, padding=0)

    def zoom(self, factor: float) -> None:
        """Scale the visible width by ``factor`` (<1 zooms in), anchored right while following."""
        (x0, x1), _ = self.price_plot.vb.viewRange()
        width = max((x1 - x0) * factor, MIN_VISIBLE_BARS)
        if self._follow:
            self._set_x_range(x1 - width, x1)
        else:
            middle = (x0 + x1) / 2
            self.price_plot.vb.setXRange(middle - width / 2, middle + width / 2, padding=0)

    def _set_x_range(self, x0: float, x1: float) -> None:
        self._scrolling = True
        try:
            self.price_plot.vb.setXRange(x0, x1, padding=0)
        finally:
            self._scrolling = False
        self._x_range_changed()

    def _x_range_changed(self, *args: Any) -> None:
        if not self._scrolling:
            (_, x1), _ = self.price_plot.vb.viewRange()
            follow = x1 >= self._shown_len - 1
            if follow != self._follow:
                self._follow = follow
                self.followChanged.emit(follow)
        self._fit_y()

    def _fit_y(self) -> None:
        series = self._series
        if series is None or self._shown_len == 0:
            return
        lo, hi = self.visible_range()
        if hi <= lo:
            return
        closed_hi = min(hi, self._closed)
        ymin, ymax = self._extremes.closed_extremes(series, lo, closed_hi, self._closed)
        if hi > closed_hi:
            ymin = min(ymin, float(series.low[closed_hi:hi].min()))
            ymax = max(ymax, float(series.high[closed_hi:hi].max()))
        overlay_min, overlay_max = self.indicators.overlay_extremes(lo, closed_hi)
        ymin, ymax = min(ymin, overlay_min), max(ymax, overlay_max)
        self.indicators.fit_panes(lo, hi)
        if not (math.isfinite(ymin) and math.isfinite(ymax)):
            return
        if ymax <= ymin:
            ymin, ymax = ymin - abs(ymin) * 1e-4 - 1e-9, ymax + abs(ymax) * 1e-4 + 1e-9
        self.price_plot.vb.setYRange(ymin, ymax, padding=Y_PADDING)

    # ----- keyboard -------------------------------------------------------------------------

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if obj is self._graphics and event.type() == QtCore.QEvent.Type.KeyPress:
            return self.handle_key(cast(QtGui.QKeyEvent, event).key())
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if not self.handle_key(event.key()):
            super().keyPressEvent(event)

    def handle_key(self, key: int) -> bool:
        """Arrows pan and zoom, +/- zoom, End jumps to the newest candle, Delete removes the
        selected drawing, Escape stops drawing; True if handled."""
        keys = QtCore.Qt.Key
        if key == keys.Key_Left:
            self.pan(-PAN_FRACTION)
        elif key == keys.Key_Right:
            self.pan(PAN_FRACTION)
        elif key in (keys.Key_Up, keys.Key_Plus, keys.Key_Equal):
            self.zoom(ZOOM_IN)
        elif key in (keys.Key_Down, keys.Key_Minus):
            self.zoom(1 / ZOOM_IN)
        elif key == keys.Key_End:
            self.scroll_to_end()
        elif key in (keys.Key_Delete, keys.Key_Backspace):
            return self.drawings.delete_selected()
        elif key == keys.Key_Escape and self.drawings.tool is not None:
            self.drawings.set_tool(None)
        else:
            return False
        return True

    def _scene_clicked(self, event: Any) -> None:
        """With a drawing tool chosen, a left click on the price pane places a point."""
        if self.drawings.tool is None or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.price_plot.vb
        pos = event.scenePos()
        if not vb.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        if self.drawings.click(point.x(), point.y()):
            event.accept()

    # ----- crosshair ------------------------------------------------------------------------

    def _crosshair_moved(self, index: int | None) -> None:
        self._hovered = index
        self._show_readout(index)
        self.barHovered.emit(-1 if index is None else index)

    @property
    def readout(self) -> str:
        return self._readout.text()

    def readout_text(self, index: int) -> str:
        """Time and OHLC of bar ``index`` (and indicator values), or '' outside the data."""
        series = self._series
        if series is None or not 0 <= index < self._shown_len:
            return ""
        when = local_time(int(series.start[index]), self._offset, self._tz)
        d = self._decimals
        parts = [
            when.strftime("%Y-%m-%d %H:%M:%S"),
            f"O {series.open[index]:.{d}f}",
            f"H {series.high[index]:.{d}f}",
            f"L {series.low[index]:.{d}f}",
            f"C {series.close[index]:.{d}f}",
            *self.indicators.readout(index, d),
        ]
        return "  ".join(parts)

    def _show_readout(self, index: int | None) -> None:
        if index is None:
            index = self._shown_len - 1
        self._readout.setText(self.readout_text(index) or " ")

    # ----- indicators -----------------------------------------------------------------------

    def add_indicator(self, spec: dict[str, Any]) -> str:
        """Add an indicator from a spec dict (see indicator_spec); returns its id."""
        spec_id = self.indicators.add(spec)
        self._indicators_changed()
        return spec_id

    def remove_indicator(self, spec_id: str) -> None:
        self.indicators.remove(spec_id)
        self._indicators_changed()

    def configure_indicator(self, spec_id: str, spec: dict[str, Any]) -> None:
        self.indicators.configure(spec_id, spec)
        self._indicators_changed()

    def indicator_specs(self) -> list[dict[str, Any]]:
        """Every indicator as a plain dict, in order (what QSettings should store)."""
        return [spec.to_dict() for spec in self.indicators.specs()]

    def set_indicator_specs(self, specs: list[dict[str, Any]]) -> list[str]:
        """Replace all indicators; invalid specs are skipped and described in the result."""
        problems = self.indicators.set_specs(specs)
        self._indicators_changed()
        return problems

    def _indicators_changed(self) -> None:
        self._fit_y()
        self._show_readout(self._hovered)
        self.indicatorsChanged.emit()

    # ----- markers --------------------------------------------------------------------------

    def set_trade_markers(self, trades: list[TradeMarker]) -> None:
        self.markers.set_trades(trades)
        self._refresh_open_trades()

    def upsert_trade_marker(self, trade: TradeMarker) -> None:
        """Add a trade marker or replace the one with the same id (e.g. its result arrived)."""
        self.markers.upsert_trade(trade)
        self._refresh_open_trades()

    def remove_trade_marker(self, trade_id: str) -> None:
        self.markers.remove_trade(trade_id)
        self._refresh_open_trades()

    def set_signal_markers(self, signals: list[SignalMarker]) -> None:
        self.markers.set_signals(signals)

    def clear_markers(self) -> None:
        self.markers.clear()
        self._refresh_open_trades()
