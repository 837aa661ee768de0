"""Orders, deals and accounts of the simulated platform (deal objects shaped like the real ones)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

UID = 90000001
CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One ``openOrder`` the simulator received and what became of it.

    ``status``: ``open`` (confirmed, running), ``pending`` (accepted, confirmation held back),
    ``unconfirmed`` (swallowed: no answer ever), ``rejected`` (``failopenOrder`` sent) or
    ``closed`` (expired; see ``outcome`` win/loss/refund and ``profit``).
    """

    request_id: Any
    asset: str
    amount: float
    action: str
    expiry: int
    is_demo: bool
    received_at: float
    status: str
    deal_id: str = ""
    open_price: float = 0.0
    close_price: float = 0.0
    profit: float = 0.0
    outcome: str = ""
    error: str = ""
    confirmed_at: float = 0.0
    closed_at: float = 0.0


@dataclass(slots=True)
class Account:
    is_demo: bool
    balance: float
    open_deals: dict[str, dict[str, Any]]
    closed_deals: list[dict[str, Any]]  # newest first, like updateClosedDeals

    @classmethod
    def new(cls, is_demo: bool, balance: float) -> Account:
        return cls(is_demo, balance, {}, [])


def _stamp(platform_ts: int) -> str:
    return dt.datetime.fromtimestamp(platform_ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def new_deal(
    *,
    asset: str,
    amount: float,
    action: str,
    expiry: int,
    payout: int,
    open_price: float,
    open_time: float,
    is_demo: bool,
) -> dict[str, Any]:
    """A deal object with every field of a real one; ``closePrice`` 0 while open."""
    opened = int(open_time)
    closes = opened + expiry
    return {
        "id": str(uuid.uuid4()),
        "openTime": _stamp(opened),
        "closeTime": _stamp(closes),
        "openTimestamp": opened,
        "closeTimestamp": closes,
        "refundTime": None,
        "refundTimestamp": None,
        "uid": UID,
        "amount": amount,
        "profit": 0,
        "percentProfit": payout,
        "percentLoss": 100,
        "openPrice": open_price,
        "closePrice": 0,
        "command": 0 if action == "call" else 1,
        "asset": asset,
        "isDemo": 1 if is_demo else 0,
        "copyTicket": "",
        "openMs": round((open_time - opened) * 1000) % 1000,
        "closeMs": 0,
        "optionType": 100,
        "isRollover": False,
        "isCopySignal": False,
        "isAI": False,
        "currency": CURRENCY,
        "amountUsd": amount,
        "amountUSD": amount,
    }


def outcome_of(command: int, open_price: float, close_price: float) -> str:
    if close_price == open_price:
        return "refund"
    up = close_price > open_price
    return "win" if up == (command == 0) else "loss"


def forced_close_price(command: int, open_price: float, outcome: str, digits: int) -> float:
    """A close price that gives ``outcome`` for a deal opened at ``open_price``."""
    if outcome == "refund":
        return open_price
    step = 10.0**-digits * 3
    up = (outcome == "win") == (command == 0)
    return round(open_price + step if up else open_price - step, digits)


def profit_of(outcome: str, amount: float, payout: int) -> float:
    if outcome == "win":
        return round(amount * payout / 100.0, 2)
    if outcome == "loss":
        return -amount
    return 0


def closed_deal(deal: dict[str, Any], close_price: float, profit: float) -> dict[str, Any]:
    return {**deal, "closePrice": close_price, "profit": profit, "closeMs": 0}
