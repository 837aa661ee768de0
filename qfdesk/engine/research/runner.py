"""Run every combination of a sweep: in this process, on local worker processes, or on a
Dask cluster, with the same results in the same order whichever is used.

The work is split so that little crosses a process boundary:

- the candles go to each worker once: a forked worker has them already, a spawned one maps
  them from ``.npy`` files, a Dask worker gets one scattered future;
- in a worker, each distinct indicator setting is computed once (an ``IndicatorMemo`` over
  the candles: ``sma(close, 20)`` serves every ``fast`` tried with ``slow = 20``);
- combinations go out in chunks, and only their :class:`ComboStats` come back (a few hundred
  bytes each, where a combination's trades over a million candles weigh megabytes);
- then the trades of the few combinations the walk-forward chose (at most one per fold) are
  made again by the workers and sent back: the report is made of those.

Each combination is computed by the same code whichever way it runs, so the results are
identical. Workers build the strategy from its name and the strategies file, so a trader's
own strategy files work in a worker too (on a cluster the file must be at the same path on
every worker).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from qfdesk.engine.backtest import BacktestConfig
from qfdesk.engine.indicators.memo import IndicatorMemo
from qfdesk.engine.research.scan import ComboStats, Scan, combo_stats, needed
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.trades import Columns, ComboTrades, combo_trades
from qfdesk.engine.strategies.base import Strategy
from qfdesk.engine.strategies.registry import StrategyRegistry

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from qfdesk.engine.payout_history import PayoutSchedule

Progress = Callable[[int, int], None]
Params = Mapping[str, float]
POLL_SECONDS = 0.2
CHUNKS_PER_WORKER = 32
"""Chunks of combinations per worker: few enough that sending one costs little against its
work, enough that the workers finish together and progress and Cancel are seen often."""
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
KEEP_FREED = 512 * 1024 * 1024
"""Freed memory a worker keeps rather than hands back (and arrays up to 1/16 of it come
from that memory rather than from pages mapped for them alone; glibc's own most is 32 MiB)."""
SPAWN = "spawn"
"""How the app starts worker processes: a fresh interpreter (forking a process with Qt and
driver threads is unsafe). Each worker imports the engine and maps the candles from files."""


def command_line_start() -> str:
    """How the command line starts worker processes: on Linux, in a process of one thread
    and no Qt, by forking (the workers start at once, the candles already in their memory);
    else ``SPAWN``."""
    alone = threading.active_count() == 1 and "PySide6" not in sys.modules
    return "fork" if sys.platform.startswith("linux") and alone else SPAWN


_T = TypeVar("_T")
_R = TypeVar("_R")


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

    def create(self, params: Params) -> Strategy:
        return _registry(self.strategies_file).create(self.strategy, params)

    def evaluate(self, params: Params) -> ComboTrades:
        strategy = self.create(params)
        config = replace(self.config, expiry=strategy.expiry)
        return combo_trades(self.candles, self.timeframe, strategy, config, self.payouts)


class _Worker:
    """A task and its settings where the work is done, with the memo of its indicators."""

    def __init__(self, task: SweepTask, settings: SweepSettings) -> None:
        self.task = task
        self.settings = settings
        candles = task.candles
        columns = (candles.start, candles.open, candles.high, candles.low, candles.close)
        self.memo = IndicatorMemo(columns)

    def trades(self, params: Params) -> ComboTrades:
        with self.memo.active():
            return self.task.evaluate(params)

    def stats(self, chunk: Sequence[Params]) -> list[ComboStats]:
        candles = len(self.task.candles)
        return [combo_stats(self.trades(params), candles, self.settings) for params in chunk]


_WORKER: _Worker | None = None


def keep_freed_memory() -> None:
    """Have glibc keep the memory this process frees for its next arrays: every worker does,
    and the command line for a sweep in its own process (not the app: it keeps its memory
    habits). Each combination makes and drops arrays the length of the candles; by default
    glibc maps the first ones afresh and hands freed memory back to the system, and faulting
    the pages in again cost a fresh worker a quarter more time than the same work in a
    process that had run a while (about 2,700 page faults a combination over a million
    candles)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc: nothing to tune
        return
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)
    mallopt(M_MMAP_THRESHOLD, KEEP_FREED // 16)


def _install(task: SweepTask, settings: SweepSettings) -> None:
    global _WORKER
    keep_freed_memory()
    _WORKER = _Worker(task, settings)


def _install_mapped(folder: str, task: SweepTask, settings: SweepSettings) -> None:
    _install(replace(task, candles=Columns.mapped(Path(folder))), settings)


def _initializer(
    task: SweepTask, settings: SweepSettings, start: str, files: ExitStack
) -> tuple[Callable[..., None], tuple[object, ...]]:
    """How a worker gets the task: a forked one has it already; a spawned one would have
    the candles sent through a pipe that each worker empties only once it has started,
    one worker after the other, so it maps them from files (in a private folder that
    ``files`` removes) instead."""
    if start == "fork":
        return _install, (task, settings)
    folder = files.enter_context(tempfile.TemporaryDirectory(prefix="qfdesk-sweep-"))
    task.candles.save(Path(folder))
    empty = np.empty(0)
    shipped = replace(task, candles=Columns(empty, empty, empty, empty, empty))
    return _install_mapped, (folder, shipped, settings)


def _installed() -> _Worker:
    assert _WORKER is not None, "the pool initializer installs the worker"
    return _WORKER


def _stats_installed(chunk: Sequence[Params]) -> list[ComboStats]:
    return _installed().stats(chunk)


def _trades_installed(params: Params) -> ComboTrades:
    return _installed().trades(params)


def _chunks(combinations: Sequence[Params], workers: int) -> list[Sequence[Params]]:
    size = max(1, len(combinations) // (workers * CHUNKS_PER_WORKER))
    return [combinations[i : i + size] for i in range(0, len(combinations), size)]


def _waited(
    pool: Pool, work: Callable[[_T], _R], items: Sequence[_T], cancel: Cancel | None
) -> Iterator[_R]:
    """``work`` of each item on the pool, in order, watching ``cancel`` meanwhile."""
    # imap with chunks of one: only it can be waited on with a timeout
    found = pool.imap(work, items)
    for _ in items:
        while True:
            if cancel is not None and cancel.cancelled:
                raise SweepCancelled
            try:
                yield found.next(timeout=POLL_SECONDS)
                break
            except multiprocessing.TimeoutError:
                continue


def run_local(
    task: SweepTask,
    settings: SweepSettings,
    combinations: Sequence[Params],
    workers: int,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    start: str = SPAWN,
) -> Scan:
    """Every combination's stats in grid order, and the trades the report needs;
    ``SweepCancelled`` when ``cancel`` is set. ``start``: how worker processes are started
    (``SPAWN``, or :func:`command_line_start`'s)."""
    total = len(combinations)
    stats: list[ComboStats] = []

    def add(found: Sequence[ComboStats]) -> None:
        stats.extend(found)
        if progress is not None:
            progress(len(stats), total)

    if workers <= 1 or total <= 1:
        here = _Worker(task, settings)
        for params in combinations:
            if cancel is not None and cancel.cancelled:
                raise SweepCancelled
            add(here.stats([params]))
        wanted = needed(stats)
        return Scan(tuple(stats), {i: here.trades(combinations[i]) for i in wanted})
    context = multiprocessing.get_context(start)
    with ExitStack() as files:
        initializer, initargs = _initializer(task, settings, start, files)
        pool = context.Pool(workers, initializer=initializer, initargs=initargs)
        try:
            chunks = _chunks(combinations, workers)
            for found in _waited(pool, _stats_installed, chunks, cancel):
                add(found)
            wanted = needed(stats)
            chosen = [combinations[i] for i in wanted]
            kept = dict(zip(wanted, _waited(pool, _trades_installed, chosen, cancel), strict=True))
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    return Scan(tuple(stats), kept)


def _stats_on(shared: tuple[SweepTask, SweepSettings], chunk: Sequence[Params]) -> list[ComboStats]:
    return _Worker(*shared).stats(chunk)


def _trades_on(shared: tuple[SweepTask, SweepSettings], params: Params) -> ComboTrades:
    return _Worker(*shared).trades(params)


def run_dask(
    task: SweepTask,
    settings: SweepSettings,
    combinations: Sequence[Params],
    address: str,
    progress: Progress | None = None,
) -> Scan:
    """The same work on a running Dask scheduler at ``address`` (``tcp://HOST:PORT``)."""
    from distributed import Client, as_completed

    total = len(combinations)
    with Client(address, timeout=30) as client:
        shared = client.scatter((task, settings), broadcast=True)
        workers = max(1, len(client.scheduler_info()["workers"]))
        chunks = _chunks(combinations, workers)
        futures = client.map(_stats_on, [shared] * len(chunks), chunks, pure=False)
        sizes = {future.key: len(chunk) for future, chunk in zip(futures, chunks, strict=True)}
        done = 0
        for future in as_completed(futures):
            done += sizes[future.key]
            if progress is not None:
                progress(done, total)
        stats: list[ComboStats] = [s for found in client.gather(futures) for s in found]
        wanted = needed(stats)
        chosen = [combinations[i] for i in wanted]
        trades = client.gather(client.map(_trades_on, [shared] * len(chosen), chosen, pure=False))
        return Scan(tuple(stats), dict(zip(wanted, trades, strict=True)))
