"""Built-in crossing strategies: ``sma-cross``, ``rsi-reversal`` and ``macd-cross``.

Each decides on a closed candle by comparing it with the candle before: a state ("fast above
slow", "RSI above the low level"...) that turns on gives the signal. Indicators run over the
candles in the order given; a gap in time does not reset them. ``on_candle`` (live) and
``signals`` (vectorised, backtests) are the same rule written twice and tested equal.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.indicators import batch, incremental
from qfdesk.engine.indicators.windows import chunks
from qfdesk.engine.strategies.base import (
    LEVEL_TOLERANCE,
    PRICE_TOLERANCE,
    CandleArrays,
    Param,
    SignalArrays,
    Strategy,
    StrategyError,
    Vote,
    crossings,
)

SIGNAL_CHUNK = 32768  # candles per chunk of a vectorised crossing


class _Crossing:
    """Remembers the previous candle's (above, below) state and reports when one turns on."""

    __slots__ = ("_prev",)

    def __init__(self) -> None:
        self._prev: tuple[bool, bool] | None = None

    def step(self, valid: bool, is_above: bool, is_below: bool) -> Direction | None:
        prev = self._prev
        self._prev = (is_above, is_below) if valid else None
        if prev is None or not valid:
            return None
        if is_above and not prev[0]:
            return Direction.CALL
        if is_below and not prev[1]:
            return Direction.PUT
        return None


class SmaCross(Strategy):
    name = "sma-cross"
    description = "CALL when SMA(fast) crosses above SMA(slow), PUT when it crosses below"
    PARAMS: ClassVar[dict[str, Param]] = {
        "fast": Param(5, "fast SMA period", int, minimum=1),
        "slow": Param(20, "slow SMA period", int, minimum=2),
        "confidence": Param(0.6, "confidence given to a cross", float, 0.0, 1.0),
    }

    def check_params(self) -> None:
        if self.params["fast"] >= self.params["slow"]:
            raise StrategyError(f"{self.name}: fast must be shorter than slow")

    def reset(self) -> None:
        self._fast = incremental.SMA(int(self.params["fast"]))
        self._slow = incremental.SMA(int(self.params["slow"]))
        self._cross = _Crossing()

    def on_candle(self, candle: Candle) -> Vote | None:
        fast = self._fast.update(candle.close)
        slow = self._slow.update(candle.close)
        tolerance = PRICE_TOLERANCE * abs(candle.close)
        valid = not (math.isnan(fast) or math.isnan(slow))
        direction = self._cross.step(valid, fast - slow > tolerance, slow - fast > tolerance)
        if direction is None:
            return None
        side = "above" if direction is Direction.CALL else "below"
        reason = (
            f"SMA({self.params['fast']}) {fast:.6g} crossed {side} "
            f"SMA({self.params['slow']}) {slow:.6g}"
        )
        return Vote(direction, self.params["confidence"], reason)

    def signals(self, candles: CandleArrays) -> SignalArrays:
        close = np.asarray(candles.close, dtype=np.float64)
        fast = batch.sma(close, int(self.params["fast"]))
        slow = batch.sma(close, int(self.params["slow"]))
        n = close.shape[0]
        calls, puts = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        # chunk by chunk (each with the candle before it), so that the temporaries stay in
        # the CPU cache: a sweep runs this for every combination, on every core
        for lo, hi in chunks(n, SIGNAL_CHUNK):
            first = max(lo - 1, 0)
            span = slice(first, hi)
            tolerance = PRICE_TOLERANCE * np.abs(close[span])
            f, s = fast[span], slow[span]
            valid = ~(np.isnan(f) | np.isnan(s))
            with np.errstate(invalid="ignore"):
                up, down = crossings(f - s > tolerance, s - f > tolerance, valid)
            calls[lo:hi], puts[lo:hi] = up[lo - first :], down[lo - first :]
        confidence = np.broadcast_to(float(self.params["confidence"]), close.shape)
        return SignalArrays.from_masks(calls, puts, confidence)


class RsiReversal(Strategy):
    name = "rsi-reversal"
    description = "CALL when RSI climbs back above the low level, PUT when it falls below the high"
    PARAMS: ClassVar[dict[str, Param]] = {
        "period": Param(14, "RSI period", int, minimum=1),
        "low": Param(30, "oversold level", float, 0.0, 100.0),
        "high": Param(70, "overbought level", float, 0.0, 100.0),
        "confidence": Param(
            0.6, "base confidence; each RSI point beyond the level adds 0.01", float, 0.0, 1.0
        ),
    }

    def check_params(self) -> None:
        if self.params["low"] >= self.params["high"]:
            raise StrategyError(f"{self.name}: low must be below high")

    def reset(self) -> None:
        self._rsi = incremental.RSI(int(self.params["period"]))
        self._prev = math.nan
        self._cross = _Crossing()

    def _confidence(self, direction: Direction, prev: float) -> float:
        depth = (
            self.params["low"] - prev if direction is Direction.CALL else prev - self.params["high"]
        )
        return min(1.0, self.params["confidence"] + max(0.0, depth) / 100.0)

    def on_candle(self, candle: Candle) -> Vote | None:
        low, high = self.params["low"], self.params["high"]
        value = self._rsi.update(candle.close)
        prev, self._prev = self._prev, value
        valid = not math.isnan(value)
        direction = self._cross.step(
            valid, value - low > LEVEL_TOLERANCE, high - value > LEVEL_TOLERANCE
        )
        if direction is None:
            return None
        if direction is Direction.CALL:
            reason = f"RSI({self.params['period']}) rose from {prev:.2f} back above {low:g}"
        else:
            reason = f"RSI({self.params['period']}) fell from {prev:.2f} back below {high:g}"
        return Vote(direction, self._confidence(direction, prev), reason)

    def signals(self, candles: CandleArrays) -> SignalArrays:
        low, high = self.params["low"], self.params["high"]
        value = batch.rsi(np.asarray(candles.close, np.float64), int(self.params["period"]))
        with np.errstate(invalid="ignore"):
            calls, puts = crossings(
                value - low > LEVEL_TOLERANCE, high - value > LEVEL_TOLERANCE, ~np.isnan(value)
            )
        prev = np.full_like(value, np.nan)
        prev[1:] = value[:-1]
        depth = np.where(calls, low - prev, prev - high)
        with np.errstate(invalid="ignore"):
            confidence = np.minimum(1.0, self.params["confidence"] + np.maximum(0.0, depth) / 100.0)
        return SignalArrays.from_masks(calls, puts, confidence)


class MacdCross(Strategy):
    name = "macd-cross"
    description = "CALL when the MACD line crosses above its signal line, PUT when below"
    PARAMS: ClassVar[dict[str, Param]] = {
        "fast": Param(12, "fast EMA period", int, minimum=1),
        "slow": Param(26, "slow EMA period", int, minimum=2),
        "signal": Param(9, "signal EMA period", int, minimum=1),
        "confidence": Param(0.6, "confidence given to a cross", float, 0.0, 1.0),
    }

    def check_params(self) -> None:
        if self.params["fast"] >= self.params["slow"]:
            raise StrategyError(f"{self.name}: fast must be shorter than slow")

    def reset(self) -> None:
        self._macd = incremental.MACD(
            int(self.params["fast"]), int(self.params["slow"]), int(self.params["signal"])
        )
        self._cross = _Crossing()

    def on_candle(self, candle: Candle) -> Vote | None:
        line, signal, _ = self._macd.update(candle.close)
        tolerance = PRICE_TOLERANCE * abs(candle.close)
        valid = not math.isnan(line)
        direction = self._cross.step(valid, line - signal > tolerance, signal - line > tolerance)
        if direction is None:
            return None
        side = "above" if direction is Direction.CALL else "below"
        reason = f"MACD {line:.6g} crossed {side} its signal {signal:.6g}"
        return Vote(direction, self.params["confidence"], reason)

    def signals(self, candles: CandleArrays) -> SignalArrays:
        close = np.asarray(candles.close, np.float64)
        line, signal, _ = batch.macd(
            close, int(self.params["fast"]), int(self.params["slow"]), int(self.params["signal"])
        )
        tolerance = PRICE_TOLERANCE * np.abs(close)
        with np.errstate(invalid="ignore"):
            calls, puts = crossings(
                line - signal > tolerance, signal - line > tolerance, ~np.isnan(line)
            )
        return SignalArrays.from_masks(calls, puts, np.full(close.shape, self.params["confidence"]))
