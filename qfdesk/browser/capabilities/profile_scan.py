"""Profile scan: account type (DEMO/REAL), balance and currency."""

from __future__ import annotations

from qfdesk.browser.capabilities.account import account_signals, account_type
from qfdesk.browser.capabilities.base import Context, Result, capability
from qfdesk.browser.capabilities.page import parse_currency, parse_number, read_text


@capability("profile scan")
def profile_scan(ctx: Context) -> Result:
    signals = account_signals(ctx)
    balance_text = read_text(ctx, "balance")
    data = {
        "account": account_type(signals),
        "balance": parse_number(balance_text),
        "currency": parse_currency(balance_text),
    }
    return Result(True, data, diagnostics={"signals": signals})
