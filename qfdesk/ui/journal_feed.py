"""The journal told each app trade's result as the trade book settles it.

The trade book joins the platform's deals to the app's attempts (by deal id, or a late
confirmation of an unconfirmed click), so the result is taken from there, once per trade,
by intent id. A deal placed on the page by hand has no attempt in the journal and changes
nothing.
"""

from __future__ import annotations

from qfdesk.engine.journal import Outcome, Settled
from qfdesk.engine.journal.writer import JournalSink
from qfdesk.ui.trade_book import TradeBook, TradeRecord, TradeStatus

_OUTCOMES = {
    TradeStatus.WON: Outcome.WON,
    TradeStatus.LOST: Outcome.LOST,
    TradeStatus.REFUND: Outcome.REFUND,
}


def journal_settlements(book: TradeBook, journal: JournalSink) -> None:
    told: set[str] = set()

    def changed(record: TradeRecord) -> None:
        outcome = _OUTCOMES.get(record.status)
        if outcome is None or record.key in told:
            return
        told.add(record.key)
        journal.write(
            Settled(
                outcome,
                record.profit or 0.0,
                intent_id=record.key,
                open_price=record.open_price,
                close_price=record.close_price,
                opened=record.open_ts,
                closed=record.close_ts,
            )
        )

    book.changed.connect(changed)
