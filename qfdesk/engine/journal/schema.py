"""The journal's SQLite file: where it lives, its schema and its migrations.

The file is ``data_output/journal/journal.sqlite3`` under the data root. It runs in WAL mode
with ``synchronous=FULL``: each committed attempt is on disk when its commit returns, and a
crash (of the app or the machine) loses at most the attempt being written; SQLite's own
journal rolls a torn transaction back on the next open.

The schema's version is SQLite's ``user_version``; :data:`MIGRATIONS` take a file from one
version to the next, each in one transaction, so an upgrade that stops part way leaves the
previous version whole. A file written by a newer qfdesk is refused with what to do. A file
that is not a database (a damaged disk, something else saved under its name) is kept aside
(``journal.unreadable-<time>.sqlite3``) and a new journal started, so the journal always
opens and nothing is deleted.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from qfdesk.engine.keep_aside import keep_aside

log = logging.getLogger(__name__)

JOURNAL_DIR = Path("data_output") / "journal"
JOURNAL_NAME = "journal.sqlite3"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            intent_id TEXT NOT NULL UNIQUE,
            created REAL NOT NULL,
            asset TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('call', 'put')),
            amount REAL NOT NULL,
            expiry INTEGER NOT NULL,
            payout REAL,
            account TEXT,
            source TEXT NOT NULL CHECK (source IN ('manual', 'auto', 'paper')),
            strategy TEXT,
            params TEXT,
            timeframe INTEGER,
            allowed INTEGER,
            reasons TEXT,
            placement TEXT,
            stage TEXT,
            message TEXT,
            intent_to_click_ms REAL,
            click_to_confirm_ms REAL,
            deal_id TEXT,
            outcome TEXT CHECK (outcome IN ('won', 'lost', 'refund')),
            profit REAL,
            open_price REAL,
            close_price REAL,
            opened REAL,
            closed REAL,
            artifacts TEXT
        )""",
        "CREATE INDEX attempts_by_time ON attempts (created)",
        "CREATE INDEX attempts_by_deal ON attempts (deal_id)",
    ),
)
"""Each migration's statements, from version ``i`` to ``i + 1``."""
VERSION = len(MIGRATIONS)
_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
"""What SQLite says of a file that is not (or no longer) a database: kept aside, replaced."""


class JournalError(Exception):
    """The journal cannot be used; the message says why and what to do."""


def journal_path(data_root: Path) -> Path:
    return data_root / JOURNAL_DIR / JOURNAL_NAME


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to an up-to-date journal at ``path`` (created, migrated or replaced as
    the module docstring says). ``read_only`` opens an existing file without writing."""
    if read_only:
        if not path.exists():
            raise JournalError(f"no journal at {path}: no trade has been journaled there yet")
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            version = _version(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise JournalError(f"{path} is not a readable journal ({error})") from error
        if version != VERSION:
            connection.close()
            raise JournalError(
                f"{path} is at schema version {version}, this qfdesk reads {VERSION}: "
                "open it once with the app (which upgrades it), or use the qfdesk that wrote it"
            )
        return connection
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open_for_writing(path)
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", "") not in _DAMAGED:
            raise JournalError(
                f"{path} cannot be opened or upgraded ({error}); it is left as it was: "
                "free disk space, close other programs using it, and start again"
            ) from error
        kept = keep_aside(path, "unreadable")
        if kept is None:
            raise JournalError(
                f"{path} is damaged ({error}) and cannot be copied aside; move it away"
            ) from error
        log.error(
            "the journal %s was unreadable (%s); kept it as %s and started a new one",
            path,
            error,
            kept,
        )
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return _open_for_writing(path)


def _open_for_writing(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL").fetchone()
        connection.execute("PRAGMA synchronous=FULL")
        _migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def _version(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = _version(connection)
    if version > VERSION:
        raise JournalError(
            f"{path} was written by a newer qfdesk (schema {version}, this one knows "
            f"{VERSION}): update qfdesk, or give another --data-dir"
        )
    for number in range(version, VERSION):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        log.info("journal %s: schema version %d", path, number + 1)
