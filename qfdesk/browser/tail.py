"""The tail: a thread that drains Chrome's performance log into a callback, for good.

It never dies from an exception. When Chrome goes away it reports DISCONNECTED, retries with
a capped backoff, re-attaches when a Chrome answers on the same debugging port again, and
records the gap. Everything drained before the gap has already been handed to the callback.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from qfdesk.browser.attach import detach
from qfdesk.browser.health import HealthMeter, TailHealth

if TYPE_CHECKING:
    from selenium import webdriver

log = logging.getLogger(__name__)


class TailState(str, Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True, slots=True)
class Gap:
    """A time (local epoch seconds) when nothing could be read; ``end`` None while open."""

    start: float
    end: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True, slots=True)
class TailTiming:
    """Drain cadence. ``busy_interval`` apart while data flows, that is while the last
    entries came at most ``busy_hold`` ago (a few ticks a second leave most 15 ms drains
    empty, and idling after each added ~10 ms to a tick on average); ``idle_interval``
    apart once the log has been quiet longer."""

    busy_interval: float = 0.015
    idle_interval: float = 0.035
    busy_hold: float = 1.0
    liveness_interval: float = 0.5
    backoff_min: float = 0.5
    backoff_max: float = 10.0


class TailWorker(threading.Thread):
    """Drain ``driver.get_log("performance")`` continuously into ``on_entries``.

    ``on_entries`` runs on a delivery thread of the worker, batches in drain order; ``stop``
    returns after the last batch was handed over.

    ``connect`` returns a fresh chromedriver session with performance logging on (for example
    ``lambda: attach(address, performance_log=True)``); it is called at start and after every
    disconnection. While data flows the drains are ``busy_interval`` apart (sleep adjusted for
    the time the drain took), ``idle_interval`` once quiet (see TailTiming). Every
    ``liveness_interval`` it also asks for the window list, which notices a dead Chrome and
    makes chromedriver pick up tabs opened since.
    """

    def __init__(
        self,
        connect: Callable[[], webdriver.Chrome],
        on_entries: Callable[[list[dict[str, Any]]], None],
        *,
        on_state: Callable[[TailState], None] | None = None,
        decode_errors: Callable[[], int] | None = None,
        timing: TailTiming | None = None,
        name: str = "qfdesk-tail",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._connect = connect
        self._on_entries = on_entries
        self._on_state = on_state
        self._decode_errors = decode_errors
        self._timing = timing or TailTiming()
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._driver: webdriver.Chrome | None = None
        self._detaching: list[threading.Thread] = []
        self._batches: queue.SimpleQueue[list[dict[str, Any]] | None] = queue.SimpleQueue()
        self._state = TailState.DISCONNECTED
        self._gaps: list[Gap] = []
        self.reconnects = 0
        self.meter = HealthMeter()

    @property
    def state(self) -> TailState:
        return self._state

    @property
    def gaps(self) -> list[Gap]:
        with self._lock:
            return list(self._gaps)

    def health(self) -> TailHealth:
        errors = 0
        if self._decode_errors is not None:
            try:
                errors = int(self._decode_errors())
            except Exception:
                log.exception("tail: decode error counter failed")
        return self.meter.snapshot(
            self._state.value, errors, len(self.gaps), backlog=self._batches.qsize()
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop draining (one last drain first when connected) and end the session."""
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def wait_for_state(self, state: TailState, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._state is state:
                return True
            time.sleep(0.01)
        return self._state is state

    def run(self) -> None:
        delivery = threading.Thread(
            target=self._delivery_loop, name=f"{self.name}-deliver", daemon=True
        )
        delivery.start()
        try:
            self._tail()
        finally:
            self._batches.put(None)
            delivery.join()

    def _tail(self) -> None:
        while not self._stop_event.is_set():
            try:
                if self._driver is None:
                    self._reconnect()
                else:
                    self._drain_loop()
            except Exception:
                log.exception("tail: unexpected error; carrying on")
                self._stop_event.wait(0.1)
        self._final_drain()
        detach(self._driver)
        self._driver = None
        for thread in self._detaching:
            thread.join(5.0)

    def _set_state(self, state: TailState) -> None:
        if state is self._state:
            return
        self._state = state
        log.info("tail: %s", state.value)
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("tail: state callback failed")

    def _deliver(self, entries: list[dict[str, Any]]) -> None:
        self.meter.drained(entries)
        if entries:
            self._batches.put(entries)

    def _delivery_loop(self) -> None:
        """Hand batches to ``on_entries`` in drain order, on a thread of their own, so a slow
        consumer (decoding, CSV writes) never delays the next drain."""
        while (entries := self._batches.get()) is not None:
            try:
                self._on_entries(entries)
            except Exception:
                self.meter.callback_errors += 1
                log.exception("tail: entries callback failed on a batch of %d", len(entries))

    def _drain_loop(self) -> None:
        timing = self._timing
        last_alive_check = time.monotonic()
        last_entries = float("-inf")
        while not self._stop_event.is_set():
            started = time.monotonic()
            try:
                # A driver detached meanwhile (None) raises too: Chrome is gone either way.
                # window_handles is a cheap round trip to Chrome.
                entries = self._driver.get_log("performance")  # type: ignore[union-attr]
                if started - last_alive_check >= timing.liveness_interval:
                    self._driver.window_handles  # type: ignore[union-attr]  # noqa: B018
                    last_alive_check = started
            except Exception as exc:  # noqa: BLE001 - any failure here means Chrome is gone
                self._lost(exc)
                return
            self._deliver(entries)
            if entries:
                last_entries = started
            busy = started - last_entries <= timing.busy_hold
            interval = timing.busy_interval if busy else timing.idle_interval
            self._stop_event.wait(max(0.0, interval - (time.monotonic() - started)))

    def _lost(self, exc: Exception) -> None:
        message = (getattr(exc, "msg", None) or str(exc)).splitlines()[0] if str(exc) else ""
        log.warning("tail: Chrome connection lost (%s: %s)", type(exc).__name__, message)
        with self._lock:
            self._gaps.append(Gap(time.time()))
        self._set_state(TailState.DISCONNECTED)
        driver, self._driver = self._driver, None
        # Ending the dead session (and its chromedriver) must not delay the DISCONNECTED
        # report; it is joined when the tail stops so no chromedriver is left behind.
        thread = threading.Thread(target=detach, args=(driver,), daemon=True)
        thread.start()
        self._detaching = [t for t in self._detaching if t.is_alive()] + [thread]
        self.meter.reset_rhythm()

    def _reconnect(self) -> None:
        """Attach, retrying with a capped exponential backoff. After a loss the state stays
        DISCONNECTED for the first backoff pause, then RECONNECTING while retrying."""
        delay = self._timing.backoff_min
        lost = bool(self._gaps) and self._gaps[-1].end is None
        if lost:
            self._stop_event.wait(delay)
        while not self._stop_event.is_set():
            if lost:
                self._set_state(TailState.RECONNECTING)
            try:
                driver = self._connect()
            except Exception as exc:  # noqa: BLE001 - keep trying whatever the cause
                log.info("tail: attach failed (%s); next try in %.1f s", exc, delay)
                if not lost:
                    self._set_state(TailState.DISCONNECTED)
                self._stop_event.wait(delay)
                delay = min(delay * 2, self._timing.backoff_max)
                continue
            self._driver = driver
            with self._lock:
                if lost:
                    self._gaps[-1] = Gap(self._gaps[-1].start, time.time())
                    self.reconnects += 1
            self._set_state(TailState.CONNECTED)
            return

    def _final_drain(self) -> None:
        if self._driver is None:
            return
        try:
            self._deliver(self._driver.get_log("performance"))
        except Exception:
            log.debug("tail: final drain failed", exc_info=True)
