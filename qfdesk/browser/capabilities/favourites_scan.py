"""Favourites scan: the favourites bar's assets with payouts, filtered by a minimum payout."""

from __future__ import annotations

from typing import Any

from qfdesk.browser.capabilities.base import Context, Result, capability
from qfdesk.browser.capabilities.page import parse_number, text_of


@capability("favourites scan")
def favourites_scan(ctx: Context, min_payout: float = 0.0) -> Result:
    """``favourites``: every item; ``selected``: those paying at least ``min_payout``."""
    _, items = ctx.selectors.find_all(ctx.driver, "favourite_items")
    favourites: list[dict[str, Any]] = []
    for item in items:
        label = ctx.selectors.find(item, "favourite_label")
        payout = ctx.selectors.find(item, "favourite_payout")
        favourites.append(
            {
                "name": text_of(label.element) if label else text_of(item),
                "payout": parse_number(text_of(payout.element)) if payout else None,
            }
        )
    selected = [f for f in favourites if f["payout"] is not None and f["payout"] >= min_payout]
    return Result(True, {"favourites": favourites, "selected": selected, "min_payout": min_payout})
