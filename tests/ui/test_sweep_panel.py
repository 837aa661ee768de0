"""The Sweep tab with real widgets: the verdict, heatmap and equity curve of the engine's own
report, export to JSON and PNG, and a Cancel (or a closed dialog) that stops at once while
the window keeps running."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore
from shiboken6 import isValid

from qfdesk.engine.backtest import BacktestConfig
from qfdesk.engine.research.grid import build_grid
from qfdesk.engine.research.report import analyse
from qfdesk.engine.research.runner import SweepTask, run_local
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.trades import Columns
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.ui.sweep_panel import SweepInput, SweepPanel, eta_text, heat_grid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from research_data import START, ar1_closes

pytestmark = pytest.mark.gui


def series_of(closes: np.ndarray) -> CandleSeries:
    series = CandleSeries("EURUSD_otc", 60, capacity=closes.size)
    opens = np.concatenate(([closes[0]], closes[:-1]))
    starts = START + 60 * np.arange(closes.size, dtype=np.int64)
    ohlc = np.vstack([opens, np.maximum(opens, closes), np.minimum(opens, closes), closes])
    series.insert_many(starts, ohlc)
    return series


@pytest.fixture(scope="module")
def trend() -> CandleSeries:
    return series_of(ar1_closes(20_000, 0.3, 11))


def panel_on(qtbot, series: CandleSeries, owned: bool = True) -> SweepPanel:
    source = SweepInput(series, "EURUSD_otc", 60, 60, 92.0, 1.0)
    panel = SweepPanel(StrategyRegistry(), lambda: source)
    if owned:
        qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    panel.strategy.setCurrentText("sma-cross")
    return panel


def test_the_sweep_tab_shows_the_engines_verdict_heatmap_and_equity(qtbot, trend, tmp_path):
    panel = panel_on(qtbot, trend)
    panel.set_values("fast", "2..4")
    panel.set_values("slow", "6..12:3")
    panel.workers.setValue(1)
    panel.run()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=120_000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    registry = StrategyRegistry()
    grid = build_grid(
        lambda p: registry.create("sma-cross", p), ["fast=2..4", "slow=6..12:3"], {"expiry": 60}
    )
    task = SweepTask(Columns.of(trend), 60, "sma-cross", None, BacktestConfig(60, 92.0))
    settings = SweepSettings(92.0)
    expected = analyse(run_local(task, settings, grid.combinations, 1), grid, len(trend), settings)
    assert panel.report.to_dict() == expected.to_dict()
    assert panel.verdict.text().startswith("EDGE:") and "break-even 52.1%" in panel.verdict.text()
    assert panel.heat_x.currentText() == "fast" and panel.heat_y.currentText() == "slow"
    xs, ys, cells = heat_grid(expected, "fast", "slow")
    assert (xs, ys) == ([2, 3, 4], [6, 9, 12])
    np.testing.assert_array_equal(panel.heat_cells, cells)
    _, curve_y = panel.equity_curve.getData()
    np.testing.assert_allclose(curve_y, np.cumsum(expected.out_of_sample_profit))
    written = panel.export(tmp_path / "export")
    assert [p.name for p in written] == ["sweep.json", "sweep-heatmap.png", "sweep-equity.png"]
    assert json.loads(written[0].read_text()) == expected.to_dict()
    assert all(p.stat().st_size > 1000 for p in written[1:])


def test_values_that_cannot_be_read_are_explained_and_nothing_runs(qtbot, trend):
    panel = panel_on(qtbot, trend)
    panel.run()
    assert "at least one parameter" in panel.status.text() and not panel.busy
    panel.set_values("fast", "a..b")
    panel.run()
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    assert "Sweep failed" in panel.status.text() and "not a number" in panel.status.text()
    assert panel.report is None


def test_cancel_stops_the_sweep_at_once_and_the_window_keeps_running(qtbot):
    panel = panel_on(qtbot, series_of(ar1_closes(300_000, 0.0, 2)))
    panel.set_values("fast", "2..21")
    panel.set_values("slow", "22..61")
    panel.workers.setValue(2)
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    panel.run()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=120_000)
    before = len(ticks)
    qtbot.wait(300)
    assert len(ticks) > before  # the GUI thread keeps running while the sweep works
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    timer.stop()
    assert "cancelled" in panel.status.text()
    assert panel.report is None and panel.progress.value() < 100


def test_the_time_left_is_estimated_from_the_pace_so_far():
    assert eta_text(10, 40, 5.0) == "about 15 s left"
    assert eta_text(1, 100, 60.0) == "about 99 min left"
    assert eta_text(0, 10, 1.0) == "" and eta_text(10, 10, 1.0) == ""


def test_a_panel_closed_mid_sweep_stops_it_and_nothing_touches_the_gone_widgets(qtbot):
    panel = panel_on(qtbot, series_of(ar1_closes(300_000, 0.0, 3)), owned=False)
    panel.set_values("fast", "2..21")
    panel.set_values("slow", "22..61")
    panel.workers.setValue(1)
    panel.run()
    job = panel.job
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=120_000)
    panel.stop()
    panel.deleteLater()
    qtbot.waitUntil(lambda: not isValid(panel), timeout=30_000)
    qtbot.waitUntil(lambda: not isValid(job), timeout=30_000)  # it ended and deleted itself


def test_the_dialogs_sweep_tab_sweeps_the_loaded_candles_at_the_recorded_payouts(qtbot, tmp_path):
    from research_data import write_candles

    from qfdesk.engine.payout_history import PAYOUT_COLUMNS, payout_dir
    from qfdesk.ui.backtest_dialog import BacktestDialog

    write_candles(tmp_path / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(5_000, 0.3, 5))
    payouts = payout_dir(tmp_path) / "payouts.csv"
    payouts.parent.mkdir(parents=True)
    payouts.write_text(",".join(PAYOUT_COLUMNS) + "\n2023-11-14T22:00:00Z,EURUSD_otc,40,1\n")
    dialog = BacktestDialog(StrategyRegistry(), tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: dialog.loaded is not None and not dialog.busy, timeout=30_000)
    dialog.tabs.setCurrentWidget(dialog.sweep)
    sweep = dialog.sweep
    sweep.strategy.setCurrentText("sma-cross")
    sweep.set_values("fast", "2,3")
    sweep.set_values("slow", "6,9")
    sweep.workers.setValue(1)
    sweep.run()
    qtbot.waitUntil(lambda: sweep.report is not None, timeout=120_000)
    report = sweep.report
    assert report.payout_source == "history" and report.candles == 5_000
    assert report.break_even_win_rate == pytest.approx(1 / 1.4)
    assert "payouts from the recorded history" in sweep.verdict.text()
