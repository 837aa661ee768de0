"""Ask the trading page for an older page of history, on the page's own socket.

The page pages its chart back with ``42["loadHistoryPeriod", {"asset", "index", "time",
"offset", "period"}]`` on its trading socket (platform-protocol.md section 4). This sends
exactly that frame on that very socket, so the platform answers the trader's own logged-in
session as it answers the page's scrolling; the answer arrives like every other frame, in
Chrome's performance log, and no login of ours is involved.

Finding the socket: Chrome's ``Runtime.queryObjects`` lists every ``WebSocket`` the page
holds (attaching after the page opened them is fine). Of those that are open, the trading
socket is the one that carries ``updateStream`` (ticks, a few a second); a listener added
with ``addEventListener`` watches for it without touching the page's own handlers. The socket
found is kept on the page under ``Symbol.for("qfdesk.tradingSocket")`` until it closes (a
reconnect is found again).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability

FIND_TIMEOUT = 5.0
POLL = 0.05

_MARK = """
function () {
  const key = Symbol.for('qfdesk.tradingSocket');
  const found = window[key];
  if (found && found.readyState === 1) return 'kept';
  const open = this.filter(function (ws) { return ws.readyState === 1; });
  open.forEach(function (ws) {
    if (ws[Symbol.for('qfdesk.watched')]) return;
    ws[Symbol.for('qfdesk.watched')] = true;
    ws.addEventListener('message', function (message) {
      const text = typeof message.data === 'string' ? message.data : '';
      if (/^4[25][0-9]*-?\\["updateStream"/.test(text) && ws.readyState === 1) window[key] = ws;
    });
  });
  return String(open.length);
}
"""
_FOUND = """
const ws = window[Symbol.for('qfdesk.tradingSocket')];
return !!(ws && ws.readyState === 1);
"""
_SEND = """
const ws = window[Symbol.for('qfdesk.tradingSocket')];
if (!ws || ws.readyState !== 1) return false;
ws.send(arguments[0]);
return true;
"""


def request_frame(asset: str, period: int, end: int, count: int, index: int) -> str:
    """The page's own paging frame: ``count`` periods of history ending before ``end``."""
    payload = {"asset": asset, "index": index, "time": end, "offset": count * period}
    payload["period"] = period
    return "42" + json.dumps(["loadHistoryPeriod", payload], separators=(",", ":"))


def _mark_sockets(ctx: Context) -> str:
    """Watch the page's open WebSockets for the trading one; returns 'kept' or a count."""
    driver: Any = ctx.driver
    proto = driver.execute_cdp_cmd("Runtime.evaluate", {"expression": "WebSocket.prototype"})
    group = "qfdesk-sockets"
    try:
        found = driver.execute_cdp_cmd(
            "Runtime.queryObjects",
            {"prototypeObjectId": proto["result"]["objectId"], "objectGroup": group},
        )
        marked = driver.execute_cdp_cmd(
            "Runtime.callFunctionOn",
            {
                "objectId": found["objects"]["objectId"],
                "functionDeclaration": _MARK,
                "returnByValue": True,
            },
        )
    finally:
        driver.execute_cdp_cmd("Runtime.releaseObjectGroup", {"objectGroup": group})
        if "objectId" in proto.get("result", {}):
            driver.execute_cdp_cmd(
                "Runtime.releaseObject", {"objectId": proto["result"]["objectId"]}
            )
    return str(marked.get("result", {}).get("value", ""))


def find_trading_socket(ctx: Context, timeout: float = FIND_TIMEOUT) -> None:
    """Make sure the page's trading socket is known; CapabilityFailure if none shows up."""
    if ctx.driver.execute_script(_FOUND):
        return
    seen = _mark_sockets(ctx)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ctx.driver.execute_script(_FOUND):
            return
        time.sleep(POLL)
    raise CapabilityFailure(
        "The platform page's trading socket was not found "
        f"({'no open socket' if seen == '0' else 'no socket carried ticks'} within "
        f"{timeout:.0f} s). Check that the trading page is open and shows a live chart."
    )


@capability("history page")
def request_history_page(ctx: Context, asset: str, period: int, end: int, count: int) -> Result:
    """Send the page's ``loadHistoryPeriod`` for ``count`` candles of ``period`` seconds
    before platform time ``end``; ``data["index"]`` is the request's index."""
    if not asset or period < 0 or count < 1 or end <= 0:
        raise CapabilityFailure(f"Not a history request: {asset!r}, {period}, {end}, {count}.")
    index = int(end) * 100 + random.randrange(100)
    text = request_frame(asset, period, int(end), count, index)
    for _ in range(2):  # a socket that closed since it was found is found again, once
        find_trading_socket(ctx)
        if ctx.driver.execute_script(_SEND, text):
            return Result(True, {"index": index})
    raise CapabilityFailure("The platform page's trading socket closed; try again.")
