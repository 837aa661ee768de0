"""The trading alarm: once a placed trade is found to differ from the trade that was meant,
no trade is placed any more this session, by hand or automatically.

Qt-free and thread-safe: the trade click trips it on the action executor, the manual trade
controller and the auto-trader consult it, and the window shows it (listeners are called on
the thread that trips it, once). It is never reset while the app runs: the trader checks the
platform's open trades and restarts qfdesk to trade again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Alarm:
    """What was placed against what was meant, as the trader reads them."""

    placed: str
    meant: str
    deal_id: str | None = None
    attempt_id: str | None = None

    @property
    def text(self) -> str:
        return (
            f"TRADING STOPPED: the platform placed {self.placed}, but the trade meant was "
            f"{self.meant}. No trade will be placed, by hand or automatically. Check the "
            "platform's open trades (both accounts), then restart qfdesk to trade again."
        )


class TradingHalt:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alarm: Alarm | None = None
        self._listeners: list[Callable[[Alarm], None]] = []

    @property
    def alarm(self) -> Alarm | None:
        with self._lock:
            return self._alarm

    @property
    def halted(self) -> bool:
        return self.alarm is not None

    def add_listener(self, listener: Callable[[Alarm], None]) -> None:
        """``listener(alarm)`` once, on the tripping thread (at once if already tripped)."""
        with self._lock:
            alarm = self._alarm
            if alarm is None:
                self._listeners.append(listener)
        if alarm is not None:
            listener(alarm)

    def trip(self, alarm: Alarm) -> bool:
        """Stop all trading; False if it was already stopped (the first alarm is kept)."""
        with self._lock:
            if self._alarm is not None:
                return False
            self._alarm = alarm
            listeners = list(self._listeners)
            self._listeners.clear()
        log.error("%s (deal %s, attempt %s)", alarm.text, alarm.deal_id, alarm.attempt_id)
        for listener in listeners:
            try:
                listener(alarm)
            except Exception:
                log.exception("a trading-alarm listener failed")
        return True
