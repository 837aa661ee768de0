"""Trade click BUY or SELL: checked, clicked once, proven by the socket.

Order of work for one intent:
1. preconditions: platform tab, account allowed (REAL only with consent), the expected asset,
   amount and expiry on the page, the button enabled;
2. screenshot before; then click strategies in turn (plain click, action chain, JS dispatch),
   moving to the next one ONLY when the previous one provably did not deliver a click (the
   driver refused before dispatching it). Once any strategy may have clicked, no other click
   is ever made for this intent, however slow the confirmation;
3. proof: ``successopenOrder`` / ``updateOpenedDeals`` matching asset, amount and direction
   from the event source, else the DOM's open-trade count rising; ``failopenOrder`` is a
   refusal by the platform;
4. screenshot after, and a diagnostics JSON (no page source, cookies or storage: nothing that
   could hold the session token).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    MoveTargetOutOfBoundsException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains

from qfdesk.browser.capabilities.account import DEMO, account_signals, account_type
from qfdesk.browser.capabilities.assets import normalise, resolve, same_asset, symbol_of_display
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
from qfdesk.engine.events import (
    Deal,
    DealsOpened,
    Direction,
    OrderFailed,
    OrderOpened,
    OrderRequested,
)

log = logging.getLogger(__name__)

# Exceptions chromedriver raises before it dispatches any input: the click did not happen.
NOT_DELIVERED = (
    ElementNotInteractableException,
    ElementClickInterceptedException,
    MoveTargetOutOfBoundsException,
    StaleElementReferenceException,
)
_BUTTONS = {Direction.CALL: "buy_button", Direction.PUT: "sell_button"}


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


def _deal_matches(deal: Deal, symbol: str | None, amount: float, direction: Direction) -> bool:
    return (
        (symbol is None or normalise(deal.asset) == normalise(symbol))
        and abs(deal.amount - amount) < 1e-6
        and deal.direction == direction
    )


def _known_deal_ids(ctx: Context) -> set[str]:
    latest = ctx.events.latest(DealsOpened) if ctx.events is not None else None
    return {deal.id for deal in latest.deals} if latest is not None else set()


def _check_preconditions(
    ctx: Context,
    direction: Direction,
    asset: str | None,
    amount: float | None,
    expiry: str | int | None,
    checks: dict[str, Any],
) -> tuple[str | None, Any]:
    """(first failure or None, button element); what was read goes into ``checks``."""
    signals = account_signals(ctx)
    account = account_type(signals)
    checks["account"] = {"type": account, "signals": signals, "consent": ctx.allow_real}
    if account != DEMO and not ctx.allow_real:
        refusal = (
            "The account is REAL (or could not be shown to be DEMO) and no consent to trade "
            "real money was given; nothing was clicked. Switch to the demo account, or give "
            "explicit consent for REAL trading."
        )
        return refusal, None
    shown_asset = read_text(ctx, "current_asset")
    checks["asset"] = {"expected": asset, "shown": shown_asset}
    if asset is not None and not same_asset(shown_asset, resolve(ctx, asset)[1]):
        return f"The page shows {shown_asset}, not {asset}; nothing was clicked.", None
    shown_amount = read_amount(ctx)
    checks["amount"] = {"expected": amount, "shown": shown_amount}
    if shown_amount is None or (amount is not None and abs(shown_amount - amount) > 1e-9):
        return (
            f"The amount field shows {shown_amount}, not {amount}; nothing clicked.",
            None,
        )
    shown_expiry = read_expiry(ctx)
    wanted_expiry = expiry_seconds(expiry) if expiry is not None else None
    checks["expiry"] = {"expected": wanted_expiry, "shown": shown_expiry}
    if wanted_expiry is not None and shown_expiry != wanted_expiry:
        return (
            f"The expiry shows {shown_expiry} s, not {wanted_expiry} s; nothing was clicked.",
            None,
        )
    match = ctx.selectors.find(ctx.driver, _BUTTONS[direction])
    enabled = match is not None and is_enabled(match.element)
    checks["button"] = {
        "selector": str(match.selector) if match else None,
        "enabled": enabled,
    }
    if not enabled:
        return f"The {direction.name} button is missing or disabled; nothing clicked.", None
    return None, match.element


def _confirm(
    ctx: Context,
    mark: int,
    known_ids: set[str],
    symbol: str | None,
    amount: float,
    direction: Direction,
    dom_before: int,
    timeout: float,
) -> dict[str, Any]:
    """Wait for the platform's answer; a dict saying what proved (or disproved) the trade."""
    if ctx.events is not None:

        def answer(event: object) -> bool:
            if isinstance(event, OrderOpened):
                return _deal_matches(event.deal, symbol, amount, direction)
            if isinstance(event, DealsOpened):
                return any(
                    d.id not in known_ids and _deal_matches(d, symbol, amount, direction)
                    for d in event.deals
                )
            if isinstance(event, OrderFailed):
                return abs(event.amount - amount) < 1e-6 and (
                    symbol is None or normalise(event.asset) == normalise(symbol)
                )
            return False

        event = ctx.events.wait_for(answer, timeout, since=mark)
        requested = ctx.events.wait_for(
            lambda e: isinstance(e, OrderRequested) and e.direction == direction, 0, since=mark
        )
        sent = {"order_sent_by_page": requested is not None}
        if isinstance(event, OrderFailed):
            return {"confirmed": False, "by": "socket", "refused": event.error, **sent}
        if isinstance(event, OrderOpened):
            return {"confirmed": True, "by": "successopenOrder", "deal_id": event.deal.id, **sent}
        if isinstance(event, DealsOpened):
            deal = next(d for d in event.deals if d.id not in known_ids)
            return {"confirmed": True, "by": "updateOpenedDeals", "deal_id": deal.id, **sent}
        dom_after = open_trade_count(ctx)
        return {
            "confirmed": dom_after > dom_before,
            "by": "dom" if dom_after > dom_before else None,
            "dom_before": dom_before,
            "dom_after": dom_after,
            **sent,
        }
    dom_after = wait_until(lambda: open_trade_count(ctx) > dom_before, timeout)
    return {"confirmed": bool(dom_after), "by": "dom" if dom_after else None}


def _write_diagnostics(ctx: Context, attempt_id: str, diagnostics: dict[str, Any]) -> Any:
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


@capability("trade click")
def trade_click(
    ctx: Context,
    direction: str | Direction,
    *,
    amount: float | None = None,
    expiry: str | int | None = None,
    asset: str | None = None,
    confirm_timeout: float | None = None,
    intent_id: str | None = None,
) -> Result:
    """Place ONE trade in ``direction`` (BUY/SELL) on the page as it is set up.

    ``amount``/``expiry``/``asset`` are what the caller expects the page to show; the click is
    refused when the page shows something else. ``data["confirmed_by"]`` tells the proof.
    ``intent_id`` (recommended) makes a repeated call for the same intent a refusal once a
    click was made for it.
    """
    side = parse_direction(direction)
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
        },
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    log.info("trade %s: %s intent %s", attempt_id, side.name, diagnostics["intent"])
    checks: dict[str, Any] = {}
    diagnostics["checks"] = checks
    try:
        failure, button = _check_preconditions(ctx, side, asset, amount, expiry, checks)
    except CapabilityFailure as exc:  # an element missing, an expiry not understood
        failure, button = str(exc), None
    if failure is not None:
        return _refuse(ctx, attempt_id, diagnostics, failure)
    earlier = LEDGER.claim(intent_id, attempt_id) if intent_id is not None else None
    if earlier is not None:
        failure = (
            f"Intent {intent_id} was already clicked (attempt {earlier}); a second trade for "
            "one intent is never sent. Check the platform's open trades."
        )
        return _refuse(ctx, attempt_id, diagnostics, failure)
    shown_amount = checks["amount"]["shown"]
    symbol = symbol_of_display(ctx, checks["asset"]["shown"])
    diagnostics["symbol"] = symbol
    artifacts: list[Any] = []
    before = save_screenshot(ctx, f"trade-{attempt_id}-before")
    if before is not None:
        artifacts.append(before)
    dom_before = open_trade_count(ctx)
    known_ids = _known_deal_ids(ctx)
    mark = ctx.events.mark() if ctx.events is not None else 0
    strategies: list[dict[str, Any]] = []
    delivered = False
    for name, strategy in STRATEGIES:
        started = time.monotonic()
        try:
            strategy(ctx, button)
        except NOT_DELIVERED as exc:
            strategies.append({"strategy": name, "delivered": False, "error": type(exc).__name__})
            log.info("trade %s: %s did not reach the button (%s)", attempt_id, name, exc.msg)
            if isinstance(exc, StaleElementReferenceException):
                fresh = ctx.selectors.find(ctx.driver, _BUTTONS[side])
                button = fresh.element if fresh is not None else button
            continue
        except WebDriverException as exc:
            # The command may have dispatched the click before failing: never click again.
            strategies.append({"strategy": name, "delivered": "unknown", "error": exc.msg})
            log.warning("trade %s: %s failed after dispatch may have begun", attempt_id, name)
            delivered = True
            break
        strategies.append(
            {"strategy": name, "delivered": True, "ms": round((time.monotonic() - started) * 1e3)}
        )
        delivered = True
        break
    diagnostics["strategies"] = strategies
    if delivered:
        proof = _confirm(ctx, mark, known_ids, symbol, shown_amount, side, dom_before, timeout)
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
    log.info(
        "trade %s: %s; checks %s; strategies %s; proof %s",
        attempt_id,
        "confirmed" if error is None else f"NOT confirmed ({error})",
        checks,
        strategies,
        proof,
    )
    data = {
        "attempt_id": attempt_id,
        "direction": side.name,
        "amount": shown_amount,
        "symbol": symbol,
        "confirmed_by": proof.get("by"),
        "deal_id": proof.get("deal_id"),
        "clicked": delivered,
    }
    return Result(error is None, data, error, tuple(artifacts), diagnostics)
