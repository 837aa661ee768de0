"""Run one strategy on the closed candles of one asset and timeframe, live or replayed.

The runner is the only way candles reach a strategy: it hands over a candle once, in order,
and only when it is closed (a candle whose period has not ended by ``now`` is refused), so a
strategy cannot look ahead. A strategy that raises or answers nonsense is stopped; the runner
keeps the reason in ``error`` and the application goes on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.strategies.base import Signal, Strategy, Vote

log = logging.getLogger(__name__)


class StrategyRunner:
    def __init__(self, strategy: Strategy, asset: str, timeframe: int) -> None:
        self.strategy = strategy
        self.asset = asset
        self.timeframe = timeframe
        self.error: str | None = None
        self.refused = 0
        self.overran = False  # in this process nothing can stop a call: see StrategyHost
        self._last_start: int | None = None

    @property
    def stopped(self) -> bool:
        return self.error is not None

    @property
    def last_start(self) -> int | None:
        """The start of the last candle given to the strategy (None before the first)."""
        return self._last_start

    def has_seen(self, start: int) -> bool:
        """True if the strategy was given the candle starting at ``start`` or a later one."""
        return self._last_start is not None and start <= self._last_start

    def warm_up(self, candles: Iterable[Candle]) -> None:
        """Feed history (closed candles, in order) so indicators are ready; their signals are
        dropped, since those trades' time has passed."""
        for candle in candles:
            self._advance(candle, None)

    def on_candle(self, candle: Candle, now: float | None = None) -> Signal | None:
        """Give the strategy the next closed candle; its signal, if any.

        ``now`` (platform epoch seconds) lets the runner refuse a candle still forming."""
        vote = self._advance(candle, now)
        if vote is None:
            return None
        signal = Signal(
            strategy=self.strategy.name,
            asset=self.asset,
            timeframe=self.timeframe,
            candle_start=candle.start,
            direction=vote.direction,
            confidence=float(vote.confidence),
            expiry=self.strategy.expiry,
            reason=vote.reason,
        )
        log_signal(signal)
        return signal

    def _advance(self, candle: Candle, now: float | None) -> Vote | None:
        """Hand the candle to the strategy if it may see it; its checked vote."""
        if self.error is not None:
            return None
        refusal = self._refusal(candle, now)
        if refusal is not None:
            self.refused += 1
            log.warning(
                "%s on %s: candle %s refused: %s",
                self.strategy.name,
                self.asset,
                candle.start,
                refusal,
            )
            return None
        self._last_start = candle.start
        try:
            vote = self.strategy.on_candle(candle)
        except Exception as exc:  # noqa: BLE001 - a strategy's bug must not stop the app
            self._stop(f"raised {type(exc).__name__}: {exc}", candle, exc)
            return None
        if vote is None:
            return None
        problem = _vote_problem(vote)
        if problem is not None:
            self._stop(problem, candle)
            return None
        return vote

    def _refusal(self, candle: Candle, now: float | None) -> str | None:
        if candle.asset != self.asset or candle.timeframe != self.timeframe:
            return (
                f"it is {candle.asset} {candle.timeframe}s, this runner is for "
                f"{self.asset} {self.timeframe}s"
            )
        if self.has_seen(candle.start):
            return f"not after the last candle given ({self._last_start})"
        if now is not None and candle.start + self.timeframe > now:
            return f"not closed yet (it ends at {candle.start + self.timeframe}, now is {now})"
        return None

    def _stop(self, problem: str, candle: Candle, exc: BaseException | None = None) -> None:
        self.error = (
            f"strategy {self.strategy.name} on {self.asset} stopped at candle "
            f"{candle.start}: it {problem}"
        )
        log.error(self.error, exc_info=exc)


def _vote_problem(vote: object) -> str | None:
    if not isinstance(vote, Vote):
        return f"returned {type(vote).__name__} instead of a Vote or None"
    if not isinstance(vote.direction, Direction):
        return f"gave the direction {vote.direction!r} (CALL or PUT expected)"
    confidence = vote.confidence
    if (
        not isinstance(confidence, int | float)
        or math.isnan(confidence)
        or not 0 <= confidence <= 1
    ):
        return f"gave the confidence {confidence!r} (0 to 1 expected)"
    return None


def log_signal(signal: Signal) -> None:
    """The one log line of a signal, wherever its strategy ran."""
    log.info(
        "signal %s %s %s conf %.2f at %s: %s",
        signal.strategy,
        signal.asset,
        signal.direction.value,
        signal.confidence,
        signal.candle_start,
        signal.reason,
    )
