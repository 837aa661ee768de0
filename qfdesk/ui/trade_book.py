"""Every trade of the session: the app's own attempts and the platform's deals, joined by id.

Deal events (successopenOrder, updateOpenedDeals, successcloseOrder, updateClosedDeals) may
arrive before the capability that placed the trade has returned; both sides are joined by
the platform's deal id whichever comes first. Trades placed on the page by hand show too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

from PySide6 import QtCore

from qfdesk.desk.orders import OrderOutcome, Placement
from qfdesk.engine.events import Deal, DealsClosed, DealsOpened, Direction, OrderClosed, OrderOpened
from qfdesk.ui.chart.markers import TradeMarker, TradeResult


class TradeStatus(str, Enum):
    CHECKING = "checking"
    REFUSED = "refused"
    PENDING = "pending"
    UNCONFIRMED = "unconfirmed"
    WON = "won"
    LOST = "lost"
    REFUND = "refund"

    @property
    def finished(self) -> bool:
        return self in (TradeStatus.WON, TradeStatus.LOST, TradeStatus.REFUND)

    @property
    def open(self) -> bool:
        """Placed (or clicked, unconfirmed) and not settled yet."""
        return self in (TradeStatus.PENDING, TradeStatus.UNCONFIRMED)


_STATUS = {Placement.UNCONFIRMED: TradeStatus.UNCONFIRMED, Placement.REFUSED: TradeStatus.REFUSED}


@dataclass
class TradeRecord:
    """One trade (or attempt) as the window shows it."""

    key: str
    asset: str
    direction: Direction
    amount: float
    expiry: int
    payout: float | None = None
    status: TradeStatus = TradeStatus.CHECKING
    reason: str = ""
    deal_id: str | None = None
    open_price: float | None = None
    close_price: float | None = None
    open_ts: float | None = None
    close_ts: float | None = None
    profit: float | None = None
    source: str = "app"
    created: float = field(default_factory=time.time)


def side_name(direction: Direction) -> str:
    """BUY / SELL, as the trader says it (the platform says call / put)."""
    return "BUY" if direction is Direction.CALL else "SELL"


def result_of(deal: Deal) -> TradeStatus:
    """Won / lost / refund of a closed deal: by profit, else by prices and direction."""
    if deal.profit > 0:
        return TradeStatus.WON
    if deal.profit < 0:
        return TradeStatus.LOST
    if deal.close_price == deal.open_price or not deal.close_price:
        return TradeStatus.REFUND
    up = deal.close_price > deal.open_price
    return TradeStatus.WON if up == (deal.direction is Direction.CALL) else TradeStatus.LOST


class TradeBook(QtCore.QObject):
    changed = QtCore.Signal(object)  # TradeRecord
    closed = QtCore.Signal(object)  # TradeRecord with its result

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.records: list[TradeRecord] = []
        self._by_deal: dict[str, TradeRecord] = {}
        self._deals: dict[str, Deal] = {}
        self._closed: dict[str, Deal] = {}

    def add(self, record: TradeRecord) -> TradeRecord:
        self.records.append(record)
        self.changed.emit(record)
        return record

    def update(self, record: TradeRecord, **changes: object) -> None:
        for name, value in changes.items():
            setattr(record, name, value)
        if record.deal_id:
            self._by_deal[record.deal_id] = record
            opened = self._deals.get(record.deal_id)
            if opened is not None:
                self._fill(record, opened)
            done = self._closed.get(record.deal_id)
            if done is not None and not record.status.finished:
                self._finish(record, done)
                return
        self.changed.emit(record)

    def record_outcome(self, record: TradeRecord, outcome: OrderOutcome) -> None:
        """The order desk's answer for ``record``: pending (placed), unconfirmed or refused."""
        if outcome.placement is Placement.PLACED:
            self.update(record, status=TradeStatus.PENDING, deal_id=outcome.deal_id)
        else:
            self.update(record, status=_STATUS[outcome.placement], reason=outcome.reason)

    def open_trades(self) -> list[TradeRecord]:
        return [r for r in self.records if r.status.open]

    def finished_trades(self) -> list[TradeRecord]:
        return [r for r in self.records if r.status.finished]

    def apply(self, event: object) -> None:
        """A deal event from the platform (GUI thread)."""
        if isinstance(event, OrderOpened):
            self._opened(event.deal)
        elif isinstance(event, DealsOpened):
            for deal in event.deals:
                self._opened(deal)
        elif isinstance(event, OrderClosed | DealsClosed):
            for deal in event.deals:
                self._closed_deal(deal)

    def _opened(self, deal: Deal) -> None:
        if deal.id in self._closed:
            return
        self._deals[deal.id] = deal
        record = self._record_for(deal)
        if record is not None and self._fill(record, deal):
            self.changed.emit(record)

    def _record_for(self, deal: Deal) -> TradeRecord | None:
        """The record of ``deal``: the one joined to it, an unconfirmed attempt it turns out
        to be (a late confirmation), or a new record of a trade placed on the page by hand.
        None while an attempt that may be this deal still waits for its confirmation (the
        capability's result joins them)."""
        record = self._by_deal.get(deal.id)
        if record is not None:
            return record
        attempt = self._attempt_for(deal)
        if attempt is None:
            return self._platform_record(deal)
        if attempt.status is TradeStatus.CHECKING:
            return None
        attempt.deal_id = deal.id
        attempt.status = TradeStatus.PENDING
        self._by_deal[deal.id] = attempt
        return attempt

    def _platform_record(self, deal: Deal) -> TradeRecord:
        """A deal no attempt of the app's accounts for (placed on the page by hand)."""
        record = TradeRecord(
            key=deal.id,
            asset=deal.asset,
            direction=deal.direction,
            amount=deal.amount,
            expiry=int(deal.close_ts - deal.open_ts),
            payout=deal.percent_profit,
            status=TradeStatus.PENDING,
            deal_id=deal.id,
            source="platform",
        )
        self._by_deal[deal.id] = record
        self.records.append(record)
        return record

    def _attempt_for(self, deal: Deal) -> TradeRecord | None:
        """An app attempt with no deal id yet that may be this deal: still waiting for its
        confirmation, or clicked but left unconfirmed."""
        return next(
            (
                r
                for r in self.records
                if r.status in (TradeStatus.CHECKING, TradeStatus.UNCONFIRMED)
                and r.deal_id is None
                and r.asset == deal.asset
                and r.direction is deal.direction
                and abs(r.amount - deal.amount) < 1e-6
            ),
            None,
        )

    def _fill(self, record: TradeRecord, deal: Deal) -> bool:
        if record.open_ts == deal.open_ts and record.open_price == deal.open_price:
            return False
        record.open_price = deal.open_price
        record.open_ts = deal.open_ts
        record.close_ts = deal.close_ts
        return True

    def _closed_deal(self, deal: Deal) -> None:
        self._closed[deal.id] = deal
        record = self._record_for(deal)
        if record is not None and not record.status.finished:
            self._finish(record, deal)

    def _finish(self, record: TradeRecord, deal: Deal) -> None:
        record.open_price = deal.open_price or record.open_price
        record.open_ts = deal.open_ts or record.open_ts
        record.close_ts = deal.close_ts or record.close_ts
        record.close_price = deal.close_price
        record.profit = deal.profit
        record.status = result_of(deal)
        self.changed.emit(record)
        self.closed.emit(record)


_MARKER_RESULTS = {
    TradeStatus.WON: TradeResult.WON,
    TradeStatus.LOST: TradeResult.LOST,
    TradeStatus.REFUND: TradeResult.REFUND,
}


def trade_marker(record: TradeRecord) -> TradeMarker | None:
    """``record`` as a chart's trade marker, once it has an open price and an expiry."""
    if record.open_ts is None or record.open_price is None or record.close_ts is None:
        return None
    return TradeMarker(
        id=record.key,
        entry_time=record.open_ts,
        entry_price=record.open_price,
        expiry_time=record.close_ts,
        direction=record.direction,
        result=_MARKER_RESULTS.get(record.status, TradeResult.PENDING),
    )
