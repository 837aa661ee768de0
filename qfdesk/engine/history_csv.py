"""Candle and tick history loaded from CSV files: this project's and the old QuantumFlux ones.

Formats, told apart by the header (columns are found by name, so any order works):

- this project's candles ``timestamp,asset,timeframe,open,high,low,close`` and ticks
  ``timestamp,asset,price`` (see ``csv_sink``);
- the old QuantumFlux candles ``timestamp,open,close,high,low`` named
  ``ASSET_1m_YYYY_MM_DD_HH_MM_SS[_partNNN].csv`` (``60m`` means 1h).

Asset and timeframe come from the row's columns when it has them, else from the file name,
else (timeframe) from a folder such as ``1M_candles`` or ``1H_candle_data``, else (asset)
from the file's stem. Filters follow the same rule: a file whose header has an asset (or
timeframe) column is read whatever its name (a trader may have renamed it) and its rows are
taken by that column; only files without the column are passed over by name. Timestamps are
the platform epoch labelled as UTC and are never shifted.

When two files hold the same candle the later-written one wins. "Later-written" is ordered by,
in turn: the UTC time stamped in the file name (the session start in ours, the file time in
the old tool's; a name without one uses the file's mtime), the part number, the mtime, the
path. Time stamps in names survive copying; mtimes don't. Within one file the first line of a
candle is kept: a later line with the same values is dropped quietly, one with other prices
is reported as a conflict.

Bad rows are reported with file and line (1-based, the header is line 1; 0 means the whole
file) and skipped: torn last line (the file does not end with a line break, as after a crash;
reported with filters too when the filter takes its file, as its own fields may be cut short),
too many or missing fields, bad timestamps, non-numeric, non-finite or non-positive prices,
high below low, open or close outside low..high, conflicts (above), and candles that cannot
belong to the timeframe: a start off its grid, or a start closer than one period to the row
before it in the same file (the old tool appended 1m candles to its 60m files and wrote 15s
candles to a 1m file). Gaps stay gaps. A file whose first line is longer than any header
(``history_rows.HEADER_LIMIT``), empty files and files of no known kind are reported at
line 1 and skipped. Reading the files into rows is ``history_rows``' job; this module checks
the rows and builds the series.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from qfdesk.engine.asset_names import same_asset
from qfdesk.engine.csv_sink import format_price
from qfdesk.engine.events import Tick
from qfdesk.engine.history_rows import (
    PRICE_COLUMNS,
    FileInfo,
    Labels,
    RowProblem,
    Rows,
    label_seconds,
    read_rows,
)
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.timeframes import timeframe_label

__all__ = [
    "PRICE_COLUMNS",
    "CheckedCandles",
    "LoadedHistory",
    "RowProblem",
    "build_series",
    "check_candles",
    "label_seconds",
    "load_csv_history",
    "load_ticks",
    "same_asset",
]

_US_PER_S = 1_000_000
_US_PER_MS = 1_000


@dataclass
class LoadedHistory:
    """Candle series by (asset, timeframe seconds), the rows skipped, and the files read."""

    series: dict[tuple[str, int], CandleSeries]
    problems: list[RowProblem]
    files: int


class _Checks:
    """Row validation over whole columns: each check marks rows not yet marked bad, with a
    reason built only for the rows it marks."""

    def __init__(self, size: int) -> None:
        self.reasons = np.full(size, None, dtype=object)
        self.ok = np.ones(size, dtype=bool)

    def check(self, bad: np.ndarray, reason: Callable[[int], str]) -> None:
        rows = np.flatnonzero(bad & self.ok)
        self.ok[rows] = False
        for i in rows:
            self.reasons[i] = reason(int(i))


def _first_checks(checks: _Checks, rows: Rows) -> None:
    """Torn lines, extra fields, missing fields and assets."""
    checks.check(
        rows.torn, lambda i: "torn line: the file ends mid-line (a write cut off by a crash?)"
    )
    checks.check(
        rows.extra,
        lambda i: f"more fields than the header's {rows.header_fields[rows.file_index[i]]}",
    )
    missing = {"timestamp": rows.stamps.empty}
    for name, values in rows.numbers.items():
        text = rows.not_numbers[name]
        missing[name] = np.isnan(values) if text is None else np.isnan(values) & pd.isna(text)
    checks.check(
        np.logical_or.reduce(list(missing.values())),
        lambda i: "missing " + ", ".join(n for n, m in missing.items() if m[i]),
    )
    no_asset = rows.labels["asset"].missing()
    checks.check(no_asset & rows.has_column["asset"], lambda i: "missing asset")
    checks.check(
        no_asset, lambda i: "no asset: the row has no asset column and the file name does not say"
    )


def _check_prices(checks: _Checks, rows: Rows) -> None:
    for name, raw in rows.not_numbers.items():
        if raw is not None:
            checks.check(~pd.isna(raw), lambda i, n=name, raw=raw: f"non-numeric {n} {raw[i]!r}")  # type: ignore[misc]  # mypy cannot type a lambda's bound defaults
    for name, v in rows.numbers.items():
        checks.check(
            ~np.isfinite(v) | (v <= 0),
            lambda i, n=name, v=v: f"{n} must be a positive number, got {format_price(v[i])}",  # type: ignore[misc]
        )


def _matches(assets: Labels, wanted: str | None) -> np.ndarray:
    """Rows whose asset is ``wanted`` (see ``same_asset``) or unknown (reported later)."""
    if wanted is None:
        return np.ones(len(assets), dtype=bool)
    return assets.map(lambda name: same_asset(name, wanted), True, bool)


def _report(problems: list[RowProblem], rows: Rows, checks: _Checks) -> None:
    """Add the rows the checks marked, then order all problems by file and line."""
    for i in np.flatnonzero(~checks.ok):
        path = rows.files[rows.file_index[i]].path
        problems.append(RowProblem(path, int(rows.lines[i]), str(checks.reasons[i])))
    problems.sort(key=lambda problem: (str(problem.file), problem.line))


def _write_ranks(rows: Rows) -> np.ndarray:
    """Each row's file rank in write order (see the module docstring)."""
    order = sorted(range(len(rows.files)), key=lambda k: rows.files[k].order)
    ranks = np.empty(max(len(rows.files), 1), dtype=np.int64)
    ranks[order] = np.arange(len(rows.files))
    return cast(np.ndarray, ranks[rows.file_index])


def _by_name(
    info: FileInfo, header: tuple[str, ...], asset: str | None, timeframe: int | None = None
) -> bool:
    """Whether the file's name allows the wanted asset and timeframe. The name is only a
    fallback: it decides nothing the header has a column for."""
    if (
        asset is not None
        and "asset" not in header
        and info.asset is not None
        and not same_asset(info.asset, asset)
    ):
        return False
    if timeframe is not None and "timeframe" not in header:
        return info.timeframe in (None, timeframe)
    return True


def _files_taken(rows: Rows, keep: np.ndarray) -> int:
    """Files with a row in ``keep`` or with no rows at all (a header alone)."""
    size = len(rows.files)
    return int(
        np.count_nonzero(
            (np.bincount(rows.file_index[keep], minlength=size) > 0)
            | (np.bincount(rows.file_index, minlength=size) == 0)
        )
    )


def _with_torn(
    rows: Rows, keep: np.ndarray, asset: str | None, timeframe: int | None = None
) -> np.ndarray:
    """``keep`` plus the torn lines of the files it takes. A torn line's own fields may be
    cut short (``EURUSD_otc`` as ``EUR``), so it is judged by its file: kept (to be reported)
    when a whole line of the file is kept or the file's name says the wanted asset and
    timeframe."""
    taken = np.array([_by_name(info, (), asset, timeframe) for info in rows.files], dtype=bool)
    taken[rows.file_index[keep & ~rows.torn]] = True
    kept: np.ndarray = keep | (rows.torn & taken[rows.file_index])
    return kept


def _row_timeframes(rows: Rows) -> np.ndarray:
    """Seconds per row from the timeframe column, else the file name or folder; -1 unknown."""
    from_file = rows.per_row(lambda info: info.timeframe or -1, np.int64)
    from_column = rows.labels["timeframe"].map(lambda name: label_seconds(name) or -1, -1, np.int64)
    return np.where(rows.has_column["timeframe"], from_column, from_file)


@dataclass(frozen=True)
class CheckedCandles:
    """The good candle rows of the files read, each candle once per file (its first line),
    ordered by series, start and write order; ``files`` in the order ``file_index`` counts
    them (see ``FileInfo.order`` for the write order), ``files_taken`` as in
    ``LoadedHistory.files``."""

    files: list[FileInfo]
    assets: Labels
    timeframes: np.ndarray
    starts: np.ndarray
    ohlc: np.ndarray
    file_index: np.ndarray
    problems: list[RowProblem]
    files_taken: int


def check_candles(
    path: Path,
    asset: str | None = None,
    timeframe: int | None = None,
    files: list[Path] | None = None,
) -> CheckedCandles:
    """Every check of ``load_csv_history`` on the candle files under ``path`` (or only
    ``files``, found under ``path``), before the files are merged."""
    problems: list[RowProblem] = []

    def wanted(info: FileInfo, header: tuple[str, ...]) -> bool:
        return _by_name(info, header, asset, timeframe)

    names = (("timestamp", "asset", "timeframe"), PRICE_COLUMNS)
    rows = read_rows(path, "candles", wanted, names, problems, asset, files)
    rows.labels["asset"] = rows.assets()
    timeframes = _row_timeframes(rows)
    keep = _matches(rows.labels["asset"], asset)
    if timeframe is not None:
        keep &= (timeframes == timeframe) | (timeframes == -1)
    keep = _with_torn(rows, keep, asset, timeframe)
    taken = _files_taken(rows, keep)
    rows, timeframes = rows.take(keep), timeframes[keep]
    stamps, labels = rows.stamps, rows.labels["timeframe"]

    checks = _Checks(len(rows))
    _first_checks(checks, rows)
    has_tf = rows.has_column["timeframe"]
    checks.check(has_tf & labels.missing(), lambda i: "missing timeframe")
    checks.check(has_tf & (timeframes == -1), lambda i: f"unknown timeframe {labels.text(i)!r}")
    checks.check(
        timeframes == -1,
        lambda i: "no timeframe: neither the row, the file name nor the folder says",
    )
    micros = stamps.micros
    checks.check(
        micros < 0,
        lambda i: f"bad timestamp {stamps.text(i)!r} (expected like 2025-10-23T01:44:00Z)",
    )
    checks.check(
        micros % _US_PER_S != 0,
        lambda i: f"bad timestamp {stamps.text(i)!r}: a candle starts on a whole second",
    )
    starts = micros // _US_PER_S
    _check_prices(checks, rows)
    o, h, lo, c = (rows.numbers[n] for n in PRICE_COLUMNS)
    checks.check(h < lo, lambda i: f"high {format_price(h[i])} is below low {format_price(lo[i])}")
    for name in ("open", "close"):
        v = rows.numbers[name]
        checks.check(
            (v < lo) | (v > h),
            lambda i, n=name, v=v: (  # type: ignore[misc]
                f"{n} {format_price(v[i])} is outside low..high ({format_price(lo[i])}..{format_price(h[i])})"  # type: ignore[arg-type]
            ),
        )
    period = np.maximum(timeframes, 1)
    checks.check(
        starts % period != 0,
        lambda i: (
            f"start {stamps.text(i)} is not on the "
            f"{timeframe_label(int(period[i]))} grid: not a candle of this timeframe"
        ),
    )
    _check_spacing(checks, rows, starts, micros >= 0, period)
    ohlc = np.vstack((o, h, lo, c))
    key = _SeriesKey(rows.labels["asset"], timeframes)
    ordered = _check_repeats(checks, rows, key, starts, ohlc)
    _report(problems, rows, checks)
    return CheckedCandles(
        rows.files,
        rows.labels["asset"].take(ordered),
        timeframes[ordered],
        starts[ordered],
        ohlc[:, ordered],
        rows.file_index[ordered],
        problems,
        taken,
    )


def load_csv_history(
    path: Path, asset: str | None = None, timeframe: int | None = None
) -> LoadedHistory:
    """Load candles from a CSV file or a folder tree (recursively), optionally one asset
    (case-insensitive) and/or one timeframe (seconds). Raises FileNotFoundError for a
    missing path; everything wrong inside the files is reported in ``problems``."""
    checked = check_candles(path, asset, timeframe)
    series = build_series(checked.assets, checked.timeframes, checked.starts, checked.ohlc)
    return LoadedHistory(series=series, problems=checked.problems, files=checked.files_taken)


class _SeriesKey:
    """A small integer per (asset, timeframe) of each row, and back."""

    def __init__(self, assets: Labels, timeframes: np.ndarray) -> None:
        self._assets = assets.names
        timeframe_codes, self._timeframes = pd.factorize(timeframes)
        self._width = max(len(self._timeframes), 1)
        self.ids = assets.codes * self._width + timeframe_codes

    def name(self, series_id: int) -> tuple[str, int]:
        asset, timeframe = divmod(series_id, self._width)
        return str(self._assets[asset]), int(self._timeframes[timeframe])


def _check_repeats(
    checks: _Checks, rows: Rows, key: _SeriesKey, starts: np.ndarray, ohlc: np.ndarray
) -> np.ndarray:
    """The good rows ordered by series, start and write order, with only the first line of
    each candle in a file. A later line of the same file with the same start is left out:
    quietly when it repeats that line's prices, else reported as a conflict."""
    good = _sorted_by(np.flatnonzero(checks.ok), _write_ranks(rows))  # lines stay in order
    good = _sorted_by(good, key.ids, starts)
    ids, starts_in_order, files = key.ids[good], starts[good], rows.file_index[good]
    again = np.zeros(len(good), dtype=bool)
    again[1:] = (
        (ids[1:] == ids[:-1])
        & (starts_in_order[1:] == starts_in_order[:-1])
        & (files[1:] == files[:-1])
    )
    repeats = np.flatnonzero(again)
    if not len(repeats):
        return good
    first = good[np.maximum.accumulate(np.where(again, 0, np.arange(len(good))))]
    differs = np.any(ohlc[:, good[repeats]] != ohlc[:, first[repeats]], axis=0)
    first_of = dict(zip(good[repeats].tolist(), first[repeats].tolist(), strict=True))

    def conflict(i: int) -> str:
        j = first_of[i]
        return (
            f"conflict: the same candle as line {rows.lines[j]} of this file with other prices "
            f"({_ohlc_text(ohlc[:, i])} against {_ohlc_text(ohlc[:, j])}); the first is kept"
        )

    bad = np.zeros(len(rows), dtype=bool)
    bad[good[repeats[differs]]] = True
    checks.check(bad, conflict)
    return good[~again]


def _sorted_by(rows: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """``rows`` in a stable order of ``keys`` (the first the most significant); not sorted
    when they already are in that order, as rows read from files mostly are."""
    values = [key[rows] for key in keys]
    ahead = np.zeros(max(len(rows) - 1, 0), dtype=bool)
    for value in values:
        step = np.sign(value[1:] - value[:-1])
        if np.any(~ahead & (step < 0)):
            return rows[np.lexsort(values[::-1])]
        ahead |= step > 0
    return rows


def _ohlc_text(values: np.ndarray) -> str:
    return " ".join(f"{n} {format_price(v)}" for n, v in zip(PRICE_COLUMNS, values, strict=True))


def _check_spacing(
    checks: _Checks, rows: Rows, starts: np.ndarray, readable: np.ndarray, period: np.ndarray
) -> None:
    """A start closer than one period to the row before it (same file, asset, timeframe)."""
    if len(starts) < 2:
        return
    assets, file_index = rows.labels["asset"].codes, rows.file_index
    follows = np.zeros(len(starts), dtype=bool)
    follows[1:] = (
        (file_index[1:] == file_index[:-1])
        & (assets[1:] == assets[:-1])
        & (period[1:] == period[:-1])
        & readable[1:]
        & readable[:-1]
    )
    gap = np.zeros(len(starts), dtype=np.int64)
    gap[1:] = np.abs(starts[1:] - starts[:-1])
    checks.check(
        follows & (gap > 0) & (gap < period),
        lambda i: (
            f"start is {gap[i]} s from the row on line {rows.lines[i - 1]}, less than one "
            f"{timeframe_label(int(period[i]))} period: not a candle of this timeframe"
        ),
    )


def build_series(
    assets: Labels, timeframes: np.ndarray, starts: np.ndarray, ohlc: np.ndarray
) -> dict[tuple[str, int], CandleSeries]:
    """Rows ordered by series, start and write order (as ``CheckedCandles``) as series, the
    later-written row of each candle kept."""
    series: dict[tuple[str, int], CandleSeries] = {}
    if not len(starts):
        return series
    ids = _SeriesKey(assets, timeframes)
    key_ids = ids.ids
    last = np.ones(len(starts), dtype=bool)
    last[:-1] = (key_ids[1:] != key_ids[:-1]) | (starts[1:] != starts[:-1])
    rows = np.flatnonzero(last)
    kept_ids, kept_starts = key_ids[rows], starts[rows]
    bounds = np.flatnonzero(kept_ids[1:] != kept_ids[:-1]) + 1
    for a, b in itertools.pairwise([0, *bounds.tolist(), len(kept_ids)]):
        name = ids.name(int(kept_ids[a]))
        one = CandleSeries(name[0], name[1], capacity=b - a)
        one.insert_many(kept_starts[a:b], ohlc[:, rows[a:b]])
        series[name] = one
    return series


def load_ticks(path: Path, asset: str | None = None) -> tuple[list[Tick], list[RowProblem]]:
    """Load ticks from a tick CSV or a folder tree, in time order (ties keep write order).

    Times are kept to the millisecond. The same tick (asset, time, price) found in several
    files is kept once; candle files in the tree are skipped.
    """
    problems: list[RowProblem] = []
    rows = read_rows(
        path,
        "ticks",
        lambda info, header: _by_name(info, header, asset),
        (("timestamp", "asset"), ("price",)),
        problems,
        asset,
    )
    rows.labels["asset"] = rows.assets()
    rows = rows.take(_with_torn(rows, _matches(rows.labels["asset"], asset), asset))
    stamps, assets = rows.stamps, rows.labels["asset"]
    checks = _Checks(len(rows))
    _first_checks(checks, rows)
    micros = stamps.micros
    checks.check(
        micros < 0,
        lambda i: f"bad timestamp {stamps.text(i)!r} (expected like 2025-09-03T02:32:54.962Z)",
    )
    _check_prices(checks, rows)
    prices = rows.numbers["price"]
    _report(problems, rows, checks)

    good = checks.ok
    millis = (micros[good] + _US_PER_MS // 2) // _US_PER_MS
    order = np.lexsort((rows.lines[good], _write_ranks(rows)[good], millis))
    frame = pd.DataFrame(
        {
            "asset": assets.names[assets.codes[good][order]],
            "ms": millis[order],
            "price": prices[good][order],
        }
    )
    frame = frame[~frame.duplicated(["asset", "ms", "price"])]
    times = (frame["ms"].to_numpy(dtype=np.int64) / 1000.0).tolist()
    names, prices_out = frame["asset"].tolist(), frame["price"].tolist()
    ticks = [Tick(a, t, p) for a, t, p in zip(names, times, prices_out, strict=True)]
    return ticks, problems
