"""Trade and signal markers: placed at the right bar and price, coloured by result."""

from __future__ import annotations

import numpy as np
import pytest
from chart_helpers import T0, random_series, shown_chart
from PySide6 import QtGui

from qfdesk.engine.events import Direction
from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import ChartWidget, SignalMarker, TradeMarker, TradeResult, theme

pytestmark = pytest.mark.gui


@pytest.fixture
def chart(qtbot):
    return shown_chart(qtbot, 900, 600)


def line_segments(chart: ChartWidget, result: TradeResult) -> np.ndarray:
    x, y = chart.markers.lines[result].getData()
    if x is None or len(x) == 0:
        return np.empty((0, 3))
    return np.column_stack((x[0::2], x[1::2], y[0::2]))


def test_trade_marker_at_entry_bar_and_price_with_line_to_expiry(chart):
    series = random_series(300)
    chart.set_series(series)
    entry = int(series.start[200]) + 15  # 15 s into bar 200
    trade = TradeMarker("t1", entry, 1.10321, entry + 180, Direction.CALL)
    chart.upsert_trade_marker(trade)
    data = chart.markers.scatter.data
    assert len(data) == 1
    assert data["x"][0] == pytest.approx(200.25)
    assert data["y"][0] == pytest.approx(1.10321)
    expiry_x = chart.markers.x_of(entry + 180)
    assert expiry_x == pytest.approx(
        np.searchsorted(series.start, entry + 180, "right")
        - 1
        + (
            (entry + 180 - series.start[np.searchsorted(series.start, entry + 180, "right") - 1])
            / 60
        )
    )
    np.testing.assert_allclose(
        line_segments(chart, TradeResult.PENDING), [[200.25, expiry_x, 1.10321]]
    )
    assert data["brush"][0].color().name() == theme.RESULT_COLORS["pending"]

    chart.upsert_trade_marker(
        TradeMarker("t1", entry, 1.10321, entry + 180, Direction.CALL, TradeResult.WON)
    )
    assert len(line_segments(chart, TradeResult.PENDING)) == 0
    assert len(line_segments(chart, TradeResult.WON)) == 1
    assert chart.markers.scatter.data["brush"][0].color().name() == theme.RESULT_COLORS["won"]
    chart.remove_trade_marker("t1")
    assert len(chart.markers.scatter.data) == 0
    assert len(line_segments(chart, TradeResult.WON)) == 0


def test_all_markers_share_one_scatter_item(chart):
    series = random_series(300)
    chart.set_series(series)
    results = list(TradeResult)
    trades = [
        TradeMarker(
            f"t{i}",
            int(series.start[10 * i]),
            float(series.close[10 * i]),
            int(series.start[10 * i]) + 60,
            Direction.CALL if i % 2 else Direction.PUT,
            results[i % 4],
        )
        for i in range(8)
    ]
    signals = [
        SignalMarker(int(series.start[i]), float(series.low[i]), Direction.CALL)
        for i in (5, 55, 105)
    ]
    chart.set_trade_markers(trades)
    chart.set_signal_markers(signals)
    data = chart.markers.scatter.data
    assert len(data) == 11
    np.testing.assert_allclose(data["x"][:8], [10 * i for i in range(8)])
    np.testing.assert_allclose(data["x"][8:], [5, 55, 105])
    np.testing.assert_allclose(data["y"][8:], series.low[[5, 55, 105]])
    for result in TradeResult:
        assert len(line_segments(chart, result)) == 2
    scatters = [i for i in chart.price_plot.items if type(i).__name__ == "ScatterPlotItem"]
    assert scatters == [chart.markers.scatter]
    chart.clear_markers()
    assert len(chart.markers.scatter.data) == 0


def test_markers_follow_a_timeframe_switch(chart):
    minute = CandleSeries("EURUSD_otc", 60)
    five = CandleSeries("EURUSD_otc", 300)
    for i in range(60):
        minute.append(T0 + 60 * i, 1.1, 1.101, 1.099, 1.1)
    for i in range(12):
        five.append(T0 + 300 * i, 1.1, 1.101, 1.099, 1.1)
    chart.set_series(minute)
    trade = TradeMarker("t", T0 + 30 * 60, 1.1, T0 + 40 * 60, Direction.PUT, TradeResult.LOST)
    chart.upsert_trade_marker(trade)
    assert chart.markers.scatter.data["x"][0] == pytest.approx(30)
    chart.set_series(five)
    assert chart.markers.scatter.data["x"][0] == pytest.approx(6)
    np.testing.assert_allclose(line_segments(chart, TradeResult.LOST), [[6, 8, 1.1]])
    # An expiry beyond the last candle is placed by extrapolating the timeframe.
    late = TradeMarker("late", T0 + 55 * 60, 1.1, T0 + 65 * 60, Direction.CALL)
    chart.upsert_trade_marker(late)
    np.testing.assert_allclose(line_segments(chart, TradeResult.PENDING), [[11, 13, 1.1]])


def test_markers_are_painted(chart):
    series = random_series(200)
    chart.set_series(series)
    i = 190
    price = float(series.close[i])
    chart.upsert_trade_marker(
        TradeMarker("t", int(series.start[i]), price, int(series.start[i]) + 300, Direction.CALL)
    )
    image: QtGui.QImage = chart.grab().toImage()
    pending = QtGui.QColor(theme.RESULT_COLORS["pending"])
    count = sum(
        image.pixelColor(x, y) == pending
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )
    assert count > 10
