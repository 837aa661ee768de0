"""Profile scan: account type (DEMO, REAL or UNKNOWN), balance and currency."""

from __future__ import annotations

from qfdesk.browser.capabilities.account import account_signals, account_type
from qfdesk.browser.capabilities.base import Context, Result, capability
from qfdesk.browser.capabilities.page import parse_currency, parse_number, read_text
from qfdesk.engine.events import DealsClosed, DealsOpened, OrderOpened


def _deal_currency(ctx: Context) -> str | None:
    """The page may show the balance without a sign; the socket's deals name the currency."""
    if ctx.events is None:
        return None
    for kind in (OrderOpened, DealsOpened, DealsClosed):
        event = ctx.events.latest(kind)
        deals = (event.deal,) if isinstance(event, OrderOpened) else getattr(event, "deals", ())
        for deal in deals:
            if deal.currency:
                return deal.currency
    return None


@capability("profile scan")
def profile_scan(ctx: Context) -> Result:
    signals = account_signals(ctx)
    balance_text = read_text(ctx, "balance")
    data = {
        "account": account_type(signals),
        "balance": parse_number(balance_text),
        "currency": parse_currency(balance_text) or _deal_currency(ctx),
    }
    return Result(True, data, diagnostics={"signals": signals})
