"""Session scan: current asset, payout, amount, expiry (seconds), open trades, balance."""

from __future__ import annotations

from qfdesk.browser.capabilities.assets import symbol_of_display
from qfdesk.browser.capabilities.base import Context, Result, capability
from qfdesk.browser.capabilities.page import (
    open_trade_count,
    parse_number,
    read_amount,
    read_expiry,
    read_payout,
    read_text,
)


@capability("session scan")
def session_scan(ctx: Context) -> Result:
    asset = read_text(ctx, "current_asset")
    data = {
        "asset": asset,
        "symbol": symbol_of_display(ctx, asset),
        "payout": read_payout(ctx),
        "amount": read_amount(ctx),
        "expiry": read_expiry(ctx),
        "open_trades": open_trade_count(ctx),
        "balance": parse_number(read_text(ctx, "balance")),
    }
    return Result(True, data)
