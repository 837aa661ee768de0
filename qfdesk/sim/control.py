"""Misbehaviour and settings on demand, for tests: ``Controls.apply(action, params)``."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from qfdesk.sim import frames
from qfdesk.sim.assets import with_active, with_payout
from qfdesk.sim.orders import OrderDesk, balance_payload
from qfdesk.sim.session import Session
from qfdesk.sim.world import SimWorld

_CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
DEMO_PATH = "/en/cabinet/demo-quick-high-low/"
REAL_PATH = "/en/cabinet/quick-high-low/"
ACTIONS = frozenset(
    {
        "drop_socket",
        "malformed",
        "reject_next",
        "delay_confirm",
        "never_confirm",
        "place_other",
        "force_outcome",
        "close_orders_now",
        "set_balance",
        "set_tick_rate",
        "pause_stream",
        "resume_stream",
        "stream_shape",
        "set_asset_active",
        "set_payout",
        "account",
        "show_tutorial",
        "history_gap",
        "rename_class",
    }
)


class Controls:
    """The control actions; each runs on the server loop."""

    def __init__(self, world: SimWorld, desk: OrderDesk) -> None:
        self._world = world
        self._desk = desk

    async def apply(self, action: str, params: dict[str, Any]) -> None:
        """Apply one misbehaviour or setting; raises ValueError for unknown ones."""
        handler = getattr(self, action, None) if action in ACTIONS else None
        if handler is None:
            raise ValueError(f"unknown control action {action!r}")
        await handler(**params)

    def _targets(self, socket: str) -> list[Session]:
        if socket == "trading":
            return list(self._world.trading)
        if socket == "chat":
            return list(self._world.chat)
        if socket == "all":
            return [*self._world.trading, *self._world.chat]
        raise ValueError("socket must be 'trading', 'chat' or 'all'")

    async def drop_socket(self, socket: str = "trading", how: str = "close") -> None:
        """``close``: a WebSocket close; ``disconnect``: Socket.IO ``41`` then close;
        ``abort``: the TCP connection cut with no closing handshake."""
        if how not in ("close", "disconnect", "abort"):
            raise ValueError("how must be 'close', 'disconnect' or 'abort'")
        for session in self._targets(socket):
            if how == "abort":
                session.abort()
                continue
            if how == "disconnect":
                await session.send_text(frames.DISCONNECT)
            await session.close()

    async def malformed(self, kind: str = "bad_json", socket: str = "trading") -> None:
        header, attachment = frames.binary_event("updateStream", [["BROKEN", 0, 0]])
        sends: dict[str, tuple[str | bytes, ...]] = {
            "bad_json": ('42["updateStream",[["EURUSD_otc",1,',),
            "bad_attachment": (header, b'[["EURUSD_otc",1756866774.9,'),
            "header_without_attachment": (header,),
            "attachment_without_header": (attachment,),
            "unknown_packet": ("7garbage",),
        }
        if kind not in sends:
            raise ValueError(f"malformed kind must be one of {sorted(sends)}")
        for session in self._targets(socket):
            for part in sends[kind]:
                if isinstance(part, bytes):
                    await session.send_bytes(part)
                else:
                    await session.send_text(part)

    async def reject_next(self, error: str = "Trading is temporarily unavailable") -> None:
        self._desk.order_faults.append(("reject_next", {"error": error}))

    async def delay_confirm(self, seconds: float = 3.0) -> None:
        self._desk.order_faults.append(("delay_confirm", {"seconds": float(seconds)}))

    async def never_confirm(self) -> None:
        self._desk.order_faults.append(("never_confirm", {}))

    async def place_other(self, amount: float | None = None, account: str | None = None) -> None:
        """The next order is placed with ``amount`` and/or on ``account`` (demo/real) instead
        of what the page sent: a page that places a trade other than the one it showed."""
        if account not in (None, "demo", "real"):
            raise ValueError("account must be 'demo' or 'real'")
        if amount is None and account is None:
            raise ValueError("place_other needs an amount, an account or both")
        if amount is not None and not 1 <= float(amount) < math.inf:
            raise ValueError("the amount must be a finite number of at least 1")
        changes = {"amount": None if amount is None else float(amount), "account": account}
        self._desk.order_faults.append(("place_other", changes))

    async def force_outcome(self, outcome: str) -> None:
        if outcome not in ("win", "loss", "refund"):
            raise ValueError("outcome must be 'win', 'loss' or 'refund'")
        self._desk.forced_outcomes.append(outcome)

    async def close_orders_now(self) -> None:
        await self._desk.close_all_now()

    async def set_balance(self, balance: float, demo: bool = True) -> None:
        account = self._desk.accounts[bool(demo)]
        account.balance = float(balance)
        for session in self._world.sessions_of(account.is_demo):
            await session.emit("successupdateBalance", balance_payload(account))

    async def set_tick_rate(self, rate: float | None = None) -> None:
        """Total ticks per second across streamed assets; ``None``: two per asset."""
        if rate is not None and not 0 < float(rate) < math.inf:
            raise ValueError("the tick rate must be a finite number above 0")
        self._world.tick_rate = float(rate) if rate is not None else None

    async def pause_stream(self) -> None:
        self._world.streaming_paused = True

    async def resume_stream(self) -> None:
        self._world.streaming_paused = False

    async def stream_shape(self, shape: str = "list") -> None:
        """The shape of the ``updateStream`` payloads sent from now on (frames.stream_payload)."""
        if shape not in frames.STREAM_SHAPES:
            raise ValueError(f"shape must be one of {list(frames.STREAM_SHAPES)}")
        self._world.stream_shape = shape

    async def set_asset_active(self, asset: str, active: bool) -> None:
        if asset not in self._world.catalogue:
            raise ValueError(f"unknown asset {asset!r}")
        self._world.catalogue[asset] = with_active(self._world.catalogue[asset], bool(active))
        await self._send_assets()

    async def set_payout(self, asset: str, payout: int) -> None:
        """The asset pays ``payout`` percent from now on; the pages get the new asset table
        (orders opened after it are paid that)."""
        if asset not in self._world.catalogue:
            raise ValueError(f"unknown asset {asset!r}")
        if isinstance(payout, bool) or not isinstance(payout, int) or not 0 < payout <= 1000:
            raise ValueError("the payout must be a whole percent above 0, up to 1000")
        self._world.catalogue[asset] = with_payout(self._world.catalogue[asset], payout)
        await self._send_assets()

    async def _send_assets(self) -> None:
        rows = [a.row() for a in self._world.catalogue.values()]
        for session in self._world.trading:
            if session.authed:
                await session.emit("updateAssets", rows)

    async def account(self, kind: str) -> None:
        if kind not in ("demo", "real"):
            raise ValueError("account kind must be 'demo' or 'real'")
        self._world.page_account = kind
        await self._tell_pages({"navigate": DEMO_PATH if kind == "demo" else REAL_PATH})

    async def show_tutorial(self) -> None:
        await self._tell_pages({"tutorial": True})

    async def rename_class(self, old: str, new: str) -> None:
        """The platform changed its markup: every element of class ``old`` has class ``new``
        instead, on the open pages and on every page served from now on."""
        for name in (old, new):
            if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a class name (letters, digits, - and _)")
        self._world.renamed_classes[old] = new
        await self._tell_pages({"rename": {old: new}})

    async def history_gap(self, asset: str, start: float, end: float) -> None:
        """No history for ``asset`` in [start, end) (platform time) before the simulator
        started, as over a market's weekend: paging there returns nothing."""
        market = self._world.markets.get(asset)
        if market is None:
            raise ValueError(f"unknown asset {asset!r}")
        if not (math.isfinite(start) and math.isfinite(end) and start < end):
            raise ValueError("history_gap needs start < end (platform epoch seconds)")
        market.deep.close(int(start), int(end))

    async def _tell_pages(self, message: dict[str, Any]) -> None:
        for queue in self._world.page_listeners:
            queue.put_nowait(json.dumps(message))
