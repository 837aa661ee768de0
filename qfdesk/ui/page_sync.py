"""Keeps the platform page on the app's asset: asset-select on the action executor.

While a selection is in flight, the page's own ``changeSymbol`` requests are the app's
doing; after it, a change made on the page by the trader can be followed by the app.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6 import QtCore

from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.browser.capabilities.base import Result
from qfdesk.engine.page_check import Feature
from qfdesk.ui.live_bridge import LiveBridge

log = logging.getLogger(__name__)


def _select(bridge: LiveBridge, symbol: str) -> Result:
    off = bridge.page_check.refusal(Feature.ASSET_SWITCHING)
    if off is not None:
        return Result(False, error=off)
    return asset_select(bridge.action_context(), symbol)


class PageSync(QtCore.QObject):
    def __init__(self, bridge: LiveBridge, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.in_flight: str | None = None
        self.wanted: str | None = None
        self.synced = False
        self.task: asyncio.Task[None] | None = None

    def request(self, symbol: str) -> None:
        """Select ``symbol`` on the page (the latest request wins)."""
        self.wanted = symbol
        if self.in_flight is None and self.bridge.connected:
            self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.wanted is not None and self.wanted != self.in_flight:
            symbol = self.in_flight = self.wanted
            try:
                result = await loop.run_in_executor(
                    self.bridge.executor, _select, self.bridge, symbol
                )
            except Exception as error:
                log.exception("asset select of %s failed", symbol)
                result = Result(False, error=f"asset select failed: {error}")
            if self.wanted == symbol:
                self.wanted = None
            self.in_flight = None
            if result.ok:
                self.synced = True
                log.info("the platform page now shows %s (%s)", symbol, result.data.get("route"))
            else:
                log.warning("could not select %s on the platform page: %s", symbol, result.error)
