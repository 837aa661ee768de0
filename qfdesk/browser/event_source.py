"""Decoded events made available to capabilities waiting for the socket's confirmation.

The tail session owns the performance log (each ``get_log`` drains it), so capabilities
cannot read frames themselves: whoever decodes the tail's entries publishes the events here
and a capability waits for the one it needs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar, cast

from qfdesk.engine.events import Event

Predicate = Callable[[Event], bool]
E = TypeVar("E", bound=Event)


class EventSource(Protocol):
    def mark(self) -> int:
        """A position; ``wait_for(..., since=mark)`` sees only events published after it."""
        ...

    def wait_for(
        self, predicate: Predicate, timeout: float, since: int | None = None
    ) -> Event | None: ...

    def latest(self, kind: type[E]) -> E | None: ...


class _Decoder(Protocol):
    def feed_many(self, entries: list[dict[str, Any]]) -> list[Event]: ...


class EventHub:
    """A bounded, thread-safe log of recent events with blocking waits.

    Taking a ``mark()`` before acting and waiting ``since`` it means an event that arrives
    between the action and the start of the wait is not missed.
    """

    def __init__(self, keep: int = 20000) -> None:
        self._events: deque[tuple[int, Event]] = deque(maxlen=keep)
        self._latest: dict[type, Event] = {}
        self._seq = 0
        self._cond = threading.Condition()

    def publish(self, events: Iterable[Event]) -> None:
        with self._cond:
            for event in events:
                self._seq += 1
                self._events.append((self._seq, event))
                self._latest[type(event)] = event
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return self._seq

    def latest(self, kind: type[E]) -> E | None:
        with self._cond:
            return cast("E | None", self._latest.get(kind))  # kept by type: one of ``kind``

    def since(self, mark: int) -> list[Event]:
        with self._cond:
            return [event for seq, event in self._events if seq > mark]

    def wait_for(
        self, predicate: Predicate, timeout: float, since: int | None = None
    ) -> Event | None:
        """The first event after ``since`` (default: now) matching ``predicate``, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = self._seq if since is None else since
            while True:
                fresh = []
                for seq, event in reversed(self._events):
                    if seq <= seen:
                        break
                    fresh.append(event)
                for event in reversed(fresh):
                    if predicate(event):
                        return event
                seen = self._seq
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)


class DecodingFeed:
    """An ``on_entries`` callback: decode the tail's entries and publish the events.

    ``decoder`` is a :class:`qfdesk.engine.decoder.FrameDecoder` (anything with
    ``feed_many(entries) -> list[Event]``); ``forward`` optionally gets the events too.
    """

    def __init__(
        self,
        decoder: _Decoder,
        hub: EventHub,
        forward: Callable[[list[Event]], None] | None = None,
    ) -> None:
        self._decoder = decoder
        self._hub = hub
        self._forward = forward

    def __call__(self, entries: list[dict[str, Any]]) -> None:
        events = self._decoder.feed_many(entries)
        self._hub.publish(events)
        if self._forward is not None:
            self._forward(events)
