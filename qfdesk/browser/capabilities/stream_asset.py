"""Stream another asset's ticks without changing the asset the trader trades on.

The page subscribes its trading socket to an asset with ``42["subfor", symbol]`` and ends it
with ``42["unsubfor", symbol]`` (platform-protocol.md section 4). These capabilities send
exactly those frames on the page's own trading socket (found as ``history_page`` finds it),
so the platform streams to the trader's logged-in session and the ticks arrive in Chrome's
performance log like the page's own; the page's chart, its asset and its trade panel stay as
they are. The event names are ``messages`` in selectors.json (``stream_start``,
``stream_stop``), so a renamed event is followed without a release.

The platform streams only a few assets at once (about four live subscriptions, the page's own
chart included). The assets asked for are kept on the socket object itself, under
``Symbol.for("qfdesk.streams")``: they go with the socket when it reconnects, as the
platform's subscriptions do. A request past ``stream_limit`` (setting, default 4) is refused
before anything is sent; one the platform drops anyway is told by no tick of the asset
within ``stream_timeout`` seconds, and withdrawn.
"""

from __future__ import annotations

import json
from typing import Any

from qfdesk.browser.capabilities.assets import asset_table, resolve, symbol_of_display
from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.history_page import find_trading_socket
from qfdesk.browser.capabilities.page import read_text
from qfdesk.engine.events import Event, SymbolChangeRequested, Tick

STREAM_LIMIT = 4
STREAM_TIMEOUT = 5.0

_STREAMS = """
const ws = window[Symbol.for('qfdesk.tradingSocket')];
if (!ws || ws.readyState !== 1) return null;
return ws[Symbol.for('qfdesk.streams')] || [];
"""
_SEND = """
const ws = window[Symbol.for('qfdesk.tradingSocket')];
if (!ws || ws.readyState !== 1) return false;
if (arguments[0]) ws.send(arguments[0]);
ws[Symbol.for('qfdesk.streams')] = arguments[1];
return true;
"""


def _symbol(ctx: Context, asset: str) -> tuple[str, str]:
    symbol, name = resolve(ctx, asset)
    if symbol is None:
        raise CapabilityFailure(f"{asset} is not an asset the platform listed.")
    table = asset_table(ctx)
    info = next((a for a in table.assets if a.symbol == symbol), None) if table else None
    if info is not None and not info.is_active:
        raise CapabilityFailure(f"{name} is closed: the platform streams no ticks for it now.")
    return symbol, name


def _streams(ctx: Context) -> list[str]:
    """The assets qfdesk asked the page's socket to stream (the socket found first)."""
    find_trading_socket(ctx)
    streams = ctx.driver.execute_script(_STREAMS)
    if streams is None:
        raise CapabilityFailure("The platform page's trading socket closed; try again.")
    return [str(s) for s in streams]


def _page_symbol(ctx: Context) -> str | None:
    """The asset of the page's own chart (streamed by the page itself): the last one its
    socket asked for (``changeSymbol``), else the one it shows."""
    change = ctx.events.latest(SymbolChangeRequested) if ctx.events is not None else None
    if change is not None:
        return change.asset
    return symbol_of_display(ctx, read_text(ctx, "current_asset"))


def _frame(ctx: Context, message: str, symbol: str) -> str:
    return "42" + json.dumps([ctx.selectors.message(message), symbol], separators=(",", ":"))


def _send(ctx: Context, frame: str | None, kept: list[str]) -> None:
    """Send ``frame`` (if any) on the trading socket and keep ``kept`` as its streams."""
    if not ctx.driver.execute_script(_SEND, frame, kept):
        raise CapabilityFailure("The platform page's trading socket closed; try again.")


@capability("stream asset")
def stream_asset(ctx: Context, asset: str) -> Result:
    """Have the platform stream ``asset`` too; ``data["streaming"]`` lists what qfdesk asked
    the socket to stream, ``data["route"]`` is ``page`` (the page's own chart streams it) or
    ``socket``, ``data["tick_time"]`` the platform time of the first tick that came."""
    symbol, name = _symbol(ctx, asset)
    streams = _streams(ctx)
    page = _page_symbol(ctx)
    if symbol == page:
        return Result(
            True, {"symbol": symbol, "asset": name, "route": "page", "streaming": streams}
        )
    limit = int(ctx.setting("stream_limit", STREAM_LIMIT))
    taken = [*([page] if page and page not in streams else []), *streams]
    if symbol not in streams and len(taken) >= limit:
        raise CapabilityFailure(
            f"The platform streams at most {limit} assets at once and {', '.join(taken)} "
            f"stream now: close one of their charts before opening {name}.",
            {"symbol": symbol, "streaming": taken, "limit": limit},
        )
    kept = streams if symbol in streams else [*streams, symbol]
    data: dict[str, Any] = {"symbol": symbol, "asset": name, "route": "socket", "streaming": kept}
    mark = ctx.events.mark() if ctx.events is not None else None
    _send(ctx, _frame(ctx, "stream_start", symbol), kept)
    if ctx.events is not None:
        timeout = float(ctx.setting("stream_timeout", STREAM_TIMEOUT))

        def ticked(event: Event) -> bool:
            return type(event) is Tick and event.asset == symbol

        tick = ctx.events.wait_for(ticked, timeout, since=mark)
        if not isinstance(tick, Tick):
            _send(ctx, _frame(ctx, "stream_stop", symbol), [s for s in kept if s != symbol])
            raise CapabilityFailure(
                f"The platform sent no tick of {name} within {timeout:.0f} s of asking; it may "
                f"stream fewer than {limit} assets at once. Close another chart and try again.",
                {"symbol": symbol, "streaming": streams, "limit": limit},
            )
        data["tick_time"] = tick.time
    return Result(True, data)


@capability("stop stream")
def stop_stream(ctx: Context, asset: str) -> Result:
    """End a stream ``stream_asset`` started. What the page streams for itself (its chart's
    asset, or an asset qfdesk never asked for) is left alone: ``data["route"]`` says
    ``socket`` when ``unsubfor`` was sent, ``kept`` when it was not."""
    symbol, name = resolve(ctx, asset)
    if symbol is None:
        raise CapabilityFailure(f"{asset} is not an asset the platform listed.")
    streams = _streams(ctx)
    if symbol not in streams:
        return Result(True, {"symbol": symbol, "route": "kept", "streaming": streams})
    kept = [s for s in streams if s != symbol]
    if symbol == _page_symbol(ctx):  # the page's own chart streams it
        _send(ctx, None, kept)
        return Result(True, {"symbol": symbol, "route": "kept", "streaming": kept})
    _send(ctx, _frame(ctx, "stream_stop", symbol), kept)
    return Result(True, {"symbol": symbol, "asset": name, "route": "socket", "streaming": kept})
