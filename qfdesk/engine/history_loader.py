"""Candle and tick history loaded from CSV files: this project's and the old QuantumFlux ones.

Formats, told apart by the header (columns are found by name, so any order works):

- this project's candles ``timestamp,asset,timeframe,open,high,low,close`` and ticks
  ``timestamp,asset,price`` (see ``csv_sink``);
- the old QuantumFlux candles ``timestamp,open,close,high,low`` named
  ``ASSET_1m_YYYY_MM_DD_HH_MM_SS[_partNNN].csv`` (``60m`` means 1h).

Asset and timeframe come from the row's columns when it has them, else from the file name,
else (timeframe) from a folder such as ``1M_candles`` or ``1H_candle_data``, else (asset)
from the file's stem. Timestamps are the platform epoch labelled as UTC and are never shifted.

When two files hold the same candle the later-written one wins. "Later-written" is ordered by,
in turn: the UTC time stamped in the file name (the session start in ours, the file time in
the old tool's; a name without one uses the file's mtime), the part number, the mtime, the
path. Within one file a later line wins. Time stamps in names survive copying; mtimes don't.

Bad rows are reported with file and line (1-based, the header is line 1; 0 means the whole
file) and skipped: torn last line (the file does not end with a line break, as after a crash),
too many or missing fields, bad timestamps, non-numeric, non-finite or non-positive prices,
high below low, open or close outside low..high, and candles that cannot belong to the
timeframe: a start off its grid, or a start closer than one period to the row before it in the
same file (the old tool appended 1m candles to its 60m files and wrote 15s candles to a 1m
file). Gaps stay gaps.
"""

from __future__ import annotations

import calendar
import csv
import io
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qfdesk.engine.csv_sink import SESSION_STAMP_FORMAT, TICKS_LABEL, safe_asset_name
from qfdesk.engine.events import Tick
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.timeframes import timeframe_label

PRICE_COLUMNS = ("open", "high", "low", "close")

_OURS_NAME = re.compile(
    r"(?P<asset>.+)_(?P<label>\d+[smh]|ticks)_(?P<session>[a-z0-9.-]+)_part(?P<part>\d+)\.csv",
    re.IGNORECASE,
)
_OLD_NAME = re.compile(
    r"(?P<asset>.+)_(?P<label>\d+[smh])_(?P<stamp>\d{4}(?:_\d{2}){5})(?:_part(?P<part>\d+))?\.csv",
    re.IGNORECASE,
)
_OUR_STAMP = re.compile(r"\d{8}T\d{6}Z")
_FOLDER = re.compile(r"(\d+)([smh])_candle(?:s|_data)", re.IGNORECASE)
_LABEL = re.compile(r"(\d+)([smh])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z"
_US_PER_S = 1_000_000
_US_PER_MS = 1_000


@dataclass(frozen=True)
class RowProblem:
    """A row (or, with line 0, a whole file) that was skipped, and why."""

    file: Path
    line: int
    reason: str


@dataclass
class LoadedHistory:
    """Candle series by (asset, timeframe seconds), the rows skipped, and the files read."""

    series: dict[tuple[str, int], CandleSeries]
    problems: list[RowProblem]
    files: int


@dataclass(frozen=True)
class _FileInfo:
    path: Path
    asset: str | None
    label: str | None
    written_at: float
    part: int
    mtime: float

    @property
    def timeframe(self) -> int | None:
        return None if self.label is None else label_seconds(self.label)

    @property
    def order(self) -> tuple[float, int, float, str]:
        return (self.written_at, self.part, self.mtime, str(self.path))


@dataclass
class _Rows:
    """Every data line of the files read, stacked: one row per physical line after the
    header, so a row's line number is exact. Columns hold strings, NaN where empty."""

    files: list[_FileInfo]
    header_fields: np.ndarray
    columns: dict[str, np.ndarray]
    has_column: dict[str, np.ndarray]
    file_index: np.ndarray
    lines: np.ndarray
    torn: np.ndarray
    extra: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> _Rows:
        return _Rows(
            self.files,
            self.header_fields,
            {name: values[keep] for name, values in self.columns.items()},
            {name: values[keep] for name, values in self.has_column.items()},
            self.file_index[keep],
            self.lines[keep],
            self.torn[keep],
            self.extra[keep],
        )

    def per_row(self, value: Callable[[_FileInfo], object], dtype: type) -> np.ndarray:
        if not self.files:
            return np.empty(0, dtype=dtype)
        return np.array([value(info) for info in self.files], dtype=dtype)[self.file_index]

    def assets(self) -> np.ndarray:
        """The asset column where the file has one, else the asset from the file name."""
        from_name = self.per_row(lambda info: info.asset, object)
        return np.where(self.has_column["asset"], self.columns["asset"], from_name)


def label_seconds(label: str) -> int | None:
    """``"1m"`` -> 60, ``"60m"`` -> 3600, ``"1H"`` -> 3600; None if it is not a period."""
    match = _LABEL.fullmatch(label.strip())
    if not match or int(match[1]) == 0:
        return None
    return int(match[1]) * _UNIT_SECONDS[match[2].lower()]


def _stamp_seconds(text: str, fmt: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(text, fmt)))
    except ValueError:
        return None


def _file_info(path: Path, root: Path) -> _FileInfo:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    asset: str | None = None
    label: str | None = None
    written_at: float | None = None
    part = 0
    if match := _OLD_NAME.fullmatch(path.name):
        asset, label = match["asset"], match["label"]
        written_at = _stamp_seconds(match["stamp"], "%Y_%m_%d_%H_%M_%S")
        part = int(match["part"] or 0)
    elif match := _OURS_NAME.fullmatch(path.name):
        asset, label, part = match["asset"], match["label"], int(match["part"])
        if stamp := _OUR_STAMP.match(match["session"]):
            written_at = _stamp_seconds(stamp[0], SESSION_STAMP_FORMAT)
    else:
        asset = path.stem
    if label is None or (label.lower() != TICKS_LABEL and label_seconds(label) is None):
        label = _folder_label(path, root)
    return _FileInfo(path, asset, label, mtime if written_at is None else written_at, part, mtime)


def _folder_label(path: Path, root: Path) -> str | None:
    for folder in path.parents:
        if match := _FOLDER.fullmatch(folder.name):
            return f"{match[1]}{match[2].lower()}"
        if folder == root:
            break
    return None


def _csv_files(path: Path) -> tuple[list[Path], Path]:
    if path.is_file():
        return [path], path.parent
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".csv" and p.is_file())
        return files, path
    raise FileNotFoundError(
        f"no such file or folder: {path}; give a CSV file or a folder that holds CSV files"
    )


def _field_width(data: bytes) -> int:
    """The most fields any line has (counting commas), so the parser never drops a line."""
    buf = np.frombuffer(data, dtype=np.uint8)
    commas = np.flatnonzero(buf == ord(","))
    if not commas.size:
        return 1
    line_of_comma = np.searchsorted(np.flatnonzero(buf == ord("\n")), commas)
    return int(np.bincount(line_of_comma).max()) + 1


def _parse_lines(data: bytes) -> np.ndarray:
    """CSV text -> 2-D object array, one row per line (blank lines kept, no quoting)."""
    width = _field_width(data)
    frame = pd.read_csv(
        io.BytesIO(data),
        header=None,
        names=range(width),
        dtype=str,
        skip_blank_lines=False,
        quoting=csv.QUOTE_NONE,
        encoding_errors="replace",
    )
    return frame.to_numpy(dtype=object, na_value=np.nan)


@dataclass(frozen=True)
class _Chunk:
    """A file's bytes, line ends normalised to \\n, and whether it was cut mid-line (then a
    line end is added so the torn line stays a line of its own)."""

    info: _FileInfo
    data: bytes
    torn: bool


def _read_chunks(infos: list[_FileInfo], problems: list[RowProblem]) -> list[_Chunk]:
    chunks = []
    for info in infos:
        try:
            data = info.path.read_bytes()
        except OSError as error:
            reason = f"cannot read the file: {error.strerror or error}"
            problems.append(RowProblem(info.path, 0, reason))
            continue
        if not data.strip():
            problems.append(RowProblem(info.path, 1, "empty file: no header, no rows"))
            continue
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        torn = not data.endswith(b"\n")
        chunks.append(_Chunk(info, data + b"\n" if torn else data, torn))
    return chunks


def _parse_all(chunks: list[_Chunk], problems: list[RowProblem]) -> list[tuple[_Chunk, np.ndarray]]:
    """Parse all files in one pandas call (the per-call overhead dominates small files),
    then split the rows back by each file's line count; file by file if that fails."""
    if not chunks:
        return []
    counts = [chunk.data.count(b"\n") for chunk in chunks]
    try:
        table = _parse_lines(b"".join(chunk.data for chunk in chunks))
    except ValueError:
        table = None
    if table is not None and len(table) == sum(counts):
        bounds = itertools.pairwise(np.cumsum([0, *counts]))
        return [(chunk, table[a:b]) for chunk, (a, b) in zip(chunks, bounds, strict=True)]
    parsed = []
    for chunk in chunks:
        try:
            parsed.append((chunk, _parse_lines(chunk.data)))
        except ValueError as error:
            reason = f"cannot parse the file as CSV: {error}"
            problems.append(RowProblem(chunk.info.path, 0, reason))
    return parsed


def _header_names(cells: np.ndarray) -> list[str]:
    names = ["" if pd.isna(cell) else str(cell).strip().lstrip("\ufeff").lower() for cell in cells]
    while len(names) > 1 and not names[-1]:
        names.pop()
    return names


def _kind(names: list[str]) -> str | None:
    if {"timestamp", *PRICE_COLUMNS} <= set(names):
        return "candles"
    if {"timestamp", "price"} <= set(names):
        return "ticks"
    return None


def _read_rows(
    path: Path,
    kind: str,
    wanted: Callable[[_FileInfo], bool],
    names: tuple[str, ...],
    problems: list[RowProblem],
) -> _Rows:
    """The rows of every ``kind`` file under ``path`` that ``wanted`` accepts; files of the
    other kind are skipped without a word, files of no known kind are reported."""
    files, root = _csv_files(Path(path))
    infos = [info for info in (_file_info(file, root) for file in files) if wanted(info)]
    kept: list[_FileInfo] = []
    tables: list[np.ndarray] = []
    cut: list[bool] = []
    header_fields: list[int] = []
    column_maps: list[dict[str, int]] = []
    for chunk, table in _parse_all(_read_chunks(infos, problems), problems):
        info = chunk.info
        header = _header_names(table[0])
        found = _kind(header)
        if found is None:
            problems.append(
                RowProblem(
                    info.path,
                    1,
                    f"not a candle or tick CSV: header {','.join(header)!r}; expected "
                    "timestamp,asset,timeframe,open,high,low,close or timestamp,open,close,"
                    "high,low or timestamp,asset,price",
                )
            )
            continue
        if found != kind:
            continue
        kept.append(info)
        tables.append(table[1:])
        cut.append(chunk.torn)
        header_fields.append(len(header))
        column_maps.append({name: header.index(name) for name in names if name in header})
    return _stack(kept, tables, cut, header_fields, column_maps, names)


def _stack(
    files: list[_FileInfo],
    tables: list[np.ndarray],
    cut: list[bool],
    header_fields: list[int],
    column_maps: list[dict[str, int]],
    names: tuple[str, ...],
) -> _Rows:
    """One array per column over all files' data lines; blank lines dropped."""
    width = max((t.shape[1] for t in tables), default=1)
    body = np.full((sum(len(t) for t in tables), width), np.nan, dtype=object)
    file_index = np.empty(len(body), dtype=np.int64)
    lines = np.empty(len(body), dtype=np.int64)
    torn_rows = np.zeros(len(body), dtype=bool)
    row = 0
    for k, table in enumerate(tables):
        n = len(table)
        body[row : row + n, : table.shape[1]] = table
        file_index[row : row + n] = k
        lines[row : row + n] = np.arange(2, n + 2)
        if cut[k] and n:
            torn_rows[row + n - 1] = True
        row += n
    filled = ~pd.isna(body)
    fields = np.asarray(header_fields, dtype=np.int64)
    extra = (filled & (np.arange(width) >= fields[file_index][:, None])).any(axis=1)
    columns: dict[str, np.ndarray] = {}
    has_column: dict[str, np.ndarray] = {}
    for name in names:
        per_file = np.array([m.get(name, -1) for m in column_maps] or [-1], dtype=np.int64)
        index = per_file[file_index]
        values = body[np.arange(len(body)), np.maximum(index, 0)]
        values[index < 0] = np.nan
        columns[name] = values
        has_column[name] = index >= 0
    rows = _Rows(
        files,
        fields,
        columns,
        has_column,
        file_index,
        lines,
        torn_rows,
        extra,
    )
    return rows.take(filled.any(axis=1) | torn_rows)


class _Checks:
    """Row validation over whole columns: each check marks rows not yet marked bad, with a
    reason built only for the rows it marks."""

    def __init__(self, size: int) -> None:
        self.reasons = np.full(size, None, dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return np.equal(self.reasons, None)

    def check(self, bad: np.ndarray, reason: Callable[[int], str]) -> None:
        rows = np.flatnonzero(bad & self.ok)
        for i in rows:
            self.reasons[i] = reason(int(i))


def _floats(values: np.ndarray) -> np.ndarray:
    """Strings -> float64, correctly rounded (Python's float); non-numbers become NaN."""
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return np.array([_float_or_nan(v) for v in values], dtype=np.float64)


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _timestamps_us(values: np.ndarray) -> np.ndarray:
    """ISO strings ending in Z -> int64 microseconds since the epoch; -1 where unreadable."""
    text = pd.Series(values, dtype=object)
    well_formed = text.str.fullmatch(_TIMESTAMP).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(text.where(well_formed), format="ISO8601", utc=True, errors="coerce")
    stamps = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    micros = stamps.view(np.int64).copy()
    micros[np.isnat(stamps)] = -1
    return micros


def _first_checks(checks: _Checks, rows: _Rows, required: tuple[str, ...]) -> None:
    checks.check(
        rows.torn, lambda i: "torn line: the file ends mid-line (a write cut off by a crash?)"
    )
    checks.check(
        rows.extra,
        lambda i: f"more fields than the header's {rows.header_fields[rows.file_index[i]]}",
    )
    missing = {name: pd.isna(rows.columns[name]) for name in required}
    checks.check(
        np.logical_or.reduce(list(missing.values())),
        lambda i: "missing " + ", ".join(n for n in required if missing[n][i]),
    )
    no_asset = pd.isna(rows.columns["asset"])
    has_asset = rows.has_column["asset"]
    checks.check(no_asset & has_asset, lambda i: "missing asset")
    checks.check(
        no_asset, lambda i: "no asset: the row has no asset column and the file name does not say"
    )


def _prices(checks: _Checks, rows: _Rows, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    text = rows.columns
    values = {name: _floats(text[name]) for name in names}
    for name in names:
        checks.check(np.isnan(values[name]), lambda i, n=name: f"non-numeric {n} {text[n][i]!r}")
    for name in names:
        v = values[name]
        checks.check(
            ~np.isfinite(v) | (v <= 0),
            lambda i, n=name: f"{n} must be a positive number, got {text[n][i]!r}",
        )
    return values


def _matches(values: np.ndarray, wanted: str | None) -> np.ndarray:
    """Rows whose asset is ``wanted`` (case-insensitive) or unknown (reported later)."""
    if wanted is None:
        return np.ones(len(values), dtype=bool)
    folded = wanted.casefold()
    return np.array([not isinstance(v, str) or v.casefold() == folded for v in values], dtype=bool)


def _report(problems: list[RowProblem], rows: _Rows, checks: _Checks) -> None:
    for i in np.flatnonzero(~checks.ok):
        path = rows.files[rows.file_index[i]].path
        problems.append(RowProblem(path, int(rows.lines[i]), str(checks.reasons[i])))


def _write_ranks(rows: _Rows) -> np.ndarray:
    """Each row's file rank in write order (see the module docstring)."""
    order = sorted(range(len(rows.files)), key=lambda k: rows.files[k].order)
    ranks = np.empty(max(len(rows.files), 1), dtype=np.int64)
    ranks[order] = np.arange(len(rows.files))
    return ranks[rows.file_index]


def _asset_wanted(info: _FileInfo, asset: str | None) -> bool:
    if asset is None or info.asset is None:
        return True
    return safe_asset_name(info.asset).casefold() == safe_asset_name(asset).casefold()


def _row_timeframes(rows: _Rows) -> np.ndarray:
    """Seconds per row from the timeframe column, else the file name or folder; -1 unknown."""
    from_file = rows.per_row(lambda info: info.timeframe or -1, np.int64)
    text = rows.columns["timeframe"]
    has = rows.has_column["timeframe"]
    seconds = {
        label: label_seconds(label) or -1
        for label in pd.unique(text[has])
        if isinstance(label, str)
    }
    from_column = np.array([seconds.get(v, -1) for v in text], dtype=np.int64)
    return np.where(has, from_column, from_file)


def load_history(
    path: Path, asset: str | None = None, timeframe: int | None = None
) -> LoadedHistory:
    """Load candles from a CSV file or a folder tree (recursively), optionally one asset
    (case-insensitive) and/or one timeframe (seconds). Raises FileNotFoundError for a
    missing path; everything wrong inside the files is reported in ``problems``."""
    problems: list[RowProblem] = []

    def wanted(info: _FileInfo) -> bool:
        if info.label is not None and info.label.lower() == TICKS_LABEL:
            return False
        if timeframe is not None and info.timeframe not in (None, timeframe):
            return False
        return _asset_wanted(info, asset)

    names = ("timestamp", "asset", "timeframe", *PRICE_COLUMNS)
    rows = _read_rows(path, "candles", wanted, names, problems)
    rows.columns["asset"] = rows.assets()
    timeframes = _row_timeframes(rows)
    keep = _matches(rows.columns["asset"], asset)
    if timeframe is not None:
        keep &= (timeframes == timeframe) | (timeframes == -1)
    rows, timeframes = rows.take(keep), timeframes[keep]
    text = rows.columns

    checks = _Checks(len(rows))
    _first_checks(checks, rows, ("timestamp", *PRICE_COLUMNS))
    has_tf = rows.has_column["timeframe"]
    checks.check(has_tf & pd.isna(text["timeframe"]), lambda i: "missing timeframe")
    checks.check(
        has_tf & (timeframes == -1), lambda i: f"unknown timeframe {text['timeframe'][i]!r}"
    )
    checks.check(
        timeframes == -1,
        lambda i: "no timeframe: neither the row, the file name nor the folder says",
    )
    micros = _timestamps_us(text["timestamp"])
    checks.check(
        micros < 0,
        lambda i: f"bad timestamp {text['timestamp'][i]!r} (expected like 2025-10-23T01:44:00Z)",
    )
    checks.check(
        micros % _US_PER_S != 0,
        lambda i: f"bad timestamp {text['timestamp'][i]!r}: a candle starts on a whole second",
    )
    starts = micros // _US_PER_S
    prices = _prices(checks, rows, PRICE_COLUMNS)
    o, h, lo, c = (prices[n] for n in PRICE_COLUMNS)
    checks.check(h < lo, lambda i: f"high {text['high'][i]} is below low {text['low'][i]}")
    for name, v in (("open", o), ("close", c)):
        checks.check(
            (v < lo) | (v > h),
            lambda i, n=name: (
                f"{n} {text[n][i]} is outside low..high ({text['low'][i]}..{text['high'][i]})"
            ),
        )
    period = np.maximum(timeframes, 1)
    checks.check(
        starts % period != 0,
        lambda i: (
            f"start {text['timestamp'][i]} is not on the "
            f"{timeframe_label(int(period[i]))} grid: not a candle of this timeframe"
        ),
    )
    _check_spacing(checks, rows, starts, micros >= 0, period)
    _report(problems, rows, checks)

    good = checks.ok
    series = _build_series(
        text["asset"][good],
        timeframes[good],
        starts[good],
        _write_ranks(rows)[good],
        rows.lines[good],
        (o[good], h[good], lo[good], c[good]),
    )
    return LoadedHistory(series=series, problems=problems, files=len(rows.files))


def _check_spacing(
    checks: _Checks, rows: _Rows, starts: np.ndarray, readable: np.ndarray, period: np.ndarray
) -> None:
    """A start closer than one period to the row before it (same file, asset, timeframe)."""
    if len(starts) < 2:
        return
    assets, file_index = rows.columns["asset"], rows.file_index
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


def _build_series(
    assets: np.ndarray,
    timeframes: np.ndarray,
    starts: np.ndarray,
    ranks: np.ndarray,
    lines: np.ndarray,
    ohlc: tuple[np.ndarray, ...],
) -> dict[tuple[str, int], CandleSeries]:
    """Sort by (asset, timeframe, start), keep the later-written row of each candle."""
    series: dict[tuple[str, int], CandleSeries] = {}
    if not len(starts):
        return series
    codes, names = pd.factorize(assets)
    order = np.lexsort((lines, ranks, starts, timeframes, codes))
    codes, timeframes, starts = codes[order], timeframes[order], starts[order]
    o, h, lo, c = (column[order] for column in ohlc)
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (
        (codes[1:] != codes[:-1])
        | (timeframes[1:] != timeframes[:-1])
        | (starts[1:] != starts[:-1])
    )
    codes, timeframes, starts = codes[last], timeframes[last], starts[last]
    o, h, lo, c = o[last], h[last], lo[last], c[last]
    bounds = np.flatnonzero((codes[1:] != codes[:-1]) | (timeframes[1:] != timeframes[:-1])) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(codes)], strict=True):
        key = (str(names[codes[a]]), int(timeframes[a]))
        one = CandleSeries(key[0], key[1], capacity=b - a)
        append = one.append
        for row in zip(
            starts[a:b].tolist(),
            o[a:b].tolist(),
            h[a:b].tolist(),
            lo[a:b].tolist(),
            c[a:b].tolist(),
            strict=True,
        ):
            append(*row)
        series[key] = one
    return series


def load_ticks(path: Path, asset: str | None = None) -> tuple[list[Tick], list[RowProblem]]:
    """Load ticks from a tick CSV or a folder tree, in time order (ties keep write order).

    Times are kept to the millisecond. The same tick (asset, time, price) found in several
    files is kept once; candle files in the tree are skipped.
    """
    problems: list[RowProblem] = []
    rows = _read_rows(
        path,
        "ticks",
        lambda info: _asset_wanted(info, asset),
        ("timestamp", "asset", "price"),
        problems,
    )
    rows.columns["asset"] = rows.assets()
    rows = rows.take(_matches(rows.columns["asset"], asset))
    text = rows.columns
    checks = _Checks(len(rows))
    _first_checks(checks, rows, ("timestamp", "price"))
    micros = _timestamps_us(text["timestamp"])
    checks.check(
        micros < 0,
        lambda i: (
            f"bad timestamp {text['timestamp'][i]!r} (expected like 2025-09-03T02:32:54.962Z)"
        ),
    )
    prices = _prices(checks, rows, ("price",))["price"]
    _report(problems, rows, checks)

    good = checks.ok
    millis = (micros[good] + _US_PER_MS // 2) // _US_PER_MS
    order = np.lexsort((rows.lines[good], _write_ranks(rows)[good], millis))
    frame = pd.DataFrame(
        {"asset": text["asset"][good][order], "ms": millis[order], "price": prices[good][order]}
    )
    frame = frame[~frame.duplicated(["asset", "ms", "price"])]
    times = (frame["ms"].to_numpy(dtype=np.int64) / 1000.0).tolist()
    assets, prices_out = frame["asset"].tolist(), frame["price"].tolist()
    ticks = [Tick(a, t, p) for a, t, p in zip(assets, times, prices_out, strict=True)]
    return ticks, problems
