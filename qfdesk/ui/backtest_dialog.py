"""The backtest dialog: history CSVs, one or two strategies (A/B), results side by side.

Loading and backtests run on a worker thread (:class:`Job`) with a progress bar; results come
back through Qt signals. A trader's own strategies run in worker processes
(:mod:`qfdesk.engine.sandboxed_backtest`), never in the app's: the candles go to the worker
once and only checked numbers come back; one that hangs past its time budget or raises is
reported in words. Cancel, and closing the dialog, kill those workers at once and never wait
for the job.
Each side shows its statistics, its equity curve and its trades as markers on a chart of the
candles; with B, a line says whether the difference in win rate is statistically meaningful
(two-proportion z-test). When the data folder holds a recorded payout history, each trade is
paid the payout in force at its entry (the Payout box before its first record) and a label
says which payout was used. The Sweep tab (:class:`SweepPanel`) tries a grid of parameters on
the same candles and judges the best out of sample.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.backtest import BacktestError, BacktestResult
from qfdesk.engine.backtest_ab import ABRun, run_ab
from qfdesk.engine.backtest_stats import LOSS, WIN, stat_rows
from qfdesk.engine.events import Direction
from qfdesk.engine.history_loader import LoadedHistory, load_history
from qfdesk.engine.payout_history import describe_payouts, payouts_in
from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.sandboxed_backtest import BacktestBudget, Killed, WorkerPool, strategies_for
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import StrategyError, StrategyRegistry
from qfdesk.engine.strategies.base import CALL
from qfdesk.engine.strategies.params import param_items, parse_params
from qfdesk.engine.timeframes import timeframe_label
from qfdesk.ui.autotrade_panel import with_fixed_stake
from qfdesk.ui.chart import ChartWidget, TradeMarker, TradeResult
from qfdesk.ui.sweep_panel import SweepInput, SweepJob, SweepPanel

log = logging.getLogger(__name__)

_RESULTS = {WIN: TradeResult.WON, LOSS: TradeResult.LOST}


def trade_markers(result: BacktestResult) -> list[TradeMarker]:
    trades = result.trades
    return [
        TradeMarker(
            id=str(i),
            entry_time=float(entry_time),
            entry_price=float(entry_price),
            expiry_time=float(exit_time),
            direction=Direction.CALL if direction == CALL else Direction.PUT,
            result=_RESULTS.get(outcome, TradeResult.REFUND),
        )
        for i, (entry_time, entry_price, exit_time, direction, outcome) in enumerate(
            zip(
                trades.entry_time.tolist(),
                trades.entry_price.tolist(),
                trades.exit_time.tolist(),
                trades.direction.tolist(),
                trades.outcome.tolist(),
            )
        )
    ]


class JobCancelled(Exception):
    """Raised in the worker at its next progress report once the job is cancelled."""


class Job(QtCore.QThread):
    """``work(progress)`` on its own thread; ``done(result)`` or ``failed(text)`` after.

    A job belongs to the application, not to the dialog that started it: closing the dialog
    cancels it (it stops at its next progress report, emitting neither signal; the worker
    processes of its ``pool`` are killed at once) and never waits for it; the job deletes
    itself when it ends. Only :func:`stop_jobs`, at quit, waits.
    """

    progressed = QtCore.Signal(int)  # percent
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(
        self, work: Callable[[Callable[[float], None]], Any], pool: WorkerPool | None = None
    ) -> None:
        super().__init__(QtCore.QCoreApplication.instance())
        self._work = work
        self._pool = pool
        self._cancelled = threading.Event()
        self.finished.connect(self.deleteLater)

    def cancel(self) -> None:
        self._cancelled.set()
        if self._pool is not None:
            self._pool.kill()

    def _report(self, share: float) -> None:
        if self._cancelled.is_set():
            raise JobCancelled
        self.progressed.emit(int(share * 100))

    def run(self) -> None:
        try:
            result = self._work(self._report)
        except (JobCancelled, Killed):
            return
        except (BacktestError, StrategyError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:
            log.exception("backtest job failed")
            self.failed.emit(f"unexpected error: {type(exc).__name__}: {exc}")
            return
        finally:
            if self._pool is not None:
                self._pool.close()
        if self._cancelled.is_set():
            return
        self.done.emit(result)


def stop_jobs() -> None:
    """Cancel the jobs still running and wait for them to end: at quit, once the windows are
    gone (Qt aborts if a running thread is destroyed with the application)."""
    app = QtCore.QCoreApplication.instance()
    if app is None:
        return
    jobs: list[Job | SweepJob] = [*app.findChildren(Job), *app.findChildren(SweepJob)]
    for job in jobs:
        job.cancel()
        job.wait()


@dataclass(frozen=True, slots=True)
class Side:
    """One strategy to test: name and parameter overrides."""

    strategy: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class RunRequest:
    series: CandleSeries
    asset: str
    timeframe: int
    sides: tuple[Side, ...]
    expiry: int
    payout: float
    stake: float
    risk: RiskLimits | None
    data_root: Path | None = None
    """The folder the candles came from; its payout history (if any) pays the trades."""


def run_request(
    registry: StrategyRegistry,
    request: RunRequest,
    progress: Callable[[float], None],
    pool: WorkerPool,
) -> ABRun:
    """Every side of ``request`` on the same candles (worker thread), paid from the data
    folder's payout history when it has one; a trader's own strategies in a worker process
    of ``pool``."""
    progress(0.0)
    choices = [(side.strategy, {**side.params, "expiry": request.expiry}) for side in request.sides]
    strategies = strategies_for(registry, pool, request.series, choices)
    payouts = None
    if request.data_root is not None:
        payouts, problems = payouts_in(request.data_root, request.asset)
        for problem in problems[:20]:
            log.info("payout history: %s:%d: %s", problem.file, problem.line, problem.reason)
    return run_ab(
        request.series,
        request.timeframe,
        strategies,
        payout=request.payout,
        stake=request.stake,
        asset=request.asset,
        limits=request.risk,
        progress=progress,
        payouts=payouts,
    )


def payout_used(request: RunRequest, result: BacktestResult) -> str:
    """The label's text: which payout the trades were paid."""
    data = request.data_root if request.data_root is not None else Path("the loaded data")
    words = describe_payouts(result.payouts, request.asset, request.payout, data)
    closed = (
        f"; {result.closed} signals while the asset was closed: no trade" if result.closed else ""
    )
    return f"{words[0].upper()}{words[1:]}{closed}."


class ResultView(QtWidgets.QWidget):
    """One side's statistics, equity curve and trades on a chart of the candles."""

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QtWidgets.QLabel(title, self)
        self.title.setStyleSheet("font-weight: bold;")
        self.stats = QtWidgets.QTableWidget(0, 2, self)
        self.stats.setHorizontalHeaderLabels(["", "value"])
        self.stats.verticalHeader().hide()
        self.stats.horizontalHeader().setStretchLastSection(True)
        self.stats.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.equity = pg.PlotWidget(self)
        self.equity.setMinimumHeight(120)
        self.equity.showGrid(x=True, y=True, alpha=0.2)
        self.equity.setLabel("left", "balance")
        self.equity.setLabel("bottom", "trade")
        self.curve = self.equity.plot([], [], pen=pg.mkPen("#2962ff", width=2))
        self.chart = ChartWidget(self)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.stats, 2)
        top.addWidget(self.equity, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(top, 2)
        layout.addWidget(self.chart, 3)

    def show_result(self, result: BacktestResult, series: CandleSeries) -> None:
        params = " ".join(f"{k}={v:g}" for k, v in result.params.items())
        self.title.setText(f"{result.strategy} ({params})")
        rows = stat_rows(result.stats)
        self.stats.setRowCount(len(rows))
        for row, (label, text) in enumerate(rows):
            self.stats.setItem(row, 0, QtWidgets.QTableWidgetItem(label))
            self.stats.setItem(row, 1, QtWidgets.QTableWidgetItem(text))
        equity = np.concatenate(([result.config.start_balance], result.equity))
        self.curve.setData(np.arange(equity.shape[0]), equity)
        self.chart.set_series(series, len(series))
        self.chart.set_trade_markers(trade_markers(result))

    def _cell(self, row: int, column: int) -> str:
        item = self.stats.item(row, column)
        return "" if item is None else item.text()

    def shown_stats(self) -> dict[str, str]:
        return {self._cell(row, 0): self._cell(row, 1) for row in range(self.stats.rowCount())}


class BacktestDialog(QtWidgets.QDialog):
    def __init__(
        self,
        registry: StrategyRegistry,
        data_path: Path,
        *,
        base_limits: RiskLimits | None = None,
        budget: BacktestBudget | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        """``budget``: the time a trader's own strategy may take in its worker process."""
        super().__init__(parent)
        self.setWindowTitle("Backtest")
        self.setObjectName("backtestDialog")
        self.registry = registry
        self.base_limits = base_limits or RiskLimits()
        self._budget = budget or BacktestBudget()
        self.loaded: LoadedHistory | None = None
        self.loaded_path: Path | None = None
        self.results: list[BacktestResult] = []
        self.job: Job | None = None
        self._on_done: Callable[[Any], None] = lambda _: None

        self.path = QtWidgets.QLineEdit(str(data_path), self)
        pick_file = QtWidgets.QPushButton("File\u2026", self)
        pick_folder = QtWidgets.QPushButton("Folder\u2026", self)
        self.load_button = QtWidgets.QPushButton("Load", self)
        pick_file.clicked.connect(self._pick_file)
        pick_folder.clicked.connect(self._pick_folder)
        self.load_button.clicked.connect(self.load)
        self.asset = QtWidgets.QComboBox(self)
        self.asset.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.timeframe = QtWidgets.QComboBox(self)
        self.timeframe.currentIndexChanged.connect(self._fill_assets)
        names = registry.names()
        self.strategy_a = QtWidgets.QComboBox(self)
        self.strategy_a.addItems(names)
        self.params_a = QtWidgets.QLineEdit(self)
        self.params_a.setPlaceholderText("name=value ... (defaults if empty)")
        self.compare = QtWidgets.QCheckBox("Compare with B (A/B)", self)
        self.strategy_b = QtWidgets.QComboBox(self)
        self.strategy_b.addItems(names)
        self.params_b = QtWidgets.QLineEdit(self)
        self.params_b.setPlaceholderText("name=value ... (defaults if empty)")
        self.expiry = QtWidgets.QSpinBox(self)
        self.expiry.setRange(1, 86400)
        self.expiry.setValue(60)
        self.expiry.setSuffix(" s")
        self.payout = QtWidgets.QDoubleSpinBox(self)
        self.payout.setRange(1, 1000)
        self.payout.setValue(92)
        self.payout.setSuffix(" %")
        self.stake = QtWidgets.QDoubleSpinBox(self)
        self.stake.setRange(0.01, 1e6)
        self.stake.setValue(1)
        self.use_risk = QtWidgets.QCheckBox("Through the risk limits", self)
        self.run_button = QtWidgets.QPushButton("Run", self)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QtWidgets.QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel("Load the data, then run.", self)
        self.status.setWordWrap(True)
        self.payout_used = QtWidgets.QLabel("", self)
        self.payout_used.setObjectName("payoutUsed")
        self.payout_used.setWordWrap(True)
        self.verdict = QtWidgets.QLabel("", self)
        self.verdict.setObjectName("abVerdict")
        self.verdict.setStyleSheet("font-weight: bold;")
        self.view_a = ResultView("A", self)
        self.view_b = ResultView("B", self)
        self.view_b.hide()

        data = QtWidgets.QHBoxLayout()
        data.addWidget(QtWidgets.QLabel("Data"))
        data.addWidget(self.path, 1)
        for widget in (pick_file, pick_folder, self.load_button):
            data.addWidget(widget)
        form = QtWidgets.QGridLayout()
        form.addWidget(QtWidgets.QLabel("Asset"), 0, 0)
        form.addWidget(self.asset, 0, 1)
        form.addWidget(QtWidgets.QLabel("Timeframe"), 0, 2)
        form.addWidget(self.timeframe, 0, 3)
        form.addWidget(QtWidgets.QLabel("Expiry"), 0, 4)
        form.addWidget(self.expiry, 0, 5)
        form.addWidget(QtWidgets.QLabel("Payout"), 0, 6)
        form.addWidget(self.payout, 0, 7)
        form.addWidget(QtWidgets.QLabel("Stake"), 0, 8)
        form.addWidget(self.stake, 0, 9)
        sides_form = QtWidgets.QGridLayout()
        sides_form.addWidget(QtWidgets.QLabel("A"), 0, 0)
        sides_form.addWidget(self.strategy_a, 0, 1)
        sides_form.addWidget(self.params_a, 0, 2, 1, 4)
        sides_form.addWidget(self.use_risk, 0, 6, 1, 2)
        sides_form.addWidget(self.compare, 1, 0, 1, 1)
        sides_form.addWidget(self.strategy_b, 1, 1)
        sides_form.addWidget(self.params_b, 1, 2, 1, 4)
        sides_form.addWidget(self.run_button, 1, 8, 1, 1)
        sides_form.addWidget(self.cancel_button, 1, 9, 1, 1)
        sides = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        sides.addWidget(self.view_a)
        sides.addWidget(self.view_b)
        backtest = QtWidgets.QWidget(self)
        backtest_layout = QtWidgets.QVBoxLayout(backtest)
        backtest_layout.addLayout(sides_form)
        backtest_layout.addWidget(self.payout_used)
        backtest_layout.addWidget(self.verdict)
        backtest_layout.addWidget(sides, 1)
        self.sweep = SweepPanel(registry, self.sweep_input, self, self._budget)
        self.tabs = QtWidgets.QTabWidget(self)
        self.tabs.addTab(backtest, "Backtest")
        self.tabs.addTab(self.sweep, "Sweep")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(data)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.resize(1400, 900)
        self._set_ready(True)

    @property
    def budget(self) -> BacktestBudget:
        """The time a trader's own strategy may take in its worker process (both tabs)."""
        return self._budget

    @budget.setter
    def budget(self, budget: BacktestBudget) -> None:
        self._budget = self.sweep.budget = budget

    # ----- data -------------------------------------------------------------------------------

    def _pick_file(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Candle CSV", self.path.text(), "CSV files (*.csv)"
        )
        if path:
            self.path.setText(path)
            self.load()

    def _pick_folder(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Candle folder", self.path.text())
        if path:
            self.path.setText(path)
            self.load()

    def load(self) -> None:
        """Read the CSVs under the path (worker thread); fills the asset and timeframe lists."""
        path = Path(self.path.text().strip()).expanduser()
        if not path.exists():
            self.status.setText(f"{path} does not exist; choose a candle CSV file or a folder.")
            return

        def work(progress: Callable[[float], None]) -> LoadedHistory:
            progress(0.0)
            loaded = load_history(path)
            progress(1.0)
            return loaded

        self.status.setText(f"Loading {path}\u2026")
        self._start(work, lambda loaded: self._loaded(path, cast(LoadedHistory, loaded)))

    def _loaded(self, path: Path, loaded: LoadedHistory) -> None:
        self.loaded, self.loaded_path = loaded, path
        timeframes = sorted({tf for (_, tf), s in loaded.series.items() if len(s)})
        self.timeframe.blockSignals(True)
        self.timeframe.clear()
        for seconds in timeframes:
            self.timeframe.addItem(timeframe_label(seconds), seconds)
        self.timeframe.blockSignals(False)
        self._fill_assets()
        skipped = f"; {len(loaded.problems)} rows skipped (see the log)" if loaded.problems else ""
        for problem in loaded.problems[:20]:
            log.info("backtest data: %s:%d: %s", problem.file, problem.line, problem.reason)
        count = sum(1 for s in loaded.series.values() if len(s))
        self.status.setText(f"{loaded.files} files, {count} candle series{skipped}.")
        if not count:
            self.status.setText(f"No candles found under {path}; choose another file or folder.")

    def _fill_assets(self) -> None:
        current = self.asset.currentText()
        self.asset.clear()
        if self.loaded is None or self.timeframe.currentData() is None:
            return
        timeframe = int(self.timeframe.currentData())
        assets = sorted(
            a for (a, tf), s in self.loaded.series.items() if tf == timeframe and len(s)
        )
        for asset in assets:
            count = len(self.loaded.series[(asset, timeframe)])
            self.asset.addItem(f"{asset} ({count} candles)", asset)
        index = self.asset.findData(current.split(" ")[0]) if current else -1
        self.asset.setCurrentIndex(max(index, 0))

    def choose(self, asset: str, timeframe: int) -> None:
        self.timeframe.setCurrentIndex(max(self.timeframe.findData(timeframe), 0))
        self.asset.setCurrentIndex(max(self.asset.findData(asset), 0))

    # ----- running ------------------------------------------------------------------------------

    def request(self) -> RunRequest:
        """What the widgets ask for; StrategyError or ValueError saying what is missing."""
        if self.loaded is None or self.asset.currentData() is None:
            raise ValueError("load data with candles first")
        asset, timeframe = str(self.asset.currentData()), int(self.timeframe.currentData())
        sides = [
            Side(self.strategy_a.currentText(), parse_params(param_items(self.params_a.text())))
        ]
        if self.compare.isChecked():
            sides.append(
                Side(self.strategy_b.currentText(), parse_params(param_items(self.params_b.text())))
            )
        stake = self.stake.value()
        risk = with_fixed_stake(self.base_limits, stake) if self.use_risk.isChecked() else None
        return RunRequest(
            self.loaded.series[(asset, timeframe)],
            asset,
            timeframe,
            tuple(sides),
            self.expiry.value(),
            self.payout.value(),
            stake,
            risk,
            self.loaded_path,
        )

    def sweep_input(self) -> SweepInput:
        """The Sweep tab's candles and trade terms; ValueError if no data is loaded."""
        if self.loaded is None or self.asset.currentData() is None:
            raise ValueError("load data with candles first")
        asset, timeframe = str(self.asset.currentData()), int(self.timeframe.currentData())
        return SweepInput(
            self.loaded.series[(asset, timeframe)],
            asset,
            timeframe,
            self.expiry.value(),
            self.payout.value(),
            self.stake.value(),
            self.loaded_path,
        )

    def run(self) -> None:
        try:
            request = self.request()
            for side in request.sides:  # parameters checked here, before the thread
                self.registry.check(side.strategy, {**side.params, "expiry": request.expiry})
        except (StrategyError, ValueError) as exc:
            self.status.setText(f"Cannot run: {exc}")
            return
        self.status.setText(
            f"Running on {request.asset} {timeframe_label(request.timeframe)}, "
            f"{len(request.series)} candles\u2026"
        )
        pool = WorkerPool(self._budget)
        self._start(
            lambda progress: run_request(self.registry, request, progress, pool),
            lambda run: self._show(request, cast(ABRun, run)),
            pool,
        )

    def cancel(self) -> None:
        """Stop the running job at once (a trader's strategy's worker process is killed)."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelled; nothing was kept.")

    def _start(
        self,
        work: Callable[[Callable[[float], None]], Any],
        done: Callable[[Any], None],
        pool: WorkerPool | None = None,
    ) -> None:
        self._set_ready(False)
        self.progress.setValue(0)
        job = Job(work, pool)
        # Slots of the dialog, so Qt drops the connections when the dialog is deleted.
        job.progressed.connect(self.progress.setValue)
        job.done.connect(self._job_done)
        job.failed.connect(self._job_failed)
        job.finished.connect(self._job_finished)
        self._on_done = done
        self.job = job
        job.start()

    @QtCore.Slot(object)
    def _job_done(self, result: Any) -> None:
        self._on_done(result)

    @QtCore.Slot(str)
    def _job_failed(self, text: str) -> None:
        self.status.setText(f"Failed: {text}")

    @QtCore.Slot()
    def _job_finished(self) -> None:
        self._set_ready(True)

    def _set_ready(self, ready: bool) -> None:
        self.run_button.setEnabled(ready)
        self.load_button.setEnabled(ready)
        self.cancel_button.setEnabled(not ready)
        if ready:
            self.job = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def _show(self, request: RunRequest, run: ABRun) -> None:
        results = self.results = list(run.results)
        self.progress.setValue(100)
        self.view_a.show_result(results[0], request.series)
        self.payout_used.setText(payout_used(request, results[0]))
        self.view_b.setVisible(run.comparison is not None)
        if run.comparison is not None:
            self.view_b.show_result(results[1], request.series)
            self.verdict.setText(f"A/B: {run.comparison.describe()}")
        else:
            self.verdict.setText("")
        self.status.setText(
            f"Done: {request.asset} {timeframe_label(request.timeframe)}, "
            f"{len(request.series)} candles, expiry {request.expiry} s, payout "
            + (
                "from the recorded history"
                if results[0].payouts is not None
                else f"{request.payout:g} %"
            )
            + f", stake {request.stake:g}"
            + (", through the risk limits" if request.risk is not None else "")
        )

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Cancel a running job and close at once: the job ends on its own thread."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopped: the dialog was closed.")
        self.sweep.stop()
        super().closeEvent(event)


def open_backtest(
    registry: StrategyRegistry,
    data_root: Path,
    limits: RiskLimits,
    parent: QtWidgets.QWidget,
) -> BacktestDialog:
    """The dialog over ``parent``: the data folder's CSVs, the strategies, the risk limits."""
    dialog = BacktestDialog(registry, Path(data_root), base_limits=limits, parent=parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.load()
    return dialog
