"""Raw captures: the performance-log entries a live run reads, on disk as ``qfdesk replay``
takes them, with the session token scrubbed before anything is written.

One JSON line per entry (``{"level", "message", "timestamp"}``), the WebSocket entries the
decoder reads only (``Network.webSocketCreated``, ``...FrameSent``, ``...FrameReceived``,
``...Closed``): the others -- HTTP requests and the socket's handshake among them -- carry the
login cookies and nothing the collector uses. Replaying a recording runs the very entries the
live pipeline was fed, so it gives the same ticks and candles.

The token: in every frame the page sends, text or binary (base64), the value of each
``"session"`` key is replaced by :data:`SCRUBBED` and remembered; every remembered token is
then replaced wherever else it appears in an entry's message (a cut frame, a frame in another
form). That happens on the writer thread, before the line is written.

Parts: ``FILE.jsonl``, then ``FILE.1.jsonl``, ``FILE.2.jsonl``... each at most ``max_bytes``
(a line is never split). Every batch is flushed as written, so a crash loses at most what
was still queued and leaves at most a half-written last line, which replay counts as
malformed and skips. A new recording under a name replaces the earlier recording's parts.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

SCRUBBED = "scrubbed-by-qfdesk"
RECORDED_METHODS = frozenset(
    (
        "Network.webSocketCreated",
        "Network.webSocketFrameSent",
        "Network.webSocketFrameReceived",
        "Network.webSocketClosed",
    )
)
DEFAULT_PART_MB = 100
MIN_TOKEN = 8
"""Shorter "tokens" are only scrubbed in their own frame, never searched for elsewhere."""

_METHOD = re.compile(r'"method"\s*:\s*"([^"\\]+)"')
_SESSION = re.compile(r'("session"\s*:\s*")((?:[^"\\]|\\.)*)')
_SENT = "Network.webSocketFrameSent"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_quote: Callable[[str], str] = json.encoder.encode_basestring  # json's own (C) string form
_Entry = Mapping[str, Any]


def part_path(base: Path, part: int) -> Path:
    """Part 0 is ``base`` itself (``FILE.jsonl``); part n is ``FILE.n.jsonl``."""
    if part == 0:
        return base
    suffix = base.suffix or ".jsonl"
    return base.with_name(f"{base.stem if base.suffix else base.name}.{part}{suffix}")


def recording_parts(base: Path) -> list[Path]:
    """``base`` and its later parts on disk, in recording order (``base`` even if absent)."""
    parts = [base]
    while (following := part_path(base, len(parts))).is_file():
        parts.append(following)
    return parts


def _unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


class TokenScrubber:
    """Scrubs the session token out of entry messages; remembers the tokens it has seen."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self._forms: list[str] = []  # each token as it appears at every level of escaping

    def _learn(self, token: str) -> None:
        if len(token) < MIN_TOKEN or token in self.tokens:
            return
        self.tokens.add(token)
        once = json.dumps(token)[1:-1]
        twice = json.dumps(once)[1:-1]
        self._forms = sorted({*self._forms, token, once, twice}, key=len, reverse=True)

    def _scrub_text(self, text: str) -> str:
        """The ``"session"`` values in ``text`` (remembered, then replaced)."""
        if '"session"' not in text:
            return text
        for match in _SESSION.finditer(text):
            self._learn(_unescape(match[2]))
        return _SESSION.sub(lambda m: m[1] + SCRUBBED, text)

    def _scrub_sent(self, message: str) -> str:
        try:
            body = json.loads(message)
            response = body["message"]["params"]["response"]
            payload = response["payloadData"]
        except (ValueError, LookupError, TypeError):
            return message
        if not isinstance(payload, str):
            return message
        if response.get("opcode") == 2:
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                return message
            if b'"session"' not in data:
                return message
            text = data.decode("utf-8", "surrogateescape")
            scrubbed = self._scrub_text(text)
            new = base64.b64encode(scrubbed.encode("utf-8", "surrogateescape")).decode("ascii")
        else:
            new = self._scrub_text(payload)
        if new == payload:
            return message
        response["payloadData"] = new
        return _dumps(body)

    def scrub(self, method: str, message: str) -> str:
        """``message`` with every session value and every token seen so far replaced."""
        if method == _SENT:  # few: pings, the page's requests; binary ones are base64
            message = self._scrub_sent(message)
        for form in self._forms:
            if form in message:
                message = message.replace(form, SCRUBBED)
        return message

    def scrub_text(self, text: str) -> str:
        """Any text (a log file, a settings value) with the tokens seen so far replaced."""
        for form in self._forms:
            text = text.replace(form, SCRUBBED)
        return text


def entry_line(entry: _Entry, scrubber: TokenScrubber) -> str | None:
    """The JSON line for ``entry``, scrubbed; None for an entry that is not recorded."""
    try:
        message = entry["message"]
    except (LookupError, TypeError):
        return None
    if not isinstance(message, str):
        return None
    found = _METHOD.search(message)
    if found is None or found[1] not in RECORDED_METHODS:
        return None
    scrubbed = scrubber.scrub(found[1], message)
    # By hand, as json.dumps(separators=(",", ":"), ensure_ascii=False) writes it, three
    # times faster (the generic encoder costs more than the long message string itself).
    fields = (
        f"{_quote(str(key))}:{_quote(scrubbed) if key == 'message' else _value(value)}"
        for key, value in entry.items()
    )
    return "{" + ",".join(fields) + "}"


def _value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is int:
        return int.__repr__(value)
    return _dumps(value)


class Recorder:
    """Writes entries handed to :meth:`write` (any thread, never blocks) on its own thread.

    ``start`` opens ``path`` (replacing an earlier recording of that name); ``close`` writes
    what is queued and closes the file. A failed write is logged, counted in ``errors`` and
    its batch lost; the recorder carries on with the next batch.
    """

    def __init__(self, path: Path, max_bytes: int = DEFAULT_PART_MB * 1024 * 1024) -> None:
        if max_bytes <= 0:
            raise ValueError("a recording part must be allowed at least one byte")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.scrubber = TokenScrubber()
        self.entries = 0
        self.errors = 0
        self.parts = 0
        self._size = 0
        self._file: IO[bytes] | None = None
        self._queue: queue.SimpleQueue[Sequence[_Entry] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="qfdesk-record", daemon=True)

    def start(self) -> Recorder:
        """Open the first part; raises OSError when it cannot be written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for old in recording_parts(self.path)[1:]:
            old.unlink()
        self._open(0)
        self._thread.start()
        return self

    @property
    def paths(self) -> list[Path]:
        """The parts written so far, in order."""
        return [part_path(self.path, n) for n in range(self.parts)]

    def summary(self) -> str:
        """``N entries in FILE.jsonl [and K later parts]``, and the batches lost if any."""
        parts = self.paths
        where = f"{parts[0]}" + (f" and {len(parts) - 1} later parts" if len(parts) > 1 else "")
        lost = f"; {self.errors} batches NOT written (see the log)" if self.errors else ""
        return f"{self.entries} entries in {where}{lost}"

    def write(self, entries: Sequence[_Entry]) -> None:
        """Queue a batch (kept as it is: the caller must not change it)."""
        self._queue.put(entries)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open(self, part: int) -> None:
        if self._file is not None:
            self._file.close()
        self._file = part_path(self.path, part).open("wb")
        self.parts = part + 1
        self._size = 0

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                self._write(batch)
            except OSError as error:
                self.errors += 1
                log.warning(
                    "recording: could not write %d entries to %s (%s)",
                    len(batch),
                    part_path(self.path, self.parts - 1),
                    error.strerror or error,
                )
            except Exception:
                self.errors += 1
                log.exception("recording: a batch of %d entries was not written", len(batch))

    def _write(self, batch: Sequence[_Entry]) -> None:
        chunk: list[bytes] = []
        size = self._size
        for entry in batch:
            line = entry_line(entry, self.scrubber)
            if line is None:
                continue
            # A lone surrogate (only ever inside a JSON string) is written as its \u escape.
            data = (line + "\n").encode("utf-8", "backslashreplace")
            if size and size + len(data) > self.max_bytes:
                self._flush(chunk)
                chunk = []
                self._open(self.parts)
                size = 0
            chunk.append(data)
            size += len(data)
        self._flush(chunk)

    def _flush(self, chunk: list[bytes]) -> None:
        if not chunk:
            return
        assert self._file is not None
        data = b"".join(chunk)
        self._file.write(data)
        self._file.flush()
        self._size += len(data)
        self.entries += len(chunk)


def recent_lines(base: Path, since_ms: float) -> list[str]:
    """The recorded lines stamped at or after ``since_ms`` (chromedriver's epoch ms), oldest
    first, read from the newest part back; a line cut short by a writer is left out."""
    found: list[list[str]] = []
    for path in reversed(recording_parts(base)):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        kept: list[str] = []
        older = False
        for line in lines:
            try:
                stamp = json.loads(line)["timestamp"]
            except (ValueError, LookupError, TypeError):
                continue
            if isinstance(stamp, int | float) and stamp >= since_ms:
                kept.append(line)
            else:
                older = True
        found.append(kept)
        if older:
            break
    return [line for part in reversed(found) for line in part]
