"""What a strategy is: parameters, a per-candle decision, and the signals it gives.

A strategy sees closed candles one at a time (``on_candle``) and may answer with a ``Vote``.
``signals`` runs it over whole arrays of closed candles; built-in strategies override it with
vectorised code that must give exactly what ``on_candle`` gives (tests hold them to it).
The default ``signals`` simply feeds a fresh instance candle by candle, so a trader's own
strategy needs nothing but ``on_candle``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

import numpy as np

from qfdesk.engine.events import Candle, Direction

# Crossings compare with a dead band this wide (relative to the price, or absolute for
# oscillators) so that a tie, as flat markets give, is a tie in the batch and the live code
# alike instead of depending on the last bit of rounding.
PRICE_TOLERANCE = 1e-10
LEVEL_TOLERANCE = 1e-9

CALL = 1
PUT = -1

# Whole-number parameters (periods, candle counts, seconds) above this are refused: no
# strategy needs more, and larger ones overflow the queues and arrays the strategies keep.
LARGEST_WHOLE = 1_000_000_000


class StrategyError(ValueError):
    """A strategy cannot be made: unknown name, bad parameter, unreadable strategies file."""


@dataclass(frozen=True, slots=True)
class Vote:
    """A strategy's answer for one closed candle."""

    direction: Direction
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class Signal:
    """A vote stamped with where and when it applies: trade ``direction`` for ``expiry``
    seconds from the close of the candle that starts at ``candle_start``."""

    strategy: str
    asset: str
    timeframe: int
    candle_start: int
    direction: Direction
    confidence: float
    expiry: int
    reason: str


class SignalArrays(NamedTuple):
    """Signals over arrays of candles: candle index, +1 CALL / -1 PUT, confidence."""

    index: np.ndarray  # type: ignore[assignment]  # the field shadows tuple.index
    direction: np.ndarray
    confidence: np.ndarray

    @classmethod
    def from_masks(
        cls, calls: np.ndarray, puts: np.ndarray, confidence: np.ndarray
    ) -> SignalArrays:
        """Signals where ``calls`` or ``puts`` is true (never both), confidence per candle."""
        index = np.flatnonzero(calls | puts)
        direction = np.where(calls[index], CALL, PUT).astype(np.int8)
        return cls(index.astype(np.int64), direction, confidence[index].astype(np.float64))


class CandleArrays(Protocol):
    """Columns of closed candles, ascending by start (``CandleSeries`` is one)."""

    @property
    def start(self) -> np.ndarray: ...
    @property
    def open(self) -> np.ndarray: ...
    @property
    def high(self) -> np.ndarray: ...
    @property
    def low(self) -> np.ndarray: ...
    @property
    def close(self) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Param:
    default: float
    help: str
    kind: type = float
    minimum: float | None = None
    maximum: float | None = None

    def convert(self, strategy: str, name: str, value: Any) -> float:
        """The value as this parameter's kind, or StrategyError saying what is wrong."""
        what, got = f"{strategy}: {name}", _shown(value)
        if isinstance(value, bool):
            raise StrategyError(f"{what} must be a number, got {got}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise StrategyError(f"{what} must be a number, got {got}") from None
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise StrategyError(f"{what} must be a finite number, got {got}")
        if self.kind is int:
            if number != int(number):
                raise StrategyError(f"{what} must be a whole number, got {got}")
            if abs(number) > LARGEST_WHOLE:
                raise StrategyError(f"{what} must be at most {LARGEST_WHOLE:,}, got {got}")
            number = int(number)
        if self.minimum is not None and number < self.minimum:
            raise StrategyError(f"{what} must be >= {self.minimum:g}, got {got}")
        if self.maximum is not None and number > self.maximum:
            raise StrategyError(f"{what} must be <= {self.maximum:g}, got {got}")
        return number


def _shown(value: Any) -> str:
    """``value`` as written in a message, cut short when it is very long."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def resolve_params(
    strategy: str, known: Mapping[str, Param], given: Mapping[str, Any]
) -> dict[str, float]:
    """Every parameter of ``known`` as its kind, ``given`` over the defaults; StrategyError
    for an unknown name or a bad value."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise StrategyError(
            f"{strategy}: unknown parameter {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known))}"
        )
    return {
        key: param.convert(strategy, key, given.get(key, param.default))
        for key, param in known.items()
    }


COMMON_PARAMS: dict[str, Param] = {
    "expiry": Param(60, "trade duration in seconds", int, minimum=1),
}


class Strategy:
    """Base class. Subclasses set ``name``, ``description``, ``PARAMS`` and implement
    ``reset`` (fresh indicator state) and ``on_candle``."""

    name: str = ""  # an instance made under a preset's name carries that name
    description: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Param]] = {}

    def __init__(self, **params: Any) -> None:
        self.params = self.resolve_params(params)
        self.check_params()
        self.reset()

    @classmethod
    def all_params(cls) -> dict[str, Param]:
        return {**COMMON_PARAMS, **cls.PARAMS}

    @classmethod
    def resolve_params(cls, given: Mapping[str, Any]) -> dict[str, float]:
        return resolve_params(cls.name, cls.all_params(), given)

    def check_params(self) -> None:
        """Raise StrategyError for parameter combinations that make no sense."""

    @property
    def expiry(self) -> int:
        return int(self.params["expiry"])

    def fresh(self) -> Strategy:
        """A new instance with the same parameters (and name) and no history."""
        clone = type(self)(**self.params)
        clone.name = self.name
        return clone

    def reset(self) -> None:
        raise NotImplementedError

    def on_candle(self, candle: Candle) -> Vote | None:
        """Take the next closed candle; return a vote or None."""
        raise NotImplementedError

    def signals(self, candles: CandleArrays) -> SignalArrays:
        """Signals over closed candles in order, through ``on_candle`` of a fresh instance
        (candles carry the ``asset`` and ``timeframe`` of ``candles`` if it has them)."""
        fresh = self.fresh()
        asset, timeframe = getattr(candles, "asset", ""), getattr(candles, "timeframe", 0)
        index, direction, confidence = [], [], []
        columns = zip(
            candles.start.tolist(),
            candles.open.tolist(),
            candles.high.tolist(),
            candles.low.tolist(),
            candles.close.tolist(),
        )
        for i, (start, open_, high, low, close) in enumerate(columns):
            vote = fresh.on_candle(Candle(asset, timeframe, start, open_, high, low, close))
            if vote is not None:
                index.append(i)
                direction.append(CALL if vote.direction is Direction.CALL else PUT)
                confidence.append(vote.confidence)
        return SignalArrays(
            np.array(index, np.int64), np.array(direction, np.int8), np.array(confidence)
        )


def crossings(
    is_above: np.ndarray, is_below: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of candles where the state turns to above (CALL) or to below (PUT), comparing
    each candle with the one before; both must have valid values."""
    calls = np.zeros(is_above.shape[0], dtype=bool)
    puts = np.zeros(is_above.shape[0], dtype=bool)
    both = valid[1:] & valid[:-1]
    calls[1:] = both & is_above[1:] & ~is_above[:-1]
    puts[1:] = both & is_below[1:] & ~is_below[:-1]
    return calls, puts
