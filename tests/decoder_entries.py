"""Build performance-log entries in chromedriver's exact form, for the decoder tests."""

from __future__ import annotations

import base64
import json
from typing import Any

WALL_MS = 1_756_859_615_126
TRADING = "3084.678983"
OTHER = "3084.678973"
PLACEHOLDER_HEADER = '451-["{name}",{{"_placeholder":true,"num":0}}]'


def entry(method: str, params: dict[str, Any], wall_ms: int = WALL_MS) -> dict[str, Any]:
    message = json.dumps({"message": {"method": method, "params": params}})
    return {"level": "INFO", "message": message, "timestamp": wall_ms}


def frame(
    socket_id: str, opcode: int, data: str, *, sent: bool = False, wall_ms: int = WALL_MS
) -> dict[str, Any]:
    method = "Network.webSocketFrameSent" if sent else "Network.webSocketFrameReceived"
    params = {
        "requestId": socket_id,
        "timestamp": 9615.126998,
        "response": {"opcode": opcode, "mask": sent, "payloadData": data},
    }
    return entry(method, params, wall_ms)


def text(socket_id: str, data: str, **kwargs: Any) -> dict[str, Any]:
    return frame(socket_id, 1, data, **kwargs)


def header(socket_id: str, name: str, **kwargs: Any) -> dict[str, Any]:
    return text(socket_id, PLACEHOLDER_HEADER.format(name=name), **kwargs)


def binary(socket_id: str, raw: bytes, **kwargs: Any) -> dict[str, Any]:
    return frame(socket_id, 2, base64.b64encode(raw).decode(), **kwargs)


def attachment(socket_id: str, payload: Any, **kwargs: Any) -> dict[str, Any]:
    return binary(socket_id, json.dumps(payload).encode(), **kwargs)


def binary_event(socket_id: str, name: str, payload: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """The two-frame form: ``451-`` header, then the attachment."""
    return [header(socket_id, name, **kwargs), attachment(socket_id, payload, **kwargs)]


def text_event(socket_id: str, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The one-frame form ``42["name", payload]``."""
    return text(socket_id, "42" + json.dumps([name, *args]), **kwargs)


def created(socket_id: str, url: str) -> dict[str, Any]:
    return entry("Network.webSocketCreated", {"requestId": socket_id, "url": url})


def closed(socket_id: str) -> dict[str, Any]:
    return entry("Network.webSocketClosed", {"requestId": socket_id, "timestamp": 9620.5})


def line(item: dict[str, Any]) -> str:
    """An entry as one line of a captured log."""
    return json.dumps(item)
