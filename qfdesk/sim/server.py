"""The simulated platform's aiohttp application: page, trading socket, chat socket, control.

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

from aiohttp import WSMsgType, web

from qfdesk.engine.paths import resource_path
from qfdesk.sim import frames
from qfdesk.sim.control import DEMO_PATH, REAL_PATH
from qfdesk.sim.session import Session
from qfdesk.sim.state import SimState

log = logging.getLogger(__name__)

STATIC_DIR = resource_path("sim")
MAX_PAYLOAD = 1_000_000


def build_app(state: SimState) -> web.Application:
    """The aiohttp application serving the page, both sockets and the control endpoints."""

    async def socket_handler(request: web.Request, kind: str) -> web.StreamResponse:
        if request.query.get("EIO") != "4" or request.query.get("transport") != "websocket":
            return web.Response(status=400, text="only EIO=4 websocket transport is served")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        session = Session(ws, kind, request.transport)
        registry = state.trading if kind == "trading" else state.chat
        registry.add(session)
        await session.send_text(
            frames.open_frame(
                session.eio_sid,
                int(state.ping_interval * 1000),
                int(state.ping_timeout * 1000),
                MAX_PAYLOAD,
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
        headers = {"Cache-Control": "no-store"}
        if not state.renamed_classes:
            return web.FileResponse(STATIC_DIR / "index.html", headers=headers)
        # The page's script renames the classes once it has wired its elements.
        renames = f"<script>window.SIM_RENAMES = {json.dumps(state.renamed_classes)};</script>"
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        html = html.replace(
            '<script src="/static/app.js">', renames + '<script src="/static/app.js">'
        )
        return web.Response(text=html, content_type="text/html", headers=headers)

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
