"""A trader's own strategy file in the backtest dialog (real widgets, real worker processes,
real files): none of its code runs in the app's process; one that hangs is stopped by Cancel,
by closing the dialog or by its time budget while the window keeps answering; one that
raises is explained in words; and its figures are the command line's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from desk_helpers import Heartbeat, wait_until

from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.sandboxed_backtest import BacktestBudget
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.ui.backtest_dialog import BacktestDialog

pytestmark = pytest.mark.gui

ASSET, TF = "ZARUSD_otc", 60
ROOT = Path(__file__).resolve().parents[2]

USER_FILE = """
import os
from pathlib import Path

from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote

HERE = Path(__file__).parent
with open(HERE / "imported-by", "a") as marker:
    marker.write(f"{os.getpid()}\\n")


class Momentum(Strategy):
    name = "momentum"
    description = "CALL when the close is above the close n candles before, PUT below"
    PARAMS = {
        "n": Param(3, "candles back", int, minimum=1),
        "hang_at": Param(0, "spin for ever at this candle (0: never)", int, minimum=0),
        "raise_at": Param(0, "raise at this candle (0: never)", int, minimum=0),
    }

    def reset(self):
        self.closes, self.seen = [], 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen == self.params["hang_at"]:
            (HERE / "spinning").write_text(str(os.getpid()))
            while True:
                pass
        if self.seen == self.params["raise_at"]:
            raise ZeroDivisionError("my bug")
        self.closes = (self.closes + [candle.close])[-(self.params["n"] + 1):]
        if len(self.closes) <= self.params["n"]:
            return None
        if candle.close > self.closes[0]:
            return Vote(Direction.CALL, 0.6, "up")
        if candle.close < self.closes[0]:
            return Vote(Direction.PUT, 0.6, "down")
        return None
"""


@pytest.fixture
def strategies(tmp_path) -> Path:
    """A strategies file naming the trader's own file, as in the config folder."""
    (tmp_path / "mine.py").write_text(USER_FILE)
    path = tmp_path / "strategies.json"
    path.write_text(json.dumps({"files": ["mine.py"]}))
    return path


def app_registry(strategies: Path) -> StrategyRegistry:
    """The registry as the app makes it at its start."""
    registry = StrategyRegistry()
    assert registry.load_config(strategies) == []
    return registry


def importers(folder: Path) -> set[int]:
    path = folder / "imported-by"
    return {int(line) for line in path.read_text().split()} if path.exists() else set()


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def dialog(qtbot, qloop, quflx_csv_dir, strategies):
    dialog = BacktestDialog(app_registry(strategies), quflx_csv_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    assert wait_until(qloop, lambda: dialog.loaded is not None and not dialog.busy, 30)
    dialog.choose(ASSET, TF)
    dialog.expiry.setValue(120)
    dialog.payout.setValue(85)
    dialog.strategy_a.setCurrentText("momentum")
    assert dialog.strategy_a.currentText() == "momentum"
    return dialog


def run_to_end(dialog: BacktestDialog, qloop) -> None:
    dialog.run_button.click()
    assert dialog.busy, dialog.status.text()
    assert wait_until(qloop, lambda: not dialog.busy, 120), dialog.status.text()


def start_spinning(dialog: BacktestDialog, qloop, folder: Path) -> int:
    """Run with the strategy spinning at its 50th candle; the worker's pid once it spins."""
    dialog.params_a.setText("hang_at=50")
    dialog.run_button.click()
    assert dialog.busy, dialog.status.text()
    spinning = folder / "spinning"
    assert wait_until(qloop, spinning.exists, 60), dialog.status.text()
    time.sleep(0.1)  # the pid is written whole
    pid = int(spinning.read_text())
    assert pid != os.getpid() and not gone(pid)
    return pid


def cli(command: str, quflx_csv_dir: Path, strategies: Path, out: Path, *args: str) -> dict:
    """``qfdesk backtest`` or ``qfdesk sweep`` as the trader runs it, in its own process."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "qfdesk", command),
            *("--data", str(quflx_csv_dir), "--asset", ASSET, "--timeframe", "1m"),
            *("--strategy", "momentum", "--expiry", "120", "--payout", "85"),
            *("--strategies", str(strategies), "--json", str(out), *args),
        ],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_a_traders_strategy_gives_in_the_dialog_what_the_command_line_gives(
    dialog, qloop, quflx_csv_dir, strategies, tmp_path
):
    dialog.params_a.setText("n=2")
    run_to_end(dialog, qloop)
    (got,) = dialog.results
    assert dialog.status.text().startswith("Done:"), dialog.status.text()
    line = cli("backtest", quflx_csv_dir, strategies, tmp_path / "cli.json", "--param", "n=2")
    assert got.stats.trades > 50, "a real test needs trades"
    assert got.stats.to_dict() == {k: line[k] for k in got.stats.to_dict()}
    assert got.params == line["params"] == {"expiry": 120, "n": 2, "hang_at": 0, "raise_at": 0}
    assert dialog.view_a.shown_stats()["trades"] == str(line["trades"])
    assert os.getpid() not in importers(tmp_path), "only the test imports it here, below"
    imported = StrategyRegistry(import_files=True)
    imported.load_config(strategies)
    series = load_history(quflx_csv_dir).series[(ASSET, TF)]
    here = run_backtest(
        series,
        TF,
        imported.create("momentum", {"n": 2, "expiry": 120}),
        BacktestConfig(120, 85.0),
        asset=ASSET,
    )
    for name in here.trades.__dataclass_fields__:
        assert getattr(here.trades, name).tolist() == getattr(got.trades, name).tolist(), name


def test_none_of_a_traders_file_runs_in_the_apps_process(dialog, qloop, tmp_path):
    run_to_end(dialog, qloop)
    assert dialog.results, dialog.status.text()
    dialog.compare.setChecked(True)
    dialog.strategy_b.setCurrentText("momentum")
    dialog.params_b.setText("n=5")
    dialog.tabs.setCurrentWidget(dialog.sweep)
    sweep = dialog.sweep
    sweep.strategy.setCurrentText("momentum")
    assert [sweep.grid.item(r, 0).text() for r in range(sweep.grid.rowCount())] == [
        "n",
        "hang_at",
        "raise_at",
    ]
    sweep.set_values("n", "2,3")
    sweep.workers.setValue(1)
    sweep.run()
    assert wait_until(qloop, lambda: not sweep.busy, 120), sweep.status.text()
    assert sweep.report is not None, sweep.status.text()
    seen = importers(tmp_path)
    assert len(seen) >= 3, "described at the start, then run in a worker for each job"
    assert os.getpid() not in seen, "the trader's file was imported in the app's process"


def test_a_sweep_of_a_traders_strategy_in_the_dialog_is_the_command_lines(
    dialog, qloop, quflx_csv_dir, strategies, tmp_path
):
    dialog.tabs.setCurrentWidget(dialog.sweep)
    sweep = dialog.sweep
    sweep.strategy.setCurrentText("momentum")
    sweep.set_values("n", "1..4")
    sweep.folds.setValue(3)
    sweep.blocks.setValue(4)
    sweep.workers.setValue(2)
    sweep.run()
    assert wait_until(qloop, lambda: not sweep.busy, 120), sweep.status.text()
    assert sweep.report is not None, sweep.status.text()
    args = ("--grid", "n=1..4", "--folds", "3", "--pbo-blocks", "4", "--workers", "1")
    line = cli("sweep", quflx_csv_dir, strategies, tmp_path / "sweep.json", *args)
    assert sweep.report.combinations == 4
    assert sweep.report.to_dict() == line
    assert os.getpid() not in importers(tmp_path)


def test_cancel_kills_a_spinning_strategy_at_once_and_the_window_keeps_answering(
    dialog, qloop, tmp_path
):
    dialog.budget = BacktestBudget(run=600.0)
    heart = Heartbeat()
    pid = start_spinning(dialog, qloop, tmp_path)
    before = heart.beats
    assert wait_until(qloop, lambda: heart.beats >= before + 20, 10), "the window answers"
    assert dialog.cancel_button.isEnabled()
    dialog.cancel_button.click()
    assert wait_until(qloop, lambda: gone(pid), 5), "Cancel killed the worker"
    assert wait_until(qloop, lambda: not dialog.busy, 10)
    heart.timer.stop()
    assert dialog.status.text() == "Cancelled; nothing was kept."
    assert dialog.results == [] and dialog.run_button.isEnabled()
    dialog.params_a.setText("")
    run_to_end(dialog, qloop)
    assert dialog.results and dialog.status.text().startswith("Done:"), "it runs again"


def test_closing_the_dialog_kills_a_spinning_strategy_at_once(dialog, qloop, tmp_path):
    dialog.budget = BacktestBudget(run=600.0)
    pid = start_spinning(dialog, qloop, tmp_path)
    dialog.close()
    assert wait_until(qloop, lambda: gone(pid), 5), "closing the dialog killed the worker"
    assert wait_until(qloop, lambda: not dialog.busy, 10)
    assert dialog.status.text() == "Stopped: the dialog was closed." and dialog.results == []


def test_a_strategy_past_its_time_budget_is_stopped_and_named(dialog, qloop, tmp_path):
    dialog.budget = BacktestBudget(run=2.0)
    heart = Heartbeat()
    dialog.params_a.setText("hang_at=50")
    run_to_end(dialog, qloop)
    heart.timer.stop()
    candles = len(dialog.loaded.series[(ASSET, TF)])
    assert dialog.status.text() == (
        f"Failed: strategy momentum took longer than its 2 s time budget on {candles} "
        "candles and was stopped"
    )
    assert heart.beats >= 20, f"the GUI thread was blocked: {heart.beats} beats"
    assert gone(int((tmp_path / "spinning").read_text()))
    assert dialog.results == []


def test_a_strategy_that_raises_is_explained_in_words(dialog, qloop):
    dialog.params_a.setText("raise_at=7")
    run_to_end(dialog, qloop)
    assert dialog.status.text() == "Failed: strategy momentum failed: ZeroDivisionError: my bug"
    dialog.params_a.setText("n=0")
    dialog.run_button.click()
    assert dialog.status.text() == "Cannot run: momentum: n must be >= 1, got '0'"
    assert not dialog.busy


def test_a_sweep_of_a_spinning_strategy_is_cancelled_at_once(dialog, qloop, tmp_path):
    dialog.budget = BacktestBudget(run=600.0)
    dialog.tabs.setCurrentWidget(dialog.sweep)
    sweep = dialog.sweep
    sweep.strategy.setCurrentText("momentum")
    sweep.set_values("n", "2,3")
    sweep.set_values("hang_at", "50")
    sweep.workers.setValue(2)
    heart = Heartbeat()
    sweep.run()
    assert wait_until(qloop, (tmp_path / "spinning").exists, 60), sweep.status.text()
    time.sleep(0.1)
    pid = int((tmp_path / "spinning").read_text())
    before = heart.beats
    assert wait_until(qloop, lambda: heart.beats >= before + 20, 10), "the window answers"
    sweep.cancel()
    assert wait_until(qloop, lambda: gone(pid), 5), "Cancel killed the sweep's workers"
    assert wait_until(qloop, lambda: not sweep.busy, 10)
    heart.timer.stop()
    assert "cancelled" in sweep.status.text() and sweep.report is None


@pytest.mark.parametrize(
    "source, reason, ran",
    [
        ("x = 1\n\n\n1 / 0\n", "ZeroDivisionError at line 5: division by zero", True),
        ("def broken(:\n", "SyntaxError at line 2: invalid syntax", False),
    ],
)
def test_a_file_that_raises_on_import_is_explained_and_never_ran_in_the_app(
    tmp_path, qtbot, quflx_csv_dir, source, reason, ran
):
    bad = tmp_path / "my_strategies.py"
    bad.write_text('open(__file__ + ".pid", "w").write(str(__import__("os").getpid()))\n' + source)
    path = tmp_path / "strategies.json"
    path.write_text(json.dumps({"files": ["my_strategies.py"]}))
    registry = StrategyRegistry()
    (problem,) = registry.load_config(path)
    assert problem.startswith(f"my_strategies.py: {reason}"), problem
    assert f"the strategy file {bad} failed to load" in problem
    written = Path(f"{bad}.pid")
    assert written.exists() == ran, "a syntax error stops the file before its first line"
    if ran:
        assert int(written.read_text()) != os.getpid(), "it ran in a worker process"
    dialog = BacktestDialog(registry, quflx_csv_dir)
    qtbot.addWidget(dialog)
    names = [dialog.strategy_a.itemText(i) for i in range(dialog.strategy_a.count())]
    assert names == StrategyRegistry().names(), "only the built-ins are offered"
