"""ChartWidget: what it draws equals the store, ticks, axis labels, view behaviour."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from chart_helpers import OFFSET, T0, TIMEFRAME, random_series, shown_chart
from PySide6 import QtCore, QtGui

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import ChartWidget, theme
from qfdesk.ui.chart.candle_item import merge_bars
from qfdesk.ui.chart.visible_item import group_size

pytestmark = pytest.mark.gui

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def chart(qtbot):
    return shown_chart(qtbot, 1000, 600, tz=ZoneInfo("Asia/Tokyo"))


def render(widget: ChartWidget) -> QtGui.QImage:
    """Paint the widget now (the candle item builds its paths while painting)."""
    return widget.grab().toImage()


def test_drawn_bars_equal_the_series_slice(chart):
    series = random_series(5000)
    chart.set_series(series)
    chart.price_plot.vb.setXRange(1000, 1200, padding=0)
    render(chart)
    built = chart.candle_item.built
    assert built.group == 1
    assert built.lo <= 1000 and built.hi >= 1201
    np.testing.assert_array_equal(built.x, np.arange(built.lo, built.hi))
    for drawn, stored in zip(
        (built.open, built.high, built.low, built.close),
        (series.open, series.high, series.low, series.close),
    ):
        np.testing.assert_array_equal(drawn, stored[built.lo : built.hi])
    # The wicks handed to QPainter are exactly the stored lows and highs, coloured by direction.
    up = series.close[built.lo : built.hi] >= series.open[built.lo : built.hi]
    up_wicks, down_wicks = (w.values() for w in chart.candle_item.wicks)
    np.testing.assert_array_equal(up_wicks[:, 0], built.x[up])
    np.testing.assert_array_equal(up_wicks[:, 1], series.low[built.lo : built.hi][up])
    np.testing.assert_array_equal(down_wicks[:, 3], series.high[built.lo : built.hi][~up])
    assert chart.candle_item.bodies_drawn  # 200 bars on 900 px: wide enough for bodies
    up_bodies = chart.candle_item.bodies[0].values()
    np.testing.assert_array_equal(up_bodies[:, 1], series.open[built.lo : built.hi][up])
    np.testing.assert_allclose(
        up_bodies[:, 1] + up_bodies[:, 3], series.close[built.lo : built.hi][up], rtol=1e-15
    )


def test_zoomed_out_bars_are_merged_keeping_group_ohlc(chart):
    series = random_series(20_000)
    chart.set_series(series)
    chart.price_plot.vb.setXRange(0, 20_000, padding=0)
    render(chart)
    built = chart.candle_item.built
    bars_per_pixel = chart.price_plot.vb.viewPixelSize()[0]
    assert bars_per_pixel > 3
    k = built.group
    assert k == group_size(bars_per_pixel) and k >= 4
    assert built.lo % k == 0
    full = (built.hi - built.lo) // k
    sl = slice(built.lo, built.lo + full * k)
    np.testing.assert_array_equal(built.high[:full], series.high[sl].reshape(-1, k).max(axis=1))
    np.testing.assert_array_equal(built.low[:full], series.low[sl].reshape(-1, k).min(axis=1))
    np.testing.assert_array_equal(built.open[:full], series.open[sl][::k])
    np.testing.assert_array_equal(built.close[:full], series.close[sl][k - 1 :: k])
    assert built.x.shape[0] < 2000  # about one drawn bar per pixel, not 20k
    assert built.high.max() == series.high[built.lo : built.hi].max()
    assert built.low.min() == series.low[built.lo : built.hi].min()


def test_tick_updates_forming_candle_without_rebuilding_history(chart, qtbot):
    series = random_series(3000)
    chart.set_series(series, closed_len=len(series) - 1)
    render(chart)
    builds = chart.candle_item.path_builds
    assert builds >= 1
    last = len(series) - 1
    for price in (1.2, 1.25, 1.19):
        series.update_last(max(series.high[last], price), min(series.low[last], price), price)
        chart.series_changed(closed_len=last)
    qtbot.waitUntil(lambda: chart.forming_item.bar[4] == 1.19, timeout=1000)
    render(chart)
    assert chart.candle_item.path_builds == builds
    assert chart.forming_item.bar == (
        last,
        series.open[last],
        series.high[last],
        series.low[last],
        1.19,
    )
    # A spike on the forming candle widens the y range at the next repaint.
    spike = float(series.high[last - 200 :].max()) + 0.01
    series.update_last(spike, series.low[last], 1.19)
    chart.series_changed(closed_len=last)
    chart.flush()
    assert chart.price_plot.vb.viewRange()[1][1] > spike
    assert chart.candle_item.path_builds == builds
    # A candle closing joins history: appended to what is built, not built again.
    series.append(int(series.start[last]) + TIMEFRAME, 1.19, 1.19, 1.19, 1.19)
    chart.series_changed(closed_len=last + 1)
    chart.flush()
    render(chart)
    assert chart.candle_item.path_builds == builds
    assert chart.candle_item.appends == 1
    assert chart.candle_item.count == last + 1
    assert chart.candle_item.built.hi == last + 1
    assert chart.candle_item.built.close[-1] == series.close[last]
    assert chart.forming_item.bar[0] == last + 1


@pytest.mark.parametrize("visible", [300, 20_000])
def test_appended_candles_draw_like_a_fresh_build(chart, visible):
    series = random_series(20_000)
    chart.set_series(series, closed_len=19_000)
    chart.price_plot.vb.setXRange(19_000 - visible, 19_010, padding=0)
    render(chart)
    for closed in range(19_001, 19_400, 7):  # several candles at once, too
        chart.series_changed(closed_len=closed)
        chart.flush()
        render(chart)
    appended = chart.candle_item.built
    assert chart.candle_item.appends > 0
    assert appended.hi == chart.candle_item.count
    assert (appended.group > 1) == (visible > 3000)
    fresh = merge_bars(series, appended.lo, appended.hi, appended.group)
    for name in ("x", "open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(appended, name), getattr(fresh, name))


def test_repaints_are_coalesced_to_30_per_second(chart, qtbot):
    series = random_series(500)
    chart.set_series(series, closed_len=499)
    before = chart.flush_count
    started = time.perf_counter()
    for i in range(300):
        price = 1.1 + i * 1e-5
        series.update_last(max(series.high[499], price), min(series.low[499], price), price)
        chart.series_changed(closed_len=499)
        qtbot.wait(1)
    qtbot.wait(60)
    elapsed = time.perf_counter() - started
    flushes = chart.flush_count - before
    assert 1 <= flushes <= elapsed * 30 + 1
    assert chart.forming_item.bar[4] == series.close[499]


def test_x_labels_are_local_times_through_the_offset(chart):
    series = random_series(300)
    chart.set_series(series)
    axis = chart.price_plot.getAxis("bottom")
    # T0 is 12:00 platform time = 10:00 UTC (offset 2 h) = 19:00 in Tokyo.
    assert axis.tickStrings([0], 1.0, 1.0) == ["19:00"]
    assert axis.tickStrings([0], 1.0, 0.5) == ["19:00"]
    labels = axis.tickStrings([0, 10, 250], 1.0, 10.0)
    expected = [
        datetime.fromtimestamp(series.start[i] - OFFSET, ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        for i in (0, 10, 250)
    ]
    assert labels == expected
    chart.set_platform_offset(OFFSET)  # the machine's own zone
    assert axis.tickStrings([5], 1.0, 1.0) == [
        datetime.fromtimestamp(series.start[5] - OFFSET).strftime("%H:%M")
    ]
    # Past the last candle, times continue by the timeframe.
    assert axis.label_for(len(series) + 2, 60) == datetime.fromtimestamp(
        series.start[-1] + 3 * TIMEFRAME - OFFSET
    ).strftime("%H:%M")


def test_crosshair_readout_for_a_known_bar(chart, qtbot):
    series = CandleSeries("EURUSD_otc", TIMEFRAME)
    series.append(T0, 1.1, 1.1004, 1.0999, 1.1003)
    series.append(T0 + 60, 1.1003, 1.1006, 1.1001, 1.1002)
    series.append(T0 + 300, 1.1001, 1.1005, 1.0999, 1.1002)  # after a 3-minute gap
    series.append(T0 + 360, 1.1002, 1.1003, 1.0995, 1.0996)
    chart.set_series(series)
    chart.price_plot.vb.setXRange(-0.5, 4.5, padding=0)
    render(chart)
    scene_pos = chart.price_plot.vb.mapViewToScene(QtCore.QPointF(2.1, 1.1003))
    view_pos = chart.graphics.mapFromScene(scene_pos)
    with qtbot.waitSignal(chart.barHovered, timeout=2000) as hovered:
        qtbot.mouseMove(chart.graphics.viewport(), view_pos)
    assert hovered.args == [2]
    # 12:05 platform time, 2 hours ahead of UTC, shown in Tokyo (UTC+9).
    assert chart.readout == "2025-09-03 19:05:00  O 1.10010  H 1.10050  L 1.09990  C 1.10020"
    box = chart.price_plot.vb.sceneBoundingRect()
    outside = QtCore.QPointF(box.right() + 20, box.center().y())  # over the price axis
    qtbot.wait(100)  # a pause between the two moves, as a hand makes
    with qtbot.waitSignal(chart.barHovered, timeout=2000) as hovered:
        qtbot.mouseMove(chart.graphics.viewport(), chart.graphics.mapFromScene(outside))
    assert hovered.args == [-1]
    assert chart.readout.startswith("2025-09-03 19:06:00  O 1.10020")  # back to the last bar


def test_y_range_fits_the_visible_candles(chart):
    series = random_series(5000)
    chart.set_series(series)
    for lo, hi in ((100, 300), (4000, 4100), (0, 4999)):
        chart.price_plot.vb.setXRange(lo, hi, padding=0)
        ymin, ymax = chart.price_plot.vb.viewRange()[1]
        first, last = chart.visible_range()
        low, high = series.low[first:last].min(), series.high[first:last].max()
        assert ymin < low and ymax > high
        assert (ymax - ymin) < (high - low) * 1.25


def test_auto_scroll_at_the_right_edge_and_stay_when_panned(chart):
    series = random_series(1000)
    chart.set_series(series, closed_len=999)
    assert chart.is_following()
    assert chart.visible_range()[1] == 1000
    for i in range(5):
        start = int(series.start[-1]) + TIMEFRAME
        series.append(start, 1.1, 1.1, 1.1, 1.1)
        chart.series_changed(closed_len=len(series) - 1)
        chart.flush()
        assert chart.visible_range()[1] == len(series)
    assert chart.is_following()
    for _ in range(10):
        chart.handle_key(QtCore.Qt.Key.Key_Left)
    assert not chart.is_following()
    panned = chart.price_plot.vb.viewRange()[0]
    series.append(int(series.start[-1]) + TIMEFRAME, 1.1, 1.1, 1.1, 1.1)
    chart.series_changed(closed_len=len(series) - 1)
    chart.flush()
    assert chart.price_plot.vb.viewRange()[0] == panned
    chart.handle_key(QtCore.Qt.Key.Key_End)
    assert chart.is_following()
    assert chart.visible_range()[1] == len(series)


def test_keyboard_and_wheel_zoom_and_drag_pan(chart, qtbot):
    series = random_series(2000)
    chart.set_series(series)
    vb = chart.price_plot.vb
    width = np.diff(vb.viewRange()[0])[0]
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Plus)
    assert np.diff(vb.viewRange()[0])[0] == pytest.approx(width * 0.8)
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Minus)
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Down)
    assert np.diff(vb.viewRange()[0])[0] == pytest.approx(width / 0.8)
    x0 = vb.viewRange()[0][0]
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Left)
    assert vb.viewRange()[0][0] < x0

    viewport = chart.graphics.viewport()
    centre = viewport.rect().center()
    before = np.diff(vb.viewRange()[0])[0]
    wheel = QtGui.QWheelEvent(
        QtCore.QPointF(centre),
        QtCore.QPointF(viewport.mapToGlobal(centre)),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 240),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtCore.QCoreApplication.sendEvent(viewport, wheel)
    assert np.diff(vb.viewRange()[0])[0] < before

    x0 = vb.viewRange()[0][0]
    qtbot.mousePress(viewport, QtCore.Qt.MouseButton.LeftButton, pos=centre)
    for dx in range(10, 210, 10):
        qtbot.mouseMove(viewport, centre + QtCore.QPoint(dx, 0))
    qtbot.mouseRelease(
        viewport, QtCore.Qt.MouseButton.LeftButton, pos=centre + QtCore.QPoint(200, 0)
    )
    assert vb.viewRange()[0][0] < x0  # dragged right: earlier candles come into view
    assert not chart.is_following()


def test_empty_and_replaced_series(chart):
    chart.set_series(CandleSeries("EURUSD_otc", 60))
    render(chart)
    assert chart.readout.strip() == ""
    chart.set_series(random_series(50), closed_len=49)
    render(chart)
    assert chart.candle_item.count == 49
    assert chart.forming_item.bar is not None
    chart.set_series(None)
    render(chart)
    assert chart.candle_item.count == 0
    assert chart.forming_item.bar is None
    assert chart.readout.strip() == ""
    chart.series_changed(closed_len=3)  # nothing to show: ignored
    chart.flush()


def test_screenshot_shows_up_and_down_candles(chart):
    chart.set_series(random_series(600), closed_len=599)
    chart.add_indicator({"kind": "bollinger"})
    chart.add_indicator({"kind": "rsi"})
    chart.add_indicator({"kind": "macd"})
    chart.resize(1200, 800)
    image = render(chart)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "chart.png"
    assert image.save(str(path))
    assert path.stat().st_size > 10_000
    colors = {}
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            name = image.pixelColor(x, y).name()
            colors[name] = colors.get(name, 0) + 1
    assert colors.get(theme.UP, 0) > 200
    assert colors.get(theme.DOWN, 0) > 200
    assert max(colors, key=colors.get) == theme.BACKGROUND
