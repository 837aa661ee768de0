"""The strategy worker process itself: where a trader's files are imported and run.

Started by :class:`qfdesk.engine.strategies.sandbox.StrategyProcess`; it answers one request
at a time, in JSON, until its pipe closes or its parent is gone. The requests:

- ``("describe", file)``: import the file, ``["described", [info, ...]]`` (see ``described``);
- ``("make", key, file, base, name, params, asset, timeframe)``, then ``("warm", key,
  candles)`` and ``("candle", key, candle, now)``: a live :class:`StrategyRunner`;
- ``("load", file)``: import the file for the strategies to be made of it;
- ``("candles", asset, timeframe, start, open, high, low, close)``: the candles of the
  backtests to come, given once;
- ``("signals", file, base, name, params)``: the strategy's signals over those candles,
  ``["signals", params, count]``, then its index, direction and confidence arrays as raw
  bytes (:data:`SIGNAL_DTYPES`), one message each;
- ``("grid", file, base, name, items, fixed)``: a sweep's grid of parameter combinations.

Whatever cannot be done is answered ``["refused", reason]`` in words.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from qfdesk.engine.research.grid import GridError, build_grid
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies.base import Signal, Strategy, StrategyError
from qfdesk.engine.strategies.described import info_data
from qfdesk.engine.strategies.registry import StrategyRegistry
from qfdesk.engine.strategies.runner import StrategyRunner
from qfdesk.engine.strategies.sandbox import SIGNAL_DTYPES

_PR_SET_PDEATHSIG = 1
_WATCH_EVERY = 0.5


def main(argv: list[str]) -> None:
    serve(Connection(int(argv[0])), int(argv[1]))


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
        blobs: tuple[bytes, ...] = ()
        try:
            reply = worker.answer(request)
            if isinstance(reply, Arrays):
                blobs = reply.blobs
            text = json.dumps(reply.answer if isinstance(reply, Arrays) else reply)
        except Exception as exc:  # noqa: BLE001 - the app hears of it; the worker goes on
            text, blobs = json.dumps(["refused", f"the strategy worker failed: {_what(exc)}"]), ()
        conn.send_bytes(text.encode())
        for blob in blobs:
            conn.send_bytes(blob)


@dataclass(frozen=True, slots=True)
class Arrays:
    """An answer followed by raw arrays, one message each (see ``StrategyProcess.arrays``)."""

    answer: list[Any]
    blobs: tuple[bytes, ...]


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


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Worker:
    def __init__(self) -> None:
        self.registry = StrategyRegistry(import_files=True)
        self.files: set[Path] = set()
        self.runners: dict[int, StrategyRunner] = {}
        self.candles: CandleSeries | None = None

    def answer(self, request: tuple[Any, ...]) -> list[Any] | Arrays:
        kind, *rest = request
        try:
            if kind == "describe":
                return self._describe(*rest)
            if kind == "load":
                return self._load(*rest)
            if kind == "make":
                return self._make(*rest)
            if kind == "candles":
                return self._install(*rest)
            if kind == "signals":
                return self._signals(*rest)
            if kind == "grid":
                return self._grid(*rest)
        except StrategyError as exc:
            return ["refused", str(exc)]
        key, *args = rest
        runner = self.runners[key]
        found = None
        if kind == "warm":
            runner.warm_up(args[0])
        else:
            found = runner.on_candle(*args)
        return ["done", runner.error, _signal_data(found), runner.last_start]

    def _describe(self, file: Path) -> list[Any]:
        registry = StrategyRegistry(import_files=True)
        names = registry.import_file(file)
        self.files.discard(file)  # imported afresh when one of its strategies is made
        return ["described", [info_data(registry.class_of(name)) for name in names]]

    def _load(self, file: Path) -> list[Any]:
        names = self.registry.import_file(file)
        self.files.add(file)
        return ["loaded", names]

    def _strategy(self, file: Path, base: str, name: str, params: Mapping[str, Any]) -> Strategy:
        if file not in self.files:
            self.registry.import_file(file)
            self.files.add(file)
        try:
            strategy = self.registry.create(base, params)
        except StrategyError:
            raise
        except Exception as exc:
            raise StrategyError(f"{name}: could not be made: {_what(exc)}") from exc
        strategy.name = name
        return strategy

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
        strategy = self._strategy(file, base, name, params)
        self.runners[key] = StrategyRunner(strategy, asset, timeframe)
        return ["made", strategy.expiry]

    def _install(self, asset: str, timeframe: int, *columns: np.ndarray) -> list[Any]:
        start, *ohlc = columns
        series = CandleSeries(asset, timeframe, capacity=max(1, len(start)))
        series.insert_many(start, np.vstack(ohlc))
        self.candles = series
        return ["installed", len(series)]

    def _signals(
        self, file: Path, base: str, name: str, params: Mapping[str, Any]
    ) -> list[Any] | Arrays:
        if self.candles is None:
            return ["refused", "the strategy worker was given no candles"]
        strategy = self._strategy(file, base, name, params)
        try:
            found = strategy.signals(self.candles)
            columns = [
                np.ascontiguousarray(np.asarray(column, dtype=dtype))
                for column, dtype in zip(found, SIGNAL_DTYPES, strict=True)
            ]
            values = _values(strategy.params)
        except Exception as exc:  # noqa: BLE001 - a trader's code may raise anything
            return ["refused", f"strategy {name} failed: {_what(exc)}"]
        lengths = {column.shape for column in columns}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            return ["refused", f"strategy {name} gave signal arrays of unequal lengths"]
        blobs = tuple(column.tobytes() for column in columns)
        return Arrays(["signals", values, int(columns[0].shape[0])], blobs)

    def _grid(
        self,
        file: Path,
        base: str,
        name: str,
        items: Sequence[str],
        fixed: Mapping[str, Any],
    ) -> list[Any]:
        def make(params: Mapping[str, Any]) -> Strategy:
            return self._strategy(file, base, name, params)

        try:
            grid = build_grid(make, items, fixed)
            combinations = [_values(params) for params in grid.combinations]
        except GridError as exc:
            return ["refused", str(exc)]
        except Exception as exc:  # noqa: BLE001 - a trader's code may raise anything
            return ["refused", f"strategy {name} failed: {_what(exc)}"]
        return ["grid", list(grid.names), combinations, grid.skipped, list(grid.skip_reasons)]


def _values(params: Mapping[str, Any]) -> dict[str, float]:
    """A strategy's parameters as plain numbers (a trader's code may have put anything)."""
    return {str(key): float(value) for key, value in params.items()}


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
