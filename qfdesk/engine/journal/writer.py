"""The journal's one writer: a thread that owns the only writing connection.

Callers (the order desk on its executor, the window on the GUI thread, the paper book) hand
it entries with :meth:`JournalWriter.write`, which never waits on the disk. Each entry is
its own transaction, committed in order; one that fails (a full disk) is logged and counted,
and the next is tried. A settlement that arrives before the placement that names its deal
(the socket can be faster than the click's return) is held until that placement is written.
The database is opened (created, migrated) with the first entry: a session that never
trades leaves no journal behind.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qfdesk.engine.journal.entries import Attempt, Decision, Entry, Placed, Settled
from qfdesk.engine.journal.schema import JournalError, connect

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Flush:
    done: threading.Event


_STOP = None


class JournalSink(Protocol):
    """Where the order desk and the trade views tell the journal what happened."""

    def write(self, entry: Entry) -> None: ...


class JournalWriter:
    def __init__(self, path: Path, on_written: Callable[[Entry], None] | None = None) -> None:
        self.path = path
        self.on_written = on_written
        self.failures = 0
        self.error: str | None = None
        """Why the journal cannot be written (it could not be opened), or None."""
        self._queue: queue.SimpleQueue[Entry | _Flush | None] = queue.SimpleQueue()
        self._held: dict[str, Settled] = {}
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def write(self, entry: Entry) -> None:
        self._queue.put(entry)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every entry written before this call is committed (tests, closing)."""
        done = threading.Event()
        self._queue.put(_Flush(done))
        return done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _open(self) -> sqlite3.Connection | None:
        try:
            return connect(self.path)
        except (JournalError, sqlite3.Error, OSError) as error:
            self.error = f"the trade journal cannot be written: {error}"
            log.error("%s; trades go on, but are not journaled", self.error)
            return None

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        opened = False
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if isinstance(item, _Flush):
                item.done.set()
                continue
            if not opened:
                connection, opened = self._open(), True
            if connection is None:
                self.failures += 1
                continue
            self._apply(connection, item)
        if connection is not None:
            connection.close()

    def _apply(self, connection: sqlite3.Connection, entry: Entry) -> None:
        try:
            written = _write(connection, entry)
        except sqlite3.Error as error:
            self.failures += 1
            log.error("journal: could not write %s (%s)", type(entry).__name__, error)
            return
        if isinstance(entry, Settled) and not written and entry.deal_id is not None:
            self._held[entry.deal_id] = entry
            return
        if isinstance(entry, Placed) and entry.deal_id in self._held:
            self._apply(connection, self._held.pop(entry.deal_id))
        if self.on_written is not None:
            self.on_written(entry)


def _write(connection: sqlite3.Connection, entry: Entry) -> bool:
    """Write ``entry``; whether a row took it."""
    if isinstance(entry, Attempt):
        origin = entry.strategy
        cursor = connection.execute(
            "INSERT OR IGNORE INTO attempts (intent_id, created, asset, direction, amount, "
            "expiry, payout, account, source, strategy, params, timeframe) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.intent_id,
                entry.created,
                entry.asset,
                entry.direction.value,
                entry.amount,
                entry.expiry,
                entry.payout,
                entry.account,
                entry.source.value,
                origin.name if origin else None,
                json.dumps(dict(origin.params), sort_keys=True, default=str) if origin else None,
                origin.timeframe if origin else None,
            ),
        )
    elif isinstance(entry, Decision):
        cursor = connection.execute(
            "UPDATE attempts SET allowed = ?, reasons = ? WHERE intent_id = ?",
            (int(entry.allowed), json.dumps(list(entry.reasons)), entry.intent_id),
        )
    elif isinstance(entry, Placed):
        cursor = connection.execute(
            "UPDATE attempts SET placement = ?, stage = ?, message = ?, "
            "deal_id = COALESCE(?, deal_id), intent_to_click_ms = ?, click_to_confirm_ms = ?, "
            "artifacts = ? WHERE intent_id = ?",
            (
                entry.placement,
                entry.stage,
                entry.message,
                entry.deal_id,
                entry.intent_to_click_ms,
                entry.click_to_confirm_ms,
                json.dumps(list(entry.artifacts)) if entry.artifacts else None,
                entry.intent_id,
            ),
        )
    else:
        key, value = ("deal_id", entry.deal_id) if entry.deal_id else ("intent_id", entry.intent_id)
        cursor = connection.execute(
            "UPDATE attempts SET outcome = ?, profit = ?, open_price = COALESCE(?, open_price), "
            "close_price = COALESCE(?, close_price), opened = COALESCE(?, opened), "
            f"closed = COALESCE(?, closed) WHERE {key} = ?",
            (
                entry.outcome.value,
                entry.profit,
                entry.open_price,
                entry.close_price,
                entry.opened,
                entry.closed,
                value,
            ),
        )
    return cursor.rowcount > 0
