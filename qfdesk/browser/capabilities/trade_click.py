"""Trade click BUY or SELL: checked right before the click, clicked once, proven by the socket.

Order of work for one intent:
1. the trading alarm not tripped; the intent pinned: direction, asset, amount, expiry and the
   account the trader consented to (DEMO, or REAL with consent), what the caller left open
   taken from the page's first reading;
2. screenshot before; then click strategies in turn (plain click, action chain, JS dispatch).
   Right before each one the page is read again (button, asset, amount, expiry, account
   type, all from one document) and must equal the intent, else nothing more is clicked: an
   account switched, a page reloaded, an unreadable (UNKNOWN) account all refuse the trade.
   A strategy hands over to the next one ONLY when it provably did not deliver a click (the
   driver refused before dispatching it; a stale button is such a refusal, and the next
   strategy reads the page again first). Once any strategy may have clicked, no other click
   is ever made for this intent, however slow the confirmation;
3. proof: with the socket, the deal placed (``successopenOrder``, or a new deal in
   ``updateOpenedDeals``) must equal the intent in asset, direction, amount, expiry and
   account (``isDemo``); a placed deal that differs trips the trading alarm (all trading
   stops); ``failopenOrder`` is a refusal by the platform. The DOM's open-trade count proves
   a trade only where there is no socket (it cannot tell which account or amount);
4. screenshot after, and a diagnostics JSON (no page source, cookies or storage: nothing that
   could hold the session token).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    MoveTargetOutOfBoundsException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains

from qfdesk.browser.capabilities.account import (
    DEMO,
    REAL,
    UNKNOWN,
    account_signals,
    account_type,
)
from qfdesk.browser.capabilities.assets import resolve, symbol_of_display
from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.page import (
    is_enabled,
    open_trade_count,
    read_amount,
    read_expiry,
    read_text,
    wait_until,
)
from qfdesk.browser.capabilities.screenshot import save_screenshot
from qfdesk.browser.capabilities.set_expiry import expiry_seconds
from qfdesk.engine.asset_names import normalise, same_asset
from qfdesk.engine.events import (
    Deal,
    DealsOpened,
    Direction,
    Event,
    OrderFailed,
    OrderOpened,
    OrderRequested,
    Tick,
)
from qfdesk.engine.trading_halt import Alarm

log = logging.getLogger(__name__)

# Exceptions chromedriver raises before it dispatches any input: the click did not happen.
NOT_DELIVERED = (
    ElementNotInteractableException,
    ElementClickInterceptedException,
    MoveTargetOutOfBoundsException,
    StaleElementReferenceException,
)
_BUTTONS = {Direction.CALL: "buy_button", Direction.PUT: "sell_button"}
EXPIRY_SLACK = 1.0  # seconds between a deal's open and close beyond its expiry (rounding)
NEW_DEAL_SLACK = 5.0  # a deal opened this long before the click is not the click's


class IntentLedger:
    """Intent ids that already led to a click, so a caller retrying one intent (after a
    timeout, a crash of its own, a double-clicked UI button) never sends a second trade."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clicked: dict[str, str] = {}

    def claim(self, intent_id: str, attempt_id: str) -> str | None:
        """Record the intent; the earlier attempt id if it was already claimed."""
        with self._lock:
            earlier = self._clicked.get(intent_id)
            if earlier is None:
                self._clicked[intent_id] = attempt_id
            return earlier

    def release(self, intent_id: str) -> None:
        """Forget an intent whose every click provably failed to reach the button."""
        with self._lock:
            self._clicked.pop(intent_id, None)


LEDGER = IntentLedger()


def parse_direction(direction: str | Direction) -> Direction:
    text = direction.value if isinstance(direction, Direction) else str(direction).lower()
    if text in ("buy", "call", "up", "higher"):
        return Direction.CALL
    if text in ("sell", "put", "down", "lower"):
        return Direction.PUT
    raise ValueError(f"unknown direction {direction!r}; use BUY or SELL")


def _plain(ctx: Context, element: Any) -> None:
    element.click()


class CoveredError(ElementClickInterceptedException):
    """Something else is on top of the button: an action chain would click that instead."""


_HIT_TEST = """
const el = arguments[0], r = el.getBoundingClientRect();
const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
return !!top && (top === el || el.contains(top));
"""


def _action_chain(ctx: Context, element: Any) -> None:
    # An action chain clicks at coordinates without chromedriver's interception check, so
    # look first: a covered button means the click would land elsewhere (not delivered).
    if not ctx.driver.execute_script(_HIT_TEST, element):
        raise CoveredError("another element covers the button")
    ActionChains(ctx.driver).move_to_element(element).click().perform()


def _js_dispatch(ctx: Context, element: Any) -> None:
    ctx.driver.execute_script(
        "const el = arguments[0];"
        "for (const type of ['pointerdown', 'mousedown', 'pointerup', 'mouseup']) {"
        "  el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window}));"
        "}"
        "el.click();",
        element,
    )


STRATEGIES: tuple[tuple[str, Callable[[Context, Any], None]], ...] = (
    ("click", _plain),
    ("action_chain", _action_chain),
    ("js_dispatch", _js_dispatch),
)


@dataclass(frozen=True, slots=True)
class Intent:
    """The trade meant: what the page must show right before each click, and what the
    platform's proof must carry. ``account`` is the one the trader consented to (DEMO, or
    REAL with consent); what the caller left open is pinned to the page's first reading."""

    id: str | None
    direction: Direction
    account: str
    asset: str
    symbol: str | None
    amount: float
    expiry: int

    def describe(self) -> str:
        return _describe(
            self.direction, self.amount, self.symbol or self.asset, self.expiry, self.account
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the page, all of it from one document (``document`` None: the page
    changed to another document while it was read)."""

    account: str
    signals: dict[str, Any]
    asset: str
    amount: float | None
    expiry: int | None
    button: Any
    selector: str | None
    enabled: bool
    document: str | None

    def checks(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "signals": self.signals,
            "asset": self.asset,
            "amount": self.amount,
            "expiry": self.expiry,
            "button": {"selector": self.selector, "enabled": self.enabled},
            "same_document": self.document is not None,
        }


def _describe(direction: Direction, amount: float, asset: str, expiry: float, account: str) -> str:
    side = "UP (BUY)" if direction is Direction.CALL else "DOWN (SELL)"
    return f"{side} {amount:g} on {asset}, expiry {expiry:g} s, {account} account"


# performance.timeOrigin differs for every document the tab loads: a reading whose first and
# last look at it agree was made on one page, and an element found there clicks only there.
_DOCUMENT = "return String(performance.timeOrigin);"


def _read_page(ctx: Context, direction: Direction) -> Reading:
    """The button, asset, amount, expiry and account type, read as close together as can be."""
    document = ctx.driver.execute_script(_DOCUMENT)
    match = ctx.selectors.find(ctx.driver, _BUTTONS[direction])
    enabled = match is not None and is_enabled(match.element)
    asset = read_text(ctx, "current_asset")
    amount = read_amount(ctx)
    expiry = read_expiry(ctx)
    signals = account_signals(ctx)
    same = ctx.driver.execute_script(_DOCUMENT) == document
    return Reading(
        account=account_type(signals),
        signals=signals,
        asset=asset,
        amount=amount,
        expiry=expiry,
        button=match.element if match is not None else None,
        selector=str(match.selector) if match is not None else None,
        enabled=enabled,
        document=document if same else None,
    )


def _wanted_account(ctx: Context, account: str | None, reading: Reading) -> str:
    """The account the trade is meant for: the caller's, else DEMO (or the page's REAL when
    REAL trading was consented to)."""
    if account is not None:
        return account
    return REAL if ctx.allow_real and reading.account == REAL else DEMO


def _pin(
    ctx: Context,
    intent_id: str | None,
    direction: Direction,
    account: str,
    asset: str | None,
    amount: float | None,
    expiry: str | int | None,
    reading: Reading,
) -> Intent:
    shown = resolve(ctx, asset)[1] if asset is not None else reading.asset
    return Intent(
        id=intent_id,
        direction=direction,
        account=account,
        asset=shown,
        symbol=symbol_of_display(ctx, shown),
        amount=amount if amount is not None else (reading.amount or 0.0),
        expiry=expiry_seconds(expiry) if expiry is not None else (reading.expiry or 0),
    )


def _difference(reading: Reading, intent: Intent, ctx: Context) -> str | None:
    """Why the page as read may not be clicked for ``intent``; None if it may."""
    if reading.document is None:
        return "The page changed (another page loaded) while it was being checked."
    if reading.account == UNKNOWN:
        return (
            "The account type is UNKNOWN: DEMO or REAL cannot be read from the page, its "
            f"signals are missing or disagree ({reading.signals}). Wait until the platform "
            "page shows its account and balance (reload it if needed), then try again."
        )
    if reading.account == REAL and not ctx.allow_real:
        return (
            "The account is REAL and no consent to trade real money was given. Switch to the "
            "demo account, or give explicit consent for REAL trading."
        )
    if reading.account != intent.account:
        return (
            f"The page shows the {reading.account} account, but the trade was meant for the "
            f"{intent.account} account. Check which account the platform shows and try again."
        )
    if not same_asset(reading.asset, intent.asset):
        return f"The page shows {reading.asset}, not {intent.asset}."
    if reading.amount is None or abs(reading.amount - intent.amount) > 1e-9:
        return f"The amount field shows {reading.amount}, not {intent.amount:g}."
    if reading.expiry != intent.expiry:
        return f"The expiry shows {reading.expiry} s, not {intent.expiry} s."
    if not reading.enabled:
        return f"The {intent.direction.name} button is missing or disabled."
    return None


def _mismatches(deal: Deal, intent: Intent) -> list[str]:
    """The fields in which a placed deal differs from the intent (empty: it is the intent)."""
    wrong = []
    if intent.symbol is not None and normalise(deal.asset) != normalise(intent.symbol):
        wrong.append("asset")
    if deal.direction != intent.direction:
        wrong.append("direction")
    if abs(deal.amount - intent.amount) > 1e-6:
        wrong.append("amount")
    if abs((deal.close_ts - deal.open_ts) - intent.expiry) > EXPIRY_SLACK:
        wrong.append("expiry")
    if deal.is_demo != (intent.account == DEMO):
        wrong.append("account")
    return wrong


def _describe_deal(deal: Deal) -> str:
    account = DEMO if deal.is_demo else REAL
    expiry = deal.close_ts - deal.open_ts
    return _describe(deal.direction, deal.amount, deal.asset, expiry, account)


def _known_deal_ids(ctx: Context) -> set[str]:
    if ctx.events is None:
        return set()
    known: set[str] = set()
    opened = ctx.events.latest(DealsOpened)
    if opened is not None:
        known |= {deal.id for deal in opened.deals}
    order = ctx.events.latest(OrderOpened)
    if order is not None:
        known.add(order.deal.id)
    return known


def _platform_now(ctx: Context) -> float | None:
    """Platform time now, from the newest tick's platform and local times; None without."""
    tick = ctx.events.latest(Tick) if ctx.events is not None else None
    if tick is None or not tick.received:
        return None
    return time.time() + tick.time - tick.received


def _placed_deal(
    event: Event | None, known_ids: set[str], opened_after: float | None
) -> Deal | None:
    """The deal ``event`` reports as just placed: any ``successopenOrder``, or a deal of
    ``updateOpenedDeals`` not open before (an account's older deals, shown when the page
    switches account, are not new)."""
    if isinstance(event, OrderOpened):
        return event.deal
    if isinstance(event, DealsOpened):
        for deal in event.deals:
            if deal.id in known_ids:
                continue
            if opened_after is None or deal.open_ts >= opened_after:
                return deal
    return None


def _requested(ctx: Context, mark: int) -> dict[str, Any] | None:
    """The order the page sent after the click, as the socket log shows it."""
    assert ctx.events is not None
    sent = ctx.events.wait_for(lambda e: isinstance(e, OrderRequested), 0, since=mark)
    if not isinstance(sent, OrderRequested):
        return None
    return {
        "asset": sent.asset,
        "amount": sent.amount,
        "direction": sent.direction.name,
        "is_demo": sent.is_demo,
        "expiry": sent.expiry,
    }


def _confirm(
    ctx: Context, mark: int, known_ids: set[str], intent: Intent, dom_before: int, timeout: float
) -> dict[str, Any]:
    """Wait for the platform's answer; a dict saying what proved (or disproved) the trade.

    With the socket, only a placed deal equal to the intent in asset, direction, amount,
    expiry and account proves it; a placed deal that differs is an alarm. The DOM's
    open-trade count proves a trade only where there is no socket to read."""
    if ctx.events is None:
        dom_after = wait_until(lambda: open_trade_count(ctx) > dom_before, timeout)
        return {"confirmed": bool(dom_after), "by": "dom" if dom_after else None}
    now = _platform_now(ctx)
    opened_after = now - NEW_DEAL_SLACK if now is not None else None

    def answer(event: Event) -> bool:
        if isinstance(event, OrderFailed):
            return abs(event.amount - intent.amount) < 1e-6 and (
                intent.symbol is None or normalise(event.asset) == normalise(intent.symbol)
            )
        return _placed_deal(event, known_ids, opened_after) is not None

    event = ctx.events.wait_for(answer, timeout, since=mark)
    sent = {"order_sent_by_page": _requested(ctx, mark)}
    if isinstance(event, OrderFailed):
        return {"confirmed": False, "by": "socket", "refused": event.error, **sent}
    deal = _placed_deal(event, known_ids, opened_after)
    if deal is None:
        return {
            "confirmed": False,
            "by": None,
            "dom_before": dom_before,
            "dom_after": open_trade_count(ctx),
            **sent,
        }
    by = "successopenOrder" if isinstance(event, OrderOpened) else "updateOpenedDeals"
    wrong = _mismatches(deal, intent)
    proof: dict[str, Any] = {
        "confirmed": not wrong,
        "by": by,
        "deal_id": deal.id,
        "deal": _describe_deal(deal),
        **sent,
    }
    if wrong:
        proof["mismatch"] = wrong
    return proof


def _alarm(ctx: Context, attempt_id: str, intent: Intent, proof: dict[str, Any]) -> str:
    """A placed trade that is not the intent: stop all trading, say what and why."""
    alarm = Alarm(proof["deal"], intent.describe(), proof["deal_id"], attempt_id)
    if ctx.halt is not None:
        ctx.halt.trip(alarm)
    log.error(
        "trade %s: ALARM: placed %s, meant %s (differs in %s)",
        attempt_id,
        alarm.placed,
        alarm.meant,
        ", ".join(proof["mismatch"]),
    )
    return alarm.text


def _write_diagnostics(ctx: Context, attempt_id: str, diagnostics: dict[str, Any]) -> Path:
    path = ctx.artifact_path(f"trade-{attempt_id}", ".json")
    path.write_text(json.dumps(diagnostics, indent=2, default=str), encoding="utf-8")
    return path


def _refuse(ctx: Context, attempt_id: str, diagnostics: dict[str, Any], failure: str) -> Result:
    """Log and record an attempt refused before any click."""
    diagnostics["outcome"] = {"ok": False, "error": failure, "clicked": False}
    path = _write_diagnostics(ctx, attempt_id, diagnostics)
    log.warning(
        "trade %s: refused before clicking: %s (checks %s)",
        attempt_id,
        failure,
        diagnostics["checks"],
    )
    return Result(False, {"attempt_id": attempt_id}, failure, (path,), diagnostics)


def _click_checked(
    ctx: Context, attempt_id: str, intent: Intent, strategies: list[dict[str, Any]]
) -> tuple[float | None, str | None]:
    """(when the click went out (``time.monotonic()``) or None, refusal): each strategy in turn, each right after the page was read again
    and found equal to the intent; a strategy that provably did not reach the button (a
    stale one included) hands over to the next one, which reads the page again first."""
    for name, strategy in STRATEGIES:
        try:
            reading = _read_page(ctx, intent.direction)
        except (CapabilityFailure, WebDriverException) as exc:
            strategies.append({"strategy": name, "refused": True, "error": str(exc)})
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return None, f"The page could not be read right before the click ({reason}); "
            "nothing was clicked."
        difference = _difference(reading, intent, ctx)
        if difference is not None:
            strategies.append({"strategy": name, "checks": reading.checks(), "refused": True})
            return None, f"Refused at the click, nothing was clicked: {difference}"
        log.info(
            "trade %s: checks passed on the page (%s %s), %s click",
            attempt_id,
            reading.account,
            reading.asset,
            name,
        )
        started = time.monotonic()
        try:
            strategy(ctx, reading.button)
        except NOT_DELIVERED as exc:
            strategies.append({"strategy": name, "delivered": False, "error": type(exc).__name__})
            log.info("trade %s: %s did not reach the button (%s)", attempt_id, name, exc.msg)
            continue
        except WebDriverException as exc:
            # The command may have dispatched the click before failing: never click again.
            strategies.append({"strategy": name, "delivered": "unknown", "error": exc.msg})
            log.warning("trade %s: %s failed after dispatch may have begun", attempt_id, name)
            return started, None
        strategies.append(
            {"strategy": name, "delivered": True, "ms": round((time.monotonic() - started) * 1e3)}
        )
        return started, None
    return None, None


@capability("trade click")
def trade_click(
    ctx: Context,
    direction: str | Direction,
    *,
    amount: float | None = None,
    expiry: str | int | None = None,
    asset: str | None = None,
    account: str | None = None,
    confirm_timeout: float | None = None,
    intent_id: str | None = None,
) -> Result:
    """Place ONE trade in ``direction`` (BUY/SELL) on the page as it is set up.

    ``amount``/``expiry``/``asset`` are what the caller expects the page to show, and
    ``account`` (DEMO, or REAL with ``ctx.allow_real``) the account the trader consented to;
    what is left out is pinned to the page's first reading. The click is refused when the
    page shows something else, right before it is made. ``data["confirmed_by"]`` tells the
    proof; a placed trade that differs from the intent trips ``ctx.halt``. ``intent_id``
    (recommended) makes a repeated call for the same intent a refusal once a click was made.
    """
    side = parse_direction(direction)
    if account not in (None, DEMO, REAL):
        raise ValueError(f"account must be {DEMO} or {REAL}, not {account!r}")
    timeout = float(
        confirm_timeout if confirm_timeout is not None else ctx.setting("confirm_timeout", 10.0)
    )
    attempt_id = uuid.uuid4().hex[:12]
    diagnostics: dict[str, Any] = {
        "attempt_id": attempt_id,
        "intent": {
            "id": intent_id,
            "direction": side.name,
            "amount": amount,
            "expiry": expiry,
            "asset": asset,
            "account": account,
        },
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    log.info("trade %s: %s intent %s", attempt_id, side.name, diagnostics["intent"])
    checks: dict[str, Any] = {"consent": ctx.allow_real}
    diagnostics["checks"] = checks
    alarm = ctx.halt.alarm if ctx.halt is not None else None
    if alarm is not None:
        return _refuse(ctx, attempt_id, diagnostics, alarm.text)
    if account == REAL and not ctx.allow_real:
        failure = "A REAL trade was asked for without the trader's consent; nothing was clicked."
        return _refuse(ctx, attempt_id, diagnostics, failure)
    try:
        reading = _read_page(ctx, side)
        checks["page"] = reading.checks()
        intent = _pin(
            ctx,
            intent_id,
            side,
            _wanted_account(ctx, account, reading),
            asset,
            amount,
            expiry,
            reading,
        )
    except CapabilityFailure as exc:  # an element missing, an expiry not understood
        return _refuse(ctx, attempt_id, diagnostics, str(exc))
    except WebDriverException as exc:  # the page went away while it was read
        reason = (exc.msg or type(exc).__name__).splitlines()[0]
        failure = f"Refused, nothing was clicked: the page could not be read ({reason})."
        return _refuse(ctx, attempt_id, diagnostics, failure)
    diagnostics["pinned"] = dataclasses.asdict(intent) | {"direction": side.name}
    difference = _difference(reading, intent, ctx)
    if difference is not None:
        return _refuse(ctx, attempt_id, diagnostics, f"Refused, nothing was clicked: {difference}")
    earlier = LEDGER.claim(intent_id, attempt_id) if intent_id is not None else None
    if earlier is not None:
        failure = (
            f"Intent {intent_id} was already clicked (attempt {earlier}); a second trade for "
            "one intent is never sent. Check the platform's open trades."
        )
        return _refuse(ctx, attempt_id, diagnostics, failure)
    diagnostics["symbol"] = intent.symbol
    artifacts: list[Any] = []
    before = save_screenshot(ctx, f"trade-{attempt_id}-before")
    if before is not None:
        artifacts.append(before)
    dom_before = open_trade_count(ctx)
    known_ids = _known_deal_ids(ctx)
    mark = ctx.events.mark() if ctx.events is not None else 0
    strategies: list[dict[str, Any]] = []
    diagnostics["strategies"] = strategies
    clicked_at, refusal = _click_checked(ctx, attempt_id, intent, strategies)
    delivered = clicked_at is not None
    confirmed_at = None
    if delivered:
        proof = _confirm(ctx, mark, known_ids, intent, dom_before, timeout)
        confirmed_at = time.monotonic() if proof.get("confirmed") else None
    else:
        proof = {"confirmed": False, "by": None}
        if intent_id is not None:
            LEDGER.release(intent_id)
    diagnostics["proof"] = proof
    after = save_screenshot(ctx, f"trade-{attempt_id}-after")
    if after is not None:
        artifacts.append(after)
    if proof.get("confirmed"):
        error = None
    elif proof.get("mismatch"):
        error = _alarm(ctx, attempt_id, intent, proof)
        diagnostics["alarm"] = {"placed": proof["deal"], "meant": intent.describe()}
    elif refusal is not None:
        error = refusal
    elif not delivered:
        error = "No click strategy could reach the button; no trade was sent."
    elif proof.get("refused"):
        error = f"The platform refused the order: {proof['refused']}."
    else:
        error = (
            f"The click was made but no confirmation came within {timeout:.0f} s. It was NOT "
            "repeated: check the platform's open trades before trying again."
        )
    diagnostics["outcome"] = {"ok": error is None, "error": error, "clicked": delivered}
    artifacts.append(_write_diagnostics(ctx, attempt_id, diagnostics))
    log.log(
        logging.ERROR if proof.get("mismatch") else logging.INFO,
        "trade %s: %s; intent %s; checks %s; strategies %s; proof %s; diagnostics %s",
        attempt_id,
        "confirmed" if error is None else f"NOT confirmed ({error})",
        intent.describe(),
        checks,
        strategies,
        proof,
        artifacts[-1],
    )
    data = {
        "attempt_id": attempt_id,
        "direction": side.name,
        "amount": intent.amount,
        "account": intent.account,
        "symbol": intent.symbol,
        "confirmed_by": proof.get("by"),
        "deal_id": proof.get("deal_id"),
        "clicked": delivered,
        "clicked_at": clicked_at,
        "confirmed_at": confirmed_at,
        "alarm": bool(proof.get("mismatch")),
    }
    return Result(error is None, data, error, tuple(artifacts), diagnostics)
