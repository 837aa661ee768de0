"""Socket symbols (``EURUSD_otc``) and page display names (``EUR/USD OTC``)."""

from __future__ import annotations

from qfdesk.browser.capabilities.base import Context
from qfdesk.engine.asset_names import normalise
from qfdesk.engine.events import AssetTable, SymbolChangeRequested


def guess_display_name(symbol: str) -> str:
    """``EURUSD_otc`` -> ``EUR/USD OTC`` when no asset table was seen."""
    base, otc, _ = symbol.partition("_otc")
    base = base.lstrip("#")
    name = f"{base[:3]}/{base[3:]}" if len(base) == 6 and base.isalpha() else base
    return f"{name} OTC" if otc else name


def asset_table(ctx: Context) -> AssetTable | None:
    return None if ctx.events is None else ctx.events.latest(AssetTable)


def resolve(ctx: Context, asset: str) -> tuple[str | None, str]:
    """(symbol or None, display name) for a symbol or a display name."""
    table = asset_table(ctx)
    wanted = normalise(asset)
    if table is not None:
        for info in table.assets:
            if asset == info.symbol or normalise(info.name) == wanted:
                return info.symbol, info.name
    if "_" in asset or asset.startswith("#") or asset.isupper() and "/" not in asset:
        return asset, guess_display_name(asset)
    return None, asset


def symbol_of_display(ctx: Context, display: str) -> str | None:
    symbol, _ = resolve(ctx, display)
    if symbol is not None:
        return symbol
    if ctx.events is not None:
        change = ctx.events.latest(SymbolChangeRequested)
        if change is not None and normalise(guess_display_name(change.asset)) == normalise(display):
            return change.asset
    return None
