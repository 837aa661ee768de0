"""The payout each asset offered over time, as recorded in the data folder.

Files: ``<root>/data_output/assets_data/realtime_stream/payout_data/*.csv`` with the header
``timestamp,asset,payout,active`` and one row per change of an asset's payout or of its
open/closed state: ``timestamp`` in the platform's time written like the candle files'
(``2025-10-23T01:44:00Z``, optionally with a fraction), ``payout`` in percent, ``active``
1 (tradable) or 0. A change is in force from its timestamp until the next one of the asset.

A row that cannot be read is reported (file and line) and skipped, like the candle loader's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qfdesk.engine.asset_names import same_asset
from qfdesk.engine.csv_sink import PAYOUT_COLUMNS, PAYOUT_FOLDER, payout_dir
from qfdesk.engine.history_loader import RowProblem

__all__ = [
    "PAYOUT_COLUMNS",
    "PAYOUT_FOLDER",
    "PayoutSchedule",
    "describe_payouts",
    "load_payouts",
    "payout_dir",
    "payout_source",
    "payouts_in",
]


@dataclass(frozen=True)
class PayoutSchedule:
    """One asset's payout changes in time order: ``at`` tells what was in force."""

    asset: str
    times: np.ndarray  # float seconds, platform time
    payout: np.ndarray
    active: np.ndarray

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(payout, active) in force at each time; NaN and False before the first record."""
        row = np.searchsorted(self.times, np.asarray(times, dtype=np.float64), side="right") - 1
        known = row >= 0
        payout = np.full(row.shape, np.nan)
        active = np.zeros(row.shape, dtype=bool)
        payout[known] = self.payout[row[known]]
        active[known] = self.active[row[known]]
        return payout, active


def _row(fields: list[str]) -> tuple[float, float, bool] | None:
    if len(fields) != len(PAYOUT_COLUMNS):
        return None
    stamp, _, payout_text, active = (field.strip() for field in fields)
    if not stamp.endswith("Z") or active not in ("0", "1"):
        return None
    try:
        when = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
        payout = float(payout_text)
    except ValueError:
        return None
    if not 0.0 <= payout <= 1000.0:
        return None
    return when, payout, active == "1"


def _read(path: Path, asset: str, problems: list[RowProblem]) -> list[tuple[float, float, bool]]:
    """The asset's rows of one file; what cannot be read is reported with its line."""
    rows: list[tuple[float, float, bool]] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            if tuple(next(reader, ())) != PAYOUT_COLUMNS:
                problems.append(
                    RowProblem(path, 1, f"header is not {','.join(PAYOUT_COLUMNS)}; file skipped")
                )
                return rows
            for line, fields in enumerate(reader, start=2):
                if len(fields) > 1 and not same_asset(fields[1].strip(), asset):
                    continue
                row = _row(fields)
                if row is None:
                    problems.append(RowProblem(path, line, "not a payout row; skipped"))
                else:
                    rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(RowProblem(path, 0, f"cannot read the file: {exc}"))
    return rows


def load_payouts(data_root: Path, asset: str) -> tuple[PayoutSchedule | None, list[RowProblem]]:
    """The asset's recorded payouts under ``data_root``, or None when none are recorded."""
    folder = payout_dir(data_root)
    problems: list[RowProblem] = []
    if not folder.is_dir():
        return None, problems
    rows = [row for path in sorted(folder.rglob("*.csv")) for row in _read(path, asset, problems)]
    if not rows:
        return None, problems
    rows.sort(key=lambda row: row[0])
    times, payouts, active = zip(*rows)
    schedule = PayoutSchedule(
        asset,
        np.array(times, dtype=np.float64),
        np.array(payouts, dtype=np.float64),
        np.array(active, dtype=bool),
    )
    return schedule, problems


def payouts_in(data: Path, asset: str) -> tuple[PayoutSchedule | None, list[RowProblem]]:
    """The asset's recorded payouts when ``data`` is a data folder (a single candle file has
    none): what the backtest and the sweep pay their trades from."""
    if not data.is_dir():
        return None, []
    return load_payouts(data, asset)


def payout_source(schedule: PayoutSchedule | None) -> str:
    """``history`` or ``fixed``: the word the reports use."""
    return "fixed" if schedule is None else "history"


def describe_payouts(schedule: PayoutSchedule | None, asset: str, fixed: float, data: Path) -> str:
    """Which payout the trades were paid, in words a trader reads."""
    if schedule is None:
        return f"payout: {fixed:g}% for every trade (no payout history in {data})"
    return (
        f"payout: the recorded payout history of {asset} ({len(schedule)} changes), "
        f"{fixed:g}% before its first record"
    )
