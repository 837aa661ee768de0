"""Run every combination of a sweep: in this process, on local worker processes, or on a
Dask cluster, with the same results in the same order whichever is used.

Workers get the candles once (a pool initializer, or one scattered Dask future) and build the
strategy from its name and the strategies file, so a trader's own strategy files work in a
worker too (on a cluster the file must be at the same path on every worker).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from qfdesk.engine.backtest import BacktestConfig
from qfdesk.engine.payout_history import PayoutSchedule
from qfdesk.engine.research.trades import Columns, ComboTrades, combo_trades
from qfdesk.engine.strategies.base import Strategy
from qfdesk.engine.strategies.registry import StrategyRegistry

Progress = Callable[[int, int], None]
POLL_SECONDS = 0.2


class SweepCancelled(Exception):
    """The sweep was cancelled before every combination was run."""


class Cancel:
    """Set from any thread; a running sweep stops within ``POLL_SECONDS`` (its worker
    processes terminated)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def __call__(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@cache
def _registry(strategies_file: Path | None) -> StrategyRegistry:
    registry = StrategyRegistry(import_files=True)  # a worker process, or the command line
    if strategies_file is not None:
        registry.load_config(strategies_file)
    return registry


@dataclass(frozen=True)
class SweepTask:
    """Everything a worker needs to backtest one combination."""

    candles: Columns
    timeframe: int
    strategy: str
    strategies_file: Path | None
    config: BacktestConfig
    payouts: PayoutSchedule | None = None

    def create(self, params: Mapping[str, Any]) -> Strategy:
        return _registry(self.strategies_file).create(self.strategy, params)

    def evaluate(self, params: Mapping[str, float]) -> ComboTrades:
        strategy = self.create(params)
        config = replace(self.config, expiry=strategy.expiry)
        return combo_trades(self.candles, self.timeframe, strategy, config, self.payouts)


_TASK: SweepTask | None = None


def _install(task: SweepTask) -> None:
    global _TASK
    _TASK = task


def _evaluate_installed(chunk: Sequence[Mapping[str, float]]) -> list[ComboTrades]:
    assert _TASK is not None, "the pool initializer installs the task"
    return [_TASK.evaluate(params) for params in chunk]


def _evaluate(task: SweepTask, params: Mapping[str, float]) -> ComboTrades:
    return task.evaluate(params)


def run_local(
    task: SweepTask,
    combinations: Sequence[Mapping[str, float]],
    workers: int,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[ComboTrades]:
    """Every combination's trades in grid order; ``SweepCancelled`` when ``cancel`` is set."""
    total = len(combinations)
    results: list[ComboTrades] = []

    def add(result: ComboTrades) -> None:
        results.append(result)
        if progress is not None:
            progress(len(results), total)

    if workers <= 1 or total <= 1:
        for params in combinations:
            if cancel is not None and cancel.cancelled:
                raise SweepCancelled
            add(task.evaluate(params))
        return results
    # spawn, not fork: the desktop app runs sweeps too, and forking a process with Qt and
    # driver threads is unsafe.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, total // (workers * 8))
    chunks = [combinations[i : i + chunk] for i in range(0, total, chunk)]
    pool = context.Pool(workers, initializer=_install, initargs=(task,))
    try:
        # chunks of our own: only imap with chunksize 1 can be waited on with a timeout
        found = pool.imap(_evaluate_installed, chunks)
        for _ in chunks:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise SweepCancelled
                try:
                    done = found.next(timeout=POLL_SECONDS)
                    break
                except multiprocessing.TimeoutError:
                    continue
            for result in done:
                add(result)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    return results


def run_dask(
    task: SweepTask,
    combinations: Sequence[Mapping[str, float]],
    address: str,
    progress: Progress | None = None,
) -> list[ComboTrades]:
    """The same work on a running Dask scheduler at ``address`` (``tcp://HOST:PORT``)."""
    from distributed import Client, as_completed

    total = len(combinations)
    with Client(address, timeout=30) as client:
        shared = client.scatter(task, broadcast=True)
        futures = client.map(_evaluate, [shared] * total, list(combinations), pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, total)
        return list(client.gather(futures))
