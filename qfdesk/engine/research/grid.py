"""Parameter grids for a sweep: ``name=SPEC`` items, expanded into combinations.

A SPEC is a list ``3,5,8``, a range ``3..12`` (step 1, both ends included) or a range with a
step ``15..60:5``. Values are numbers; the strategy's own parameter rules decide what is
valid. A combination the strategy refuses (``fast >= slow``, a value below a minimum) is
skipped and counted, never an error; a SPEC that cannot be read, a parameter the strategy
does not declare, or a grid of no valid combination at all is a ``GridError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qfdesk.engine.strategies.base import Strategy, StrategyError

MAX_COMBINATIONS = 1_000_000
MAX_VALUES = 100_000


class GridError(ValueError):
    """A grid that cannot be swept; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class Grid:
    """The combinations a strategy accepts, in a stable order, and how many it refused."""

    names: tuple[str, ...]
    combinations: tuple[dict[str, float], ...]
    skipped: int
    skip_reasons: tuple[str, ...]

    @property
    def tried(self) -> int:
        return len(self.combinations)


def _number(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GridError(f"--grid {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise GridError(f"--grid {item!r}: {text!r} is not a finite number")
    return value


def parse_spec(item: str) -> tuple[str, tuple[float, ...]]:
    """``name=SPEC`` as the name and its values, in order, without repeats."""
    name, sep, spec = item.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise GridError(f"--grid {item!r} must look like name=3..12, name=15..60:5 or name=3,5,8")
    if ".." in spec:
        bounds, _, step_text = spec.partition(":")
        low_text, _, high_text = bounds.partition("..")
        low, high = _number(low_text, item), _number(high_text, item)
        step = _number(step_text, item) if step_text else 1.0
        if step <= 0:
            raise GridError(f"--grid {item!r}: the step must be above 0")
        if high < low:
            raise GridError(f"--grid {item!r}: the range runs from {low:g} down to {high:g}")
        count = math.floor((high - low) / step + 1e-9) + 1
        if count > MAX_VALUES:
            raise GridError(f"--grid {item!r} has {count} values; at most {MAX_VALUES}")
        values = [round(low + i * step, 12) for i in range(count)]
    else:
        values = [_number(part.strip(), item) for part in spec.split(",")]
    return name, tuple(dict.fromkeys(values))


def build_grid(
    make: Callable[[Mapping[str, Any]], Strategy],
    items: Iterable[str],
    fixed: Mapping[str, Any] | None = None,
) -> Grid:
    """Every combination of the items' values that the strategy ``make(params)`` builds
    accepts, with the ``fixed`` parameters (such as the expiry) in each."""
    specs = dict(parse_spec(item) for item in items)
    if not specs:
        raise GridError("give at least one --grid name=SPEC, e.g. --grid fast=3..12")
    try:
        strategy = make(dict(fixed or {}))
    except StrategyError as exc:
        raise GridError(str(exc)) from None
    known = strategy.all_params()
    unknown = sorted(set(specs) - set(known))
    if unknown:
        raise GridError(
            f"{strategy.name} has no parameter {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known))}"
        )
    total = math.prod(len(values) for values in specs.values())
    if total > MAX_COMBINATIONS:
        raise GridError(f"the grid has {total:,} combinations; at most {MAX_COMBINATIONS:,}")
    names = tuple(specs)
    accepted: list[dict[str, float]] = []
    reasons: dict[str, None] = {}
    skipped = 0
    for values in itertools.product(*specs.values()):
        given = {**(fixed or {}), **dict(zip(names, values))}
        try:
            params = make(given).params
        except StrategyError as exc:
            skipped += 1
            reasons.setdefault(str(exc))
            continue
        accepted.append(params)
    if not accepted:
        first = next(iter(reasons), "")
        raise GridError(f"no combination of the grid is valid for {strategy.name}: {first}")
    return Grid(names, tuple(accepted), skipped, tuple(reasons))
