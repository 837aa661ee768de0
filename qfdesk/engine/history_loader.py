"""Candle and tick history, from the Parquet archive when there is one, else from the CSVs.

``load_history`` reads the archive of the data root that holds ``path`` (see
``archive_read``; it needs pyarrow, the ``archive`` extra) together with every CSV file new
or changed since the archive was last updated, so nothing recent is missed; without an
archive, or without pyarrow, it reads the CSVs alone (``history_csv``). Both give the same
series: the archive merges files by the same rule, the later-written file wins.
"""

from __future__ import annotations

from pathlib import Path

from qfdesk.engine.archive_read import load_archived
from qfdesk.engine.asset_names import same_asset
from qfdesk.engine.history_csv import (
    PRICE_COLUMNS,
    LoadedHistory,
    RowProblem,
    label_seconds,
    load_csv_history,
    load_ticks,
)

__all__ = [
    "PRICE_COLUMNS",
    "LoadedHistory",
    "RowProblem",
    "label_seconds",
    "load_csv_history",
    "load_history",
    "load_ticks",
    "same_asset",
]


def load_history(
    path: Path, asset: str | None = None, timeframe: int | None = None
) -> LoadedHistory:
    """Candles under ``path`` (a CSV file or a folder tree), optionally one asset
    (case-insensitive) and/or one timeframe (seconds): from the archive plus newer CSVs when
    an archive covers ``path``, else from the CSVs. Raises FileNotFoundError for a missing
    path; everything wrong inside the files read is reported in ``problems``."""
    archived = load_archived(Path(path), asset, timeframe)
    return archived if archived is not None else load_csv_history(path, asset, timeframe)
