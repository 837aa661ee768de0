"""Paper trading: trades that are never clicked, settled from the ticks that follow them.

A paper trade enters at a known price and time (an auto-trader's signal: the close of the
signal candle, at that candle's end) and exits at the last tick of its asset at or before
``expiry_time``. It is settled when a later tick shows that time has passed, or by the clock
(``on_clock``) when the stream is quiet; with no tick inside the trade the exit is the entry
(a refund). CALL wins if exit > entry, PUT if exit < entry, equal is a refund; a win pays
stake * payout / 100, a loss costs the stake. Paper results live here only, apart from the
account's real trades.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from qfdesk.engine.backtest_stats import (
    LOSS,
    WIN,
    BacktestStats,
    compute_stats,
    trade_profit,
)
from qfdesk.engine.events import Direction, Tick

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PaperTrade:
    id: str
    asset: str
    direction: Direction
    stake: float
    payout: float
    entry_time: float
    entry_price: float
    expiry_time: float
    exit_price: float | None = None
    outcome: int | None = None
    profit: float | None = None

    @property
    def settled(self) -> bool:
        return self.outcome is not None


class PaperBook:
    """Open and settled paper trades, and the paper balance."""

    def __init__(self, start_balance: float = 1000.0) -> None:
        self.start_balance = start_balance
        self.balance = start_balance
        self.settled: list[PaperTrade] = []
        self._open: dict[str, PaperTrade] = {}
        self._last: dict[str, float] = {}  # trade id -> last price at or before its expiry

    @property
    def open_trades(self) -> list[PaperTrade]:
        return list(self._open.values())

    def open(
        self,
        trade_id: str,
        asset: str,
        direction: Direction,
        stake: float,
        payout: float,
        entry_time: float,
        entry_price: float,
        expiry: float,
    ) -> PaperTrade:
        """A new paper trade; ValueError for a repeated id or a nonsensical one."""
        if trade_id in self._open or any(t.id == trade_id for t in self.settled):
            raise ValueError(f"paper trade {trade_id} exists already; one intent, one trade")
        if not (stake > 0 and expiry > 0 and entry_price > 0):
            raise ValueError(
                f"paper trade {trade_id}: stake, expiry and entry price must be above 0"
            )
        trade = PaperTrade(
            trade_id,
            asset,
            direction,
            stake,
            payout,
            entry_time,
            entry_price,
            entry_time + expiry,
        )
        self._open[trade_id] = trade
        self._last[trade_id] = entry_price
        log.info(
            "paper %s: %s %s stake %g at %g (t %.3f), expires %.3f",
            trade_id,
            direction.value.upper(),
            asset,
            stake,
            entry_price,
            entry_time,
            trade.expiry_time,
        )
        return trade

    def on_tick(self, tick: Tick) -> list[PaperTrade]:
        """Take the next tick of an asset (ticks of one asset in time order); the trades it
        settles."""
        done: list[PaperTrade] = []
        for trade in [t for t in self._open.values() if t.asset == tick.asset]:
            if tick.time <= trade.entry_time:
                continue
            if tick.time <= trade.expiry_time:
                self._last[trade.id] = tick.price
            else:
                done.append(self._settle(trade))
        return done

    def on_ticks(self, ticks: list[Tick]) -> list[PaperTrade]:
        done: list[PaperTrade] = []
        for tick in ticks:
            if self._open:
                done += self.on_tick(tick)
        return done

    def on_clock(self, now: float, grace: float = 2.0) -> list[PaperTrade]:
        """Settle trades whose expiry passed more than ``grace`` seconds before ``now``
        (platform time) with no later tick: the last tick seen is final."""
        return [self._settle(t) for t in list(self._open.values()) if t.expiry_time + grace < now]

    def _settle(self, trade: PaperTrade) -> PaperTrade:
        exit_price = self._last.pop(trade.id)
        del self._open[trade.id]
        move = float(np.sign(exit_price - trade.entry_price))
        outcome = int(move if trade.direction is Direction.CALL else -move)
        profit = trade_profit(outcome, trade.stake, trade.payout)
        done = replace(trade, exit_price=exit_price, outcome=outcome, profit=profit)
        self.balance += profit
        self.settled.append(done)
        log.info(
            "paper %s: %s %s entry %g exit %g: %s %+.2f (paper balance %.2f)",
            trade.id,
            trade.direction.value.upper(),
            trade.asset,
            trade.entry_price,
            exit_price,
            {WIN: "won", LOSS: "lost"}.get(outcome, "refund"),
            profit,
            self.balance,
        )
        return done

    def stats(self) -> BacktestStats:
        """The settled paper trades' statistics, as a backtest reports them."""
        outcome = np.array([t.outcome for t in self.settled], dtype=np.int8)
        profit = np.array([t.profit for t in self.settled], dtype=np.float64)
        return compute_stats(
            outcome,
            profit,
            skipped=0,
            start_balance=self.start_balance,
            signals=len(self.settled),
        )
