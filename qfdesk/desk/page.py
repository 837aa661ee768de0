"""The platform page as the order desk uses it: its account, and one placement on it.

Both block on Selenium, so they run on the page's action executor (one thread: one action
at a time on the page).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Protocol

from qfdesk.browser.capabilities.account import REAL, UNKNOWN
from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.browser.capabilities.base import Context, Result
from qfdesk.browser.capabilities.profile_scan import profile_scan
from qfdesk.browser.capabilities.set_amount import set_amount
from qfdesk.browser.capabilities.set_expiry import set_expiry
from qfdesk.browser.capabilities.trade_click import trade_click
from qfdesk.desk.orders import OrderIntent
from qfdesk.engine.trading_halt import TradingHalt

UNKNOWN_ACCOUNT = (
    "the account type is UNKNOWN: DEMO or REAL cannot be read from the platform page, or the "
    "page and its socket disagree; nothing was traded. Wait until the page shows its account "
    "and balance (Trading > Reload the platform page if it does not), then try again"
)


class Page(Protocol):
    """The platform's Chrome: its action executor, the session's trading alarm, and an
    action context (with the trader's REAL consent, or without)."""

    @property
    def executor(self) -> Executor: ...

    @property
    def halt(self) -> TradingHalt: ...

    @property
    def connected(self) -> bool: ...

    def action_context(self, *, allow_real: bool = False) -> Context: ...


def page_account(page: Page) -> str:
    """DEMO / REAL as the page and socket show it (executor thread); UNKNOWN if unreadable."""
    result = profile_scan(page.action_context())
    return result.data.get("account", UNKNOWN) if result.ok else UNKNOWN


def place_on_page(page: Page, intent: OrderIntent, account: str) -> Result:
    """Blocking: asset, amount, expiry, then one trade click meant for ``account`` (DEMO, or
    REAL once the trader consented). Runs on the page's executor."""
    ctx = page.action_context(allow_real=account == REAL)
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
