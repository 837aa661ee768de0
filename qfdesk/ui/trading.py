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
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.book = book
        self._payout_of = payout_of
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
        self._set_busy(True)
        intent = OrderIntent(asset, direction, amount, expiry, uuid.uuid4().hex[:12])
        self.task = asyncio.ensure_future(self._run(intent))
        return True

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
        log.info(
            "trade %s: %s %+.2f (deal %s)", record.key, record.status.value, profit, record.deal_id
        )
        self.message.emit(f"{record.asset}: {record.status.value} {profit:+.2f}", "info")
