"""Engine.IO 4 / Socket.IO framing as the platform speaks it, kept small so faults are easy.

Server to page: ``0{open}``, ``40{"sid"}``, ping ``2``, ``42[event, payload]`` and, for binary
events, a text header ``451-[event, {"_placeholder": true, "num": 0}]`` followed by one binary
frame holding the payload's JSON. Page to server: ``40``, pong ``3``, ``42[event, ...]``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = {"_placeholder": True, "num": 0}
STREAM_SHAPES = ("list", "flat")
PING = "2"
PONG = "3"
CONNECT = "40"
DISCONNECT = "41"


def new_sid() -> str:
    """A random id in the platform's style (20 URL-safe characters)."""
    return secrets.token_urlsafe(15)


def dumps(value: Any) -> str:
    """Compact JSON as the platform writes it (no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def open_frame(sid: str, ping_interval_ms: int, ping_timeout_ms: int, max_payload: int) -> str:
    return "0" + dumps(
        {
            "sid": sid,
            "upgrades": [],
            "pingInterval": ping_interval_ms,
            "pingTimeout": ping_timeout_ms,
            "maxPayload": max_payload,
        }
    )


def connect_ack(sid: str) -> str:
    return CONNECT + dumps({"sid": sid})


def text_event(event: str, *args: Any) -> str:
    """One-frame event ``42["event", ...]``."""
    return "42" + dumps([event, *args])


def stream_payload(symbol: str, t: float, price: float, shape: str = "list") -> list[Any]:
    """One tick's ``updateStream`` payload: ``list`` ``[[asset, time, price]]`` as captured in
    2025, or ``flat`` ``[asset, time, price]`` as reported for the live page in 2026."""
    triple = [symbol, t, price]
    return triple if shape == "flat" else [triple]


def binary_event(event: str, payload: Any) -> tuple[str, bytes]:
    """The two frames of a binary event: the ``451-`` header and its attachment."""
    return "451-" + dumps([event, PLACEHOLDER]), dumps(payload).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ClientFrame:
    """A frame the page sent. ``kind`` is ``pong``, ``ping``, ``connect``, ``disconnect``,
    ``event`` (with ``event`` and ``args``) or ``invalid``."""

    kind: str
    event: str = ""
    args: tuple[Any, ...] = ()


def parse_client_frame(text: str) -> ClientFrame:
    if text == PONG:
        return ClientFrame("pong")
    if text == PING:
        return ClientFrame("ping")
    if text.startswith(CONNECT):
        return ClientFrame("connect")
    if text.startswith(DISCONNECT):
        return ClientFrame("disconnect")
    if text.startswith("42"):
        body = text[2:].lstrip("0123456789")  # an optional ack id
        try:
            decoded = json.loads(body)
        except ValueError:
            return ClientFrame("invalid")
        if isinstance(decoded, list) and decoded and isinstance(decoded[0], str):
            return ClientFrame("event", decoded[0], tuple(decoded[1:]))
    return ClientFrame("invalid")
