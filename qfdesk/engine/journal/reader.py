"""The journal's rows of a period, read with a read-only connection of their own."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qfdesk.engine.events import Direction
from qfdesk.engine.journal.entries import Outcome, Source
from qfdesk.engine.journal.schema import connect

COLUMNS = (
    "intent_id",
    "created",
    "asset",
    "direction",
    "amount",
    "expiry",
    "payout",
    "account",
    "source",
    "strategy",
    "params",
    "timeframe",
    "allowed",
    "reasons",
    "placement",
    "stage",
    "message",
    "intent_to_click_ms",
    "click_to_confirm_ms",
    "deal_id",
    "outcome",
    "profit",
    "open_price",
    "close_price",
    "opened",
    "closed",
    "artifacts",
)


@dataclass(frozen=True, slots=True)
class JournalRow:
    intent_id: str
    created: float
    asset: str
    direction: Direction
    amount: float
    expiry: int
    payout: float | None
    account: str | None
    source: Source
    strategy: str | None
    params: str | None
    """The strategy's parameters as JSON."""
    timeframe: int | None
    allowed: bool | None
    reasons: tuple[str, ...]
    placement: str | None
    stage: str | None
    message: str | None
    intent_to_click_ms: float | None
    click_to_confirm_ms: float | None
    deal_id: str | None
    outcome: Outcome | None
    profit: float | None
    open_price: float | None
    close_price: float | None
    opened: float | None
    closed: float | None
    artifacts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Attempts made in ``[start, end)`` (unix times; None: unbounded), of one asset and one
    source when given."""

    start: float | None = None
    end: float | None = None
    asset: str | None = None
    source: Source | None = None


def read_rows(path: Path, where: RowFilter = RowFilter()) -> list[JournalRow]:
    """The attempts ``where`` asks for, oldest first. JournalError when there is no readable
    journal at ``path``."""
    clauses: list[str] = []
    values: list[object] = []
    for clause, value in (
        ("created >= ?", where.start),
        ("created < ?", where.end),
        ("asset = ?", where.asset),
        ("source = ?", where.source.value if where.source else None),
    ):
        if value is not None:
            clauses.append(clause)
            values.append(value)
    sql = f"SELECT {', '.join(COLUMNS)} FROM attempts"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    connection = connect(path, read_only=True)
    try:
        rows = connection.execute(sql + " ORDER BY created, id", values).fetchall()
    finally:
        connection.close()
    return [_row(row) for row in rows]


def _row(row: sqlite3.Row | tuple[object, ...]) -> JournalRow:
    values: dict[str, Any] = dict(zip(COLUMNS, row, strict=True))
    values["direction"] = Direction(values["direction"])
    values["source"] = Source(values["source"])
    values["outcome"] = Outcome(values["outcome"]) if values["outcome"] else None
    values["allowed"] = None if values["allowed"] is None else bool(values["allowed"])
    for name in ("reasons", "artifacts"):
        text = values[name]
        values[name] = tuple(json.loads(text)) if isinstance(text, str) else ()
    return JournalRow(**values)
