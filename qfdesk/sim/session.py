"""One page socket on the simulator: sending frames in order, pings, its subscriptions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from qfdesk.sim import frames

log = logging.getLogger(__name__)


class Session:
    """A connected Engine.IO socket. A binary event's header and attachment are written under
    one lock so no other frame of this socket can slip between them (unless a fault asks)."""

    def __init__(
        self, ws: web.WebSocketResponse, kind: str, transport: asyncio.Transport | None = None
    ) -> None:
        self.ws = ws
        self.kind = kind
        self._transport = transport
        self.eio_sid = frames.new_sid()
        self.sio_sid = frames.new_sid()
        self.lock = asyncio.Lock()
        self.connected = False
        self.authed = False
        self.is_demo = True
        self.current_asset = ""
        self.subscriptions: set[str] = set()
        self.pong = asyncio.Event()

    @property
    def alive(self) -> bool:
        return not self.ws.closed

    async def _write(self, *parts: str | bytes, pause: float = 0.0) -> bool:
        if self.ws.closed:
            return False
        try:
            async with self.lock:
                for index, part in enumerate(parts):
                    if index and pause:
                        await asyncio.sleep(pause)
                    if isinstance(part, bytes):
                        await self.ws.send_bytes(part)
                    else:
                        await self.ws.send_str(part)
        except (ConnectionError, RuntimeError) as exc:
            log.debug("%s socket %s: send failed: %s", self.kind, self.eio_sid, exc)
            return False
        return True

    async def send_text(self, text: str) -> bool:
        return await self._write(text)

    async def send_bytes(self, data: bytes) -> bool:
        return await self._write(data)

    async def emit(self, event: str, payload: Any, pause: float = 0.0) -> bool:
        """Send ``event`` as the platform does: ``451-`` header, then the binary attachment."""
        header, attachment = frames.binary_event(event, payload)
        return await self._write(header, attachment, pause=pause)

    async def emit_frames(self, header: str, attachment: bytes) -> bool:
        return await self._write(header, attachment)

    async def ping_loop(self, interval: float, timeout: float) -> None:
        """Ping like the server does; close the socket when the page stops answering."""
        while not self.ws.closed:
            await asyncio.sleep(interval)
            self.pong.clear()
            if not await self.send_text(frames.PING):
                return
            try:
                await asyncio.wait_for(self.pong.wait(), timeout)
            except TimeoutError:
                log.info(
                    "%s socket %s: no pong within %.1f s, closing", self.kind, self.eio_sid, timeout
                )
                await self.ws.close()
                return

    async def close(self) -> None:
        await self.ws.close()

    def abort(self) -> None:
        """Cut the connection without a closing handshake, like a network failure."""
        if self._transport is not None:
            self._transport.abort()
