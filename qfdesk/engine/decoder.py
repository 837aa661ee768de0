"""Chrome performance-log entries -> typed platform events.

Input is what ``driver.get_log("performance")`` returns, one entry at a time or in batches:
``{"level", "message", "timestamp"}`` dicts (or their JSON text, one per line in a capture)
whose ``message`` is JSON text holding a DevTools ``Network.webSocket*`` event.

Socket.IO framing (Engine.IO 4): an event is either one text frame ``42["name", payload]``
or a text header ``451-["name", {"_placeholder": true, "num": 0}]`` followed by ONE binary
frame (base64 in the log) on the SAME socket holding the payload's JSON. Other sockets'
frames interleave, so headers are paired per ``requestId`` (and per direction). A header
``45<n>-`` announcing n attachments (placeholders ``num`` 0..n-1, anywhere in its arguments)
takes the next n binary frames of its socket, each put in its placeholder's place; every
argument after the name is then one payload of the event. Engine.IO and Socket.IO control
packets (open, ping, pong, connect, disconnect, noop) are not events.

Nothing ever raises out of :meth:`FrameDecoder.feed`. Bad input is counted by kind in
``stats.malformed`` and skipped, costing nothing around it:

- ``bad_entry_json``/``bad_entry``: entry text is not JSON / not an entry (no ``message``
  text or numeric ``timestamp``);
- ``bad_message_json``/``bad_message``: ``message`` is not JSON / has no method and params;
- ``bad_frame``: a WebSocket frame without requestId, opcode 1|2 or payloadData text;
- ``bad_packet``: a text frame that is not an Engine.IO/Socket.IO packet, or whose event
  JSON is bad or not ``["name", ...]``;
- ``bad_header``: a binary-event header whose placeholders are not ``num`` 0..n-1 for its
  n attachments, or that has no event name;
- ``header_without_attachment``: a header followed on its socket by another header, the
  socket closing, or the end of input (:meth:`FrameDecoder.flush`);
- ``attachment_without_header``: a binary frame with no header pending on its socket (this
  is also how a binary frame sent on another socket than its header shows);
- ``bad_base64``/``bad_attachment_json``: an attachment does not decode (an event of several
  attachments is counted once, by its first bad one);
- ``bad_payload`` and the finer kinds of :mod:`qfdesk.engine.payloads` (``bad_tick``,
  ``bad_time``, ``bad_price``, ``bad_candle``, ``duplicate_candle``, ``unknown_period``,
  ``bad_asset``, ``bad_deal``, ``bad_chart``): the payload's shape or values are wrong;
- ``unreadable_input``: iterating the batch given to ``feed_many`` raised;
- ``decoder_error``: a bug in this module (logged once, by exception type only).

The ``auth`` frame's session token is dropped: no event, count, log line or exception
message holds it. Payload contents never appear in stats or logs, only counts and names.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson

from qfdesk.engine.decode_stats import DecodeStats
from qfdesk.engine.events import Event, SocketClosed, SocketOpened
from qfdesk.engine.payloads import Converter, Malformed, PayloadDecoder

log = logging.getLogger(__name__)

_loads = json.loads
_fast_loads = orjson.loads
_Scanner = Callable[[str, int], tuple[Any, int]]  # text, index -> (value, end)
_scan: _Scanner = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_INTEGER = b"0" * 19  # orjson turns integers outside 64 bits into floats; json keeps them
_a2b = binascii.a2b_base64
_NUMBER = frozenset((int, float))
_INF = float("inf")
_PLACEHOLDER = {"_placeholder": True, "num": 0}
_ACK = ""  # the name of a binary ack's _Binary: its attachments are consumed, not an event
_MAX_CACHED_HEADERS = 256
_MAX_ATTACHMENTS = 16
_MAX_UNMODELLED_NAMES = 256
_OTHER_NAMES = "(other names)"
_ENGINE_CONTROL = frozenset("012356")  # open, close, ping, pong, upgrade, noop
_SOCKET_CONTROL = frozenset("0134")  # connect, disconnect, ack, connect_error
_SHAPE_ERRORS = (LookupError, TypeError, ValueError, AttributeError, OverflowError)

Handler = Callable[[Mapping[str, Any], float, list[Event]], None]


@dataclass(slots=True)
class _Binary:
    """A header waiting for its attachments, in any form but the platform's usual one.
    ``slots`` are where each placeholder sits (container, key), by ``num``."""

    name: str  # empty for a binary ack: consumed, not an event
    args: list[Any]
    slots: list[tuple[Any, Any]]
    parts: list[Any] = field(default_factory=list)
    broken: str = ""  # the kind of the first attachment that did not decode


class FrameDecoder:
    """Decodes performance-log entries into events; keeps per-socket pairing state."""

    def __init__(self) -> None:
        self.stats = DecodeStats()
        self._payloads = PayloadDecoder(self.stats.malformed)
        self._pending_received: dict[str, str | _Binary] = {}
        self._pending_sent: dict[str, str | _Binary] = {}
        self._headers: dict[str, str] = {}
        self._reported_error = False
        self._summarised_malformed = 0
        self._methods: dict[str, Handler] = {
            "Network.webSocketFrameReceived": self._on_received,
            "Network.webSocketFrameSent": self._on_sent,
            "Network.webSocketCreated": self._on_created,
            "Network.webSocketClosed": self._on_closed,
        }

    def feed(self, entry: Mapping[str, Any] | str) -> list[Event]:
        """Decode one entry (a dict or its JSON text); returns its events, maybe none."""
        out: list[Event] = []
        self._guarded(entry, out)
        return out

    def feed_many(self, entries: Iterable[Mapping[str, Any] | str]) -> list[Event]:
        """Decode a batch in order; one bad entry never costs the others."""
        out: list[Event] = []
        guarded = self._guarded
        try:
            for entry in entries:
                guarded(entry, out)
        except Exception as error:  # noqa: BLE001 - the caller's iterator failed; keep the rest
            self.stats.malformed["unreadable_input"] += 1
            log.warning(
                "Stopped reading a batch of log entries: reading it raised %s. "
                "The entries before it were decoded.",
                type(error).__name__,
            )
        return out

    def flush(self) -> None:
        """End of input: headers still waiting for their attachment are counted malformed.
        Logs one warning summary if anything was skipped since the last flush."""
        waiting = len(self._pending_received) + len(self._pending_sent)
        if waiting:
            self.stats.malformed["header_without_attachment"] += waiting
        self._pending_received.clear()
        self._pending_sent.clear()
        total = self.stats.malformed_total
        if total > self._summarised_malformed:
            self._summarised_malformed = total
            log.warning("Skipped malformed WebSocket input: %s", self.stats.summary())

    # --- entries --------------------------------------------------------------------------

    def _guarded(self, entry: Any, out: list[Event]) -> None:
        try:
            self._entry(entry, out)
        except Exception as error:  # noqa: BLE001 - a bug must not stop the stream; say it once
            self.stats.malformed["decoder_error"] += 1
            if not self._reported_error:
                self._reported_error = True
                log.warning(
                    "The frame decoder hit an internal error (%s) and skipped an entry; "
                    "decoding goes on. Please report it with the decode summary.",
                    type(error).__name__,
                )

    def _entry(self, entry: Any, out: list[Event]) -> None:
        malformed = self.stats.malformed
        if type(entry) is str or type(entry) is bytes:
            try:
                entry = _parse(entry)
            except (ValueError, RecursionError):
                malformed["bad_entry_json"] += 1
                return
        try:
            message = entry["message"]
            stamp = entry["timestamp"]
        except (LookupError, TypeError):
            malformed["bad_entry"] += 1
            return
        if type(stamp) not in _NUMBER or not 0 < stamp < _INF or type(message) is not str:
            malformed["bad_entry"] += 1
            return
        try:
            body = _parse(message)
        except (ValueError, RecursionError):
            malformed["bad_message_json"] += 1
            return
        try:
            inner = body["message"]
            method = inner["method"]
            params = inner["params"]
            handler = self._methods.get(method)
        except (LookupError, TypeError):
            malformed["bad_message"] += 1
            return
        if handler is not None:
            handler(params, stamp / 1000, out)
        elif type(method) is str:
            self.stats.other[method] += 1
        else:
            malformed["bad_message"] += 1

    def _on_received(self, params: Mapping[str, Any], received: float, out: list[Event]) -> None:
        self._frame(params, received, out, self._pending_received, self._payloads.received, "")

    def _on_sent(self, params: Mapping[str, Any], received: float, out: list[Event]) -> None:
        self._frame(params, received, out, self._pending_sent, self._payloads.sent, "sent:")

    def _on_created(self, params: Mapping[str, Any], received: float, out: list[Event]) -> None:
        try:
            socket_id, url = params["requestId"], params["url"]
        except (LookupError, TypeError):
            socket_id = url = None
        if type(socket_id) is not str or type(url) is not str:
            self.stats.malformed["bad_frame"] += 1
            return
        self._drop_pending(socket_id)
        self._emit([SocketOpened(socket_id, url)], out)

    def _on_closed(self, params: Mapping[str, Any], received: float, out: list[Event]) -> None:
        try:
            socket_id = params["requestId"]
        except (LookupError, TypeError):
            socket_id = None
        if type(socket_id) is not str:
            self.stats.malformed["bad_frame"] += 1
            return
        self._drop_pending(socket_id)
        self._emit([SocketClosed(socket_id)], out)

    def _drop_pending(self, socket_id: str) -> None:
        for pending in (self._pending_received, self._pending_sent):
            if pending.pop(socket_id, None) is not None:
                self.stats.malformed["header_without_attachment"] += 1

    # --- frames ---------------------------------------------------------------------------

    def _frame(
        self,
        params: Mapping[str, Any],
        received: float,
        out: list[Event],
        pending: dict[str, str | _Binary],
        converters: dict[str, Converter],
        prefix: str,
    ) -> None:
        stats = self.stats
        stats.frames += 1
        try:
            socket_id = params["requestId"]
            response = params["response"]
            opcode = response["opcode"]
            data = response["payloadData"]
        except (LookupError, TypeError):
            stats.malformed["bad_frame"] += 1
            return
        if type(socket_id) is not str or type(data) is not str:
            stats.malformed["bad_frame"] += 1
            return
        if opcode == 2:
            name = pending.pop(socket_id, None)
            if name is None:
                stats.malformed["attachment_without_header"] += 1
                return
            if type(name) is not str:
                binary = cast(_Binary, name)
                self._part(socket_id, binary, data, received, out, pending, converters, prefix)
                return
            try:
                raw = _a2b(data, strict_mode=True)
            except binascii.Error:
                stats.malformed["bad_base64"] += 1
                return
            try:
                payload = _parse(raw.decode())
            except (ValueError, RecursionError):
                stats.malformed["bad_attachment_json"] += 1
                return
            self._dispatch(name, payload, received, out, converters, prefix)
        elif opcode == 1:
            name = self._headers.get(data)
            if name is None:
                self._text(socket_id, data, received, out, pending, converters, prefix)
            else:
                if socket_id in pending:
                    stats.malformed["header_without_attachment"] += 1
                pending[socket_id] = name
        else:
            stats.malformed["bad_frame"] += 1

    def _text(
        self,
        socket_id: str,
        data: str,
        received: float,
        out: list[Event],
        pending: dict[str, str | _Binary],
        converters: dict[str, Converter],
        prefix: str,
    ) -> None:
        """A text frame that is not a cached header: an event, a new header or control."""
        malformed = self.stats.malformed
        if data[:1] != "4":
            if len(data) == 0 or data[0] not in _ENGINE_CONTROL:
                malformed["bad_packet"] += 1
            return
        kind = data[1:2]
        if kind in _SOCKET_CONTROL:
            return
        if kind != "2" and kind != "5" and kind != "6":
            malformed["bad_packet"] += 1
            return
        if kind == "2":
            args = _event_args(data, 2)
            if args is None:
                malformed["bad_packet"] += 1
                return
            name = args[0]
            if type(name) is not str or not name:
                malformed["bad_packet"] += 1
                return
            self._dispatch(
                name, args[1] if len(args) > 1 else None, received, out, converters, prefix
            )
            return
        name = self._header_name(data, kind == "6")
        if name is None:
            malformed["bad_header"] += 1
            return
        if socket_id in pending:
            malformed["header_without_attachment"] += 1
        pending[socket_id] = name

    def _header_name(self, data: str, is_ack: bool) -> str | _Binary | None:
        """``45<n>-[ns,][ack]["name", ...]`` (``46<n>-`` for a binary ack) -> what waits for
        its attachments: the name for the platform's form ``451-["name", placeholder]``
        (cached by its text), else a :class:`_Binary`; None if it is no valid header."""
        dash = data.find("-", 2)
        count = data[2:dash]
        if dash < 3 or not (count.isascii() and count.isdigit()):
            return None
        args = _event_args(data, dash + 1)
        if args is None:
            return None
        if (
            count == "1"
            and not is_ack
            and len(args) == 2
            and type(args[0]) is str
            and args[0]
            and args[1] == _PLACEHOLDER
        ):
            if len(self._headers) < _MAX_CACHED_HEADERS:
                self._headers[data] = args[0]
            return args[0]
        slots = _placeholder_slots(args, int(count))
        if slots is None:
            return None
        if is_ack:
            return _Binary(_ACK, args, slots)
        if len(args) < 2 or type(args[0]) is not str or not args[0]:
            return None
        return _Binary(args[0], args, slots)

    def _part(
        self,
        socket_id: str,
        waiting: _Binary,
        data: str,
        received: float,
        out: list[Event],
        pending: dict[str, str | _Binary],
        converters: dict[str, Converter],
        prefix: str,
    ) -> None:
        """One attachment of a :class:`_Binary`; the event goes out with its last one."""
        part = None
        try:
            part = _parse(_a2b(data, strict_mode=True).decode())
        except binascii.Error:
            waiting.broken = waiting.broken or "bad_base64"
        except (ValueError, RecursionError):
            waiting.broken = waiting.broken or "bad_attachment_json"
        waiting.parts.append(part)
        if len(waiting.parts) < len(waiting.slots):
            pending[socket_id] = waiting
            return
        if waiting.broken:
            self.stats.malformed[waiting.broken] += 1
            return
        for (container, key), value in zip(waiting.slots, waiting.parts, strict=True):
            container[key] = value
        if waiting.name:
            for payload in waiting.args[1:]:
                self._dispatch(waiting.name, payload, received, out, converters, prefix)

    def _dispatch(
        self,
        name: str,
        payload: Any,
        received: float,
        out: list[Event],
        converters: dict[str, Converter],
        prefix: str,
    ) -> None:
        converter = converters.get(name)
        if converter is None:
            unmodelled = self.stats.unmodelled
            key = prefix + name
            if key not in unmodelled and len(unmodelled) >= _MAX_UNMODELLED_NAMES:
                key = _OTHER_NAMES
            unmodelled[key] += 1
            return
        try:
            events = converter(name, payload, received)
        except Malformed as error:
            self.stats.malformed[error.kind] += 1
            return
        except _SHAPE_ERRORS:
            self.stats.malformed["bad_payload"] += 1
            return
        self._emit(events, out)

    def _emit(self, events: list[Event], out: list[Event]) -> None:
        counts = self.stats.events
        for event in events:
            counts[type(event).__name__] += 1
        out += events


def _parse(text: str | bytes) -> Any:
    """``json.loads``, exactly: orjson where its result is the same, the stdlib otherwise.

    orjson parses floats to the same double as ``json`` (both round correctly) at a fraction
    of the cost. It differs on what it refuses (NaN, Infinity, 1e400, lone surrogates, very
    deep nesting: it raises, and ``json`` then gives its own result or error) and on integers
    that do not fit 64 bits, which it makes floats: a text holding a run of 19 digits goes to
    ``json`` directly. Results and errors (ValueError, RecursionError) are ``json``'s."""
    try:
        raw = text.encode() if isinstance(text, str) else text
        if raw.translate(_DIGITS_AS_ZEROS).find(_LONG_INTEGER) < 0:
            return _fast_loads(raw)
    except ValueError:  # orjson refused it, or a lone surrogate did not encode
        pass
    return _stdlib_parse(text)


def _stdlib_parse(text: str | bytes) -> Any:
    """``json.loads``, straight through the C scanner it ends in for a str: its Python layers
    cost as much as the scan on short frames. Anything unusual (leading or trailing text)
    goes to ``json.loads`` itself, so results and errors (ValueError) are the same."""
    if type(text) is not str:
        return _loads(text)
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _loads(text)
    if end != len(text):
        return _loads(text)
    return value


def _placeholder_slots(args: list[Any], count: int) -> list[tuple[Any, Any]] | None:
    """Where placeholders ``num`` 0..count-1 sit in ``args`` (each once), by num; None if
    they are not exactly those. Walks without recursion: args may nest deeply."""
    if not 1 <= count <= _MAX_ATTACHMENTS:
        return None
    found: dict[int, tuple[Any, Any]] = {}
    stack: list[Any] = [args]
    while stack:
        container = stack.pop()
        items = container.items() if type(container) is dict else enumerate(container)
        for key, value in items:
            if type(value) is dict:
                if value.get("_placeholder") is True:
                    num = value.get("num")
                    if type(num) is not int or len(value) != 2 or num in found:
                        return None
                    found[num] = (container, key)
                else:
                    stack.append(value)
            elif type(value) is list:
                stack.append(value)
    if sorted(found) != list(range(count)):
        return None
    return [found[num] for num in range(count)]


def _event_args(data: str, start: int) -> list[Any] | None:
    """The JSON argument list of a Socket.IO packet after its type (and attachment count),
    skipping an optional ``/namespace,`` and ack id; None if it is not a non-empty list."""
    if data.startswith("/", start):
        comma = data.find(",", start)
        if comma < 0:
            return None
        start = comma + 1
    end = len(data)
    while start < end and data[start].isdigit():
        start += 1
    try:
        args = _parse(data[start:])
    except (ValueError, RecursionError):
        return None
    if type(args) is not list or not args:
        return None
    return args
