"""The order desk: every trade, by hand or by the auto-trader, is placed here, once.

Flow of one intent (each step logged; the answer is one :class:`OrderOutcome`):
1. refused at once when the trading alarm has tripped, the page check found an element the
   trade needs missing (the reason names it and how to fix it), the intent was seen before
   (one intent, one trade) or the platform's Chrome is not connected;
2. with ``Checks.risk`` (manual trades) the risk manager's checks (payout, stake, open
   trades, limits) with the account state; without, the caller (the auto-trader) checked
   and records the trade itself;
3. the account type, page (profile scan, on the action executor) and socket agreeing: an
   UNKNOWN account is refused with what to do; on REAL the trader's consent for the session
   is asked first through the UI's :class:`Consent` (``Checks.ask_consent``) or must have been
   given already; nothing is clicked without it;
4. on the executor: the caller's last check (``Checks.still_wanted``) and the alarm once
   more, then asset, amount and expiry on the page and the trade click capability for that
   account (which checks again right before the click, clicks once and compares the socket's
   proof with the intent; a trade placed other than meant trips the trading alarm).
Qt-free: the windows only ask and show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from qfdesk.browser.capabilities.account import REAL, UNKNOWN, agreed_account
from qfdesk.desk.orders import OrderIntent, OrderOutcome, Stage, outcome_of, refused
from qfdesk.desk.page import UNKNOWN_ACCOUNT, Page, page_account, place_on_page
from qfdesk.engine.events import Direction
from qfdesk.engine.journal import Attempt, Decision, Placed, Source
from qfdesk.engine.journal.writer import JournalSink
from qfdesk.engine.page_check import Feature, PageChecks
from qfdesk.engine.risk import AccountState, RiskDecision, RiskManager, TradeIntent
from qfdesk.engine.trading_halt import Alarm

log = logging.getLogger(__name__)


class Account(Protocol):
    """The socket's view of the account and the assets' payouts."""

    is_demo: bool | None

    def account_state(self) -> AccountState | None: ...

    def payout(self, asset: str) -> float | None: ...


class Consent(Protocol):
    """The trader's consent to trade real money this session, asked by the UI."""

    granted: bool

    async def ask(self, detail: str) -> bool: ...


def _wanted() -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Checks:
    """How one intent is checked. ``still_wanted`` runs on the executor right before the
    page is touched: a reason not to place it any more, or None."""

    source: str = "manual"
    risk: bool = True
    ask_consent: bool = True
    still_wanted: Callable[[], str | None] = _wanted


MANUAL = Checks()


class OrderDesk:
    def __init__(
        self,
        page: Page,
        account: Account,
        risk: RiskManager,
        consent: Consent,
        clock: Callable[[], float] = time.time,
        journal: JournalSink | None = None,
        page_check: PageChecks | None = None,
    ) -> None:
        self.page = page
        self.page_check = page_check
        self.account = account
        self.risk = risk
        self.consent = consent
        self.journal = journal
        self._clock = clock
        self._seen: set[str] = set()

    @property
    def alarm(self) -> Alarm | None:
        """The session's trading alarm, if it has tripped (then nothing is placed)."""
        return self.page.halt.alarm

    def closed(self, intent_id: str, profit: float) -> None:
        """A trade this desk checked the risk of closed with ``profit``."""
        self.risk.record_result(intent_id, profit, self._clock())

    async def place(
        self,
        intent: OrderIntent,
        checks: Checks = MANUAL,
        on_placing: Callable[[], None] | None = None,
    ) -> OrderOutcome:
        """Check ``intent`` and place it once; ``on_placing`` is called before the page is
        touched. Never raises: an unexpected error is a refusal (nothing was clicked)."""
        log.info(
            "trade %s: %s %s amount %g expiry %d s (%s)",
            intent.intent_id,
            "BUY" if intent.direction is Direction.CALL else "SELL",
            intent.asset,
            intent.amount,
            intent.expiry,
            checks.source,
        )
        started = time.monotonic()
        repeated = intent.intent_id in self._seen
        if not repeated:
            self._journal_attempt(intent, checks)
        try:
            outcome = await self._place(intent, checks, on_placing)
        except Exception as error:
            log.exception("trade %s: unexpected error", intent.intent_id)
            outcome = refused(intent, Stage.APP, f"unexpected error ({error}); check the platform")
        if not repeated:
            self._journal_outcome(outcome, started)
        if checks.risk and outcome.placement.open:
            self.risk.record_open(intent.intent_id, intent.asset, intent.amount, self._clock())
        level = logging.INFO if outcome.placed else logging.WARNING
        log.log(
            level,
            "trade %s: %s (%s)%s%s",
            intent.intent_id,
            outcome.placement.value,
            outcome.stage.value,
            f", deal {outcome.deal_id}" if outcome.deal_id else "",
            f": {outcome.reason}" if outcome.reason else "",
        )
        return outcome

    async def _place(
        self, intent: OrderIntent, checks: Checks, on_placing: Callable[[], None] | None
    ) -> OrderOutcome:
        page = self.page
        alarm = page.halt.alarm
        if alarm is not None:
            return refused(intent, Stage.ALARM, alarm.text)
        missing = self._page_refusal(checks)
        if missing is not None:
            return refused(intent, Stage.PAGE_CHECK, missing)
        if intent.intent_id in self._seen:
            return refused(intent, Stage.CHECKS, "this trade was sent already; never twice")
        self._seen.add(intent.intent_id)
        if not page.connected:
            return refused(intent, Stage.CONNECTION, "not connected to the platform's Chrome")
        state = self.account.account_state()
        if checks.risk:
            payout = self.account.payout(intent.asset)
            if state is None or payout is None:
                reason = "balance or payout not known yet; wait for the page"
                return refused(intent, Stage.CHECKS, reason)
            decision = self.risk.check(
                TradeIntent(
                    intent.asset,
                    intent.direction,
                    payout,
                    expiry=intent.expiry,
                    stake=intent.amount,
                ),
                state,
                self._clock(),
            )
            self._journal_decision(intent, decision)
            if not decision.allowed:
                return refused(intent, Stage.RISK, decision.reason)
        loop = asyncio.get_running_loop()
        on_page = await loop.run_in_executor(page.executor, page_account, page)
        kind = agreed_account(on_page, self.account.is_demo)
        log.info(
            "trade %s: account %s (page %s, socket is_demo %s)",
            intent.intent_id,
            kind,
            on_page,
            self.account.is_demo,
        )
        if kind == UNKNOWN:
            return refused(intent, Stage.ACCOUNT, UNKNOWN_ACCOUNT)
        if kind == REAL and not await self._real_allowed(intent, state, checks):
            return refused(
                intent,
                Stage.CONSENT,
                "REAL account and no consent to trade real money",
                real_without_consent=True,
            )
        if on_placing is not None:
            on_placing()
        return await loop.run_in_executor(page.executor, self._on_page, intent, kind, checks)

    def _page_refusal(self, checks: Checks) -> str | None:
        """Why the page check has this kind of trading off; None while it is on."""
        if self.page_check is None:
            return None
        feature = Feature.AUTO_TRADER if checks.source == "auto" else Feature.MANUAL_TRADING
        return self.page_check.refusal(feature)

    def _journal_attempt(self, intent: OrderIntent, checks: Checks) -> None:
        if self.journal is None:
            return
        is_demo = self.account.is_demo
        self.journal.write(
            Attempt(
                intent.intent_id,
                intent.asset,
                intent.direction,
                intent.amount,
                intent.expiry,
                Source.AUTO if checks.source == "auto" else Source.MANUAL,
                payout=self.account.payout(intent.asset),
                account=None if is_demo is None else ("DEMO" if is_demo else "REAL"),
                created=self._clock(),
            )
        )

    def _journal_decision(self, intent: OrderIntent, decision: RiskDecision) -> None:
        if self.journal is not None:
            self.journal.write(Decision(intent.intent_id, decision.allowed, (decision.reason,)))

    def _journal_outcome(self, outcome: OrderOutcome, started: float) -> None:
        if self.journal is None:
            return
        clicked, confirmed = outcome.clicked_at, outcome.confirmed_at
        self.journal.write(
            Placed(
                outcome.intent_id,
                outcome.placement.value,
                outcome.stage.value,
                outcome.reason,
                deal_id=outcome.deal_id,
                intent_to_click_ms=None if clicked is None else (clicked - started) * 1e3,
                click_to_confirm_ms=(
                    None if clicked is None or confirmed is None else (confirmed - clicked) * 1e3
                ),
                artifacts=outcome.artifacts,
            )
        )

    async def _real_allowed(
        self, intent: OrderIntent, state: AccountState | None, checks: Checks
    ) -> bool:
        if self.consent.granted or not checks.ask_consent:
            return self.consent.granted
        balance = f"Balance {state.balance:,.2f}. " if state is not None else ""
        return await self.consent.ask(f"{balance}Trade: {intent.amount:g} on {intent.asset}.")

    def _on_page(self, intent: OrderIntent, account: str, checks: Checks) -> OrderOutcome:
        """On the executor: the last checks, then the page's trade path, once."""
        reason = checks.still_wanted()
        if reason is not None:
            return refused(intent, Stage.STOPPED, reason)
        alarm = self.page.halt.alarm
        if alarm is not None:
            return refused(intent, Stage.ALARM, alarm.text)
        missing = self._page_refusal(checks)
        if missing is not None:
            return refused(intent, Stage.PAGE_CHECK, missing)
        if account == REAL and not self.consent.granted:
            return refused(
                intent, Stage.CONSENT, "the page shows a REAL account", real_without_consent=True
            )
        return outcome_of(intent, place_on_page(self.page, intent, account))
