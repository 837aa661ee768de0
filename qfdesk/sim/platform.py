"""``SimulatedPlatform``: the simulator's server on its own thread and asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from qfdesk.sim.control import DEMO_PATH, REAL_PATH
from qfdesk.sim.deals import OrderRecord
from qfdesk.sim.server import build_app
from qfdesk.sim.state import ReceivedEvent, SentTick, SimState

log = logging.getLogger(__name__)
T = TypeVar("T")

START_TIMEOUT = 10.0
CALL_TIMEOUT = 10.0


class SimulatedPlatform:
    """A local platform serving the trading page and its sockets in the real wire format.

    ``tick_rate`` is the total ticks per second across all streamed assets (``None``: about
    two per second per asset). ``assets`` counts the tradable assets; one closed asset is
    always added. Usable as a context manager.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        assets: int = 6,
        tick_rate: float | None = None,
        seed: int | None = None,
        *,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self._settings = (assets, tick_rate, seed, ping_interval, ping_timeout)
        self._state: SimState | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the simulated platform is already running")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="qfdesk-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the simulated platform did not start within 10 s")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(
                f"the simulated platform could not start on {self.host}:{self.port}: {self._error}"
            ) from self._error
        log.info("simulated platform serving %s", self.url)
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except (OSError, RuntimeError, ValueError) as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        state = SimState(*self._settings)
        runner = web.AppRunner(build_app(state), shutdown_timeout=2.0, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._state = state
        self._runner = runner
        self._ticker = asyncio.get_running_loop().create_task(state.tick_loop())

    async def _shutdown(self) -> None:
        self._ticker.cancel()
        if self._state is not None:
            for task in list(self._state.background):
                task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=15)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------
    @property
    def _reachable_host(self) -> str:
        """The host to browse to: a wildcard listen address is reached on loopback."""
        return "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host

    @property
    def base_url(self) -> str:
        return f"http://{self._reachable_host}:{self.port}"

    @property
    def url(self) -> str:
        """The demo trading page."""
        return self.base_url + DEMO_PATH

    @property
    def real_url(self) -> str:
        """The REAL-looking account's trading page."""
        return self.base_url + REAL_PATH

    @property
    def socket_url(self) -> str:
        return f"ws://{self._reachable_host}:{self.port}/socket.io/?EIO=4&transport=websocket"

    @property
    def chat_socket_url(self) -> str:
        return f"ws://{self._reachable_host}:{self.port}/chat/socket.io/?EIO=4&transport=websocket"

    # -- records (any thread) ------------------------------------------------------------
    def _require(self) -> SimState:
        if self._state is None:
            raise RuntimeError("the simulated platform is not started")
        return self._state

    def sent_ticks(self) -> list[SentTick]:
        """The ``updateStream`` ticks sent (the newest two million), in send order."""
        state = self._require()
        with state.lock:
            return list(state.sent)

    def sent_times(self) -> dict[tuple[str, float], float]:
        """Local wall-clock send time of every tick, keyed by (asset, platform time)."""
        return {(t.asset, t.time): t.sent_at for t in self.sent_ticks()}

    def orders(self) -> list[OrderRecord]:
        """Every ``openOrder`` received, with its current status and outcome."""
        state = self._require()
        with state.lock:
            return list(state.desk.orders)

    def received_events(self) -> list[ReceivedEvent]:
        """Every event the page sent on the trading socket (auth without its session)."""
        state = self._require()
        with state.lock:
            return list(state.received)

    def auth_tokens(self) -> list[str]:
        """The session tokens pages authenticated with: what must never reach a file."""
        state = self._require()
        with state.lock:
            return list(state.auth_tokens)

    @property
    def assets(self) -> list[dict[str, Any]]:
        """The catalogue: symbol, name, payout, active, id."""
        state = self._require()
        return [
            {"id": a.id, "symbol": a.symbol, "name": a.name, "payout": a.payout, "active": a.active}
            for a in list(state.catalogue.values())
        ]

    @property
    def favourites(self) -> list[str]:
        return list(self._require().favourites)

    # -- control (any thread) ------------------------------------------------------------
    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or self._thread is None:
            coro.close()
            raise RuntimeError("the simulated platform is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CALL_TIMEOUT)

    def control(self, action: str, **params: Any) -> None:
        """Misbehave or change a setting; see ``qfdesk.sim`` for the actions."""
        self._call(self._require().control(action, params))

    def state(self) -> dict[str, Any]:
        state = self._require()

        async def snapshot() -> dict[str, Any]:
            return state.state()

        return self._call(snapshot())
