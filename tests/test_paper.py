"""Paper trades settled by hand-made ticks: the last tick at or before expiry decides."""

from __future__ import annotations

import pytest

from qfdesk.engine.backtest_stats import LOSS, REFUND, WIN
from qfdesk.engine.events import Direction, Tick
from qfdesk.engine.paper import PaperBook

A = "EURUSD_otc"
T0 = 1_761_000_000.0


def book_with(direction: Direction, entry: float = 1.1000, expiry: float = 60.0) -> PaperBook:
    book = PaperBook(start_balance=100.0)
    book.open("t1", A, direction, 10.0, 92.0, T0, entry, expiry)
    return book


def test_call_wins_on_the_last_tick_at_or_before_expiry():
    book = book_with(Direction.CALL)
    assert book.on_ticks([Tick(A, T0 + 10, 1.0990), Tick(A, T0 + 59.5, 1.1005)]) == []
    assert book.on_tick(Tick(A, T0 + 60, 1.1010)) == [], "a tick at expiry is still inside"
    (done,) = book.on_tick(Tick(A, T0 + 60.2, 1.0500))
    assert (done.exit_price, done.outcome, done.profit) == (1.1010, WIN, pytest.approx(9.2))
    assert book.balance == pytest.approx(109.2)
    assert book.open_trades == [] and book.settled == [done]


def test_put_loses_when_the_price_rose():
    book = book_with(Direction.PUT)
    book.on_tick(Tick(A, T0 + 30, 1.1003))
    (done,) = book.on_tick(Tick(A, T0 + 61, 1.0))
    assert (done.exit_price, done.outcome, done.profit) == (1.1003, LOSS, -10.0)
    assert book.balance == pytest.approx(90.0)


def test_equal_exit_is_a_refund_and_ticks_before_entry_or_of_other_assets_do_not_count():
    book = book_with(Direction.CALL)
    book.on_ticks(
        [
            Tick(A, T0 - 1, 1.2),  # before the entry
            Tick(A, T0, 1.3),  # at the entry time: the entry price already stands for it
            Tick("GBPUSD_otc", T0 + 5, 2.0),
            Tick(A, T0 + 20, 1.1000),
        ]
    )
    (done,) = book.on_tick(Tick(A, T0 + 70, 1.5))
    assert (done.exit_price, done.outcome, done.profit) == (1.1000, REFUND, 0.0)
    assert book.balance == 100.0


def test_quiet_stream_is_settled_by_the_clock_with_the_last_tick():
    book = book_with(Direction.PUT)
    book.on_tick(Tick(A, T0 + 15, 1.0995))
    assert book.on_clock(T0 + 61) == [], "within the grace a late tick may still come"
    (done,) = book.on_clock(T0 + 62.5)
    assert (done.exit_price, done.outcome) == (1.0995, WIN)
    book.open("t2", A, Direction.CALL, 1.0, 80.0, T0, 1.1, 5)
    (quiet,) = book.on_clock(T0 + 8)
    assert (quiet.exit_price, quiet.outcome) == (1.1, REFUND), "no tick inside: exit = entry"


def test_one_id_one_trade_and_bad_trades_refused():
    book = book_with(Direction.CALL)
    with pytest.raises(ValueError, match="one intent, one trade"):
        book.open("t1", A, Direction.PUT, 1.0, 90.0, T0, 1.1, 60)
    book.on_tick(Tick(A, T0 + 61, 1.2))
    with pytest.raises(ValueError, match="exists already"):
        book.open("t1", A, Direction.PUT, 1.0, 90.0, T0, 1.1, 60)
    with pytest.raises(ValueError, match="above 0"):
        book.open("t3", A, Direction.PUT, 0.0, 90.0, T0, 1.1, 60)


def test_stats_of_paper_trades_are_kept_apart():
    book = PaperBook(start_balance=50.0)
    for i, (direction, exit_price) in enumerate(
        [(Direction.CALL, 1.2), (Direction.CALL, 1.0), (Direction.PUT, 1.0)]
    ):
        book.open(f"p{i}", A, direction, 2.0, 90.0, T0 + 100 * i, 1.1, 60)
        book.on_tick(Tick(A, T0 + 100 * i + 30, exit_price))
        book.on_tick(Tick(A, T0 + 100 * i + 61, 1.1))
    stats = book.stats()
    assert (stats.trades, stats.wins, stats.losses) == (3, 2, 1)
    assert stats.net_profit == pytest.approx(2 * 1.8 - 2.0)
    assert stats.end_balance == pytest.approx(book.balance)
