"""Manual trading: one intent -> risk checks -> REAL consent -> the page, off the GUI thread.

Flow of one BUY/SELL intent (each step logged, the outcome shown in the trade panel):
1. refuse at once when the trading alarm has tripped, another trade is in flight (one
   intent, one trade) or not connected;
2. the risk manager's checks (payout, stake, open trades, limits) with the account state;
3. the account type, page (profile scan, on the action executor) and socket agreeing: an
   UNKNOWN account is refused with what to do; on REAL the trader's consent for the session
   is asked first, and nothing is clicked without it;
4. on the executor: select the asset on the page, set amount and expiry, then the trade
   click capability for that account (which checks again right before the click, clicks
   once and compares the socket's proof with the intent; a trade placed other than meant
   trips the trading alarm).
The capabilities block, so they run on the bridge's executor through ``run_in_executor``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from qfdesk.browser.capabilities.account import REAL, UNKNOWN, agreed_account
from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.browser.capabilities.base import Result
from qfdesk.browser.capabilities.profile_scan import profile_scan
from qfdesk.browser.capabilities.set_amount import set_amount
from qfdesk.browser.capabilities.set_expiry import set_expiry
from qfdesk.browser.capabilities.trade_click import trade_click
from qfdesk.engine.events import Direction
from qfdesk.engine.risk import RiskManager, TradeIntent
from qfdesk.ui.consent import RealConsent
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.trade_book import TradeBook, TradeRecord, TradeStatus, side_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ManualIntent:
    asset: str
    direction: Direction
    amount: float
    expiry: int
    intent_id: str


UNKNOWN_ACCOUNT = (
    "the account type is UNKNOWN: DEMO or REAL cannot be read from the platform page, or the "
    "page and its socket disagree; nothing was traded. Wait until the page shows its account "
    "and balance (Trading > Reload the platform page if it does not), then try again"
)


def place_on_page(bridge: LiveBridge, intent: ManualIntent, account: str) -> Result:
    """Blocking: asset, amount, expiry, then one trade click meant for ``account`` (DEMO, or
    REAL once the trader consented). Runs on the bridge's executor."""
    ctx = bridge.action_context(allow_real=account == REAL)
    steps: list[tuple[str, Callable[[], Result]]] = [
        ("select the asset", lambda: asset_select(ctx, intent.asset)),
        ("set the amount", lambda: set_amount(ctx, intent.amount)),
        ("set the expiry", lambda: set_expiry(ctx, intent.expiry)),
    ]
    for what, step in steps:
        result = step()
        if not result.ok:
            return Result(False, {"step": what}, f"Could not {what}: {result.error}")
    return trade_click(
        ctx,
        intent.direction,
        amount=intent.amount,
        expiry=intent.expiry,
        asset=intent.asset,
        account=account,
        intent_id=intent.intent_id,
    )


def clicked_unconfirmed(result: Result) -> bool:
    """A failed trade whose click went out and the platform did not refuse: it may be open,
    so it counts as open and is never repeated."""
    return bool(result.data.get("clicked")) and not result.diagnostics.get("proof", {}).get(
        "refused"
    )


def page_account(bridge: LiveBridge) -> str:
    """DEMO / REAL as the page and socket show it (executor thread); UNKNOWN if unreadable."""
    result = profile_scan(bridge.action_context())
    return result.data.get("account", UNKNOWN) if result.ok else UNKNOWN


class TradeController(QtCore.QObject):
    busyChanged = QtCore.Signal(bool)
    message = QtCore.Signal(str, str)  # text, kind (info / warning / error)

    def __init__(
        self,
        bridge: LiveBridge,
        market: MarketModel,
        risk: RiskManager,
        book: TradeBook,
        consent: RealConsent,
        window: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(window)
        self.bridge = bridge
        self.market = market
        self.risk = risk
        self.book = book
        self.consent = consent
        self.window = window
        self.busy = False
        self.task: asyncio.Task[None] | None = None
        book.closed.connect(self._closed)

    def request(self, asset: str, direction: Direction, amount: float, expiry: int) -> bool:
        """Start one trade; False (and a message) if one is already in flight."""
        side = side_name(direction)
        alarm = self.bridge.halt.alarm
        if alarm is not None:
            log.error("trade %s %s refused: trading is stopped by the alarm", side, asset)
            self.message.emit(alarm.text, "error")
            return False
        if self.busy:
            log.warning("trade %s %s ignored: another trade is still in flight", side, asset)
            self.message.emit("A trade is still in flight; wait for its outcome.", "warning")
            return False
        self._set_busy(True)
        intent = ManualIntent(asset, direction, amount, expiry, uuid.uuid4().hex[:12])
        self.task = asyncio.ensure_future(self._run(intent))
        return True

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def _refuse(self, record: TradeRecord, reason: str, where: str) -> None:
        self.book.update(record, status=TradeStatus.REFUSED, reason=reason)
        log.warning("trade %s refused (%s): %s", record.key, where, reason)
        self.message.emit(f"Not traded ({where}): {reason}", "error")

    async def _run(self, intent: ManualIntent) -> None:
        side = side_name(intent.direction)
        payout = self.market.payout(intent.asset)
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
        log.info(
            "trade %s: %s %s amount %g expiry %d s payout %s (manual)",
            intent.intent_id,
            side,
            intent.asset,
            intent.amount,
            intent.expiry,
            payout,
        )
        try:
            await self._checked_and_placed(intent, record, payout)
        except Exception as error:
            log.exception("trade %s: unexpected error", intent.intent_id)
            self._refuse(record, f"unexpected error ({error}); check the platform", "app")
        finally:
            self._set_busy(False)

    async def _checked_and_placed(
        self, intent: ManualIntent, record: TradeRecord, payout: float | None
    ) -> None:
        if not self.bridge.connected:
            self._refuse(record, "not connected to the platform's Chrome", "connection")
            return
        account = self.market.account_state()
        if account is None or payout is None:
            self._refuse(record, "balance or payout not known yet; wait for the page", "checks")
            return
        decision = self.risk.check(
            TradeIntent(
                intent.asset, intent.direction, payout, expiry=intent.expiry, stake=intent.amount
            ),
            account,
            time.time(),
        )
        if not decision.allowed:
            self._refuse(record, decision.reason, "risk")
            return
        loop = asyncio.get_running_loop()
        page = await loop.run_in_executor(self.bridge.executor, page_account, self.bridge)
        kind = agreed_account(page, self.market.is_demo)
        log.info(
            "trade %s: account %s (page %s, socket is_demo %s)",
            intent.intent_id,
            kind,
            page,
            self.market.is_demo,
        )
        if kind == UNKNOWN:
            self._refuse(record, UNKNOWN_ACCOUNT, "account")
            return
        if kind == REAL:
            detail = f"Balance {account.balance:,.2f}. Trade: {intent.amount:g} on {intent.asset}."
            if not await self.consent.ask(self.window, detail):
                self._refuse(record, "REAL account and no consent to trade real money", "consent")
                return
        side = side_name(intent.direction)
        self.message.emit(f"Placing {side} {intent.amount:g} on {intent.asset}\u2026", "info")
        result = await loop.run_in_executor(
            self.bridge.executor, place_on_page, self.bridge, intent, kind
        )
        self._outcome(intent, record, result)

    def _outcome(self, intent: ManualIntent, record: TradeRecord, result: Result) -> None:
        now = time.time()
        deal_id = result.data.get("deal_id")
        if result.ok:
            self.risk.record_open(intent.intent_id, intent.asset, intent.amount, now)
            self.book.update(record, status=TradeStatus.PENDING, deal_id=deal_id)
            log.info("trade %s: placed, deal %s (%s)", intent.intent_id, deal_id, result.data)
            self.message.emit(f"Trade placed: deal {deal_id or '?'}; waiting for expiry.", "info")
        elif clicked_unconfirmed(result):
            self.risk.record_open(intent.intent_id, intent.asset, intent.amount, now)
            self.book.update(record, status=TradeStatus.UNCONFIRMED, reason=result.error or "")
            log.error("trade %s: clicked, not confirmed: %s", intent.intent_id, result.error)
            self.message.emit(result.error or "clicked, not confirmed", "error")
        else:
            self._refuse(record, result.error or "refused", "page")

    def _closed(self, record: TradeRecord) -> None:
        if record.source != "app":
            return
        profit = record.profit or 0.0
        self.risk.record_result(record.key, profit, time.time())
        log.info(
            "trade %s: %s %+.2f (deal %s)", record.key, record.status.value, profit, record.deal_id
        )
        self.message.emit(f"{record.asset}: {record.status.value} {profit:+.2f}", "info")
