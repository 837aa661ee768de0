"""Backtests and sweeps of a trader's own strategies, run in worker processes.

The candles go to a worker (:class:`BacktestWorker`) once; for each strategy (or each
combination of a sweep) the worker makes it and computes its signals there, within a time
budget, and sends back plain numbers. Here they are checked and turned into trades by the
very code the command line runs (:func:`run_backtest`, :func:`combo_trades`) through a
:class:`WorkerSignals` stand-in for the strategy, so the figures are the command line's.
Nothing a strategy made is unpickled here, and its code never runs in this process.

:class:`WorkerPool` holds a job's workers: ``kill()``, from any thread (Cancel, a closed
dialog), ends them at once, and the job then raises :class:`Killed`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from qfdesk.engine.backtest import BacktestConfig
from qfdesk.engine.payout_history import PayoutSchedule
from qfdesk.engine.research.grid import Grid, GridError
from qfdesk.engine.research.trades import Columns, ComboTrades, combo_trades
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies.base import (
    CandleArrays,
    SignalArrays,
    Strategy,
    StrategyError,
    Vote,
)
from qfdesk.engine.strategies.registry import StrategyRegistry
from qfdesk.engine.strategies.sandbox import (
    LOAD_BUDGET,
    SIGNAL_DTYPES,
    StrategyOverrun,
    StrategyProcess,
    WorkerGone,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BacktestBudget:
    """Seconds a worker may take: ``load`` to take the candles and import a file, ``run``
    for one strategy's signals over all the candles (one combination of a sweep)."""

    load: float = LOAD_BUDGET
    run: float = 120.0


class Killed(Exception):
    """The job's workers were killed (Cancel, or its dialog closed)."""


class WorkerSignals(Strategy):
    """A trader's strategy as a backtest sees it: its name, parameters and the signals its
    worker computed over the candles. Only ``signals`` can be asked of it."""

    def __init__(self, name: str, params: dict[str, float], found: SignalArrays) -> None:
        self.name = name
        self.params = params
        self._found = found

    def reset(self) -> None:
        """Nothing to reset: the strategy's state lives in its worker."""

    def on_candle(self, candle: Any) -> Vote | None:
        raise StrategyError(f"strategy {self.name} runs only in its worker process")

    def fresh(self) -> Strategy:
        return self

    def signals(self, candles: CandleArrays) -> SignalArrays:
        return self._found


def _params(data: Any) -> dict[str, float]:
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and type(v) in (int, float) and math.isfinite(v) for k, v in data.items()
    ):
        raise WorkerGone("the strategy worker process sent parameters that are not numbers")
    expiry = data.get("expiry")
    if expiry is None or expiry != int(expiry) or expiry <= 0:
        raise WorkerGone("the strategy worker process sent no valid expiry")
    return {**data, "expiry": int(expiry)}


class BacktestWorker:
    """One worker process holding ``candles``; every call within ``budget``."""

    def __init__(self, candles: CandleSeries, budget: BacktestBudget) -> None:
        self.budget = budget
        self.candles = len(candles)
        self.process = StrategyProcess()
        self._files: set[Path] = set()
        columns = Columns.of(candles)
        request = ("candles", candles.asset, candles.timeframe, *_columns(columns))
        overrun = f"took longer than {budget.load:g} s to take {self.candles} candles"
        try:
            self._call(request, budget.load, overrun, "installed")
        except BaseException:
            self.process.close()
            raise

    def _call(self, request: tuple[Any, ...], budget: float, overrun: str, kind: str) -> list[Any]:
        """The answer of ``kind``; StrategyError (a refusal, or ``overrun`` after ``budget``
        seconds: the process is killed then) or WorkerGone."""
        try:
            answer = self.process.call(request, budget)
        except StrategyOverrun:
            raise StrategyError(overrun) from None
        match answer:
            case ["refused", str() as problem]:
                raise StrategyError(problem)
            case [str() as got, *rest] if got == kind:
                return rest
        self.process.kill()
        raise WorkerGone(f"the strategy worker process gave a bad answer {answer!r:.80}")

    def _load(self, file: Path) -> None:
        if file in self._files:
            return
        budget = self.budget.load
        overrun = f"{file.name} took longer than {budget:g} s to load: it was stopped"
        self._call(("load", file), budget, overrun, "loaded")
        self._files.add(file)

    def signals(self, name: str, base: str, file: Path, params: Mapping[str, Any]) -> WorkerSignals:
        """Strategy ``name`` (class ``base`` of ``file``) with ``params``, run over the
        candles; StrategyError (its own refusal, or an overrun, in words) or WorkerGone."""
        self._load(file)
        budget = self.budget.run
        overrun = (
            f"strategy {name} took longer than its {budget:g} s time budget on "
            f"{self.candles} candles and was stopped"
        )
        values, count = self._call(
            ("signals", file, base, name, dict(params)), budget, overrun, "signals"
        )
        if type(count) is not int or not 0 <= count <= self.candles:
            self.process.kill()
            raise WorkerGone(f"the strategy worker process announced {count!r:.20} signals")
        try:
            index, direction, confidence = self.process.arrays(SIGNAL_DTYPES, count, budget)
        except StrategyOverrun:
            raise StrategyError(overrun) from None
        return WorkerSignals(name, _params(values), SignalArrays(index, direction, confidence))

    def grid(
        self, name: str, base: str, file: Path, items: Sequence[str], fixed: Mapping[str, Any]
    ) -> Grid:
        """A sweep's grid, made in the worker (each combination is a strategy made)."""
        self._load(file)
        budget = self.budget.run
        try:
            names, combinations, skipped, reasons = self._call(
                ("grid", file, base, name, list(items), dict(fixed)),
                budget,
                f"strategy {name} took longer than {budget:g} s to make its grid and was stopped",
                "grid",
            )
        except StrategyError as exc:
            raise GridError(str(exc)) from None
        if not (
            isinstance(names, list)
            and all(isinstance(n, str) for n in names)
            and isinstance(combinations, list)
            and isinstance(skipped, int)
            and isinstance(reasons, list)
            and all(isinstance(r, str) for r in reasons)
        ):
            raise WorkerGone("the strategy worker process sent a bad grid")
        return Grid(tuple(names), tuple(_params(c) for c in combinations), skipped, tuple(reasons))

    def kill(self) -> None:
        self.process.kill()


def _columns(columns: Columns) -> tuple[np.ndarray, ...]:
    return columns.start, columns.open, columns.high, columns.low, columns.close


class WorkerPool:
    """The worker processes of one job. ``kill`` may come from any thread."""

    def __init__(self, budget: BacktestBudget | None = None) -> None:
        self.budget = budget or BacktestBudget()
        self._lock = threading.Lock()
        self._workers: list[BacktestWorker] = []
        self._killed = False

    @property
    def killed(self) -> bool:
        return self._killed

    def start(self, candles: CandleSeries) -> BacktestWorker:
        """A new worker holding ``candles``; Killed once the pool is killed."""
        if self._killed:
            raise Killed
        try:
            worker = BacktestWorker(candles, self.budget)
        except (StrategyError, WorkerGone) as exc:
            if self._killed:
                raise Killed from None
            raise StrategyError(f"the strategy worker process could not start: {exc}") from None
        with self._lock:
            self._workers.append(worker)
            if self._killed:
                worker.kill()
                raise Killed
        return worker

    def kill(self) -> None:
        """End every worker now."""
        with self._lock:
            self._killed = True
            workers = list(self._workers)
        for worker in workers:
            worker.kill()

    def close(self) -> None:
        """Kill the workers and reap them (off the GUI thread)."""
        self.kill()
        for worker in self._workers:
            worker.process.close()

    def guarded(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``, with a worker that vanished because the pool was killed as Killed and
        one that vanished by itself as a StrategyError in words."""
        try:
            return work(*args)
        except (WorkerGone, StrategyError) as exc:
            if self._killed:
                raise Killed from None
            if isinstance(exc, WorkerGone):
                raise StrategyError(f"the strategy could not run: {exc}") from None
            raise


def strategies_for(
    registry: StrategyRegistry,
    pool: WorkerPool,
    candles: CandleSeries,
    choices: Sequence[tuple[str, Mapping[str, Any]]],
) -> list[Strategy]:
    """Each (name, params) as a strategy for :func:`run_ab`: a trusted one made here, a
    trader's own run in one worker of ``pool`` and stood in for by :class:`WorkerSignals`."""
    worker: BacktestWorker | None = None
    strategies: list[Strategy] = []
    for name, params in choices:
        base, given, file = registry.origin(name, params)
        if file is None:
            strategies.append(registry.create(name, params))
            continue
        if worker is None:
            worker = pool.start(candles)
        strategies.append(pool.guarded(worker.signals, name, base, file, given))
    return strategies


@dataclass(frozen=True)
class SandboxedSweep:
    """A sweep of a trader's strategy: the grid and every combination's trades computed
    from the signals its workers send."""

    registry: StrategyRegistry
    strategy: str
    candles: CandleSeries
    config: BacktestConfig
    payouts: PayoutSchedule | None = None

    def _origin(self) -> tuple[str, dict[str, Any], Path]:
        base, given, file = self.registry.origin(self.strategy)
        if file is None:
            raise StrategyError(f"{self.strategy} is no trader's strategy")
        return base, given, file

    def grid(self, pool: WorkerPool, items: Sequence[str], fixed: Mapping[str, Any]) -> Grid:
        base, given, file = self._origin()
        worker = pool.start(self.candles)
        return pool.guarded(worker.grid, self.strategy, base, file, items, {**given, **fixed})

    def run(
        self,
        pool: WorkerPool,
        combinations: Sequence[Mapping[str, float]],
        workers: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ComboTrades]:
        """Every combination's trades in grid order, on up to ``workers`` processes."""
        base, _, file = self._origin()
        columns = Columns.of(self.candles)
        total = len(combinations)
        results: list[ComboTrades | None] = [None] * total
        failures: list[BaseException] = []
        lock = threading.Lock()
        todo = iter(range(total))
        done = 0

        def work() -> None:
            nonlocal done
            try:
                worker = pool.start(self.candles)
                while not failures:
                    with lock:
                        i = next(todo, None)
                    if i is None:
                        return
                    params = combinations[i]
                    found = pool.guarded(worker.signals, self.strategy, base, file, params)
                    config = replace(self.config, expiry=found.expiry)
                    trades = combo_trades(
                        columns, self.candles.timeframe, found, config, self.payouts
                    )
                    with lock:
                        results[i] = trades
                        done += 1
                        count = done
                    if progress is not None:
                        progress(count, total)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                failures.append(exc)
                pool.kill()

        threads = [
            threading.Thread(target=work, name="qfdesk-sweep-worker", daemon=True)
            for _ in range(max(1, min(workers, total)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            first = next((f for f in failures if not isinstance(f, Killed)), failures[0])
            raise first
        return [r for r in results if r is not None]
