"""Keeps the platform streaming the assets the charts show: ``stream_asset`` and
``stop_stream`` on the bridge's action executor, one at a time, what is no longer wanted
stopped first so its place is free.

A stream that starts gets five hours of M1 candles from the page's socket too, once a
session, as a chart the page opens gets its recent history.

The page ends a subscription itself when it leaves an asset (``unsubfor``), ours included:
the asset it left is asked for again when it is wanted. A new page or socket has none of
ours: after qfdesk connects, every wanted asset is asked for again (``renew``). A refusal (the platform's limit) is kept with
its reason until the wanted assets change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from PySide6 import QtCore
from selenium.common.exceptions import WebDriverException

from qfdesk.browser.capabilities.base import Result
from qfdesk.browser.capabilities.history_page import request_history_page
from qfdesk.browser.capabilities.stream_asset import stop_stream, stream_asset
from qfdesk.browser.errors import ChromeError
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel

log = logging.getLogger(__name__)

RECENT_CANDLES = 300
"""M1 candles (five hours) asked for once per session when an asset's stream starts."""


def _call(
    capability: Callable[..., Result], bridge: LiveBridge, symbol: str, history: bool
) -> Result:
    """``capability`` for ``symbol``; with ``history``, a stream that starts gets the recent
    candles too, as a chart the page opens gets them (executor thread)."""
    try:
        ctx = bridge.action_context()
        result = capability(ctx, symbol)
        if history and result.ok and result.data.get("tick_time"):
            request_history_page(ctx, symbol, 60, int(result.data["tick_time"]), RECENT_CANDLES)
        return result
    except (ChromeError, WebDriverException) as error:  # no page to act on: a refusal
        return Result(False, error=f"{symbol}: {error}")


class PageStreams(QtCore.QObject):
    changed = QtCore.Signal()  # streaming or refused changed

    def __init__(
        self, bridge: LiveBridge, market: MarketModel, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.wanted: set[str] = set()
        self.streaming: set[str] = set()
        self.refused: dict[str, str] = {}
        self.history_asked: set[str] = set()
        self.task: asyncio.Task[None] | None = None
        self._page = market.page_asset
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        bridge.connectFinished.connect(self._on_connected, queued)
        market.pageAssetChanged.connect(self._on_page_asset)

    def _on_connected(self, ok: bool, _text: str) -> None:
        if ok:
            self.renew()

    def _on_page_asset(self, symbol: str) -> None:
        """The page left its asset, ending that asset's stream: ask for it again if wanted."""
        left, self._page = self._page, symbol
        if left and left != symbol:
            self.streaming.discard(left)
            self._kick()

    def want(self, symbols: Iterable[str]) -> None:
        """Stream exactly ``symbols`` (besides what the page streams for itself)."""
        wanted = {s for s in symbols if s}
        if wanted != self.wanted:
            self.wanted = wanted
            self.refused.clear()
        self._kick()

    def renew(self) -> None:
        """Ask for every wanted asset again (the page's subscriptions changed)."""
        self.streaming.clear()
        self.refused.clear()
        self._kick()

    def _kick(self) -> None:
        if self.task is None and self.bridge.connected:
            # The loop the window runs on, taken here: a Qt event may step the task while
            # that loop is between runs (tests), when no loop counts as running.
            loop = asyncio.get_event_loop()
            self.task = loop.create_task(self._run(loop))

    def next_step(self) -> tuple[Callable[..., Result], str] | None:
        """What to ask the page next: a stream no longer wanted ended first, then one to
        start; None when the page streams what is wanted (or was refused)."""
        stop = sorted(self.streaming - self.wanted)
        if stop:
            return stop_stream, stop[0]
        start = sorted(self.wanted - self.streaming - set(self.refused))
        return (stream_asset, start[0]) if start else None

    async def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self.bridge.connected and (step := self.next_step()) is not None:
                capability, symbol = step
                history = capability is stream_asset and symbol not in self.history_asked
                try:
                    result = await loop.run_in_executor(
                        self.bridge.executor, _call, capability, self.bridge, symbol, history
                    )
                except RuntimeError:  # the bridge is stopping
                    return
                if capability is stop_stream:
                    self.streaming.discard(symbol)
                elif result.ok:
                    self.streaming.add(symbol)
                    self.history_asked.add(symbol)
                else:
                    log.warning("the platform does not stream %s: %s", symbol, result.error)
                    self.refused[symbol] = result.error or "refused"
                self.changed.emit()
        finally:
            self.task = None
