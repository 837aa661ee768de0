"""The journal's rows as a CSV file (the columns of the database, in its order)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from qfdesk.engine.journal.reader import COLUMNS, JournalRow


def write_csv(rows: Iterable[JournalRow], path: Path) -> int:
    """Write ``rows`` to ``path`` (through a temporary file, so a failed export leaves no
    half file under the name); the number of rows written."""
    temporary = path.with_name(path.name + ".part")
    count = 0
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(getattr(row, name)) for name in COLUMNS])
            count += 1
    temporary.replace(path)
    return count


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return json.dumps(list(value))
    if hasattr(value, "value"):
        return value.value
    return value
