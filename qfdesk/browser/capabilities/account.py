"""DEMO, REAL or UNKNOWN: what the page and the socket say, only when they all agree.

DEMO when every signal that has an opinion says demo, REAL when every one says real. No
signal at all, or signals that disagree (the page switching account, a broken selector) is
UNKNOWN: never taken for DEMO, never for REAL, and nothing is traded on it.
"""

from __future__ import annotations

from typing import Any

from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.capabilities.page import current_url, text_of
from qfdesk.engine.events import AuthSent, Balance

DEMO = "DEMO"
REAL = "REAL"
UNKNOWN = "UNKNOWN"


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
    if verdicts and all(verdicts):
        return DEMO
    if verdicts and not any(verdicts):
        return REAL
    return UNKNOWN


def agreed_account(page: str | None, socket_is_demo: bool | None) -> str:
    """The page's account type if the window's own socket view agrees, else UNKNOWN."""
    if page == DEMO and socket_is_demo is True:
        return DEMO
    if page == REAL and socket_is_demo is False:
        return REAL
    return UNKNOWN
