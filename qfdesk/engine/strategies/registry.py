"""Find strategies by name: the built-ins, presets and a trader's own from Python files.

The strategies file (JSON, in the config dir; its path is passed in) looks like::

    {
      "files": ["my_strategies.py"],
      "strategies": {
        "sma-cross": {"fast": 8, "slow": 21},
        "quick-sma": {"base": "sma-cross", "fast": 3, "slow": 9, "expiry": 120}
      }
    }

An entry named like a strategy sets its default parameters; an entry with ``base`` is a
preset: a new name for a strategy with its own parameters. ``files`` are Python files (paths
relative to the strategies file) defining subclasses of ``Strategy`` with a ``name``::

    from qfdesk.engine.events import Direction
    from qfdesk.engine.strategies import Param, Strategy, Vote

    class ThreeUp(Strategy):
        name = "three-up"
        PARAMS = {"run": Param(3, "rising closes in a row", int, minimum=1)}

        def reset(self):
            self.prev, self.rising = None, 0

        def on_candle(self, candle):  # called once per closed candle, in order
            up = self.prev is not None and candle.close > self.prev
            self.prev, self.rising = candle.close, self.rising + 1 if up else 0
            if self.rising == self.params["run"]:
                return Vote(Direction.PUT, 0.55, f"{self.rising} rising closes")
            return None

In the app a trader's file is never imported: :meth:`StrategyRegistry.load_file` has a
worker process (``sandbox``) import it and describe its strategies (names, descriptions,
parameters), within a time budget; :meth:`describe` and :meth:`check` answer from that
description, and the strategies run only in worker processes (the auto-trader's ``host``,
the backtest dialog's ``sandboxed_backtest``). ``StrategyRegistry(import_files=True)``
imports the files here instead, for the command line (the trader's own command) and for
the worker process itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from qfdesk.engine.strategies.base import Param, Strategy, StrategyError
from qfdesk.engine.strategies.config_file import read_strategies_file
from qfdesk.engine.strategies.confluence import Confluence
from qfdesk.engine.strategies.crossovers import MacdCross, RsiReversal, SmaCross
from qfdesk.engine.strategies.described import StrategyInfo, info_from
from qfdesk.engine.strategies.sandbox import (
    LOAD_BUDGET,
    StrategyOverrun,
    StrategyProcess,
    WorkerGone,
)

log = logging.getLogger(__name__)

BUILTINS: tuple[type[Strategy], ...] = (SmaCross, RsiReversal, MacdCross, Confluence)


@dataclass(frozen=True)
class Found:
    """The strategies a trader's file defines, not registered yet: as described by a worker
    process, with their classes only when the file was imported into this process."""

    path: Path
    infos: tuple[StrategyInfo, ...]
    classes: tuple[type[Strategy], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(info.name for info in self.infos)


@dataclass(frozen=True)
class ConfigRead:
    """A strategies file as read: what its strategy files define, its entries (not checked
    yet) and the problems met reading them."""

    path: Path
    found: tuple[Found, ...]
    strategies: Mapping[str, Any]
    problems: tuple[str, ...]


class StrategyRegistry:
    def __init__(self, import_files: bool = False, load_budget: float = LOAD_BUDGET) -> None:
        """``import_files``: import a trader's files into this process (the command line,
        the worker process) instead of describing them in a worker process (the app);
        ``load_budget``: seconds a file may take to be described there."""
        self.import_files = import_files
        self.load_budget = load_budget
        self._classes: dict[str, type[Strategy]] = {cls.name: cls for cls in BUILTINS}
        self._infos: dict[str, StrategyInfo] = {cls.name: StrategyInfo.of(cls) for cls in BUILTINS}
        self._presets: dict[str, tuple[str, dict[str, Any]]] = {}

    def names(self) -> list[str]:
        return sorted({*self._infos, *self._presets})

    def register(self, cls: type[Strategy], file: Path | None = None) -> None:
        """Add ``cls``; ``file`` is the trader's file it comes from (None: trusted code)."""
        if not cls.name:
            raise StrategyError(f"strategy class {cls.__name__} has no name")
        self._classes[cls.name] = cls
        self._infos[cls.name] = StrategyInfo.of(cls, file)

    def _add_described(self, info: StrategyInfo) -> None:
        self._classes.pop(info.name, None)
        self._infos[info.name] = info

    def origin(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], Path | None]:
        """What ``create(name, params)`` would make, without making it: the class's name,
        the parameters given to it (a preset's, then ``params``) and the trader's file that
        defines it (None for trusted code). Raises StrategyError for an unknown name."""
        base, preset = self._presets.get(name, (name, {}))
        if base not in self._infos:
            raise StrategyError(
                f"unknown strategy {name!r}; known strategies: {', '.join(self.names())}"
            )
        return base, {**preset, **(params or {})}, self._infos[base].file

    def info(self, name: str) -> StrategyInfo:
        """What is known of the strategy ``name`` is made from (a preset's base strategy);
        StrategyError for an unknown name."""
        return self._infos[self.origin(name)[0]]

    def class_of(self, name: str) -> type[Strategy]:
        """The class of the strategy ``name`` (StrategyError if its code is not here)."""
        cls = self._classes.get(name)
        if cls is None:
            raise StrategyError(f"no strategy class {name!r} in this process")
        return cls

    def create(self, name: str, params: Mapping[str, Any] | None = None) -> Strategy:
        """A new strategy; ``params`` override the configured ones. Raises StrategyError,
        also for a trader's strategy that was only described here (it runs in a worker)."""
        base, given, file = self.origin(name, params)
        cls = self._classes.get(base)
        if cls is None:
            raise StrategyError(
                f"strategy {name} from {file} runs only in a worker process, never in the app"
            )
        strategy = cls(**given)
        if base != name:
            strategy.name = name
        return strategy

    def describe(self, name: str) -> tuple[str, dict[str, float], dict[str, Param]]:
        """``name``'s description, its parameters' values and what each means, from its
        description alone: a trader's own code is not run here. Raises StrategyError."""
        base, given, _ = self.origin(name)
        info = self._infos[base]
        return info.description or name, info.resolve(given), dict(info.params)

    def check(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The parameters ``name`` would run with, or StrategyError for bad ones. A trusted
        strategy is made to run all its checks; a trader's own is not (its code runs in a
        worker process, which makes it, checks and all, when it is to run)."""
        base, given, file = self.origin(name, params)
        if file is None:
            return self.create(name, params).params
        return self._infos[base].resolve(given)

    def load_file(self, path: Path) -> list[str]:
        """Register the strategies a trader's file defines: described in a worker process
        (or imported here with ``import_files``). StrategyError saying why it cannot be."""
        return self.add_found(self.find_in_file(path))

    def find_in_file(self, path: Path, describer: FileDescriber | None = None) -> Found:
        """What a trader's file defines, registering nothing: the slow part of
        :meth:`load_file` (up to the load budget), safe on any thread. StrategyError saying
        why it cannot be used."""
        if self.import_files:
            return _imported(path)
        if describer is not None:
            return _described(describer, path)
        with FileDescriber(self.load_budget) as own:
            return _described(own, path)

    def add_found(self, found: Found) -> list[str]:
        """Register what :meth:`find_in_file` found (on the thread that uses the registry);
        the names of the strategies."""
        classes = {cls.name: cls for cls in found.classes}
        for info in found.infos:
            if info.name in classes:
                self._classes[info.name] = classes[info.name]
                self._infos[info.name] = info
            else:
                self._add_described(info)
        return list(found.names)

    def import_file(self, path: Path) -> list[str]:
        """Import a trader's strategy file into this process and register its strategies."""
        return self.add_found(_imported(path))

    def load_config(self, path: Path) -> list[str]:
        """Apply a strategies file. Returns the problems found (each entry that could not be
        used is skipped and named; a file that cannot be used at all is kept aside, see
        :mod:`qfdesk.engine.strategies.config_file`); a missing file is no problem."""
        return self.apply_config(self.read_config(path))

    def read_config(self, path: Path) -> ConfigRead:
        """The strategies file and what its strategy files define, registering nothing: the
        slow part of :meth:`load_config`, safe on any thread."""
        path = Path(path)
        loaded = read_strategies_file(path)
        if loaded.problem is not None:
            return ConfigRead(path, (), {}, (loaded.problem,))
        found: list[Found] = []
        problems: list[str] = []
        with FileDescriber(self.load_budget) as describer:
            for entry in loaded.files:
                try:
                    found.append(self.find_in_file(path.parent / entry, describer))
                except StrategyError as exc:
                    problems.append(str(exc))
        return ConfigRead(path, tuple(found), loaded.strategies, tuple(problems))

    def apply_config(self, read: ConfigRead) -> list[str]:
        """Register what :meth:`read_config` found and configure the file's entries; the
        problems, each entry that could not be used skipped and named."""
        for found in read.found:
            self.add_found(found)
        problems = list(read.problems)
        for name, params in read.strategies.items():
            problem = self._configure(name, params)
            if problem:
                problems.append(f"{read.path}: {problem}")
        for problem in problems:
            log.warning("%s", problem)
        return problems

    def _configure(self, name: str, params: Any) -> str | None:
        if not isinstance(params, dict):
            return f"{name}: parameters must be an object"
        params = dict(params)
        base = str(params.pop("base", name))
        if base in self._presets:
            base, inherited = self._presets[base]
            params = {**inherited, **params}
        if base not in self._infos:
            return f"{name}: unknown strategy {base!r}"
        try:
            if base in self._classes:
                self._classes[base](**params)
            else:
                self._infos[base].resolve(params)
        except StrategyError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a trader's own strategy may fail in any way
            return f"{name}: {base} could not be made: {type(exc).__name__}: {exc}"
        self._presets[name] = (base, params)
        return None


def _described(describer: FileDescriber, path: Path) -> Found:
    infos = describer.describe(_existing(path))
    log.info("described strategies %s from %s", [info.name for info in infos], path)
    return Found(path, tuple(infos))


def _imported(path: Path) -> Found:
    """Import a trader's strategy file into this process: its strategy classes."""
    path = _existing(path)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"qfdesk_user_strategy_{digest}", path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"strategy file {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise StrategyError(load_error(path, exc)) from exc
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and obj.__module__ == module.__name__
        and obj.name
    ]
    if not found:
        raise StrategyError(f"strategy file {path} defines no Strategy subclass with a name")
    log.info("loaded strategies %s from %s", [cls.name for cls in found], path)
    return Found(path, tuple(StrategyInfo.of(cls, path) for cls in found), tuple(found))


def _existing(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise StrategyError(f"strategy file {path} does not exist")
    return path.resolve()


def load_error(path: Path, exc: BaseException) -> str:
    """Why importing a trader's file failed, with the line of that file where it did."""
    if isinstance(exc, SyntaxError):
        line, what = exc.lineno, exc.msg
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        line, what = (frames[-1].lineno if frames else None), str(exc)
    where = f" at line {line}" if line else ""
    return (
        f"{path.name}: {type(exc).__name__}{where}: {what}; the strategy file {path} failed "
        "to load: fix it and load it again"
    )


class FileDescriber:
    """Has a worker process import trader's files and describe their strategies, each
    within ``budget`` seconds; one process for as long as none overruns or dies. A context
    manager: the process ends with the ``with`` block."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._process: StrategyProcess | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._process is not None:
            self._process.close()
            self._process = None

    def describe(self, path: Path) -> list[StrategyInfo]:
        """The strategies of the file at ``path``; StrategyError saying why not."""
        try:
            if self._process is None or not self._process.alive:
                self.close()
                self._process = StrategyProcess()
            answer = self._process.call(("describe", path), self.budget)
        except StrategyOverrun:
            raise StrategyError(
                f"{path.name} took longer than {self.budget:g} s to load: it was stopped "
                f"(does it compute or wait for something when imported?); the strategy file "
                f"{path} was not loaded"
            ) from None
        except WorkerGone as exc:
            raise StrategyError(f"{path.name} could not be loaded: {exc}") from None
        match answer:
            case ["refused", str() as problem]:
                raise StrategyError(problem)
            case ["described", list() as found] if found:
                try:
                    return [info_from(data, path) for data in found]
                except ValueError as exc:
                    self.close()
                    raise StrategyError(
                        f"{path.name}: its worker process gave a bad description ({exc})"
                    ) from None
        self.close()
        raise StrategyError(f"{path.name}: its worker process gave a bad answer {answer!r:.80}")
