"""Set expiry: pick S30..M5 (or longer, when offered) in the expiration picker, read back."""

from __future__ import annotations

from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.page import (
    click_element,
    duration_label,
    parse_duration,
    parse_duration_label,
    read_expiry,
    require,
    text_of,
    wait_until,
)


def expiry_seconds(expiry: str | int) -> int:
    seconds = expiry if isinstance(expiry, int) else parse_duration(str(expiry))
    if not seconds or seconds <= 0:
        raise CapabilityFailure(f"{expiry!r} is not an expiry; use S30, M1, M5, H1 or seconds.")
    return seconds


@capability("set expiry")
def set_expiry(ctx: Context, expiry: str | int) -> Result:
    seconds = expiry_seconds(expiry)
    if read_expiry(ctx) == seconds:
        return Result(True, {"expiry": seconds, "changed": False})
    click_element(ctx, require(ctx, "expiry_open").element)
    _, items = ctx.selectors.find_all(ctx.driver, "expiry_items")
    offered = {}
    for item in items:
        value = parse_duration_label(text_of(item))
        if value is not None:
            offered[value] = item
    if seconds not in offered:
        click_element(ctx, require(ctx, "expiry_open").element)
        labels = [duration_label(s) for s in sorted(offered)]
        raise CapabilityFailure(
            f"The page offers no expiry {duration_label(seconds)} (offered: "
            f"{', '.join(labels) or 'none'}).",
            {"offered": sorted(offered)},
        )
    click_element(ctx, offered[seconds])
    if not wait_until(lambda: read_expiry(ctx) == seconds, 2.0):
        raise CapabilityFailure(
            f"The expiry shows {read_expiry(ctx)} s instead of {seconds} s after choosing it."
        )
    return Result(True, {"expiry": seconds, "changed": True})
