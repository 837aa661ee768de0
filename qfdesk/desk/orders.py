"""What the order desk is asked (an order intent) and what it answers (one outcome).

A placement result of the page's capabilities becomes an :class:`OrderOutcome` here and
nowhere else: placed (proven by the socket), unconfirmed (clicked, neither proven nor refused
by the platform: it may be open, so it counts as open and is never repeated) or refused
(nothing traded).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from qfdesk.browser.capabilities.base import Result
from qfdesk.engine.events import Direction


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """One trade the trader (or the auto-trader) means; ``intent_id`` names it for good."""

    asset: str
    direction: Direction
    amount: float
    expiry: int
    intent_id: str


class Placement(str, Enum):
    PLACED = "placed"
    UNCONFIRMED = "unconfirmed"
    REFUSED = "refused"

    @property
    def open(self) -> bool:
        """Placed, or clicked and maybe placed: counts as an open trade."""
        return self is not Placement.REFUSED


class Stage(str, Enum):
    """Where an intent ended (for a refusal: which check refused it)."""

    ALARM = "alarm"
    PAGE_CHECK = "page check"
    CONNECTION = "connection"
    CHECKS = "checks"
    RISK = "risk"
    ACCOUNT = "account"
    CONSENT = "consent"
    STOPPED = "stopped"
    PAGE = "page"
    APP = "app"


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    intent_id: str
    placement: Placement
    stage: Stage
    reason: str = ""
    deal_id: str | None = None
    real_without_consent: bool = False
    """Refused because the account is REAL and the trader has not allowed it this session."""
    clicked_at: float | None = None
    confirmed_at: float | None = None
    """``time.monotonic()`` when the click went out and when the socket proved the trade."""
    artifacts: tuple[str, ...] = ()
    """Screenshots and diagnostics the page's trade path saved."""

    @property
    def placed(self) -> bool:
        return self.placement is Placement.PLACED

    @property
    def clicked(self) -> bool:
        """Failed, but the click went out: it may be open on the platform."""
        return self.placement is Placement.UNCONFIRMED


def refused(
    intent: OrderIntent, stage: Stage, reason: str, *, real_without_consent: bool = False
) -> OrderOutcome:
    return OrderOutcome(
        intent.intent_id,
        Placement.REFUSED,
        stage,
        reason,
        real_without_consent=real_without_consent,
    )


def outcome_of(intent: OrderIntent, result: Result) -> OrderOutcome:
    """The outcome of the page's placement ``result`` (a step's failure or the trade click)."""
    reason = "" if result.ok else result.error or "refused"
    refused_by_platform = result.diagnostics.get("proof", {}).get("refused")
    if result.ok:
        placement = Placement.PLACED
    elif result.data.get("clicked") and not refused_by_platform:
        placement = Placement.UNCONFIRMED
    else:
        placement = Placement.REFUSED
    return OrderOutcome(
        intent.intent_id,
        placement,
        Stage.PAGE,
        reason,
        deal_id=result.data.get("deal_id") if result.ok else None,
        clicked_at=result.data.get("clicked_at"),
        confirmed_at=result.data.get("confirmed_at"),
        artifacts=tuple(str(path) for path in result.artifacts),
    )
