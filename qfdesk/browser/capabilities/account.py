"""DEMO or REAL: every signal on the page and the socket must agree on DEMO.

A REAL signal from any source wins, and an account that cannot be classified counts as REAL:
a broken selector then blocks trading instead of trading real money.
"""

from __future__ import annotations

from typing import Any

from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.capabilities.page import current_url, text_of
from qfdesk.engine.events import AuthSent, Balance

DEMO = "DEMO"
REAL = "REAL"


def account_signals(ctx: Context) -> dict[str, Any]:
    """Each source's verdict: True = demo, False = real, None = no opinion."""
    signals: dict[str, Any] = {}
    url = current_url(ctx)
    signals["url"] = "demo" in url.lower() if url else None
    label = ctx.selectors.find(ctx.driver, "balance_label")
    signals["label"] = "demo" in text_of(label.element).lower() if label else None
    marker_chain, marker = ctx.selectors.find_all(ctx.driver, "demo_marker")
    signals["demo_marker"] = bool(marker) if marker_chain is not None or signals["url"] else None
    if ctx.events is not None:
        balance = ctx.events.latest(Balance)
        signals["socket_balance"] = None if balance is None else balance.is_demo
        auth = ctx.events.latest(AuthSent)
        signals["socket_auth"] = None if auth is None else bool(auth.is_demo)
    return signals


def account_type(signals: dict[str, Any]) -> str:
    verdicts = [v for v in signals.values() if v is not None]
    return DEMO if verdicts and all(verdicts) else REAL
