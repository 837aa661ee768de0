"""What the app knows of a strategy without its code: name, description, parameters.

A trader's file is imported only in a worker process (see ``sandbox``); there each of its
strategy classes is turned into plain data (:func:`info_data`), and here that data is
checked and read back (:func:`info_from`) into a :class:`StrategyInfo`. Its parameters are
real :class:`Param` objects, so the app checks a trader's values (kind, range, unknown names)
by the very rules the strategy itself applies, without running any of its code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qfdesk.engine.strategies.base import Param, Strategy, StrategyError, resolve_params

MAX_TEXT = 2000  # characters of a name, description or help kept from a trader's file


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    """A strategy as the app sees it; ``file`` is the trader's file defining it (None for
    the built-ins)."""

    name: str
    description: str
    params: Mapping[str, Param]
    file: Path | None = None

    @classmethod
    def of(cls, strategy: type[Strategy], file: Path | None = None) -> StrategyInfo:
        return cls(strategy.name, strategy.description, strategy.all_params(), file)

    def resolve(self, given: Mapping[str, Any]) -> dict[str, float]:
        """``given`` over the defaults, each as its kind; StrategyError for a bad one."""
        return resolve_params(self.name, self.params, given)


def info_data(strategy: type[Strategy]) -> list[Any]:
    """A strategy class as JSON-able data (in the worker); StrategyError if its ``PARAMS``
    is not a mapping of names to ``Param``."""
    params = strategy.all_params()
    if not isinstance(params, dict) or not all(
        isinstance(key, str) and isinstance(param, Param) for key, param in params.items()
    ):
        raise StrategyError(
            f"strategy {strategy.name}: PARAMS must map parameter names to Param(...) values"
        )
    return [
        str(strategy.name),
        str(strategy.description or ""),
        [
            [
                key,
                param.default,
                str(param.help),
                "int" if param.kind is int else "float",
                param.minimum,
                param.maximum,
            ]
            for key, param in params.items()
        ],
    ]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r:.40} is not a finite number")
    return value


def _bound(value: Any) -> float | None:
    return None if value is None else _number(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r:.40} is not text")  # noqa: TRY004 - bad data, not a bug
    return value[:MAX_TEXT]


def info_from(data: Any, file: Path) -> StrategyInfo:
    """:func:`info_data`'s answer, checked; ValueError saying what is wrong with it."""
    match data:
        case [str() as name, str() as description, list() as params] if name:
            pass
        case _:
            raise ValueError(f"not a strategy description: {data!r:.80}")
    known: dict[str, Param] = {}
    for entry in params:
        match entry:
            case [str() as key, default, help_, "int" | "float" as kind, low, high] if key:
                known[key] = Param(
                    _number(default),
                    _text(help_),
                    int if kind == "int" else float,
                    _bound(low),
                    _bound(high),
                )
            case _:
                raise ValueError(f"not a parameter: {entry!r:.80}")
    return StrategyInfo(_text(name), _text(description), known, file)
