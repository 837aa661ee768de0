"""A worker process for a trader's own strategies: their code never runs in the app's process.

A Python thread spinning in ``while True: pass`` cannot be stopped and holds the GIL much of
the time, so strategies from a trader's files run in a child process: a fresh interpreter
(``python -m qfdesk.engine.strategies.sandbox``; the bundle with ``--qfdesk-strategy-worker``)
that imports no Qt and none of the app's modules but the strategies. Each call waits for its answer at most a time budget; a call
that overruns kills the process. The child dies with the app: on Linux it asks for SIGKILL
when the thread that started it ends, and a watchdog thread in it ends it once its parent
process is gone; the host kills it when the auto-trader stops or the window closes.

Requests (the app's own data) go down as pickles; answers come back as JSON, checked here,
so that nothing a strategy makes is ever unpickled in the app. In the child, real
:class:`StrategyRunner` objects do the work: the rules of what a strategy may see and
answer are the ones that hold in the app.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import qfdesk
from qfdesk.engine.events import Direction
from qfdesk.engine.paths import is_frozen
from qfdesk.engine.strategies.base import Signal, StrategyError
from qfdesk.engine.strategies.registry import StrategyRegistry
from qfdesk.engine.strategies.runner import StrategyRunner

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60.0  # our own imports in a fresh interpreter, on a busy machine
_PR_SET_PDEATHSIG = 1
_WATCH_EVERY = 0.5


FROZEN_FLAG = "--qfdesk-strategy-worker"
"""How a PyInstaller bundle (which cannot run ``-m``) is asked to be a strategy worker."""


def worker_command() -> list[str]:
    if is_frozen():
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", __name__]


def main(argv: list[str]) -> None:
    serve(Connection(int(argv[0])), int(argv[1]))


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


# ----- the child -------------------------------------------------------------------------------


def serve(conn: Connection, parent_pid: int) -> None:
    """The worker's main loop: answer requests until the pipe closes."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the app, which ends us
    worker = _Worker()
    conn.send_bytes(json.dumps(["ready"]).encode())
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        conn.send_bytes(json.dumps(worker.answer(request)).encode())


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent ended before we could ask
    threading.Thread(target=_exit_when_gone, args=(parent_pid,), daemon=True).start()


def _exit_when_gone(parent_pid: int) -> None:
    """Runs between a strategy's bytecodes: Python hands the GIL over every few ms."""
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_EVERY)
    os._exit(1)


class _Worker:
    def __init__(self) -> None:
        self.registry = StrategyRegistry()
        self.files: set[Path] = set()
        self.runners: dict[int, StrategyRunner] = {}

    def answer(self, request: tuple[Any, ...]) -> list[Any]:
        kind, key, *rest = request
        if kind == "make":
            return self._make(key, *rest)
        runner = self.runners[key]
        found = None
        if kind == "warm":
            runner.warm_up(rest[0])
        else:
            found = runner.on_candle(*rest)
        return ["done", runner.error, _signal_data(found), runner.last_start]

    def _make(
        self,
        key: int,
        file: Path,
        base: str,
        name: str,
        params: Mapping[str, Any],
        asset: str,
        timeframe: int,
    ) -> list[Any]:
        try:
            if file not in self.files:
                self.registry.load_file(file)
                self.files.add(file)
            strategy = self.registry.create(base, params)
        except StrategyError as exc:
            return ["refused", str(exc)]
        except Exception as exc:  # noqa: BLE001 - a trader's code may raise anything
            return ["refused", f"{name}: could not be made: {type(exc).__name__}: {exc}"]
        strategy.name = name
        self.runners[key] = StrategyRunner(strategy, asset, timeframe)
        return ["made", strategy.expiry]


def _signal_data(found: Signal | None) -> list[Any] | None:
    if found is None:
        return None
    return [
        found.strategy,
        found.asset,
        found.timeframe,
        found.candle_start,
        found.direction.value,
        found.confidence,
        found.expiry,
        str(found.reason),
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
