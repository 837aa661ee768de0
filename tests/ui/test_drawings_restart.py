"""A drawn line is kept for its asset across a restart, with its alert, and another asset's
chart does not show it."""

from __future__ import annotations

import time

import pytest
from desk_helpers import offline_window

from qfdesk.engine.csv_sink import CsvSink
from qfdesk.engine.events import Candle
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.ui.alerts import LINE_PREFIX
from qfdesk.ui.chart.drawings import DrawKind

pytestmark = pytest.mark.gui

A, B = "EURUSD_otc", "GBPUSD_otc"


def write_candles(root, asset: str) -> None:
    sink = CsvSink(root, PersistSettings(save_candles=True, save_ticks=False))
    first = (int(time.time()) - 3600) // 60 * 60
    sink.write_candles([Candle(asset, 60, first + 60 * i, 1.2, 1.21, 1.19, 1.2) for i in range(50)])


def test_a_line_drawn_with_the_mouse_tool_is_back_after_a_restart_with_its_alert(tmp_path, qtbot):
    write_candles(tmp_path / "data", A)
    window = offline_window(tmp_path, qtbot)
    window.choose_asset(A, sync_page=False)
    qtbot.waitUntil(
        lambda: window.chart.series is not None and len(window.chart.series) > 0, timeout=10000
    )
    layer = window.chart.drawings
    draw_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Draw")
    next(a for a in draw_menu.actions() if a.text() == "&Horizontal line").trigger()
    assert layer.tool is DrawKind.HLINE
    assert layer.click(10.0, 1.205)
    (line,) = layer.drawings
    assert [a.id for a in window.alerts.alerts] == [LINE_PREFIX + line.id]
    window.choose_asset(B, sync_page=False)
    assert layer.drawings == [], "another asset's chart has none"
    window.close()

    again = offline_window(tmp_path, qtbot)
    assert again.asset == B
    again.choose_asset(A, sync_page=False)
    assert again.chart.drawings.drawings == [line]
    assert [a.id for a in again.alerts.alerts] == [LINE_PREFIX + line.id]
    again.close()
