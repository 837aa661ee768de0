"""Read payout: the current asset's payout percent as the page shows it."""

from __future__ import annotations

from qfdesk.browser.capabilities import page
from qfdesk.browser.capabilities.base import Context, Result, capability


@capability("read payout")
def read_payout(ctx: Context) -> Result:
    payout = page.read_payout(ctx)
    if payout is None:
        return Result(False, error="The payout shown on the page is not a number.")
    return Result(True, {"payout": payout})
