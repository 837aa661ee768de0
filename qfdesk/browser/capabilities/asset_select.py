"""Asset select: by symbol or display name, through the favourites bar or the picker's search.

Verified twice: the page's current asset shows the name, and the page sent ``changeSymbol``
for the symbol on its socket (when an event source is wired).
"""

from __future__ import annotations

from selenium.webdriver.remote.webelement import WebElement

from qfdesk.browser.capabilities.assets import resolve
from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.page import (
    click_element,
    read_text,
    require,
    text_of,
    wait_until,
)
from qfdesk.engine.asset_names import normalise, same_asset
from qfdesk.engine.events import Event, SymbolChangeRequested


def _via_favourites(ctx: Context, name: str) -> bool:
    _, items = ctx.selectors.find_all(ctx.driver, "favourite_items")
    for item in items:
        label = ctx.selectors.find(item, "favourite_label")
        if same_asset(text_of(label.element if label else item), name):
            click_element(ctx, item)
            return True
    return False


def _picker_row(ctx: Context, name: str) -> WebElement | None:
    _, rows = ctx.selectors.find_all(ctx.driver, "picker_rows")
    for row in rows:
        label = ctx.selectors.find(row, "picker_row_label")
        if label and same_asset(text_of(label.element), name):
            link = ctx.selectors.find(row, "picker_row_link")
            return link.element if link else row
    return None


def _via_picker(ctx: Context, name: str) -> bool:
    click_element(ctx, require(ctx, "picker_open").element)
    search = require(ctx, "picker_search").element
    search.clear()
    search.send_keys(name)
    row = wait_until(lambda: _picker_row(ctx, name), 3.0)
    if row is None:
        close = ctx.selectors.find(ctx.driver, "picker_close")
        if close is not None and close.element.is_displayed():
            click_element(ctx, close.element)
        return False
    click_element(ctx, row)
    return True


@capability("asset select")
def asset_select(ctx: Context, asset: str, timeout: float = 5.0) -> Result:
    symbol, name = resolve(ctx, asset)
    if same_asset(read_text(ctx, "current_asset"), name):
        return Result(True, {"asset": name, "symbol": symbol, "route": "already", "socket": None})
    mark = ctx.events.mark() if ctx.events is not None else None
    route = "favourites" if _via_favourites(ctx, name) else None
    if route is None and _via_picker(ctx, name):
        route = "picker"
    if route is None:
        raise CapabilityFailure(
            f"{asset} is neither in the favourites bar nor found by the picker's search."
        )
    if not wait_until(lambda: same_asset(read_text(ctx, "current_asset"), name), timeout):
        raise CapabilityFailure(
            f"After choosing {name} the page still shows {read_text(ctx, 'current_asset')!r}.",
            {"route": route},
        )
    socket = None
    if ctx.events is not None:
        wanted = normalise(symbol) if symbol else None

        def changed(event: Event) -> bool:
            return isinstance(event, SymbolChangeRequested) and (
                wanted is None or normalise(event.asset) == wanted
            )

        event = ctx.events.wait_for(changed, timeout, since=mark)
        if not isinstance(event, SymbolChangeRequested):
            raise CapabilityFailure(
                f"The page shows {name} but its socket never asked for it (no changeSymbol "
                f"within {timeout:.0f} s); the chart may not be live. Reload the page.",
                {"route": route},
            )
        socket = event.asset
        symbol = symbol or event.asset
    return Result(True, {"asset": name, "symbol": symbol, "route": route, "socket": socket})
