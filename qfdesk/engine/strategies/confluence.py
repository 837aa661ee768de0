"""``confluence``: weighs sma-cross, rsi-reversal and macd-cross into one confidence.

A component's latest signal stays in force for ``window`` candles (the candle it fired on
included). On a candle where some component fires, the score is the sum over components in
force of weight * (+1 CALL / -1 PUT) * that signal's confidence; the confidence is
|score| / sum of weights. A signal is given when that reaches ``threshold`` and a component
firing on this candle points the same way as the score. A component weighted 0 is not run.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.strategies.base import (
    CALL,
    PUT,
    CandleArrays,
    Param,
    SignalArrays,
    Strategy,
    StrategyError,
    Vote,
)
from qfdesk.engine.strategies.crossovers import MacdCross, RsiReversal, SmaCross

_COMPONENTS: tuple[tuple[str, type[Strategy], dict[str, str]], ...] = (
    ("sma", SmaCross, {"sma_fast": "fast", "sma_slow": "slow"}),
    ("rsi", RsiReversal, {"rsi_period": "period", "rsi_low": "low", "rsi_high": "high"}),
    (
        "macd",
        MacdCross,
        {"macd_fast": "fast", "macd_slow": "slow", "macd_signal": "signal"},
    ),
)


class Confluence(Strategy):
    name = "confluence"
    description = "weighs sma-cross, rsi-reversal and macd-cross into one confidence"
    PARAMS: ClassVar[dict[str, Param]] = {
        "weight_sma": Param(1.0, "weight of sma-cross", float, minimum=0.0),
        "weight_rsi": Param(1.0, "weight of rsi-reversal", float, minimum=0.0),
        "weight_macd": Param(1.0, "weight of macd-cross", float, minimum=0.0),
        "window": Param(3, "candles a component's signal stays in force", int, minimum=1),
        "threshold": Param(0.3, "smallest combined confidence that gives a signal", float, 0, 1),
        "sma_fast": Param(5, "sma-cross fast period", int, minimum=1),
        "sma_slow": Param(20, "sma-cross slow period", int, minimum=2),
        "rsi_period": Param(14, "rsi-reversal period", int, minimum=1),
        "rsi_low": Param(30, "rsi-reversal low level", float, 0.0, 100.0),
        "rsi_high": Param(70, "rsi-reversal high level", float, 0.0, 100.0),
        "macd_fast": Param(12, "macd-cross fast period", int, minimum=1),
        "macd_slow": Param(26, "macd-cross slow period", int, minimum=2),
        "macd_signal": Param(9, "macd-cross signal period", int, minimum=1),
    }

    def check_params(self) -> None:
        if self._total_weight() <= 0.0:
            raise StrategyError(f"{self.name}: at least one weight must be above 0")
        self._parts = [
            (key, cls(**{inner: self.params[outer] for outer, inner in names.items()}))
            for key, cls, names in _COMPONENTS
            if self.params[f"weight_{key}"] > 0
        ]

    def _total_weight(self) -> float:
        return sum(self.params[f"weight_{key}"] for key, _, _ in _COMPONENTS)

    def reset(self) -> None:
        self._count = 0
        self._parts = [(key, part.fresh()) for key, part in self._parts]
        self._latest: dict[str, tuple[int, Vote]] = {}

    def on_candle(self, candle: Candle) -> Vote | None:
        i = self._count
        self._count += 1
        fired: list[tuple[str, Vote]] = []
        for key, part in self._parts:
            vote = part.on_candle(candle)
            if vote is not None:
                self._latest[key] = (i, vote)
                fired.append((key, vote))
        if not fired:
            return None
        window = int(self.params["window"])
        score = 0.0
        in_force: list[str] = []
        for key, _ in self._parts:
            latest = self._latest.get(key)
            if latest is not None and i - latest[0] < window:
                sign = 1.0 if latest[1].direction is Direction.CALL else -1.0
                score = score + self.params[f"weight_{key}"] * sign * latest[1].confidence
                in_force.append(f"{key} {latest[1].direction.value.upper()}")
        confidence = abs(score) / self._total_weight()
        direction = Direction.CALL if score > 0 else Direction.PUT
        if score == 0.0 or confidence < self.params["threshold"]:
            return None
        if not any(vote.direction is direction for _, vote in fired):
            return None
        reason = f"confluence {confidence:.2f} from " + ", ".join(in_force)
        return Vote(direction, confidence, reason)

    def signals(self, candles: CandleArrays) -> SignalArrays:
        n = np.asarray(candles.close).shape[0]
        window = int(self.params["window"])
        positions = np.arange(n)
        score = np.zeros(n)
        fired_call = np.zeros(n, dtype=bool)
        fired_put = np.zeros(n, dtype=bool)
        for key, part in self._parts:
            found = part.signals(candles)
            weighted = np.zeros(n)
            weighted[found.index] = (
                self.params[f"weight_{key}"] * found.direction.astype(np.float64) * found.confidence
            )
            last = np.full(n, -1, dtype=np.int64)
            last[found.index] = found.index
            np.maximum.accumulate(last, out=last)
            in_force = (last >= 0) & (positions - last < window)
            score = score + np.where(in_force, weighted[np.maximum(last, 0)], 0.0)
            fired_call[found.index[found.direction == CALL]] = True
            fired_put[found.index[found.direction == PUT]] = True
        confidence = np.abs(score) / self._total_weight()
        strong = (score != 0.0) & (confidence >= self.params["threshold"])
        calls = strong & (score > 0) & fired_call
        puts = strong & (score < 0) & fired_put
        return SignalArrays.from_masks(calls, puts, confidence)
