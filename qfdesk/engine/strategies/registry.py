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

The auto-trader runs a file's strategies in a worker process (see ``host``), never in the
app's: here a file is imported to learn its names and parameters, and :meth:`describe` and
:meth:`check` answer from the class without making a strategy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qfdesk.engine.strategies.base import Param, Strategy, StrategyError
from qfdesk.engine.strategies.config_file import read_strategies_file
from qfdesk.engine.strategies.confluence import Confluence
from qfdesk.engine.strategies.crossovers import MacdCross, RsiReversal, SmaCross

log = logging.getLogger(__name__)

BUILTINS: tuple[type[Strategy], ...] = (SmaCross, RsiReversal, MacdCross, Confluence)


class StrategyRegistry:
    def __init__(self) -> None:
        self._classes: dict[str, type[Strategy]] = {cls.name: cls for cls in BUILTINS}
        self._presets: dict[str, tuple[str, dict[str, Any]]] = {}
        self._files: dict[str, Path] = {}  # strategy class name -> the file defining it

    def names(self) -> list[str]:
        return sorted({*self._classes, *self._presets})

    def register(self, cls: type[Strategy], file: Path | None = None) -> None:
        """Add ``cls``; ``file`` is the trader's file it comes from (None: trusted code)."""
        if not cls.name:
            raise StrategyError(f"strategy class {cls.__name__} has no name")
        self._classes[cls.name] = cls
        if file is None:
            self._files.pop(cls.name, None)
        else:
            self._files[cls.name] = file

    def origin(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], Path | None]:
        """What ``create(name, params)`` would make, without making it: the class's name,
        the parameters given to it (a preset's, then ``params``) and the trader's file that
        defines it (None for trusted code). Raises StrategyError for an unknown name."""
        base, preset = self._presets.get(name, (name, {}))
        if base not in self._classes:
            raise StrategyError(
                f"unknown strategy {name!r}; known strategies: {', '.join(self.names())}"
            )
        return base, {**preset, **(params or {})}, self._files.get(base)

    def create(self, name: str, params: Mapping[str, Any] | None = None) -> Strategy:
        """A new strategy; ``params`` override the configured ones. Raises StrategyError."""
        base, preset = self._presets.get(name, (name, {}))
        cls = self._classes.get(base)
        if cls is None:
            raise StrategyError(
                f"unknown strategy {name!r}; known strategies: {', '.join(self.names())}"
            )
        strategy = cls(**{**preset, **(params or {})})
        if base != name:
            strategy.name = name
        return strategy

    def describe(self, name: str) -> tuple[str, dict[str, float], dict[str, Param]]:
        """``name``'s description, its parameters' values and what each means, from its class
        alone: a trader's own code is not run here. Raises StrategyError."""
        base, given, _ = self.origin(name)
        cls = self._classes[base]
        return cls.description or name, cls.resolve_params(given), cls.all_params()

    def check(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The parameters ``name`` would run with, or StrategyError for bad ones. A trusted
        strategy is made to run all its checks; a trader's own is not (its code runs in the
        strategy host's worker, which makes it, checks and all, when the auto-trader starts)."""
        base, given, file = self.origin(name, params)
        if file is None:
            return self.create(name, params).params
        return self._classes[base].resolve_params(given)

    def load_file(self, path: Path) -> list[str]:
        """Import a trader's strategy file and register the strategies it defines."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise StrategyError(f"strategy file {path} does not exist")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(f"qfdesk_user_strategy_{digest}", path)
        if spec is None or spec.loader is None:
            raise StrategyError(f"strategy file {path} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise StrategyError(
                f"strategy file {path} failed to load: {type(exc).__name__}: {exc}"
            ) from exc
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
        for cls in found:
            self.register(cls, path.resolve())
        log.info("loaded strategies %s from %s", [cls.name for cls in found], path)
        return [cls.name for cls in found]

    def load_config(self, path: Path) -> list[str]:
        """Apply a strategies file. Returns the problems found (each entry that could not be
        used is skipped and named; a file that cannot be used at all is kept aside, see
        :mod:`qfdesk.engine.strategies.config_file`); a missing file is no problem."""
        path = Path(path)
        loaded = read_strategies_file(path)
        if loaded.problem is not None:
            return [loaded.problem]
        problems: list[str] = []
        for entry in loaded.files:
            try:
                self.load_file(path.parent / entry)
            except StrategyError as exc:
                problems.append(str(exc))
        for name, params in loaded.strategies.items():
            problem = self._configure(name, params)
            if problem:
                problems.append(f"{path}: {problem}")
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
        if base not in self._classes:
            return f"{name}: unknown strategy {base!r}"
        try:
            self._classes[base](**params)
        except StrategyError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a trader's own strategy may fail in any way
            return f"{name}: {base} could not be made: {type(exc).__name__}: {exc}"
        self._presets[name] = (base, params)
        return None
