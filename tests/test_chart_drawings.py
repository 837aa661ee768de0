"""Drawing tools with the mouse on a real chart: a horizontal line, a trend line and a zone
placed by clicks and snapped to the candle's prices, dragged, selected and deleted, and
kept in platform time across a timeframe switch and through JSON."""

from __future__ import annotations

import pytest
from chart_helpers import random_series, shown_chart
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from qfdesk.ui.chart.drawings import Drawing, DrawKind, drawings_from_json, drawings_to_json

pytestmark = pytest.mark.gui


@pytest.fixture
def chart(qtbot):
    chart = shown_chart(qtbot, 900, 600)
    chart.set_series(random_series(300), 299)
    return chart


def widget_point(chart, x: float, price: float) -> QtCore.QPoint:
    scene = chart.price_plot.vb.mapViewToScene(QtCore.QPointF(x, price))
    return chart.graphics.mapFromScene(scene)


def click(chart, x: float, price: float) -> None:
    QTest.mouseClick(
        chart.graphics.viewport(),
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        widget_point(chart, x, price),
    )


def send(viewport, kind, point: QtCore.QPoint, button, buttons) -> None:
    event = QtGui.QMouseEvent(
        kind,
        QtCore.QPointF(point),
        QtCore.QPointF(viewport.mapToGlobal(point)),
        button,
        buttons,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    QtWidgets.QApplication.sendEvent(viewport, event)


def drag(chart, start: tuple[float, float], end: tuple[float, float]) -> None:
    viewport = chart.graphics.viewport()
    a, b = widget_point(chart, *start), widget_point(chart, *end)
    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    send(viewport, QtCore.QEvent.Type.MouseButtonPress, a, left, left)
    for step in range(1, 11):
        point = a + (b - a) * (step / 10)
        send(viewport, QtCore.QEvent.Type.MouseMove, point, none, left)
    send(viewport, QtCore.QEvent.Type.MouseButtonRelease, b, left, none)


def test_a_horizontal_line_is_placed_by_a_click_snapped_to_the_candles_high(chart):
    series = chart.series
    high = float(series.high[250])
    near = high + chart.drawings.snap_tolerance() / 2
    chart.drawings.set_tool(DrawKind.HLINE)
    click(chart, 250, near)
    [line] = chart.drawings.drawings
    assert line.kind is DrawKind.HLINE and line.price == high
    assert chart.drawings.tool is None and chart.drawings.selected == line.id

    far = high + chart.drawings.snap_tolerance() * 5
    chart.drawings.set_tool(DrawKind.HLINE)
    click(chart, 250, far)
    pixel = chart.drawings.snap_tolerance() / 8
    assert chart.drawings.drawings[1].price == pytest.approx(far, abs=2 * pixel), "far: no snap"
    assert chart.drawings.drawings[1].price != high


def test_a_trend_line_and_a_zone_take_two_clicks(chart):
    series = chart.series
    chart.drawings.set_tool(DrawKind.TREND)
    click(chart, 240, float(series.low[240]))
    assert chart.drawings.drawings == [], "one end is not a line yet"
    click(chart, 280, float(series.high[280]))
    [trend] = chart.drawings.drawings
    (t0, p0), (t1, p1) = trend.points
    assert (t0, t1) == (float(series.start[240]), float(series.start[280]))
    assert (p0, p1) == (float(series.low[240]), float(series.high[280]))

    chart.drawings.set_tool(DrawKind.ZONE)
    click(chart, 260, float(series.close[260]))
    click(chart, 270, float(series.open[270]))
    zone = chart.drawings.drawings[1]
    assert zone.kind is DrawKind.ZONE and len(zone.points) == 2


def test_a_line_dragged_moves_and_says_so_and_delete_removes_the_selected_one(chart, qtbot):
    series = chart.series
    price = float(series.close[270])
    chart.drawings.set_tool(DrawKind.HLINE)
    click(chart, 270, price)
    changes = []
    chart.drawings.changed.connect(lambda: changes.append(1))
    (_, _), (y0, y1) = chart.price_plot.vb.viewRange()
    target = price + (y1 - y0) * 0.1

    drag(chart, (260, price), (260, target))

    [line] = chart.drawings.drawings
    assert line.price == pytest.approx(target, abs=(y1 - y0) * 0.02)
    assert changes, "a move is reported, to keep it"
    chart.drawings.select(None)
    click(chart, 285, line.price)
    assert chart.drawings.selected == line.id
    chart.graphics.setFocus()
    QTest.keyClick(chart.graphics, QtCore.Qt.Key.Key_Delete)
    assert chart.drawings.drawings == []


def test_drawings_keep_their_time_across_a_timeframe_switch_and_json(chart):
    series = chart.series
    chart.drawings.set_tool(DrawKind.TREND)
    click(chart, 240, float(series.low[240]))
    click(chart, 280, float(series.high[280]))
    saved = drawings_to_json(chart.drawings.drawings)
    five_minutes = random_series(100, timeframe=300)
    chart.set_series(five_minutes, 99)
    restored, problems = drawings_from_json(saved)
    assert problems == [] and restored == chart.drawings.drawings
    handles = chart.drawings._items[restored[0].id].getHandles()
    x0 = chart.drawings._items[restored[0].id].pos().x() + handles[0].pos().x()
    assert x0 == pytest.approx(chart.drawings.x_of(restored[0].points[0][0]))


def test_bad_saved_drawings_are_left_out_with_the_reason():
    good = Drawing("a", DrawKind.HLINE, ((1.0, 1.1),))
    text = drawings_to_json([good])[:-1] + ', {"id": "b", "kind": "trend", "points": [[1, 2]]}]'
    restored, problems = drawings_from_json(text)
    assert restored == [good] and "1 points for a trend" in problems[0]
    assert drawings_from_json("{nope")[0] == []
