"""Four charts streaming: the main window's chart grid on the real simulator through real
headless Chromium. View > Charts > 4 charts, three more assets chosen in the panes' own
pickers, the platform asked to stream them on the page's socket; every pane LIVE with its
own candles (five hours of them asked of the page's socket), the trade panel and the platform page following the chart that has focus, and
a BUY placed on the focused chart's asset, and the grid as it was at the next start. Saves ``artifacts/chart_grid.png``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, wait_until
from PySide6 import QtCore, QtGui
from PySide6.QtTest import QTest

from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def page_asset(sim: SimulatedPlatform) -> str:
    changes = [e.payload["asset"] for e in sim.received_events() if e.event == "changeSymbol"]
    return changes[-1] if changes else ""


def test_four_charts_stream_live_and_the_trade_panel_follows_the_focused_one(
    qloop, qtbot, tmp_path
):
    with SimulatedPlatform(assets=7, seed=5) as sim:
        desk = Desk(tmp_path)
        window = desk.window
        try:
            desk.connect(qloop, sim)
            assert wait_until(qloop, lambda: window.asset and window.market.assets, 20)
            quiet = [  # streamed only when asked for (the favourites always stream)
                a["symbol"] for a in sim.assets if a["active"] and a["symbol"] not in sim.favourites
            ]
            main_asset, extra = quiet[0], quiet[1:4]
            window.toolbar.assets.choose(main_asset)
            assert wait_until(qloop, lambda: page_asset(sim) == main_asset, 15)
            charts4 = window.findChild(QtGui.QAction, "charts4")
            charts4.trigger()
            grid = window.grid
            assert grid.count == 4 and all(p.isVisible() for p in grid.panes)
            for pane, symbol in zip(grid.panes[1:], extra, strict=True):
                pane.assets.choose(symbol)

            def all_live() -> bool:
                return all(p.tag.text() == "LIVE" for p in grid.panes)

            assert wait_until(qloop, all_live, 40), [p.tag.text() for p in grid.panes]
            assert {main_asset, *extra} <= set(sim.state()["streamed"])
            assert page_asset(sim) == main_asset, "the page still shows the trader's asset"
            for pane in grid.panes:
                assert wait_until(
                    qloop, lambda p=pane: p.chart.series and len(p.chart.series) > 100, 10
                ), (pane.asset, len(pane.chart.series or ()))
                assert pane.chart.series.asset == pane.asset
            assert [p.asset for p in grid.panes] == [main_asset, *extra]
            window.grab()  # lay out once at the window's size before the picture
            ARTIFACTS.mkdir(exist_ok=True)
            assert window.grab().save(str(ARTIFACTS / "chart_grid.png"))

            viewport = grid.panes[2].chart.graphics.viewport()
            QTest.mouseClick(
                viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport.rect().center()
            )
            assert grid.focused == 2 and grid.trade_asset() == extra[1]
            name = window.market.display_name(extra[1])
            assert window.trade_panel.asset_label.text() == name
            assert wait_until(qloop, lambda: page_asset(sim) == extra[1], 15), "the page follows"
            assert window.asset == main_asset, "the main chart keeps its asset"
            switched = time.time() + 1.0  # the page's unsubfor of the main asset is in by now

            def main_ticks() -> bool:
                return any(t.asset == main_asset and t.sent_at > switched for t in sim.sent_ticks())

            assert wait_until(qloop, main_ticks, 15), "the main chart's asset is asked for again"
            assert wait_until(qloop, all_live, 20), [p.tag.text() for p in grid.panes]

            window.trade_panel.set_expiry(3)
            qtbot.mouseClick(window.trade_panel.buy_button, QtCore.Qt.MouseButton.LeftButton)
            assert wait_until(qloop, lambda: len(sim.orders()) == 1, 30), "BUY placed"
            assert sim.orders()[0].asset == extra[1], "on the focused chart's asset"
            assert window.asset == main_asset
            focused = grid.panes[2].chart
            assert wait_until(qloop, lambda: focused.markers.trades, 30), "its marker there"
            assert not [
                m
                for m in window.chart.markers.trades
                if m.id in {t.id for t in focused.markers.trades}
            ], "not on the main chart's other asset"
        finally:
            desk.close()

    again = Desk(tmp_path)
    try:
        grid = again.window.grid
        assert grid.count == 4 and grid.focused == 2
        assert [p.asset for p in grid.panes[1:]] == extra
        assert grid.trade_asset() == extra[1]
        assert again.window.trade_panel.asset_label.text() == extra[1], "no asset table yet"
    finally:
        again.close()
