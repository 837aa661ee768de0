"""What the simulator's parts share: the assets and their markets, the open sockets, the
page's settings, the server loop's background tasks and the lock over the records.

The state (the socket behaviour), the order desk and the controls all take a ``SimWorld``;
this module imports none of them. Everything here runs on the server's asyncio loop; what
other threads read is read under ``lock``.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Coroutine
from typing import Any

from qfdesk.sim.assets import SimAsset, build_catalogue
from qfdesk.sim.market import AssetMarket, platform_now
from qfdesk.sim.session import Session

FAVOURITES = 3


class SimWorld:
    """The shared part of the simulated platform. Methods run on the server loop."""

    def __init__(self, assets: int, tick_rate: float | None, seed: int | None) -> None:
        if assets < 1:
            raise ValueError("the simulator needs at least one asset")
        self.rng = random.Random(seed)
        self.tick_rate = tick_rate
        self.catalogue: dict[str, SimAsset] = {a.symbol: a for a in build_catalogue(assets)}
        now = platform_now()
        self.markets = {
            symbol: AssetMarket(asset, random.Random(self.rng.random()), now)
            for symbol, asset in self.catalogue.items()
        }
        active = [a.symbol for a in self.catalogue.values() if a.active]
        self.favourites = active[:FAVOURITES]
        self.trading: set[Session] = set()
        self.chat: set[Session] = set()
        self.page_listeners: set[asyncio.Queue[str]] = set()
        self.page_account = "demo"
        self.renamed_classes: dict[str, str] = {}  # the page's markup changed: old -> new
        self.streaming_paused = False
        self.stream_shape = "list"  # of updateStream payloads: frames.STREAM_SHAPES
        self.background: set[asyncio.Task[Any]] = set()
        # the records read from other threads are guarded by the lock
        self.lock = threading.Lock()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    def sessions_of(self, is_demo: bool) -> list[Session]:
        return [s for s in self.trading if s.authed and s.is_demo == is_demo and s.alive]

    def streams_of(self, session: Session) -> set[str]:
        wanted = {session.current_asset, *session.subscriptions, *self.favourites}
        return {s for s in wanted if s in self.catalogue and self.catalogue[s].active}

    def market_now(self, symbol: str) -> AssetMarket:
        """``symbol``'s market with its price current: an asset not streamed (so not walked
        by the tick loop) is walked up to now first."""
        market = self.markets[symbol]
        if symbol not in self.streamed_assets():
            market.fill_until(platform_now())
        return market

    def streamed_assets(self) -> list[str]:
        if self.streaming_paused:
            return []
        wanted: set[str] = set()
        for session in self.trading:
            if session.authed and session.alive:
                wanted |= self.streams_of(session)
        return sorted(wanted)
