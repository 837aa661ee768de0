"""Select the platform chart's own timeframe through its menu (S30, M1, M5, H1...)."""

from __future__ import annotations

from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.page import (
    click_element,
    parse_duration_label,
    require,
    text_of,
    wait_until,
)


@capability("chart timeframe")
def chart_timeframe(ctx: Context, timeframe: str) -> Result:
    wanted = parse_duration_label(timeframe)
    if wanted is None:
        raise CapabilityFailure(f"{timeframe!r} is not a timeframe; use S30, M1, M5, H1...")
    opener = require(ctx, "chart_timeframe_open").element
    click_element(ctx, opener)
    _, items = ctx.selectors.find_all(ctx.driver, "chart_timeframe_items")
    labels = [text_of(item) for item in items]
    for item, label in zip(items, labels, strict=True):
        if parse_duration_label(label) == wanted:
            click_element(ctx, item)
            break
    else:
        click_element(ctx, opener)
        raise CapabilityFailure(
            f"The chart offers no timeframe {timeframe} (offered: {', '.join(labels)}).",
            {"offered": labels},
        )

    def shown() -> bool:
        return parse_duration_label(text_of(require(ctx, "chart_timeframe_open").element)) == wanted

    return Result(True, {"timeframe": timeframe.upper(), "shown": bool(wait_until(shown, 2.0))})
