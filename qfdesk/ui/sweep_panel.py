"""The backtest dialog's Sweep tab: a parameter grid judged out of sample, in the window.

The sweep runs on a worker thread (:class:`SweepJob`) with local worker processes; Cancel
and closing the dialog stop it at once (the workers are terminated) and the window never
waits for it. A trader's own strategy is swept in strategy worker processes
(:class:`SandboxedSweep`): its grid is made there and each combination's signals come back
as checked numbers, so none of its code runs in the app's process. The answer shows as the verdict in words, a heatmap of each combination's
out-of-sample win rate over two parameters (break-even is the neutral grey, better is
green, worse is red) and the walk-forward equity curve against a flat line. Export writes
the JSON report and both figures as PNG.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from qfdesk.engine.backtest import BacktestConfig, BacktestError
from qfdesk.engine.payout_history import PayoutSchedule, payout_source, payouts_in
from qfdesk.engine.research.grid import Grid, GridError, build_grid
from qfdesk.engine.research.report import SweepReport, analyse
from qfdesk.engine.research.runner import Cancel, SweepCancelled, SweepTask, run_local
from qfdesk.engine.research.scan import Scan, scan_of
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.trades import Columns
from qfdesk.engine.sandboxed_backtest import BacktestBudget, Killed, SandboxedSweep, WorkerPool
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import StrategyError, StrategyRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepInput:
    """What the dialog has loaded and set: the candles and the trade terms. ``data_root``:
    the folder they came from, whose recorded payout history (if any) gives each trade's
    payout; ``payout`` is the one before its first record, or for every trade without one."""

    series: CandleSeries
    asset: str
    timeframe: int
    expiry: int
    payout: float
    stake: float
    data_root: Path | None = None


@dataclass(frozen=True, slots=True)
class SweepRequest:
    source: SweepInput
    strategy: str
    grid: tuple[str, ...]
    settings: SweepSettings
    workers: int
    budget: BacktestBudget = field(default_factory=BacktestBudget)


class SweepJob(QtCore.QThread):
    """One sweep on its own thread: ``progressed(done, total)``, then ``done(report)``,
    ``failed(text)`` or ``cancelled()``. It belongs to the application, not to the panel, so
    closing the dialog never waits for it; it deletes itself when it ends."""

    progressed = QtCore.Signal(int, int)
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    cancelled = QtCore.Signal()

    def __init__(self, request: SweepRequest, registry: StrategyRegistry) -> None:
        super().__init__(QtCore.QCoreApplication.instance())
        self.request = request
        self.registry = registry
        self._cancel = Cancel()
        self.pool = WorkerPool(request.budget)
        self.finished.connect(self.deleteLater)

    def cancel(self) -> None:
        """Stop at once, from any thread: the worker processes are ended."""
        self._cancel()
        self.pool.kill()

    def _grid(self) -> Grid:
        request = self.request
        fixed = {"expiry": request.source.expiry}
        return build_grid(
            lambda params: self.registry.create(request.strategy, params), request.grid, fixed
        )

    def _trusted(self, config: BacktestConfig, payouts: PayoutSchedule | None) -> tuple[Grid, Scan]:
        """A built-in strategy (or a preset of one): its grid made here, the combinations
        run on local worker processes, which make it from its class's name."""
        request, source = self.request, self.request.source
        grid = self._grid()
        base, _, _ = self.registry.origin(request.strategy)
        task = SweepTask(Columns.of(source.series), source.timeframe, base, None, config, payouts)
        progress = self.progressed.emit
        scan = run_local(
            task, request.settings, grid.combinations, request.workers, progress, self._cancel
        )
        return grid, scan

    def _sandboxed(
        self, config: BacktestConfig, payouts: PayoutSchedule | None
    ) -> tuple[Grid, Scan]:
        """A trader's own strategy: everything of it in strategy worker processes."""
        request, source = self.request, self.request.source
        sweep = SandboxedSweep(self.registry, request.strategy, source.series, config, payouts)
        try:
            grid = sweep.grid(self.pool, request.grid, {"expiry": source.expiry})
            combos = sweep.run(self.pool, grid.combinations, request.workers, self.progressed.emit)
        finally:
            self.pool.close()
        return grid, scan_of(combos, len(source.series), request.settings)

    def _payouts(self) -> PayoutSchedule | None:
        root = self.request.source.data_root
        if root is None:
            return None
        schedule, problems = payouts_in(root, self.request.source.asset)
        for problem in problems[:20]:
            log.info("payout history: %s:%d: %s", problem.file, problem.line, problem.reason)
        return schedule

    def run(self) -> None:
        request = self.request
        try:
            source = request.source
            payouts = self._payouts()
            config = BacktestConfig(source.expiry, source.payout, source.stake)
            trusted = self.registry.origin(request.strategy)[2] is None
            run = self._trusted if trusted else self._sandboxed
            grid, scan = run(config, payouts)
            report = analyse(
                scan,
                grid,
                len(source.series),
                request.settings,
                payout_source(payouts),
            )
        except (SweepCancelled, Killed):
            self.cancelled.emit()
            return
        except (GridError, BacktestError, StrategyError, ValueError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:
            log.exception("sweep failed")
            self.failed.emit(f"unexpected error: {type(exc).__name__}: {exc}")
            return
        self.done.emit(report)


def eta_text(done: int, total: int, elapsed: float) -> str:
    if done <= 0 or done >= total:
        return ""
    left = elapsed / done * (total - done)
    return f"about {left:.0f} s left" if left < 120 else f"about {left / 60:.0f} min left"


def heat_grid(report: SweepReport, x: str, y: str) -> tuple[list[float], list[float], np.ndarray]:
    """(x values, y values, win rate per cell) over two parameters; where more parameters
    vary, a cell shows the best win rate among them. NaN where no trade was decided."""
    rows = report.per_combination
    xs = sorted({row["params"][x] for row in rows})
    ys = sorted({row["params"][y] for row in rows})
    cells = np.full((len(xs), len(ys)), np.nan)
    for row in rows:
        rate = row["win_rate"]
        if rate is None:
            continue
        i, j = xs.index(row["params"][x]), ys.index(row["params"][y])
        cells[i, j] = rate if np.isnan(cells[i, j]) else max(cells[i, j], rate)
    return xs, ys, cells


def _colour_map() -> pg.ColorMap:
    return pg.ColorMap([0.0, 0.5, 1.0], [(200, 40, 40), (128, 128, 128), (40, 180, 70)])


class SweepPanel(QtWidgets.QWidget):
    """``source()`` gives the dialog's loaded candles and trade terms (ValueError if none)."""

    def __init__(
        self,
        registry: StrategyRegistry,
        source: Callable[[], SweepInput],
        parent: QtWidgets.QWidget | None = None,
        budget: BacktestBudget | None = None,
    ) -> None:
        """``budget``: the time a trader's own strategy may take in a worker process."""
        super().__init__(parent)
        self.setObjectName("sweepPanel")
        self.registry = registry
        self.source = source
        self.budget = budget or BacktestBudget()
        self.job: SweepJob | None = None
        self.report: SweepReport | None = None
        self._started = 0.0
        self.heat_cells = np.empty((0, 0))

        self.strategy = QtWidgets.QComboBox(self)
        self.strategy.addItems(registry.names())
        self.strategy.currentTextChanged.connect(self._fill_grid)
        self.grid = QtWidgets.QTableWidget(0, 3, self)
        self.grid.setHorizontalHeaderLabels(
            ["parameter", "default", "values (3..12, 15..60:5, 3,5,8)"]
        )
        self.grid.horizontalHeader().setStretchLastSection(True)
        self.grid.verticalHeader().hide()
        self.folds = QtWidgets.QSpinBox(self)
        self.folds.setRange(1, 20)
        self.folds.setValue(5)
        self.blocks = QtWidgets.QSpinBox(self)
        self.blocks.setRange(2, 24)
        self.blocks.setSingleStep(2)
        self.blocks.setValue(16)
        self.workers = QtWidgets.QSpinBox(self)
        self.workers.setRange(1, max(1, os.cpu_count() or 1))
        self.workers.setValue(self.workers.maximum())
        self.run_button = QtWidgets.QPushButton("Sweep", self)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QtWidgets.QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QtWidgets.QPushButton("Export report\u2026", self)
        self.export_button.clicked.connect(self._pick_export)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel("Load the data, choose the values to try, then Sweep.", self)
        self.status.setWordWrap(True)
        self.verdict = QtWidgets.QLabel("", self)
        self.verdict.setObjectName("sweepVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-weight: bold;")
        self.heat_x = QtWidgets.QComboBox(self)
        self.heat_y = QtWidgets.QComboBox(self)
        self.heat_x.currentTextChanged.connect(self._draw_heatmap)
        self.heat_y.currentTextChanged.connect(self._draw_heatmap)
        self.heatmap = pg.PlotWidget(self, title="out-of-sample win rate")
        self.heat_image = pg.ImageItem()
        self.heatmap.addItem(self.heat_image)
        self.equity = pg.PlotWidget(self, title="walk-forward equity (out of sample)")
        self.equity_curve = self.equity.plot([], [], pen=pg.mkPen((80, 170, 255), width=2))
        self.equity.addItem(
            pg.InfiniteLine(
                0, angle=0, pen=pg.mkPen((150, 150, 150), style=QtCore.Qt.PenStyle.DashLine)
            )
        )

        settings = QtWidgets.QHBoxLayout()
        for label, widget in (
            ("Strategy", self.strategy),
            ("Folds", self.folds),
            ("PBO blocks", self.blocks),
            ("Workers", self.workers),
        ):
            settings.addWidget(QtWidgets.QLabel(label))
            settings.addWidget(widget)
        settings.addStretch(1)
        for button in (self.run_button, self.cancel_button, self.export_button):
            settings.addWidget(button)
        axes = QtWidgets.QHBoxLayout()
        axes.addWidget(QtWidgets.QLabel("Heatmap over"))
        axes.addWidget(self.heat_x)
        axes.addWidget(QtWidgets.QLabel("and"))
        axes.addWidget(self.heat_y)
        axes.addStretch(1)
        figures = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        figures.addWidget(self.heatmap)
        figures.addWidget(self.equity)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(settings)
        layout.addWidget(self.grid)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.verdict)
        layout.addLayout(axes)
        layout.addWidget(figures, 1)
        self._fill_grid(self.strategy.currentText())
        self._set_running(False)

    # ----- the grid ---------------------------------------------------------------------------

    def _fill_grid(self, name: str) -> None:
        try:
            declared = dict(self.registry.info(name).params)
        except StrategyError as exc:
            self.status.setText(f"Cannot sweep {name}: {exc}")
            declared = {}
        self.grid.setRowCount(0)
        for key, param in declared.items():
            if key == "expiry":
                continue  # set once for the sweep, beside the payout
            row = self.grid.rowCount()
            self.grid.insertRow(row)
            for column, text in enumerate((key, f"{param.default:g}", "")):
                item = QtWidgets.QTableWidgetItem(text)
                if column < 2:
                    item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
                self.grid.setItem(row, column, item)

    def _cell(self, row: int, column: int) -> QtWidgets.QTableWidgetItem:
        """A cell of the grid: every one has an item, the rows are filled whole."""
        return cast(QtWidgets.QTableWidgetItem, self.grid.item(row, column))

    def set_values(self, name: str, spec: str) -> None:
        for row in range(self.grid.rowCount()):
            if self._cell(row, 0).text() == name:
                self._cell(row, 2).setText(spec)
                return
        raise KeyError(name)

    def grid_items(self) -> tuple[str, ...]:
        """``name=SPEC`` for every parameter given values (the others keep their default)."""
        items = []
        for row in range(self.grid.rowCount()):
            spec = self._cell(row, 2).text().strip()
            if spec:
                items.append(f"{self._cell(row, 0).text()}={spec}")
        return tuple(items)

    # ----- running ----------------------------------------------------------------------------

    def request(self) -> SweepRequest:
        items = self.grid_items()
        if not items:
            raise ValueError("give values to try for at least one parameter")
        source = self.source()
        settings = SweepSettings(source.payout, self.folds.value(), self.blocks.value())
        settings.check(len(source.series))
        return SweepRequest(
            source,
            self.strategy.currentText(),
            items,
            settings,
            self.workers.value(),
            self.budget,
        )

    def run(self) -> None:
        if self.job is not None:
            return
        try:
            request = self.request()
        except ValueError as exc:
            self.status.setText(f"Cannot sweep: {exc}")
            return
        job = SweepJob(request, self.registry)
        # Slots of the panel, so Qt drops the connections when the panel is deleted.
        job.progressed.connect(self._progressed)
        job.done.connect(self._show)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        job.finished.connect(self._finished)
        self.job = job
        self.report = None
        self._started = time.monotonic()
        self.progress.setValue(0)
        self.status.setText(
            f"Sweeping {request.strategy} on {request.source.asset}, "
            f"{len(request.source.series)} candles\u2026"
        )
        self._set_running(True)
        job.start()

    def cancel(self) -> None:
        """Stop the running sweep at once (its worker processes are terminated)."""
        if self.job is not None:
            self.job.cancel()

    @QtCore.Slot(str)
    def _failed(self, text: str) -> None:
        self.status.setText(f"Sweep failed: {text}")

    @QtCore.Slot()
    def _cancelled(self) -> None:
        self.status.setText("Sweep cancelled; nothing was kept.")

    @QtCore.Slot()
    def _finished(self) -> None:
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.export_button.setEnabled(not running and self.report is not None)
        if not running:
            self.job = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    @QtCore.Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self.progress.setValue(int(done * 100 / max(1, total)))
        eta = eta_text(done, total, time.monotonic() - self._started)
        self.status.setText(
            f"Backtested {done} of {total} combinations" + (f"; {eta}" if eta else "")
        )

    # ----- the answer -------------------------------------------------------------------------

    @QtCore.Slot(object)
    def _show(self, report: SweepReport) -> None:
        self.report = report
        self.progress.setValue(100)
        self.verdict.setText(report.describe())
        self.status.setText(
            f"{report.combinations} combinations tried, {report.skipped} invalid skipped."
        )
        varied = [
            name
            for name in report.best_in_sample["params"]
            if len({row["params"][name] for row in report.per_combination}) > 1
        ]
        for box, pick in ((self.heat_x, 0), (self.heat_y, 1)):
            box.blockSignals(True)
            box.clear()
            box.addItems(varied)
            box.setCurrentIndex(min(pick, len(varied) - 1))
            box.blockSignals(False)
        self._draw_heatmap()
        profit = np.cumsum(report.out_of_sample_profit)
        self.equity_curve.setData(np.arange(1, profit.size + 1), profit)

    def _draw_heatmap(self) -> None:
        report = self.report
        x, y = self.heat_x.currentText(), self.heat_y.currentText() or self.heat_x.currentText()
        if report is None or not x:
            self.heat_image.clear()
            return
        xs, ys, cells = heat_grid(report, x, y)
        self.heat_cells = cells
        be = report.break_even_win_rate
        spread = float(np.nanmax(np.abs(cells - be))) if np.isfinite(cells).any() else 0.01
        spread = max(spread, 0.005)
        lut = _colour_map().getLookupTable(nPts=256)
        self.heat_image.setImage(
            np.nan_to_num(cells, nan=be), levels=(be - spread, be + spread), lut=lut
        )
        self.heatmap.setLabel("bottom", x)
        self.heatmap.setLabel("left", y)
        bottom, left = self.heatmap.getAxis("bottom"), self.heatmap.getAxis("left")
        bottom.setTicks([[(i + 0.5, f"{v:g}") for i, v in enumerate(xs)]])
        left.setTicks([[(j + 0.5, f"{v:g}") for j, v in enumerate(ys)]])

    def _pick_export(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export the sweep report to")
        if folder:
            self.export(Path(folder))

    def export(self, folder: Path) -> list[Path]:
        """The JSON report and the two figures as PNG, in ``folder``."""
        if self.report is None:
            raise ValueError("no sweep result to export yet")
        folder.mkdir(parents=True, exist_ok=True)
        report_path = folder / "sweep.json"
        report_path.write_text(
            json.dumps(self.report.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        written = [report_path]
        for name, widget in (("heatmap", self.heatmap), ("equity", self.equity)):
            path = folder / f"sweep-{name}.png"
            if not widget.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            written.append(path)
        self.status.setText(f"Exported {', '.join(p.name for p in written)} to {folder}.")
        return written

    def stop(self) -> None:
        """The dialog closes: cancel the work; the job ends by itself, the window never waits."""
        self.cancel()
