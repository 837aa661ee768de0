"""What the journal is told about a trade attempt, in the order it happens.

An :class:`Attempt` opens the row (the intent: what, how much, from where); a
:class:`Decision` adds the risk manager's answer with its reasons; :class:`Placed` the
order desk's outcome with its latencies and the platform's deal id; :class:`Settled` the
result, matched by deal id (a live trade, as the socket settles it) or by intent id (a paper
trade). Each update fills only its own columns, so they may arrive in any order after the
attempt, and a repeated one changes nothing.

Nothing here may hold the session token: these carry trade facts, reasons the app wrote
and file paths, never frames.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from qfdesk.engine.events import Direction


class Source(str, Enum):
    MANUAL = "manual"
    AUTO = "auto"
    PAPER = "paper"


class Outcome(str, Enum):
    WON = "won"
    LOST = "lost"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class StrategyOrigin:
    """The strategy that asked for a trade: its name, parameters and candle timeframe."""

    name: str
    params: Mapping[str, object]
    timeframe: int


@dataclass(frozen=True, slots=True)
class Attempt:
    intent_id: str
    asset: str
    direction: Direction
    amount: float
    expiry: int
    source: Source
    payout: float | None = None
    """The payout in percent at the intent, as the platform showed it."""
    account: str | None = None
    """DEMO, REAL or PAPER; None when the page did not say."""
    strategy: StrategyOrigin | None = None
    """None for a trade by hand."""
    created: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class Decision:
    intent_id: str
    allowed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Placed:
    intent_id: str
    placement: str
    """placed, unconfirmed or refused (the order desk's ``Placement``)."""
    stage: str
    message: str = ""
    deal_id: str | None = None
    intent_to_click_ms: float | None = None
    click_to_confirm_ms: float | None = None
    artifacts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settled:
    outcome: Outcome
    profit: float
    deal_id: str | None = None
    intent_id: str | None = None
    open_price: float | None = None
    close_price: float | None = None
    opened: float | None = None
    closed: float | None = None


Entry = Attempt | Decision | Placed | Settled
