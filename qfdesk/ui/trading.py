"""Manual trading in the window: a BUY/SELL press becomes one intent for the order desk.

The desk (:mod:`qfdesk.desk.order_desk`) checks, asks REAL consent and places it; this
adapter refuses a second press while a trade is in flight (one intent, one trade), shows the
attempt in the trade tables and says the outcome in the trade panel.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from PySide6 import QtCore

from qfdesk.desk.order_desk import OrderDesk
from qfdesk.desk.orders import OrderIntent, OrderOutcome, Placement
from qfdesk.engine.events import Direction
from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.stake_plan import StakePlan, StakeSequence
from qfdesk.ui.trade_book import TradeBook, TradeRecord, side_name

log = logging.getLogger(__name__)


class TradeController(QtCore.QObject):
    busyChanged = QtCore.Signal(bool)
    message = QtCore.Signal(str, str)  # text, kind (info / warning / error)

    def __init__(
        self,
        desk: OrderDesk,
        book: TradeBook,
        payout_of: Callable[[str], float | None],
        parent: QtCore.QObject | None = None,
        balance_of: Callable[[], float | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.book = book
        self._payout_of = payout_of
        self._balance_of = balance_of
        self.stakes: StakeSequence | None = None
        """The stake plan in use; None: each trade stakes the amount typed."""
        self._planned: set[str] = set()
        self.busy = False
        self.task: asyncio.Task[None] | None = None
        book.closed.connect(self._closed)

    def request(self, asset: str, direction: Direction, amount: float, expiry: int) -> bool:
        """Start one trade; False (and a message) if one is already in flight."""
        side = side_name(direction)
        alarm = self.desk.alarm
        if alarm is not None:
            log.error("trade %s %s refused: trading is stopped by the alarm", side, asset)
            self.message.emit(alarm.text, "error")
            return False
        if self.busy:
            log.warning("trade %s %s ignored: another trade is still in flight", side, asset)
            self.message.emit("A trade is still in flight; wait for its outcome.", "warning")
            return False
        if self.stakes is not None:
            balance = self._balance_of()
            if balance is None:
                self.message.emit("The balance is not known yet; the stake plan waits.", "warning")
                return False
            planned = self.stakes.next_stake(balance)
            if planned.stake is None:
                log.warning("trade %s %s refused: %s", side, asset, planned.reason)
                self.message.emit(f"Not traded: {planned.reason}.", "error")
                return False
            amount = planned.stake
        self._set_busy(True)
        intent = OrderIntent(asset, direction, amount, expiry, uuid.uuid4().hex[:12])
        if self.stakes is not None:
            self._planned.add(intent.intent_id)
        self.task = asyncio.ensure_future(self._run(intent))
        return True

    def set_stake_plan(self, plan: StakePlan | None, limits: RiskLimits) -> None:
        """Stake by ``plan`` from now on (from its first step), or as typed (None)."""
        self.stakes = None if plan is None else StakeSequence(plan, limits)
        self._planned.clear()
        log.info("manual stake plan: %s", "amount as typed" if plan is None else plan.describe())

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    async def _run(self, intent: OrderIntent) -> None:
        side = side_name(intent.direction)
        payout = self._payout_of(intent.asset)
        record = self.book.add(
            TradeRecord(
                key=intent.intent_id,
                asset=intent.asset,
                direction=intent.direction,
                amount=intent.amount,
                expiry=intent.expiry,
                payout=payout,
            )
        )

        def placing() -> None:
            text = f"Placing {side} {intent.amount:g} on {intent.asset}\u2026"
            self.message.emit(text, "info")

        try:
            outcome = await self.desk.place(intent, on_placing=placing)
            self.book.record_outcome(record, outcome)
            self._tell(outcome)
        finally:
            self._set_busy(False)

    def _tell(self, outcome: OrderOutcome) -> None:
        if outcome.placement is Placement.PLACED:
            text = f"Trade placed: deal {outcome.deal_id or '?'}; waiting for expiry."
            self.message.emit(text, "info")
        elif outcome.placement is Placement.UNCONFIRMED:
            self.message.emit(outcome.reason or "clicked, not confirmed", "error")
        else:
            self.message.emit(f"Not traded ({outcome.stage.value}): {outcome.reason}", "error")

    def _closed(self, record: TradeRecord) -> None:
        if record.source != "app":
            return
        profit = record.profit or 0.0
        self.desk.closed(record.key, profit)
        if self.stakes is not None and record.key in self._planned:
            self._planned.discard(record.key)
            self.stakes.record(profit)
        log.info(
            "trade %s: %s %+.2f (deal %s)", record.key, record.status.value, profit, record.deal_id
        )
        self.message.emit(f"{record.asset}: {record.status.value} {profit:+.2f}", "info")
