"""Backtests of a trader's strategies in worker processes (engine side, real processes): what
comes back is checked before use, a strategy's bad answers are refused in words, a worker
that dies is named, and a description that is not one is refused."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from qfdesk.engine.backtest import BacktestConfig, BacktestError, run_backtest
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.sandboxed_backtest import (
    BacktestBudget,
    Killed,
    WorkerPool,
    WorkerSignals,
    strategies_for,
)
from qfdesk.engine.strategies import StrategyError, StrategyRegistry
from qfdesk.engine.strategies.crossovers import SmaCross
from qfdesk.engine.strategies.described import info_data, info_from

ASSET, TF = "ZARUSD_otc", 60

USER_FILE = """
import os
from pathlib import Path

import numpy as np

from qfdesk.engine.strategies import Param, SignalArrays, Strategy

HERE = Path(__file__).parent


class Backwards(Strategy):
    name = "backwards"

    def reset(self):
        pass

    def on_candle(self, candle):
        return None

    def signals(self, candles):
        n = len(candles.start)
        index = np.array([n - 1, 0])
        return SignalArrays(index, np.array([1, 1], np.int8), np.array([0.5, 0.5]))


class Wordy(Strategy):
    name = "wordy"

    def reset(self):
        self.params["note"] = "not a number"

    def on_candle(self, candle):
        return None

    def signals(self, candles):
        return SignalArrays(np.array([], np.int64), np.array([], np.int8), np.array([]))


class Slow(Strategy):
    name = "slow"
    PARAMS = {"level": Param(1, "a level", float, minimum=0)}

    def reset(self):
        pass

    def on_candle(self, candle):
        (HERE / "slow.pid").write_text(str(os.getpid()))
        while True:
            pass
"""


@pytest.fixture(scope="module")
def series(quflx_csv_dir):
    return load_history(quflx_csv_dir).series[(ASSET, TF)]


@pytest.fixture
def registry(tmp_path) -> StrategyRegistry:
    (tmp_path / "mine.py").write_text(USER_FILE)
    registry = StrategyRegistry()
    assert registry.load_file(tmp_path / "mine.py") == ["backwards", "wordy", "slow"]
    return registry


def test_a_built_in_strategy_is_made_here_and_needs_no_worker(registry, series):
    pool = WorkerPool()
    (made,) = strategies_for(registry, pool, series, [("sma-cross", {"fast": 3, "slow": 8})])
    assert isinstance(made, SmaCross) and not isinstance(made, WorkerSignals)
    pool.close()


def test_signals_out_of_order_are_refused_by_the_apps_own_checks(registry, series):
    pool = WorkerPool()
    try:
        (found,) = strategies_for(registry, pool, series, [("backwards", {"expiry": 120})])
        assert isinstance(found, WorkerSignals) and found.expiry == 120
        with pytest.raises(BacktestError, match="backwards gave signal indices out of order"):
            run_backtest(series, TF, found, BacktestConfig(120, 85.0))
    finally:
        pool.close()


def test_parameters_that_are_not_numbers_are_refused_in_words(registry, series):
    pool = WorkerPool()
    try:
        with pytest.raises(StrategyError, match="strategy wordy failed: ValueError"):
            strategies_for(registry, pool, series, [("wordy", {})])
    finally:
        pool.close()


def test_a_worker_killed_from_outside_is_named_and_a_killed_pool_is_cancelled(
    registry, series, tmp_path
):
    pool = WorkerPool(BacktestBudget(run=600.0))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            strategies_for(registry, pool, series, [("slow", {})])
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    marker = tmp_path / "slow.pid"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    os.kill(int(marker.read_text()), signal.SIGKILL)
    thread.join(30)
    (error,) = errors
    assert isinstance(error, StrategyError)
    assert "could not run: the strategy worker process ended (exit code -9)" in str(error)

    marker.unlink()
    thread = threading.Thread(target=run)
    thread.start()
    while not marker.exists() and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    pool.kill()
    thread.join(30)
    assert isinstance(errors[1], Killed), "killed by the pool: cancelled, not an error"
    pool.close()


def test_a_description_that_is_not_one_is_refused():
    good = info_data(SmaCross)
    assert info_from(good, Path("x.py")).params == SmaCross.all_params()
    name, description, params = good
    for bad in (
        [name, description, [["fast", "five", "help", "int", None, None]]],
        [name, description, [["fast", 5, "help", "str", None, None]]],
        [name, description, [["fast", float("inf"), "help", "int", None, None]]],
        [name, description, [["fast", 5, "help", "int", True, None]]],
        ["", description, params],
        [name, 5, params],
        {"name": name},
    ):
        with pytest.raises(ValueError, match="not"):
            info_from(bad, Path("x.py"))


def test_the_figures_are_the_ones_of_the_strategy_run_here(registry, series, tmp_path):
    (tmp_path / "sma.py").write_text(
        "from qfdesk.engine.strategies.crossovers import SmaCross\n\n\n"
        "class Mine(SmaCross):\n    name = 'my-sma'\n"
    )
    registry.load_file(tmp_path / "sma.py")
    pool = WorkerPool()
    try:
        (found,) = strategies_for(
            registry, pool, series, [("my-sma", {"fast": 3, "slow": 8, "expiry": 120})]
        )
    finally:
        pool.close()
    config = BacktestConfig(120, 85.0)
    there = run_backtest(series, TF, found, config)
    here = run_backtest(series, TF, SmaCross(fast=3, slow=8, expiry=120), config)
    assert there.stats == here.stats and there.stats.trades > 20
    assert np.array_equal(there.trades.entry_time, here.trades.entry_time)
    assert there.params == here.params


def test_a_file_that_hangs_when_loaded_is_stopped_after_its_budget_and_named(tmp_path):
    path = tmp_path / "my_strategies.py"
    path.write_text(
        "import os\nfrom pathlib import Path\n\n"
        "Path(__file__).with_suffix('.pid').write_text(str(os.getpid()))\n"
        "while True:\n    pass\n"
    )
    started = time.monotonic()
    with pytest.raises(StrategyError) as caught:
        StrategyRegistry(load_budget=1.0).load_file(path)
    assert str(caught.value).startswith("my_strategies.py took longer than 1 s to load: ")
    assert f"the strategy file {path} was not loaded" in str(caught.value)
    assert time.monotonic() - started < 30
    pid = int(path.with_suffix(".pid").read_text())
    assert pid != os.getpid()
    assert not Path(f"/proc/{pid}").exists(), "the worker was killed and reaped"


def test_a_class_whose_params_are_not_params_is_refused_by_name(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "from qfdesk.engine.strategies import Strategy\n\n\n"
        "class Odd(Strategy):\n    name = 'odd'\n    PARAMS = {'n': 3}\n"
    )
    with pytest.raises(StrategyError, match="strategy odd: PARAMS must map parameter names"):
        StrategyRegistry().load_file(path)
