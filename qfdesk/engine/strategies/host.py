"""Where the auto-trader's strategies run: off the caller's thread, a trader's own in a worker.

One host per auto-trader session. Its one thread runs the jobs given to :meth:`submit` in
order (making the runners and warming them up, then each batch of closed candles) and hands
each job's :class:`Outcome` to the job's ``done`` on that thread (the GUI turns it into a Qt
signal). Built-in strategies are trusted code and run on that thread. Strategies from a
trader's files run in a :class:`StrategyProcess`, each call within a :class:`TimeBudget`: a
call that overruns is stopped (the process is killed) and its runner says so, by name, in
``error`` with ``overran`` set. :meth:`close` ends the thread and the process, without
waiting for either.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from qfdesk.engine.events import Candle
from qfdesk.engine.strategies.base import Signal, StrategyError
from qfdesk.engine.strategies.registry import StrategyRegistry
from qfdesk.engine.strategies.runner import StrategyRunner, log_signal
from qfdesk.engine.strategies.sandbox import (
    LOAD_BUDGET,
    StrategyOverrun,
    StrategyProcess,
    WorkerGone,
    signal_from,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TimeBudget:
    """Seconds a trader's own strategy may take: ``make`` to load its file and make it,
    ``warm_up`` over all the history at the start, ``candle`` for one live candle (well
    under a candle period, so that a signal is still worth trading). Loading may import
    libraries the file needs, hence the more generous default."""

    make: float = LOAD_BUDGET
    warm_up: float = 5.0
    candle: float = 1.0


class Runner(Protocol):
    """What the auto-trader needs of a runner (:class:`StrategyRunner` is one)."""

    asset: str
    timeframe: int
    error: str | None
    overran: bool

    @property
    def stopped(self) -> bool: ...
    def has_seen(self, start: int) -> bool: ...
    def warm_up(self, candles: Iterable[Candle]) -> None: ...
    def on_candle(self, candle: Candle, now: float | None = None) -> Signal | None: ...


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A job's result, or the exception it raised."""

    value: T | None = None
    error: BaseException | None = None


class RemoteRunner:
    """A :class:`StrategyRunner` in the worker process, seen from here."""

    def __init__(
        self,
        process: StrategyProcess,
        key: int,
        name: str,
        asset: str,
        timeframe: int,
        budget: TimeBudget,
    ) -> None:
        self.name = name
        self.asset = asset
        self.timeframe = timeframe
        self.error: str | None = None
        self.overran = False
        self._process = process
        self._key = key
        self._budget = budget
        self._last_start: int | None = None

    @property
    def stopped(self) -> bool:
        return self.error is not None

    def has_seen(self, start: int) -> bool:
        return self._last_start is not None and start <= self._last_start

    def warm_up(self, candles: Iterable[Candle]) -> None:
        """All of ``candles`` in one call, within the warm-up budget."""
        candles = list(candles)
        if candles:
            where = f"while warming up on {len(candles)} candles from {candles[0].start}"
            self._call(("warm", self._key, candles), self._budget.warm_up, where)

    def on_candle(self, candle: Candle, now: float | None = None) -> Signal | None:
        where = f"at candle {candle.start}"
        return self._call(("candle", self._key, candle, now), self._budget.candle, where)

    def _call(self, request: tuple[Any, ...], budget: float, where: str) -> Signal | None:
        if self.error is not None:
            return None
        try:
            error, signal, last_start = _done(self._process.call(request, budget))
        except StrategyOverrun as exc:
            self.overran = True
            self._stop(where, f"{exc} and was stopped")
            return None
        except WorkerGone as exc:
            self._process.kill()
            self._stop(where, f"could not run: {exc}")
            return None
        self._last_start = last_start
        if error is not None:
            self.error = error
            log.error("%s", error)
        if signal is not None:
            log_signal(signal)
        return signal

    def _stop(self, where: str, problem: str) -> None:
        self.error = f"strategy {self.name} on {self.asset} stopped {where}: it {problem}"
        log.error("%s", self.error)


def _done(answer: list[Any]) -> tuple[str | None, Signal | None, int | None]:
    """The worker's answer to a warm-up or a candle, checked; WorkerGone if it is not one."""
    match answer:
        case ["done", str() | None as error, data, int() | None as last_start]:
            return error, None if data is None else signal_from(data), last_start
    raise WorkerGone(f"the strategy worker process gave a bad answer {answer!r:.80}")


class StrategyHost:
    """One auto-trader session's strategies: a thread for the jobs, a worker when needed."""

    def __init__(self, registry: StrategyRegistry, budget: TimeBudget | None = None) -> None:
        self.registry = registry
        self.budget = budget or TimeBudget()
        self._jobs: queue.SimpleQueue[
            tuple[Callable[[], Any], Callable[[Outcome[Any]], None]] | None
        ]
        self._jobs = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._process: StrategyProcess | None = None
        self._closed = False
        self._keys = itertools.count()
        self._thread = threading.Thread(target=self._work, name="qfdesk-strategy-host", daemon=True)
        self._thread.start()

    @property
    def process(self) -> StrategyProcess | None:
        """The current worker process (None until a trader's own strategy is made)."""
        return self._process

    def runner(self, name: str, params: Mapping[str, Any], asset: str, timeframe: int) -> Runner:
        """A runner of strategy ``name`` on ``asset``; StrategyError if it cannot be made.
        Call it on the host's thread (in a job): a trader's own strategy is made there."""
        base, given, file = self.registry.origin(name, params)
        if file is None:
            return StrategyRunner(self.registry.create(name, params), asset, timeframe)
        key = next(self._keys)
        request = ("make", key, file, base, name, given, asset, timeframe)
        try:
            process = self._worker()
            answer = process.call(request, self.budget.make)
        except StrategyOverrun as exc:
            raise StrategyError(
                f"strategy {name} from {file} {exc} to load and was stopped"
            ) from None
        except WorkerGone as exc:
            raise StrategyError(f"strategy {name} from {file} could not run: {exc}") from None
        match answer:
            case ["made", _]:
                return RemoteRunner(process, key, name, asset, timeframe, self.budget)
            case ["refused", str() as problem]:
                raise StrategyError(problem)
        process.kill()
        raise StrategyError(f"strategy {name} from {file}: its worker gave a bad answer")

    def _worker(self) -> StrategyProcess:
        with self._lock:
            if self._closed:
                raise WorkerGone("the strategy host is closed")
            if self._process is not None and self._process.alive:
                return self._process
        process = StrategyProcess()  # outside the lock: close() must never wait for a start
        with self._lock:
            if not self._closed:
                self._process = process
                return process
        process.close()
        raise WorkerGone("the strategy host is closed")

    def submit(self, job: Callable[[], T], done: Callable[[Outcome[T]], None]) -> None:
        """Run ``job`` on the host's thread after the jobs before it; then ``done(outcome)``
        there. Jobs given after :meth:`close` never run."""
        if not self._closed:
            self._jobs.put((job, done))

    def close(self) -> None:
        """Stop: kill the worker process and let the thread end (nothing is waited for)."""
        with self._lock:
            self._closed = True
            if self._process is not None:
                self._process.kill()
        self._jobs.put(None)

    def join(self, timeout: float) -> bool:
        """Wait (off the GUI thread) until the host's thread has ended; True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None or self._closed:
                break
            job, done = item
            try:
                outcome: Outcome[Any] = Outcome(job())
            except Exception as exc:  # noqa: BLE001 - handed to ``done``, which reports it
                outcome = Outcome(error=exc)
            try:
                done(outcome)
            except Exception:
                log.exception("strategy host: reporting a job's outcome failed")
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            process.close()
