"""The simulated platform's aiohttp application: page, trading socket, chat socket, control.

Everything here runs on one asyncio loop (see ``platform.SimulatedPlatform`` for the thread).
Routes:
- ``/en/cabinet/demo-quick-high-low/`` and ``/en/cabinet/quick-high-low/``: the trading page;
- ``/socket.io/?EIO=4&transport=websocket``: the trading socket;
- ``/chat/socket.io/?EIO=4&transport=websocket``: the chat-like socket;
- ``/_sim/control`` (POST JSON ``{"action": ..., **params}``), ``/_sim/state`` (GET),
  ``/_sim/events`` (server-sent events telling the page to navigate; not platform traffic).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from qfdesk.sim import frames
from qfdesk.sim.assets import SimAsset, build_catalogue, with_active
from qfdesk.sim.deals import (
    Account,
    OrderRecord,
    closed_deal,
    forced_close_price,
    new_deal,
    outcome_of,
    profit_of,
)
from qfdesk.sim.market import PLATFORM_OFFSET, AssetMarket, platform_now
from qfdesk.sim.session import Session

log = logging.getLogger(__name__)

DEMO_PATH = "/en/cabinet/demo-quick-high-low/"
REAL_PATH = "/en/cabinet/quick-high-low/"
STATIC_DIR = Path(__file__).resolve().parents[2] / "resources" / "sim"
DEFAULT_RATE_PER_ASSET = 2.0
SUB_MINUTE_PERIODS = (1, 2, 3, 5, 10, 15, 20, 30)
MAX_PERIOD = 30 * 86400
HISTORY_CANDLES = 100
PAGE_CANDLES = 150
MAX_PAGE_CANDLES = 2000
FAVOURITES = 3
CLOSED_KEPT = 50
ORDER_FAULTS = ("reject_next", "delay_confirm", "never_confirm")


@dataclass(frozen=True, slots=True)
class SentTick:
    """One ``updateStream`` tick as sent: platform time and the local wall clock at send."""

    asset: str
    time: float
    price: float
    sent_at: float


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """An event the page sent on the trading socket (the auth session token is removed)."""

    event: str
    payload: Any
    received_at: float


def valid_period(period: Any) -> bool:
    """Periods the walk can build candles for: divisors of a minute, or whole minutes."""
    if not isinstance(period, int) or isinstance(period, bool):
        return False
    return period in SUB_MINUTE_PERIODS or (0 < period <= MAX_PERIOD and period % 60 == 0)


class SimState:
    """The whole simulated platform. Methods run on the server loop unless said otherwise."""

    def __init__(
        self,
        assets: int,
        tick_rate: float | None,
        seed: int | None,
        ping_interval: float,
        ping_timeout: float,
    ) -> None:
        if assets < 1:
            raise ValueError("the simulator needs at least one asset")
        self.rng = random.Random(seed)
        self.tick_rate = tick_rate
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.catalogue: dict[str, SimAsset] = {a.symbol: a for a in build_catalogue(assets)}
        now = platform_now()
        self.markets = {
            symbol: AssetMarket(asset, random.Random(self.rng.random()), now)
            for symbol, asset in self.catalogue.items()
        }
        active = [a.symbol for a in self.catalogue.values() if a.active]
        self.favourites = active[:FAVOURITES]
        self.chart_symbol = active[0]
        self.chart_period = 60
        self.accounts = {True: Account.new(True, 50000.0), False: Account.new(False, 1000.0)}
        self.trading: set[Session] = set()
        self.chat: set[Session] = set()
        self.page_listeners: set[asyncio.Queue[str]] = set()
        self.page_account = "demo"
        self.streaming_paused = False
        self.order_faults: list[tuple[str, dict[str, Any]]] = []
        self.forced_outcomes: list[str] = []
        self.close_tasks: dict[str, asyncio.Task[None]] = {}
        self.background: set[asyncio.Task[Any]] = set()
        # read from other threads: guarded by the lock, appended to only here
        self.lock = threading.Lock()
        self.sent: list[SentTick] = []
        self.orders: list[OrderRecord] = []
        self.received: list[ReceivedEvent] = []

    # -- helpers -----------------------------------------------------------------------
    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    def _sessions_of(self, is_demo: bool) -> list[Session]:
        return [s for s in self.trading if s.authed and s.is_demo == is_demo and s.alive]

    def streams_of(self, session: Session) -> set[str]:
        wanted = {session.current_asset, *session.subscriptions, *self.favourites}
        return {s for s in wanted if s in self.catalogue and self.catalogue[s].active}

    def streamed_assets(self) -> list[str]:
        if self.streaming_paused:
            return []
        wanted: set[str] = set()
        for session in self.trading:
            if session.authed and session.alive:
                wanted |= self.streams_of(session)
        return sorted(wanted)

    # -- ticks -------------------------------------------------------------------------
    async def tick_loop(self) -> None:
        """Send ``updateStream`` ticks for every streamed asset at the configured rate."""
        due: dict[str, float] = {}
        while True:
            streamed = self.streamed_assets()
            if not streamed:
                due.clear()
                await asyncio.sleep(0.02)
                continue
            per_asset = self.tick_rate / len(streamed) if self.tick_rate else DEFAULT_RATE_PER_ASSET
            interval = 1.0 / max(per_asset, 1e-6)
            now = time.time()
            for symbol in list(due):
                if symbol not in streamed:
                    del due[symbol]
            for symbol in streamed:
                if symbol not in due:
                    self.markets[symbol].fill_until(now + PLATFORM_OFFSET - interval)
                    due[symbol] = now + self.rng.uniform(0.0, min(interval, 0.5))
            ready = sorted((when, symbol) for symbol, when in due.items() if when <= now)
            for when, symbol in ready:
                await self._send_tick(symbol)
                following = when + interval * self.rng.uniform(0.9, 1.1)
                due[symbol] = max(following, time.time() - interval)
            delay = min(due.values()) - time.time()
            await asyncio.sleep(min(max(delay, 0.0), 0.05))

    async def _send_tick(self, symbol: str) -> None:
        t, price = self.markets[symbol].tick(platform_now())
        tick_time: float | int = int(t) if t.is_integer() else t
        header, attachment = frames.binary_event("updateStream", [[symbol, tick_time, price]])
        targets = [s for s in self.trading if s.authed and symbol in self.streams_of(s)]
        with self.lock:
            self.sent.append(SentTick(symbol, t, price, time.time()))
        for session in targets:
            await session.emit_frames(header, attachment)

    # -- trading socket ----------------------------------------------------------------
    async def on_trading_frame(self, session: Session, text: str) -> None:
        frame = frames.parse_client_frame(text)
        if frame.kind == "pong":
            session.pong.set()
        elif frame.kind == "connect":
            session.connected = True
            await session.send_text(frames.connect_ack(session.sio_sid))
        elif frame.kind == "disconnect":
            await session.close()
        elif frame.kind == "event":
            await self._on_trading_event(session, frame.event, frame.args)
        elif frame.kind == "invalid":
            log.info("trading socket %s: unreadable frame ignored", session.eio_sid)

    async def _on_trading_event(self, session: Session, event: str, args: tuple[Any, ...]) -> None:
        payload = args[0] if args else None
        recorded = payload
        if event == "auth" and isinstance(payload, dict):
            recorded = {k: v for k, v in payload.items() if k != "session"}
        with self.lock:
            self.received.append(ReceivedEvent(event, recorded, time.time()))
        if event == "auth":
            await self._auth(session, payload)
            return
        if not session.authed:
            return
        if event == "changeSymbol" and isinstance(payload, dict):
            await self._change_symbol(session, payload)
        elif event == "subfor" and isinstance(payload, str):
            session.subscriptions.add(payload)
        elif event == "unsubfor" and isinstance(payload, str):
            session.subscriptions.discard(payload)
        elif event == "loadHistoryPeriod" and isinstance(payload, dict):
            await self._load_history_period(session, payload)
        elif event == "openOrder" and isinstance(payload, dict):
            await self._open_order(session, payload)

    async def _auth(self, session: Session, payload: Any) -> None:
        token = payload.get("session") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            await session.send_text(frames.text_event("NotAuthorized"))
            await session.send_text(frames.DISCONNECT)
            await session.close()
            return
        session.is_demo = bool(payload.get("isDemo", 1))
        session.authed = True
        account = self.accounts[session.is_demo]
        await session.emit("successauth", {"id": session.sio_sid})
        await session.emit("updateAssets", [a.row() for a in self.catalogue.values()])
        await session.emit("updateOpenedDeals", list(account.open_deals.values()))
        await session.emit("successupdatePending", [])
        await session.emit("successupdateBalance", self._balance(account))
        await session.emit("updateCharts", [self._chart_settings()])
        await session.emit("updateClosedDeals", account.closed_deals)
        await session.emit("successfavorite/change", self.favourites)

    def _balance(self, account: Account) -> dict[str, Any]:
        return {"isDemo": 1 if account.is_demo else 0, "balance": round(account.balance, 2)}

    def _chart_settings(self) -> dict[str, Any]:
        settings = {
            "chartId": "chart-1",
            "chartType": 2,
            "chartPeriod": 4,
            "candlesTimer": True,
            "symbol": self.chart_symbol,
            "demoDealAmount": 10,
            "liveDealAmount": 20,
            "enabledTradeMonitor": False,
            "isVisible": True,
            "fastTimeframe": self.chart_period,
            "enabledAutoscroll": True,
            "showArea": True,
        }
        return {"chart_id": "chart-1", "settings": frames.dumps(settings)}

    async def _change_symbol(self, session: Session, payload: dict[str, Any]) -> None:
        symbol = payload.get("asset")
        period = payload.get("period", 60)
        if symbol not in self.catalogue or not valid_period(period):
            return
        was_streamed = symbol in self.streamed_assets()
        session.current_asset = symbol
        session.period = period
        self.chart_symbol = symbol
        self.chart_period = period
        market = self.markets[symbol]
        if not was_streamed:
            market.fill_until(platform_now())
        # the newest complete candle ends where the kept ticks still cover the open one
        end = int(market.last_time // period) * period
        rows = market.candles(period, end - HISTORY_CANDLES * period, end)
        await session.emit(
            "updateHistoryNewFast",
            {
                "asset": symbol,
                "period": period,
                "history": market.history_ticks(),
                "candles": [list(r) for r in reversed(rows)],
            },
        )

    async def _load_history_period(self, session: Session, payload: dict[str, Any]) -> None:
        symbol = payload.get("asset")
        period = payload.get("period", 60)
        end = payload.get("time")
        if symbol not in self.catalogue or not valid_period(period):
            return
        if not isinstance(end, (int, float)) or isinstance(end, bool) or not 0 < end < 1e11:
            return
        offset = payload.get("offset")
        count = PAGE_CANDLES
        if isinstance(offset, (int, float)) and offset > 0:
            count = min(max(int(offset // period), 1), MAX_PAGE_CANDLES)
        end_bucket = int(end // period) * period
        market = self.markets[symbol]
        rows = market.candles(period, end_bucket - count * period, end_bucket)
        asset_id = self.catalogue[symbol].id
        await session.emit(
            "loadHistoryPeriodFast",
            {
                "asset": symbol,
                "index": payload.get("index", 0),
                "period": period,
                "data": [
                    {"symbol_id": asset_id, "time": t, "open": o, "close": c, "high": h, "low": lo}
                    for t, o, c, h, lo in rows
                ],
            },
        )

    # -- orders ------------------------------------------------------------------------
    def _take(self, kinds: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
        for index, (kind, params) in enumerate(self.order_faults):
            if kind in kinds:
                del self.order_faults[index]
                return kind, params
        return None

    def _check_order(self, session: Session, p: dict[str, Any]) -> str:
        symbol = p.get("asset")
        amount = p.get("amount")
        asset = self.catalogue.get(symbol) if isinstance(symbol, str) else None
        if asset is None:
            return "Unknown asset"
        if not asset.active:
            return "Asset is closed"
        if p.get("action") not in ("call", "put"):
            return "Unknown action"
        if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount < 1:
            return "Minimum amount is 1"
        if amount > self.accounts[session.is_demo].balance:
            return "Not enough money"
        expiry = p.get("time")
        if not isinstance(expiry, int) or not 1 <= expiry <= 86400:
            return "Invalid expiration time"
        if bool(p.get("isDemo", 1)) != session.is_demo:
            return "Wrong account"
        return ""

    def _record_order(self, record: OrderRecord) -> int:
        with self.lock:
            self.orders.append(record)
            return len(self.orders) - 1

    def _update_order(self, index: int, **changes: Any) -> None:
        with self.lock:
            self.orders[index] = replace(self.orders[index], **changes)

    async def _open_order(self, session: Session, p: dict[str, Any]) -> None:
        amount = p.get("amount")
        record = OrderRecord(
            request_id=p.get("requestId"),
            asset=str(p.get("asset", "")),
            amount=float(amount) if isinstance(amount, (int, float)) else 0.0,
            action=str(p.get("action", "")),
            expiry=p.get("time") if isinstance(p.get("time"), int) else 0,
            is_demo=session.is_demo,
            received_at=time.time(),
            status="pending",
        )
        index = self._record_order(record)
        error = self._check_order(session, p)
        fault = self._take(ORDER_FAULTS)
        if not error and fault and fault[0] == "reject_next":
            error = str(fault[1].get("error", "Trading is temporarily unavailable"))
        if error:
            self._update_order(index, status="rejected", error=error)
            await session.emit(
                "failopenOrder", {"error": error, "amount": amount, "asset": p.get("asset")}
            )
            return
        if fault and fault[0] == "never_confirm":
            self._update_order(index, status="unconfirmed")
            return
        asset = self.catalogue[record.asset]
        account = self.accounts[session.is_demo]
        market = self.markets[asset.symbol]
        if asset.symbol not in self.streamed_assets():
            market.fill_until(platform_now())
        deal = new_deal(
            asset=asset.symbol,
            amount=amount,  # type: ignore[arg-type]
            action=record.action,
            expiry=record.expiry,
            payout=asset.payout,
            open_price=market.price,
            open_time=platform_now(),
            is_demo=session.is_demo,
        )
        account.balance -= record.amount
        account.open_deals[deal["id"]] = deal
        self._update_order(index, deal_id=deal["id"], open_price=market.price)
        self.close_tasks[deal["id"]] = self._spawn(self._close_later(account, deal, index))
        delay = float(fault[1].get("seconds", 3.0)) if fault else 0.0
        if delay > 0:
            self._spawn(self._confirm_later(session, account, deal, index, delay))
        else:
            await self._confirm(session, account, deal, index)

    async def _confirm_later(
        self, session: Session, account: Account, deal: dict[str, Any], index: int, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        await self._confirm(session, account, deal, index)

    async def _confirm(
        self, session: Session, account: Account, deal: dict[str, Any], index: int
    ) -> None:
        with self.lock:
            order = self.orders[index]
            status = "open" if order.status == "pending" else order.status
            self.orders[index] = replace(order, status=status, confirmed_at=time.time())
        await session.emit("successopenOrder", deal)
        for other in self._sessions_of(account.is_demo):
            await other.emit("updateOpenedDeals", list(account.open_deals.values()))
            await other.emit("successupdateBalance", self._balance(account))

    async def _close_later(self, account: Account, deal: dict[str, Any], index: int) -> None:
        await asyncio.sleep(max(0.0, deal["closeTimestamp"] - PLATFORM_OFFSET - time.time()))
        await self._close(account, deal, index)

    async def _close(self, account: Account, deal: dict[str, Any], index: int) -> None:
        if account.open_deals.pop(deal["id"], None) is None:
            return
        self.close_tasks.pop(deal["id"], None)
        asset = self.catalogue[deal["asset"]]
        market = self.markets[asset.symbol]
        if asset.symbol not in self.streamed_assets():
            market.fill_until(platform_now())
        close_price = market.price
        if self.forced_outcomes:
            close_price = forced_close_price(
                deal["command"], deal["openPrice"], self.forced_outcomes.pop(0), asset.precision
            )
        outcome = outcome_of(deal["command"], deal["openPrice"], close_price)
        profit = profit_of(outcome, deal["amount"], deal["percentProfit"])
        if outcome != "loss":
            account.balance += deal["amount"] + profit
        done = closed_deal(deal, close_price, profit)
        account.closed_deals.insert(0, done)
        del account.closed_deals[CLOSED_KEPT:]
        with self.lock:
            self.orders[index] = replace(
                self.orders[index],
                status="closed",
                close_price=close_price,
                profit=profit,
                outcome=outcome,
                closed_at=time.time(),
            )
        for session in self._sessions_of(account.is_demo):
            await session.emit("successcloseOrder", {"profit": profit, "deals": [done]})
            await session.emit("updateClosedDeals", account.closed_deals)
            await session.emit("updateOpenedDeals", list(account.open_deals.values()))
            await session.emit("successupdateBalance", self._balance(account))

    async def close_all_now(self) -> None:
        for account in self.accounts.values():
            for deal in list(account.open_deals.values()):
                task = self.close_tasks.pop(deal["id"], None)
                if task:
                    task.cancel()
                index = next(i for i, o in enumerate(self.orders) if o.deal_id == deal["id"])
                await self._close(account, deal, index)

    # -- chat socket -------------------------------------------------------------------
    async def chat_loop(self, session: Session) -> None:
        """Interleave chat-like frames: binary ``signals/update`` and text messages. The
        attachment follows its header after a short pause so other sockets' frames cut in."""
        rng = random.Random(self.rng.random())
        while session.alive:
            await asyncio.sleep(rng.uniform(0.4, 1.2))
            if not session.connected:
                continue
            if rng.random() < 0.6:
                signals = [
                    [symbol, [[1, rng.randint(0, 4)]], self.markets[symbol].price]
                    for symbol in self.favourites
                ]
                payload = {"signals": signals, "times": {"1": int(platform_now())}}
                await session.emit("signals/update", payload, pause=rng.uniform(0.0, 0.03))
            else:
                message = {"id": rng.randint(1, 10**9), "text": "gl everyone", "user": "trader"}
                await session.emit("chat/message", message, pause=rng.uniform(0.0, 0.03))

    async def on_chat_frame(self, session: Session, text: str) -> None:
        frame = frames.parse_client_frame(text)
        if frame.kind == "pong":
            session.pong.set()
        elif frame.kind == "connect":
            session.connected = True
            await session.send_text(frames.connect_ack(session.sio_sid))
            await session.send_text(frames.text_event("auth/success"))

    # -- control -----------------------------------------------------------------------
    async def control(self, action: str, params: dict[str, Any]) -> None:
        """Apply one misbehaviour or setting; raises ValueError for unknown ones."""
        handler = getattr(self, f"_control_{action}", None)
        if handler is None:
            raise ValueError(f"unknown control action {action!r}")
        await handler(**params)

    def _targets(self, socket: str) -> list[Session]:
        if socket == "trading":
            return list(self.trading)
        if socket == "chat":
            return list(self.chat)
        if socket == "all":
            return [*self.trading, *self.chat]
        raise ValueError("socket must be 'trading', 'chat' or 'all'")

    async def _control_drop_socket(self, socket: str = "trading", how: str = "close") -> None:
        for session in self._targets(socket):
            if how == "disconnect":
                await session.send_text(frames.DISCONNECT)
            await session.close()

    async def _control_malformed(self, kind: str = "bad_json", socket: str = "trading") -> None:
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

    async def _control_reject_next(self, error: str = "Trading is temporarily unavailable") -> None:
        self.order_faults.append(("reject_next", {"error": error}))

    async def _control_delay_confirm(self, seconds: float = 3.0) -> None:
        self.order_faults.append(("delay_confirm", {"seconds": float(seconds)}))

    async def _control_never_confirm(self) -> None:
        self.order_faults.append(("never_confirm", {}))

    async def _control_force_outcome(self, outcome: str) -> None:
        if outcome not in ("win", "loss", "refund"):
            raise ValueError("outcome must be 'win', 'loss' or 'refund'")
        self.forced_outcomes.append(outcome)

    async def _control_close_orders_now(self) -> None:
        await self.close_all_now()

    async def _control_set_balance(self, balance: float, demo: bool = True) -> None:
        account = self.accounts[bool(demo)]
        account.balance = float(balance)
        for session in self._sessions_of(account.is_demo):
            await session.emit("successupdateBalance", self._balance(account))

    async def _control_set_tick_rate(self, rate: float | None = None) -> None:
        self.tick_rate = float(rate) if rate else None

    async def _control_pause_stream(self) -> None:
        self.streaming_paused = True

    async def _control_resume_stream(self) -> None:
        self.streaming_paused = False

    async def _control_set_asset_active(self, asset: str, active: bool) -> None:
        if asset not in self.catalogue:
            raise ValueError(f"unknown asset {asset!r}")
        self.catalogue[asset] = with_active(self.catalogue[asset], bool(active))
        rows = [a.row() for a in self.catalogue.values()]
        for session in self.trading:
            if session.authed:
                await session.emit("updateAssets", rows)

    async def _control_account(self, kind: str) -> None:
        if kind not in ("demo", "real"):
            raise ValueError("account kind must be 'demo' or 'real'")
        self.page_account = kind
        await self._tell_pages({"navigate": DEMO_PATH if kind == "demo" else REAL_PATH})

    async def _control_show_tutorial(self) -> None:
        await self._tell_pages({"tutorial": True})

    async def _tell_pages(self, message: dict[str, Any]) -> None:
        for queue in self.page_listeners:
            queue.put_nowait(json.dumps(message))

    def state(self) -> dict[str, Any]:
        return {
            "account": self.page_account,
            "balance": round(self.accounts[self.page_account == "demo"].balance, 2),
            "balances": {
                "demo": round(self.accounts[True].balance, 2),
                "real": round(self.accounts[False].balance, 2),
            },
            "trading_sockets": sum(1 for s in self.trading if s.alive),
            "chat_sockets": sum(1 for s in self.chat if s.alive),
            "streamed": self.streamed_assets(),
            "favourites": self.favourites,
            "ticks_sent": len(self.sent),
            "orders": len(self.orders),
        }


def build_app(state: SimState) -> web.Application:
    """The aiohttp application serving the page, both sockets and the control endpoints."""

    async def socket_handler(request: web.Request, kind: str) -> web.StreamResponse:
        if request.query.get("EIO") != "4" or request.query.get("transport") != "websocket":
            return web.Response(status=400, text="only EIO=4 websocket transport is served")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        session = Session(ws, kind)
        registry = state.trading if kind == "trading" else state.chat
        registry.add(session)
        await session.send_text(
            frames.open_frame(
                session.eio_sid,
                int(state.ping_interval * 1000),
                int(state.ping_timeout * 1000),
                1_000_000,
            )
        )
        tasks = [asyncio.create_task(session.ping_loop(state.ping_interval, state.ping_timeout))]
        if kind == "chat":
            tasks.append(asyncio.create_task(state.chat_loop(session)))
        handle = state.on_trading_frame if kind == "trading" else state.on_chat_frame
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    await handle(session, msg.data)
                except Exception as exc:  # noqa: BLE001 - one bad frame must not end the socket
                    log.warning("%s socket: frame not handled (%s)", kind, type(exc).__name__)
        finally:
            for task in tasks:
                task.cancel()
            registry.discard(session)
        return ws

    async def trading(request: web.Request) -> web.StreamResponse:
        return await socket_handler(request, "trading")

    async def chat(request: web.Request) -> web.StreamResponse:
        return await socket_handler(request, "chat")

    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def no_content(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(DEMO_PATH if state.page_account == "demo" else REAL_PATH)

    async def control(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            params = {k: v for k, v in body.items() if k != "action"}
            await state.control(str(body["action"]), params)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def sim_state(request: web.Request) -> web.StreamResponse:
        return web.json_response(state.state())

    async def on_shutdown(app: web.Application) -> None:
        for queue in state.page_listeners:
            queue.put_nowait("")
        for session in [*state.trading, *state.chat]:
            await session.close()

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[str] = asyncio.Queue()
        state.page_listeners.add(queue)
        try:
            await response.write(b": hello\n\n")
            while True:
                message = await queue.get()
                if not message:
                    break
                await response.write(f"data: {message}\n\n".encode())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            state.page_listeners.discard(queue)
        return response

    app = web.Application()
    app.on_shutdown.append(on_shutdown)
    app.router.add_get("/", root)
    app.router.add_get("/favicon.ico", no_content)
    app.router.add_get(DEMO_PATH, page)
    app.router.add_get(REAL_PATH, page)
    app.router.add_get("/socket.io/", trading)
    app.router.add_get("/chat/socket.io/", chat)
    app.router.add_post("/_sim/control", control)
    app.router.add_get("/_sim/state", sim_state)
    app.router.add_get("/_sim/events", events)
    app.router.add_static("/static/", STATIC_DIR)
    return app
