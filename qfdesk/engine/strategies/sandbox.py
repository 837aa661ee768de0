"""A worker process for a trader's own strategies: their code never runs in the app's process.

A Python thread spinning in ``while True: pass`` cannot be stopped and holds the GIL much of
the time, so strategies from a trader's files run in a child process: a fresh interpreter
(``python -m qfdesk.engine.strategies.sandbox_worker``; the bundle with
``--qfdesk-strategy-worker``) that imports no Qt and none of the app's modules but the
strategies and the backtests. There a file is imported (to describe it, or to run it), its
strategies are made and run; here nothing of it is. Each call waits for its answer at most a
time budget; a call that overruns kills the process. The child dies with the app: on Linux it asks for SIGKILL
when the thread that started it ends, and a watchdog thread in it ends it once its parent
process is gone; the host kills it when the auto-trader stops or the window closes.

Requests (the app's own data) go down as pickles; answers come back as JSON, checked by the
caller, so that nothing a strategy makes is ever unpickled in the app. In the child
(:mod:`qfdesk.engine.strategies.sandbox_worker`), real :class:`StrategyRunner` objects and
the strategies' own ``signals`` do the work: the rules of what a strategy may see and answer
are the ones that hold in the app.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

import qfdesk
from qfdesk.engine.events import Direction
from qfdesk.engine.paths import is_frozen
from qfdesk.engine.strategies.base import Signal

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60.0  # our own imports in a fresh interpreter, on a busy machine
LOAD_BUDGET = 10.0
"""Seconds a trader's file may take to be imported (and a strategy of it made): loading may
import libraries the file needs, hence more than a candle's budget."""
SIGNAL_DTYPES = ("int64", "int8", "float64")
"""The types of the signal arrays a worker sends as raw bytes: index, direction, confidence."""
WORKER_MODULE = "qfdesk.engine.strategies.sandbox_worker"


FROZEN_FLAG = "--qfdesk-strategy-worker"
"""How a PyInstaller bundle (which cannot run ``-m``) is asked to be a strategy worker."""


def worker_command() -> list[str]:
    if is_frozen():
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", WORKER_MODULE]


class StrategyOverrun(Exception):
    """A call into the worker took longer than its budget; the worker was killed."""


class WorkerGone(Exception):
    """The worker process is not there, or answered nonsense (it is killed then)."""


class StrategyProcess:
    """The app's side of one worker process. One thread calls it; ``kill`` may come from
    any thread."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        source = str(Path(qfdesk.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
        with theirs:
            self.process = subprocess.Popen(
                [*worker_command(), str(theirs.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                env=env,
            )
        self._conn = Connection(mine.detach())
        self._killed = False
        try:
            ready = self._conn.poll(STARTUP_TIMEOUT) and self._answer() == ["ready"]
        except WorkerGone:
            ready = False
        if not ready:
            self.kill()
            raise WorkerGone(f"{self._gone_text()} before it was ready; its error output says why")

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Running and not being killed."""
        return not self._killed and self.process.poll() is None

    def call(self, request: tuple[Any, ...], budget: float) -> list[Any]:
        """Send ``request``; the answer, or StrategyOverrun after ``budget`` seconds (the
        process is killed then), or WorkerGone."""
        try:
            self._conn.send(request)
            ready = self._conn.poll(budget)
        except OSError as exc:
            self.kill()
            raise WorkerGone(self._gone_text()) from exc
        if not ready:
            self.kill()
            raise StrategyOverrun(f"took longer than its {budget:g} s time budget")
        return self._answer()

    def arrays(self, dtypes: tuple[str, ...], length: int, budget: float) -> list[np.ndarray]:
        """The raw arrays that follow an answer announcing them, one message each: read as
        ``dtypes`` (never unpickled), each of ``length`` items; WorkerGone when one is not,
        StrategyOverrun when one is not there within ``budget`` seconds."""
        found = []
        for dtype in dtypes:
            try:
                ready = self._conn.poll(budget)
                data = self._conn.recv_bytes() if ready else None
            except (EOFError, OSError) as exc:
                self.kill()
                raise WorkerGone(self._gone_text()) from exc
            if data is None:
                self.kill()
                raise StrategyOverrun(f"took longer than its {budget:g} s time budget")
            kind = np.dtype(dtype)
            if len(data) != length * kind.itemsize:
                self.kill()
                raise WorkerGone("the strategy worker process sent arrays of the wrong size")
            found.append(np.frombuffer(data, dtype=kind))
        return found

    def _answer(self) -> list[Any]:
        try:
            answer = json.loads(self._conn.recv_bytes())
        except (EOFError, OSError, ValueError) as exc:
            self.kill()
            raise WorkerGone(self._gone_text()) from exc
        if not isinstance(answer, list) or not answer:
            self.kill()
            raise WorkerGone("the strategy worker process answered nonsense; it was stopped")
        return answer

    def _gone_text(self) -> str:
        try:
            code = self.process.wait(1.0)
        except subprocess.TimeoutExpired:
            return "the strategy worker process stopped answering"
        return f"the strategy worker process ended (exit code {code})"

    def kill(self) -> None:
        """End the process now (SIGKILL: a strategy may ignore anything gentler)."""
        self._killed = True
        if self.process.poll() is None:
            self.process.kill()

    def close(self) -> None:
        """Kill the process and wait for it to be gone (call it off the GUI thread)."""
        self.kill()
        self.process.wait()
        self._conn.close()


def signal_from(data: Any) -> Signal:
    """A signal from the worker's JSON; WorkerGone if it is not one."""
    try:
        strategy, asset, timeframe, start, direction, confidence, expiry, reason = data
        signal_ = Signal(
            str(strategy),
            str(asset),
            int(timeframe),
            int(start),
            Direction(direction),
            float(confidence),
            int(expiry),
            str(reason),
        )
    except (TypeError, ValueError) as exc:
        raise WorkerGone(f"the strategy worker process sent a bad signal ({exc})") from exc
    return signal_
