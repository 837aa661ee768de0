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
from typing import cast

import numpy as np
import pandas as pd

from qfdesk.engine.csv_sink import (
    SESSION_STAMP_FORMAT,
    TICKS_LABEL,
    format_price,
    safe_asset_name,
)
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
    header, so a row's line number is exact. ``text`` columns hold strings (NaN where empty);
    ``numbers`` columns hold floats (NaN where empty or not a number) and ``not_numbers`` the
    text of the cells that are not numbers (NaN elsewhere)."""

    files: list[_FileInfo]
    header_fields: np.ndarray
    text: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    not_numbers: dict[str, np.ndarray]
    has_column: dict[str, np.ndarray]
    file_index: np.ndarray
    lines: np.ndarray
    torn: np.ndarray
    extra: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> _Rows:
        def pick(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[keep] for name, values in columns.items()}

        return _Rows(
            self.files,
            self.header_fields,
            pick(self.text),
            pick(self.numbers),
            pick(self.not_numbers),
            pick(self.has_column),
            self.file_index[keep],
            self.lines[keep],
            self.torn[keep],
            self.extra[keep],
        )

    def per_row(self, value: Callable[[_FileInfo], object], dtype: type) -> np.ndarray:
        if not self.files:
            return np.empty(0, dtype=dtype)
        return cast(
            np.ndarray, np.array([value(info) for info in self.files], dtype=dtype)[self.file_index]
        )

    def assets(self) -> np.ndarray:
        """The asset column where the file has one, else the asset from the file name."""
        from_name = self.per_row(lambda info: info.asset, object)
        return np.where(self.has_column["asset"], self.text["asset"], from_name)


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


@dataclass(frozen=True)
class _Chunk:
    """A file split into its header names and the bytes of its data lines, line ends
    normalised to \\n. ``torn``: the file was cut mid-line; a line end is added so the torn
    line stays a line of its own."""

    info: _FileInfo
    header: tuple[str, ...]
    body: bytes
    torn: bool

    @property
    def lines(self) -> int:
        return self.body.count(b"\n")


def _read_chunk(info: _FileInfo, problems: list[RowProblem]) -> _Chunk | None:
    try:
        data = info.path.read_bytes()
    except OSError as error:
        problems.append(
            RowProblem(info.path, 0, f"cannot read the file: {error.strerror or error}")
        )
        return None
    if not data.strip():
        problems.append(RowProblem(info.path, 1, "empty file: no header, no rows"))
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    torn = not data.endswith(b"\n")
    first, _, body = (data + b"\n" if torn else data).partition(b"\n")
    cells = next(csv.reader([first.decode("utf-8", "replace")]), [])
    header = [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]
    while header and not header[-1]:
        header.pop()
    return _Chunk(info, tuple(header), body, torn and bool(body))


def _kind(header: tuple[str, ...]) -> str | None:
    if {"timestamp", *PRICE_COLUMNS} <= set(header):
        return "candles"
    if {"timestamp", "price"} <= set(header):
        return "ticks"
    return None


def _read_rows(
    path: Path,
    kind: str,
    wanted: Callable[[_FileInfo], bool],
    names: tuple[tuple[str, ...], tuple[str, ...]],
    problems: list[RowProblem],
) -> _Rows:
    """The rows of every ``kind`` file under ``path`` that ``wanted`` accepts, with the
    ``names`` = (text columns, number columns). Files of the other kind are skipped without a
    word, files of no known kind are reported."""
    files, root = _csv_files(Path(path))
    groups: dict[tuple[str, ...], list[_Chunk]] = {}
    for file in files:
        info = _file_info(file, root)
        chunk = _read_chunk(info, problems) if wanted(info) else None
        if chunk is None:
            continue
        found = _kind(chunk.header)
        if found is None:
            problems.append(
                RowProblem(
                    info.path,
                    1,
                    f"not a candle or tick CSV: header {','.join(chunk.header)!r}; expected "
                    "timestamp,asset,timeframe,open,high,low,close or timestamp,open,close,"
                    "high,low or timestamp,asset,price",
                )
            )
        elif found == kind:
            groups.setdefault(chunk.header, []).append(chunk)
    parts = []
    for header, chunks in groups.items():
        parts += _parse_group(header, chunks, names, problems)
    return _concat(parts, names)


def _parse_body(body: bytes, header: tuple[str, ...], numbers: tuple[str, ...]) -> pd.DataFrame:
    """Data lines -> one frame row per line (blank lines kept, no quoting). Columns are the
    field positions; the ``numbers`` columns are parsed as floats where they all are.

    Most files have no line with more fields than the header, so the header's width is tried
    first: pandas raises on a longer line, except on the first line, which it would silently
    cut, so that one is checked here. Only then are the fields of every line counted."""
    if not body:
        return pd.DataFrame({i: pd.Series(dtype=object) for i in range(len(header))})
    if body[: body.find(b"\n")].count(b",") < len(header):
        try:
            return _read_csv(body, len(header), header, numbers)
        except pd.errors.ParserError:
            pass
    return _read_csv(body, max(_field_width(body), len(header)), header, numbers)


def _read_csv(
    body: bytes, width: int, header: tuple[str, ...], numbers: tuple[str, ...]
) -> pd.DataFrame:
    number_positions = {header.index(name) for name in numbers if name in header}
    return pd.read_csv(
        io.BytesIO(body),
        header=None,
        names=range(width),
        index_col=False,
        dtype={i: str for i in range(width) if i not in number_positions},
        skip_blank_lines=False,
        quoting=csv.QUOTE_NONE,
        encoding_errors="replace",
        low_memory=False,
    )


def _parse_group(
    header: tuple[str, ...],
    chunks: list[_Chunk],
    names: tuple[tuple[str, ...], tuple[str, ...]],
    problems: list[RowProblem],
) -> list[_Rows]:
    """Parse all files sharing one header in one pandas call (the per-call overhead dominates
    small files), then split the rows back by each file's line count; file by file if that
    fails."""
    counts = [chunk.lines for chunk in chunks]
    try:
        frame = _parse_body(b"".join(chunk.body for chunk in chunks), header, names[1])
    except ValueError:
        frame = None
    if frame is not None and len(frame) == sum(counts):
        return [_frame_rows(header, chunks, counts, frame, names)]
    parts = []
    for chunk in chunks:
        try:
            frame = _parse_body(chunk.body, header, names[1])
        except ValueError as error:
            reason = f"cannot parse the file as CSV: {error}"
            problems.append(RowProblem(chunk.info.path, 0, reason))
            continue
        parts.append(_frame_rows(header, [chunk], [len(frame)], frame, names))
    return parts


def _frame_rows(
    header: tuple[str, ...],
    chunks: list[_Chunk],
    counts: list[int],
    frame: pd.DataFrame,
    names: tuple[tuple[str, ...], tuple[str, ...]],
) -> _Rows:
    n = len(frame)
    file_index = np.repeat(np.arange(len(chunks)), counts)
    starts = np.cumsum([0, *counts])[:-1]
    lines = np.arange(n, dtype=np.int64) - np.repeat(starts, counts) + 2
    torn = np.zeros(n, dtype=bool)
    ends = np.cumsum(counts) - 1
    torn[ends[[chunk.torn for chunk in chunks]]] = True
    filled = frame.notna().to_numpy()
    extra = cast(np.ndarray, filled[:, len(header) :].any(axis=1))
    text, numbers, not_numbers, has_column = {}, {}, {}, {}
    for name in names[0]:
        has_column[name] = np.full(n, name in header)
        if name in header:
            text[name] = frame[header.index(name)].to_numpy(dtype=object, na_value=np.nan)
        else:
            text[name] = np.full(n, np.nan, dtype=object)
    for name in names[1]:
        numbers[name], not_numbers[name] = _numbers(frame[header.index(name)])
    rows = _Rows(
        [chunk.info for chunk in chunks],
        np.full(len(chunks), len(header), dtype=np.int64),
        text,
        numbers,
        not_numbers,
        has_column,
        file_index,
        lines,
        torn,
        extra,
    )
    return rows.take(filled.any(axis=1) | torn)


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column -> (floats, the text of cells that are not numbers). Text is converted by
    Python's float, which is correctly rounded, as is pandas' own float parser."""
    if column.dtype.kind == "f":
        values = column.to_numpy(dtype=np.float64)
        return values, np.full(len(values), np.nan, dtype=object)
    text = column.to_numpy(dtype=object, na_value=np.nan)
    try:
        values = text.astype(np.float64)
    except (TypeError, ValueError):
        values = np.array([_float_or_nan(v) for v in text], dtype=np.float64)
    not_numbers = np.where(np.isnan(values) & ~pd.isna(text), text, np.nan)
    return values, not_numbers


def _concat(parts: list[_Rows], names: tuple[tuple[str, ...], tuple[str, ...]]) -> _Rows:
    if not parts:
        parts = [
            _Rows(
                [],
                np.empty(0, dtype=np.int64),
                {name: np.empty(0, dtype=object) for name in names[0]},
                {name: np.empty(0, dtype=np.float64) for name in names[1]},
                {name: np.empty(0, dtype=object) for name in names[1]},
                {name: np.empty(0, dtype=bool) for name in names[0]},
                np.empty(0, dtype=np.int64),
                np.empty(0, dtype=np.int64),
                np.empty(0, dtype=bool),
                np.empty(0, dtype=bool),
            )
        ]
    offsets = np.cumsum([0, *(len(part.files) for part in parts)])[:-1]

    def join(field: str) -> dict[str, np.ndarray]:
        columns = [getattr(part, field) for part in parts]
        return {name: np.concatenate([c[name] for c in columns]) for name in columns[0]}

    return _Rows(
        [info for part in parts for info in part.files],
        np.concatenate([part.header_fields for part in parts]),
        join("text"),
        join("numbers"),
        join("not_numbers"),
        join("has_column"),
        np.concatenate([part.file_index + off for part, off in zip(parts, offsets, strict=True)]),
        np.concatenate([part.lines for part in parts]),
        np.concatenate([part.torn for part in parts]),
        np.concatenate([part.extra for part in parts]),
    )


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


def _per_unique(
    values: np.ndarray, fn: Callable[[object], object], missing: object, dtype: type
) -> np.ndarray:
    """``fn`` applied once per distinct value (NaN gets ``missing``), spread over the rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped: np.ndarray = np.array([*(fn(u) for u in uniques), missing], dtype=dtype)
    return mapped[codes]


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _timestamps_us(values: np.ndarray) -> np.ndarray:
    """``2025-10-23T01:44:00Z`` (or a space for the T, and up to 6 fraction digits) -> int64
    microseconds since the epoch, read as UTC; -1 where it is not such a string. Only the
    ``Z`` form is taken: an offset would shift the platform's time."""
    text = values.astype(np.dtypes.StringDType(na_object=""))
    length = np.strings.str_len(text)
    shaped = np.strings.endswith(text, "Z") & ((length == 20) | ((length >= 22) & (length <= 27)))
    parsed = pd.to_datetime(
        np.where(shaped, values, np.nan), format="ISO8601", utc=True, errors="coerce"
    )
    stamps = np.asarray(parsed.tz_convert(None), dtype="datetime64[us]")
    micros = stamps.view(np.int64).copy()
    micros[np.isnat(stamps)] = -1
    return micros


def _first_checks(checks: _Checks, rows: _Rows) -> None:
    """Torn lines, extra fields, missing fields and assets."""
    checks.check(
        rows.torn, lambda i: "torn line: the file ends mid-line (a write cut off by a crash?)"
    )
    checks.check(
        rows.extra,
        lambda i: f"more fields than the header's {rows.header_fields[rows.file_index[i]]}",
    )
    missing = {"timestamp": pd.isna(rows.text["timestamp"])}
    for name, values in rows.numbers.items():
        missing[name] = np.isnan(values) & pd.isna(rows.not_numbers[name])
    checks.check(
        np.logical_or.reduce(list(missing.values())),
        lambda i: "missing " + ", ".join(n for n, m in missing.items() if m[i]),
    )
    no_asset = pd.isna(rows.text["asset"])
    checks.check(no_asset & rows.has_column["asset"], lambda i: "missing asset")
    checks.check(
        no_asset, lambda i: "no asset: the row has no asset column and the file name does not say"
    )


def _check_prices(checks: _Checks, rows: _Rows) -> None:
    for name, raw in rows.not_numbers.items():
        checks.check(~pd.isna(raw), lambda i, n=name, raw=raw: f"non-numeric {n} {raw[i]!r}")  # type: ignore[misc]
    for name, v in rows.numbers.items():
        checks.check(
            ~np.isfinite(v) | (v <= 0),
            lambda i, n=name, v=v: f"{n} must be a positive number, got {format_price(v[i])}",  # type: ignore[misc]
        )


def _matches(values: np.ndarray, wanted: str | None) -> np.ndarray:
    """Rows whose asset is ``wanted`` (case-insensitive) or unknown (reported later)."""
    if wanted is None:
        return np.ones(len(values), dtype=bool)
    folded = wanted.casefold()
    return _per_unique(values, lambda v: str(v).casefold() == folded, True, bool)


def _report(problems: list[RowProblem], rows: _Rows, checks: _Checks) -> None:
    """Add the rows the checks marked, then order all problems by file and line."""
    for i in np.flatnonzero(~checks.ok):
        path = rows.files[rows.file_index[i]].path
        problems.append(RowProblem(path, int(rows.lines[i]), str(checks.reasons[i])))
    problems.sort(key=lambda problem: (str(problem.file), problem.line))


def _write_ranks(rows: _Rows) -> np.ndarray:
    """Each row's file rank in write order (see the module docstring)."""
    order = sorted(range(len(rows.files)), key=lambda k: rows.files[k].order)
    ranks = np.empty(max(len(rows.files), 1), dtype=np.int64)
    ranks[order] = np.arange(len(rows.files))
    return cast(np.ndarray, ranks[rows.file_index])


def same_asset(a: str, b: str) -> bool:
    """One asset by its file-name form, case-insensitive (``EURUSD_otc`` ~ ``eurusd_OTC``)."""
    return safe_asset_name(a).casefold() == safe_asset_name(b).casefold()


def _asset_wanted(info: _FileInfo, asset: str | None) -> bool:
    return asset is None or info.asset is None or same_asset(info.asset, asset)


def _row_timeframes(rows: _Rows) -> np.ndarray:
    """Seconds per row from the timeframe column, else the file name or folder; -1 unknown."""
    from_file = rows.per_row(lambda info: info.timeframe or -1, np.int64)
    text = rows.text["timeframe"]
    has = rows.has_column["timeframe"]
    from_column = _per_unique(text, lambda v: label_seconds(str(v)) or -1, -1, np.int64)
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

    names = (("timestamp", "asset", "timeframe"), PRICE_COLUMNS)
    rows = _read_rows(path, "candles", wanted, names, problems)
    rows.text["asset"] = rows.assets()
    timeframes = _row_timeframes(rows)
    keep = _matches(rows.text["asset"], asset)
    if timeframe is not None:
        keep &= (timeframes == timeframe) | (timeframes == -1)
    rows, timeframes = rows.take(keep), timeframes[keep]
    text = rows.text

    checks = _Checks(len(rows))
    _first_checks(checks, rows)
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
        np.vstack((o[good], h[good], lo[good], c[good])),
    )
    return LoadedHistory(series=series, problems=problems, files=len(rows.files))


def _check_spacing(
    checks: _Checks, rows: _Rows, starts: np.ndarray, readable: np.ndarray, period: np.ndarray
) -> None:
    """A start closer than one period to the row before it (same file, asset, timeframe)."""
    if len(starts) < 2:
        return
    assets, file_index = rows.text["asset"], rows.file_index
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
    ohlc: np.ndarray,
) -> dict[tuple[str, int], CandleSeries]:
    """Sort by (asset, timeframe, start), keep the later-written row of each candle."""
    series: dict[tuple[str, int], CandleSeries] = {}
    if not len(starts):
        return series
    codes, names = pd.factorize(assets)
    order = np.lexsort((lines, ranks, starts, timeframes, codes))
    codes, timeframes, starts, ohlc = codes[order], timeframes[order], starts[order], ohlc[:, order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (
        (codes[1:] != codes[:-1])
        | (timeframes[1:] != timeframes[:-1])
        | (starts[1:] != starts[:-1])
    )
    codes, timeframes, starts, ohlc = codes[last], timeframes[last], starts[last], ohlc[:, last]
    bounds = np.flatnonzero((codes[1:] != codes[:-1]) | (timeframes[1:] != timeframes[:-1])) + 1
    for a, b in itertools.pairwise([0, *bounds.tolist(), len(codes)]):
        key = (str(names[codes[a]]), int(timeframes[a]))
        one = CandleSeries(key[0], key[1], capacity=b - a)
        one.insert_many(starts[a:b], ohlc[:, a:b])
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
        (("timestamp", "asset"), ("price",)),
        problems,
    )
    rows.text["asset"] = rows.assets()
    rows = rows.take(_matches(rows.text["asset"], asset))
    text = rows.text
    checks = _Checks(len(rows))
    _first_checks(checks, rows)
    micros = _timestamps_us(text["timestamp"])
    checks.check(
        micros < 0,
        lambda i: (
            f"bad timestamp {text['timestamp'][i]!r} (expected like 2025-09-03T02:32:54.962Z)"
        ),
    )
    _check_prices(checks, rows)
    prices = rows.numbers["price"]
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
