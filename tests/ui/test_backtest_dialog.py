"""The backtest dialog on the real QuantumFlux candles: the figures it shows are run_backtest's,
A/B with the two-proportion verdict, risk limits, progress, bad input explained; closing it
mid-run never waits for the job."""

from __future__ import annotations

import dataclasses
import logging
import threading

import numpy as np
import pytest
from desk_helpers import Desk, pause, wait_until
from PySide6 import QtCore

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.backtest_stats import compare_stats, stat_rows
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.risk import RiskLimits, RiskManager
from qfdesk.engine.strategies import Strategy, StrategyRegistry
from qfdesk.ui.backtest_dialog import BacktestDialog, stop_jobs

pytestmark = pytest.mark.gui

ASSET, TF = "ZARUSD_otc", 60


@pytest.fixture(scope="module")
def candles(quflx_csv_dir):
    return load_history(quflx_csv_dir).series[(ASSET, TF)]


def expected(candles, name: str, params: dict, risk: RiskLimits | None = None, stake=1.0):
    strategy = StrategyRegistry().create(name, {**params, "expiry": 120})
    return run_backtest(
        candles,
        TF,
        strategy,
        BacktestConfig(120, 85.0, stake),
        asset=ASSET,
        risk=None if risk is None else RiskManager(risk, log_level=logging.DEBUG),
    )


def loaded_dialog(qloop, quflx_csv_dir, registry: StrategyRegistry) -> BacktestDialog:
    dialog = BacktestDialog(registry, quflx_csv_dir)
    dialog.show()
    dialog.load()
    assert wait_until(qloop, lambda: dialog.loaded is not None and not dialog.busy, 30)
    dialog.choose(ASSET, TF)
    dialog.expiry.setValue(120)
    dialog.payout.setValue(85)
    return dialog


@pytest.fixture
def dialog(qtbot, qloop, quflx_csv_dir):
    dialog = loaded_dialog(qloop, quflx_csv_dir, StrategyRegistry())
    qtbot.addWidget(dialog)
    return dialog


class Gate:
    """Holds the ``held`` strategy on its first candle until the test opens it: a backtest
    that runs exactly as long as the test needs."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def registry(self) -> StrategyRegistry:
        gate = self

        class Held(Strategy):
            name = "held"
            description = "waits at its first candle until the gate opens; never votes"

            def reset(self) -> None:
                self.first = True

            def on_candle(self, candle):
                if self.first:
                    self.first = False
                    gate.entered.set()
                    gate.opened.wait(120)

        registry = StrategyRegistry()
        registry.register(Held)
        return registry


def run(dialog, qloop) -> None:
    dialog.run_button.click()
    assert dialog.busy or dialog.results, dialog.status.text()
    assert wait_until(qloop, lambda: not dialog.busy, 60), dialog.status.text()
    assert dialog.results, dialog.status.text()


def test_shows_the_figures_run_backtest_gives(dialog, qloop, candles):
    assert dialog.asset.currentData() == ASSET and dialog.timeframe.currentData() == TF
    assert f"({len(candles)} candles)" in dialog.asset.currentText()
    dialog.strategy_a.setCurrentText("sma-cross")
    dialog.params_a.setText("fast=3 slow=8")
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    run(dialog, qloop)
    want = expected(candles, "sma-cross", {"fast": 3, "slow": 8})
    (got,) = dialog.results
    assert want.stats.trades > 20, "a real test needs trades"
    assert got.stats == want.stats
    assert dialog.view_a.shown_stats() == dict(stat_rows(want.stats))
    assert dialog.view_a.shown_stats()["trades"] == str(want.stats.trades)
    assert seen[-1] == 100 and any(0 < v < 100 for v in seen), "the progress bar moved"
    _, ys = dialog.view_a.curve.getData()
    assert np.allclose(ys, np.concatenate(([1000.0], want.equity)))
    markers = dialog.view_a.chart.markers.trades
    assert len(markers) == want.stats.trades
    assert sorted(m.entry_time for m in markers) == sorted(want.trades.entry_time.tolist())
    assert dialog.view_a.chart.series is candles or len(dialog.view_a.chart.series) == len(candles)
    assert not dialog.view_b.isVisible() and dialog.verdict.text() == ""


def test_a_b_side_by_side_with_the_win_rate_test(dialog, qloop, candles):
    dialog.strategy_a.setCurrentText("sma-cross")
    dialog.params_a.setText("fast=3 slow=8")
    dialog.compare.setChecked(True)
    dialog.strategy_b.setCurrentText("rsi-reversal")
    dialog.params_b.setText("period=7")
    run(dialog, qloop)
    a = expected(candles, "sma-cross", {"fast": 3, "slow": 8})
    b = expected(candles, "rsi-reversal", {"period": 7})
    assert [r.stats for r in dialog.results] == [a.stats, b.stats]
    assert dialog.view_b.isVisible()
    assert dialog.view_b.shown_stats() == dict(stat_rows(b.stats))
    verdict = compare_stats(a.stats, b.stats)
    assert dialog.verdict.text() == f"A/B: {verdict.describe()}"
    assert ("not significant" in dialog.verdict.text()) == (not verdict.significant)


def test_through_the_risk_limits(dialog, qloop, candles):
    dialog.base_limits = RiskLimits(min_payout=0, max_open_trades=1, max_trades_per_hour=3)
    dialog.strategy_a.setCurrentText("sma-cross")
    dialog.params_a.setText("fast=2 slow=5")
    dialog.stake.setValue(2)
    dialog.use_risk.setChecked(True)
    run(dialog, qloop)
    limits = dataclasses.replace(dialog.base_limits, stake=2.0)
    want = expected(candles, "sma-cross", {"fast": 2, "slow": 5}, limits, stake=2.0)
    assert want.stats.denied > 0
    assert dialog.results[0].stats == want.stats
    assert dialog.view_a.shown_stats()["denied by risk"] == str(want.stats.denied)


def test_bad_input_is_explained(dialog, qloop, tmp_path):
    dialog.strategy_a.setCurrentText("sma-cross")
    dialog.params_a.setText("fast=9 slow=3")
    dialog.run_button.click()
    assert "Cannot run" in dialog.status.text() and "fast must be shorter" in dialog.status.text()
    dialog.params_a.setText("fast")
    dialog.run_button.click()
    assert "name=value" in dialog.status.text()
    dialog.params_a.setText("")
    dialog.expiry.setValue(90)
    dialog.run_button.click()
    assert wait_until(qloop, lambda: not dialog.busy, 30)
    assert dialog.status.text().startswith("Failed: ")
    assert "multiple of the timeframe" in dialog.status.text()
    dialog.path.setText(str(tmp_path / "nowhere"))
    dialog.load()
    assert "does not exist" in dialog.status.text()


def test_the_main_window_menu_opens_it_on_the_data_folder(tmp_path, qloop, quflx_csv_dir):
    desk = Desk(tmp_path, data_root=quflx_csv_dir)
    try:
        menu = next(a.menu() for a in desk.window.menuBar().actions() if a.text() == "&Trading")
        action = next(a for a in menu.actions() if a.text() == "Backtest\u2026")
        action.trigger()
        dialog = desk.window.findChild(BacktestDialog)
        assert dialog is not None and dialog.isVisible()
        assert dialog.path.text() == str(quflx_csv_dir)
        assert wait_until(qloop, lambda: dialog.loaded is not None and not dialog.busy, 30)
        assert dialog.asset.count() > 0
        dialog.close()
    finally:
        desk.close()


def test_parameters_that_are_not_finite_numbers_are_refused_before_running(dialog):
    dialog.strategy_a.setCurrentText("sma-cross")
    for text, reason in [
        ("fast=inf", "fast must be a finite number, got 'inf'"),
        ("fast=1e400", "fast must be a finite number, got '1e400'"),
        ("confidence=nan", "confidence must be a finite number, got 'nan'"),
        ("slow=1e12", "slow must be at most 1,000,000,000, got '1e12'"),
    ]:
        dialog.params_a.setText(text)
        dialog.run_button.click()
        assert dialog.status.text() == f"Cannot run: sma-cross: {reason}"
        assert not dialog.busy and not dialog.results


def start_held_run(dialog: BacktestDialog, gate: Gate, qloop):
    dialog.strategy_a.setCurrentText("held")
    dialog.run_button.click()
    assert wait_until(qloop, gate.entered.is_set, 30), dialog.status.text()
    assert dialog.job is not None and dialog.job.isRunning(), dialog.status.text()
    return dialog.job


def test_closing_mid_run_never_waits_and_the_job_ends_after_the_dialog_is_gone(
    qloop, quflx_csv_dir
):
    gate = Gate()
    dialog = loaded_dialog(qloop, quflx_csv_dir, gate.registry())
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)  # as the main window opens it
    beats: list[bool] = []
    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(True))
    gone: list[str] = []
    try:
        job = start_held_run(dialog, gate, qloop)
        job.destroyed.connect(lambda: gone.append("job"))
        dialog.destroyed.connect(lambda: gone.append("dialog"))
        timer.start()
        dialog.close()
        assert job.isRunning(), "the dialog closed while its job was still held"
        assert wait_until(qloop, lambda: "dialog" in gone and len(beats) > 20, 20)
        assert job.isRunning(), "the event loop ran and the dialog went while the job ran"
    finally:
        gate.opened.set()
    assert wait_until(qloop, lambda: "job" in gone, 60), "the job ended and deleted itself"
    held = len(beats)
    pause(qloop, 0.2)
    timer.stop()
    assert len(beats) > held, "the event loop still runs after the job ended"


@pytest.fixture
def gated(qtbot, qloop, quflx_csv_dir):
    gate = Gate()
    dialog = loaded_dialog(qloop, quflx_csv_dir, gate.registry())
    qtbot.addWidget(dialog)
    yield dialog, gate
    gate.opened.set()


def test_closing_cancels_the_run_and_the_dialog_runs_again_when_shown(gated, qloop, candles):
    dialog, gate = gated
    start_held_run(dialog, gate, qloop)
    dialog.close()
    assert dialog.busy and not dialog.isVisible()
    gate.opened.set()
    assert wait_until(qloop, lambda: not dialog.busy, 60)
    assert dialog.results == [] and dialog.progress.value() == 0, "cancelled, nothing shown"
    assert dialog.status.text() == "Stopped: the dialog was closed."
    dialog.show()
    dialog.strategy_a.setCurrentText("sma-cross")
    dialog.params_a.setText("fast=3 slow=8")
    run(dialog, qloop)
    assert dialog.results[0].stats == expected(candles, "sma-cross", {"fast": 3, "slow": 8}).stats


def test_at_quit_the_jobs_still_running_are_cancelled_and_waited_for(gated, qloop):
    dialog, gate = gated
    job = start_held_run(dialog, gate, qloop)
    dialog.close()
    opener = threading.Timer(0.3, gate.opened.set)  # the strategy lets go on its own
    opener.start()
    stop_jobs()
    opener.join()
    assert job.isFinished() and dialog.results == []


@pytest.mark.parametrize("recorded", [True, False])
def test_the_dialog_says_which_payout_it_paid_the_trades(qtbot, qloop, tmp_path, recorded):
    from research_data import START, ar1_closes, write_candles

    from qfdesk.engine.csv_sink import PAYOUT_COLUMNS, format_candle_time, payout_dir
    from qfdesk.engine.payout_history import load_payouts

    write_candles(tmp_path / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(2_000, 0.3, 5))
    if recorded:
        path = payout_dir(tmp_path) / "payouts.csv"
        path.parent.mkdir(parents=True)
        rows = [f"{format_candle_time(START - 60)},EURUSD_otc,40,1"]
        rows.append(f"{format_candle_time(START + 60 * 900)},EURUSD_otc,75,0")
        rows.append(f"{format_candle_time(START + 60 * 1200)},EURUSD_otc,75,1")
        path.write_text(",".join(PAYOUT_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    dialog = BacktestDialog(StrategyRegistry(), tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    assert wait_until(qloop, lambda: dialog.loaded is not None and not dialog.busy, 30)
    dialog.choose("EURUSD_otc", TF)
    dialog.strategy_a.setCurrentText("sma-cross")
    run(dialog, qloop)
    series = dialog.loaded.series[("EURUSD_otc", TF)]
    strategy = StrategyRegistry().create("sma-cross", {"expiry": 60})
    schedule = load_payouts(tmp_path, "EURUSD_otc")[0] if recorded else None
    want = run_backtest(series, TF, strategy, BacktestConfig(60, 92.0), payouts=schedule)
    (got,) = dialog.results
    assert got.stats == want.stats and want.stats.trades > 50
    label = dialog.findChild(type(dialog.status), "payoutUsed")
    fixed = run_backtest(series, TF, strategy, BacktestConfig(60, 92.0))
    if recorded:
        assert want.closed > 0 and got.stats.net_profit != fixed.stats.net_profit
        assert label.text().startswith(
            "Payout: the recorded payout history of EURUSD_otc (3 changes), 92% before"
        )
        assert f"{want.closed} signals while the asset was closed: no trade" in label.text()
        assert "payout from the recorded history" in dialog.status.text()
    else:
        assert got.stats == fixed.stats
        assert label.text() == f"Payout: 92% for every trade (no payout history in {tmp_path})."
        assert "payout 92 %" in dialog.status.text()
