"""The simulated platform's socket behaviour on its shared world (``qfdesk.sim.world``):
ticks, the trading socket's events, the chat socket, and what was sent and received.

Everything here runs on the server's asyncio loop; the records (``sent``, ``received`` and
the desk's ``orders``) are also read from other threads under ``lock``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from qfdesk.engine.timeframes import period_start
from qfdesk.sim import frames
from qfdesk.sim.control import Controls
from qfdesk.sim.market import PLATFORM_OFFSET, platform_now
from qfdesk.sim.orders import OrderDesk, balance_payload
from qfdesk.sim.session import Session
from qfdesk.sim.world import SimWorld

log = logging.getLogger(__name__)

DEFAULT_RATE_PER_ASSET = 2.0
SUB_MINUTE_PERIODS = (1, 2, 3, 5, 10, 15, 20, 30)
MAX_PERIOD = 30 * 86400
HISTORY_CANDLES = 100
PAGE_CANDLES = 150
MAX_PAGE_CANDLES = 2000
TICK_PAGE_SECONDS = 600
MAX_PAGE_TICKS = 5000
KEPT_TICKS = 2_000_000  # the newest sent ticks kept for sent_ticks() (hours at 200/s)
KEPT_EVENTS = 100_000
STREAM_LIMIT = 4  # subscriptions (subfor) a page socket may hold, the page's own included


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


class SimState(SimWorld):
    """The whole simulated platform. Methods run on the server loop unless said otherwise."""

    def __init__(
        self,
        assets: int,
        tick_rate: float | None,
        seed: int | None,
        ping_interval: float,
        ping_timeout: float,
    ) -> None:
        super().__init__(assets, tick_rate, seed)
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.chart_symbol = self.favourites[0]
        self.chart_period = 60
        # read from other threads: guarded by the lock, appended to only here
        self.sent: deque[SentTick] = deque(maxlen=KEPT_TICKS)
        self.received: deque[ReceivedEvent] = deque(maxlen=KEPT_EVENTS)
        self.auth_tokens: list[str] = []  # the session tokens pages authenticated with
        self.ticks_sent = 0
        self.desk = OrderDesk(self)
        self.controls = Controls(self, self.desk)

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
                try:
                    await self._send_tick(symbol)
                except Exception as exc:  # noqa: BLE001 - the stream must outlive one bad send
                    log.warning("tick for %s not sent (%s)", symbol, type(exc).__name__)
                following = when + interval * self.rng.uniform(0.9, 1.1)
                due[symbol] = max(following, time.time() - interval)
            delay = min(due.values()) - time.time()
            await asyncio.sleep(min(max(delay, 0.0), 0.05))

    async def _send_tick(self, symbol: str) -> None:
        t, price = self.markets[symbol].tick(platform_now())
        tick_time: float | int = int(t) if t.is_integer() else t
        payload = frames.stream_payload(symbol, tick_time, price, self.stream_shape)
        header, attachment = frames.binary_event("updateStream", payload)
        targets = [s for s in self.trading if s.authed and symbol in self.streams_of(s)]
        sent_at = time.time()
        delivered = False
        for session in targets:
            delivered = await session.emit_frames(header, attachment) or delivered
        if delivered:  # a tick whose every socket was gone is history only, never "sent"
            with self.lock:
                self.sent.append(SentTick(symbol, t, price, sent_at))
                self.ticks_sent += 1

    # -- trading socket ----------------------------------------------------------------
    async def _on_handshake(self, session: Session, frame: frames.ClientFrame) -> bool:
        """Pong and connect, answered alike on both sockets; False for any other frame."""
        if frame.kind == "pong":
            session.pong.set()
        elif frame.kind == "connect":
            session.connected = True
            await session.send_text(frames.connect_ack(session.sio_sid))
        else:
            return False
        return True

    async def on_trading_frame(self, session: Session, text: str) -> None:
        frame = frames.parse_client_frame(text)
        if await self._on_handshake(session, frame):
            return
        if frame.kind == "disconnect":
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
            self._subscribe(session, payload)
        elif event == "unsubfor" and isinstance(payload, str):
            session.subscriptions.discard(payload)
        elif event == "loadHistoryPeriod" and isinstance(payload, dict):
            await self._load_history_period(session, payload)
        elif event == "openOrder" and isinstance(payload, dict):
            await self.desk.open_order(session, payload)

    def _subscribe(self, session: Session, symbol: str) -> None:
        """Stream ``symbol`` to ``session`` too, unless it holds STREAM_LIMIT subscriptions
        already: like the platform, a request past the limit is dropped without an answer."""
        if symbol in session.subscriptions or len(session.subscriptions) < STREAM_LIMIT:
            session.subscriptions.add(symbol)
        else:
            log.info(
                "trading socket %s: subfor %s dropped (already %d streams)",
                session.eio_sid,
                symbol,
                STREAM_LIMIT,
            )

    async def _auth(self, session: Session, payload: Any) -> None:
        token = payload.get("session") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            await session.send_text(frames.text_event("NotAuthorized"))
            await session.send_text(frames.DISCONNECT)
            await session.close()
            return
        with self.lock:
            self.auth_tokens.append(token)
        session.is_demo = bool(payload.get("isDemo", 1))
        session.authed = True
        account = self.desk.accounts[session.is_demo]
        await session.emit("successauth", {"id": session.sio_sid})
        await session.emit("updateAssets", [a.row() for a in self.catalogue.values()])
        await session.emit("updateOpenedDeals", list(account.open_deals.values()))
        await session.emit("successupdatePending", [])
        await session.emit("successupdateBalance", balance_payload(account))
        await session.emit("updateCharts", [self._chart_settings()])
        await session.emit("updateClosedDeals", account.closed_deals)
        await session.emit("successfavorite/change", self.favourites)

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
        market = self.market_now(symbol)
        session.current_asset = symbol
        self.chart_symbol = symbol
        self.chart_period = period
        # the newest complete candle ends where the kept ticks still cover the open one
        end = period_start(market.last_time, period)
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
        """A page of history ending before ``time``: ``offset`` seconds of candles (at most
        MAX_PAGE_CANDLES; PAGE_CANDLES without an offset) or, for ``period`` 0, of ticks
        (``{"asset", "time", "price"}`` rows, the newest MAX_PAGE_TICKS)."""
        symbol = payload.get("asset")
        period = payload.get("period", 60)
        end = payload.get("time")
        if symbol not in self.catalogue or not (period == 0 or valid_period(period)):
            return
        if not isinstance(end, (int, float)) or isinstance(end, bool) or not 0 < end < 1e11:
            return
        offset = payload.get("offset")
        if not isinstance(offset, (int, float)) or isinstance(offset, bool) or offset <= 0:
            offset = None
        market = self.market_now(symbol)
        asset_id = self.catalogue[symbol].id
        index = payload.get("index", 0)
        if period == 0:
            ticks = market.page_ticks(end - (offset or TICK_PAGE_SECONDS), end)
            rows: list[dict[str, Any]] = [
                {"asset": symbol, "time": t, "price": p} for t, p in ticks[-MAX_PAGE_TICKS:]
            ]
            data = {"asset": symbol, "index": index, "period": 0, "data": rows}
            await session.emit("loadHistoryPeriodFast", data)
            return
        count = PAGE_CANDLES
        if offset is not None:
            count = min(max(int(offset // period), 1), MAX_PAGE_CANDLES)
        end_bucket = period_start(end, period)
        candles = market.candles(period, end_bucket - count * period, end_bucket)
        await session.emit(
            "loadHistoryPeriodFast",
            {
                "asset": symbol,
                "index": index,
                "period": period,
                "data": [
                    {"symbol_id": asset_id, "time": t, "open": o, "close": c, "high": h, "low": lo}
                    for t, o, c, h, lo in candles
                ],
            },
        )

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
                await session.emit("signals/update", payload, pause=rng.uniform(0.02, 0.08))
            else:
                message = {"id": rng.randint(1, 10**9), "text": "gl everyone", "user": "trader"}
                await session.emit("chat/message", message, pause=rng.uniform(0.02, 0.08))

    async def on_chat_frame(self, session: Session, text: str) -> None:
        frame = frames.parse_client_frame(text)
        if await self._on_handshake(session, frame) and frame.kind == "connect":
            await session.send_text(frames.text_event("auth/success"))

    async def control(self, action: str, params: dict[str, Any]) -> None:
        """Apply one misbehaviour or setting; raises ValueError for unknown ones."""
        await self.controls.apply(action, params)

    def state(self) -> dict[str, Any]:
        return {
            "account": self.page_account,
            "balance": round(self.desk.accounts[self.page_account == "demo"].balance, 2),
            "balances": {
                "demo": round(self.desk.accounts[True].balance, 2),
                "real": round(self.desk.accounts[False].balance, 2),
            },
            "trading_sockets": sum(1 for s in self.trading if s.alive),
            "chat_sockets": sum(1 for s in self.chat if s.alive),
            "streamed": self.streamed_assets(),
            "favourites": self.favourites,
            "ticks_sent": self.ticks_sent,
            "orders": len(self.desk.orders),
        }
