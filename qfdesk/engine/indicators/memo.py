"""Batch indicators computed once per distinct setting while many strategies read the same
candles, as a sweep's combinations do.

Inside ``with memo.active():`` a call of a :func:`memoized` indicator whose array arguments
are all columns given to the :class:`IndicatorMemo` (those arrays or views of the whole of
them, as the strategies pass ``candles.close``) is answered from the memo when the same
indicator was asked with the same other arguments before: ``sma(close, 20)`` is computed
once for every ``fast`` a sweep tries with ``slow = 20``. Any other call is computed as
usual. Answers from the memo are read-only arrays (a strategy that wrote into one would
change what the next combination reads); the memo forgets the least recently used answers
past ``budget`` bytes. The columns must not change while the memo is in use. The memo is
active in the thread (context) that entered it only.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import numpy as np

P = ParamSpec("P")
R = TypeVar("R")

BUDGET = 512 * 1024 * 1024
"""Bytes of answers a memo keeps: 64 indicators over a million candles."""

_ACTIVE: ContextVar[IndicatorMemo | None] = ContextVar("qfdesk_indicator_memo", default=None)


class IndicatorMemo:
    """Answers of indicators over ``columns``, by indicator name and arguments."""

    def __init__(self, columns: Sequence[np.ndarray], budget: int = BUDGET) -> None:
        self._columns = {_layout(column): i for i, column in enumerate(columns)}
        self._held_columns = tuple(columns)  # alive, so no other array takes their memory
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._budget = budget
        self._held = 0
        self.computed = 0
        """Indicators computed through the memo (not answered from it)."""

    @contextmanager
    def active(self) -> Iterator[IndicatorMemo]:
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def key(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
        """The call's key, or None when it cannot be answered from the memo (an array that is
        not one of the columns, an argument of another kind than a number or a word)."""
        named: list[tuple[str | None, Any]] = [(None, value) for value in args]
        named += sorted(kwargs.items())
        parts: list[Hashable] = [name]
        for keyword, value in named:
            token = self._token(value)
            if token is None:
                return None
            parts.append((keyword, token))
        return tuple(parts)

    def _token(self, value: Any) -> Hashable | None:
        if isinstance(value, np.ndarray):
            found = self._columns.get(_layout(value))
            return None if found is None else ("column", found)
        if isinstance(value, bool | int | float | str):
            return (type(value).__name__, value)
        return None

    def answer(self, key: Hashable, compute: Callable[[], R]) -> R:
        if key in self._answers:
            self._answers.move_to_end(key)
            found: R = self._answers[key]
            return found
        value = compute()
        self.computed += 1
        arrays = _arrays(value)
        for array in arrays:
            array.flags.writeable = False
        size = sum(array.nbytes for array in arrays)
        self._answers[key] = value
        self._sizes[key] = size
        self._held += size
        while self._held > self._budget and len(self._answers) > 1:
            oldest, _ = self._answers.popitem(last=False)
            self._held -= self._sizes.pop(oldest)
        return value


def _layout(array: np.ndarray) -> Hashable:
    """Where an array's values are and how they are laid out: equal for a column and every
    view of all of it (``np.asarray(column, np.float64)`` may give a new view of the same
    values, as it does of an unpickled column)."""
    address: int = array.__array_interface__["data"][0]
    return address, array.shape, array.strides, array.dtype.str


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple):
        return [item for item in value if isinstance(item, np.ndarray)]
    return []


def memoized(indicator: Callable[P, R]) -> Callable[P, R]:
    """The indicator, answered from the active memo when there is one (see the module)."""
    name = f"{indicator.__module__}.{indicator.__qualname__}"

    @functools.wraps(indicator)
    def through_memo(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _ACTIVE.get()
        if memo is None:
            return indicator(*args, **kwargs)
        key = memo.key(name, args, kwargs)
        if key is None:
            return indicator(*args, **kwargs)
        return memo.answer(key, lambda: indicator(*args, **kwargs))

    return through_memo
