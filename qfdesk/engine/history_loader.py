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
(``HEADER_LIMIT``), empty files and files of no known kind are reported at line 1 and skipped.
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
from typing import BinaryIO

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
from qfdesk.engine.stamps import NOT_A_TIME, leading_stamps_us, timestamps_us
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


@dataclass(frozen=True)
class _Labels:
    """A text column of few distinct values (asset, timeframe): a code per row into
    ``names``, -1 where the cell is empty."""

    codes: np.ndarray
    names: np.ndarray

    @staticmethod
    def of(values: pd.Series | np.ndarray) -> _Labels:
        codes, names = pd.factorize(values, use_na_sentinel=True)
        return _Labels(codes.astype(np.int64), np.asarray(names, dtype=object))

    @staticmethod
    def concat(parts: list[_Labels]) -> _Labels:
        """One column of the parts' rows, each distinct name once."""
        names = list(dict.fromkeys(name for part in parts for name in part.names))
        where = {name: code for code, name in enumerate(names)}
        codes = [
            np.append(np.array([where[n] for n in part.names], dtype=np.int64), -1)[part.codes]
            for part in parts
        ]
        return _Labels(np.concatenate(codes), np.array(names, dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def text(self, i: int) -> object:
        """Row ``i``'s text, NaN if empty."""
        code = self.codes[i]
        return self.names[code] if code >= 0 else np.nan

    def take(self, keep: np.ndarray) -> _Labels:
        return _Labels(self.codes[keep], self.names)

    def missing(self) -> np.ndarray:
        return self.codes < 0

    def map(self, fn: Callable[[str], object], missing: object, dtype: type) -> np.ndarray:
        """``fn`` applied once per distinct name (``missing`` for empty cells), per row."""
        return np.array([*(fn(str(n)) for n in self.names), missing], dtype=dtype)[self.codes]


@dataclass(frozen=True)
class _Stamps:
    """Each row's timestamp as microseconds (NOT_A_TIME where it is not a time), whether
    its cell is empty, and its text on demand (only bad rows' texts are ever needed): from
    ``sources[source]``, a text array at index ``where`` or the data lines (bytes) whose line
    at offset ``where`` starts with it."""

    micros: np.ndarray
    empty: np.ndarray
    source: np.ndarray
    where: np.ndarray
    sources: tuple[bytes | np.ndarray, ...]

    @staticmethod
    def of_texts(texts: np.ndarray, nul_free: bool) -> _Stamps:
        n = len(texts)
        micros = timestamps_us(texts, nul_free)
        return _Stamps(micros, pd.isna(texts), np.zeros(n, np.int64), np.arange(n), (texts,))

    @staticmethod
    def concat(parts: list[_Stamps]) -> _Stamps:
        offsets = np.cumsum([0, *(len(part.sources) for part in parts)])[:-1]
        return _Stamps(
            np.concatenate([part.micros for part in parts]),
            np.concatenate([part.empty for part in parts]),
            np.concatenate([part.source + k for part, k in zip(parts, offsets, strict=True)]),
            np.concatenate([part.where for part in parts]),
            tuple(source for part in parts for source in part.sources),
        )

    def take(self, keep: np.ndarray) -> _Stamps:
        return _Stamps(
            self.micros[keep], self.empty[keep], self.source[keep], self.where[keep], self.sources
        )

    def text(self, i: int) -> object:
        source, where = self.sources[self.source[i]], int(self.where[i])
        if isinstance(source, bytes):
            return _first_field(source, where)
        return source[where]


def _first_field(body: bytes, start: int) -> object:
    """The text of the first field of the line at ``start`` (NaN if empty), as pandas reads
    it."""
    end = body.index(b"\n", start)
    comma = body.find(b",", start, end)
    field = body[start : end if comma < 0 else comma]
    return field.decode("utf-8", "replace") if field else np.nan


@dataclass
class _Rows:
    """Every data line of the files read, stacked: one row per physical line after the
    header, so a row's line number is exact. ``stamps`` holds the timestamps, ``labels`` the
    asset and timeframe columns; ``numbers`` columns hold floats (NaN where empty or not a
    number) and ``not_numbers`` the text of the cells that are not numbers (NaN elsewhere;
    None when there is none)."""

    files: list[_FileInfo]
    header_fields: np.ndarray
    stamps: _Stamps
    labels: dict[str, _Labels]
    numbers: dict[str, np.ndarray]
    not_numbers: dict[str, np.ndarray | None]
    has_column: dict[str, np.ndarray]
    file_index: np.ndarray
    lines: np.ndarray
    torn: np.ndarray
    extra: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> _Rows:
        if keep.all():
            return self

        def pick(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[keep] for name, values in columns.items()}

        return _Rows(
            self.files,
            self.header_fields,
            self.stamps.take(keep),
            {name: labels.take(keep) for name, labels in self.labels.items()},
            pick(self.numbers),
            {n: None if v is None else v[keep] for n, v in self.not_numbers.items()},
            pick(self.has_column),
            self.file_index[keep],
            self.lines[keep],
            self.torn[keep],
            self.extra[keep],
        )

    def per_row(self, value: Callable[[_FileInfo], object], dtype: type) -> np.ndarray:
        if not self.files:
            return np.empty(0, dtype=dtype)
        return np.array([value(info) for info in self.files], dtype=dtype)[self.file_index]

    def assets(self) -> _Labels:
        """The asset column where the file has one, else the asset from the file name."""
        column = self.labels["asset"]
        from_name = _Labels.of(np.array([info.asset for info in self.files], dtype=object))
        both = _Labels.concat([column, from_name])
        named = both.codes[len(column) :][self.file_index]
        codes = np.where(self.has_column["asset"], both.codes[: len(column)], named)
        return _Labels(codes, both.names)


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
    """A file's header names and its bytes, line ends normalised to \\n, the data lines from
    ``start`` on. ``torn``: the file was cut mid-line; a line end is added so the torn line
    stays a line of its own."""

    info: _FileInfo
    header: tuple[str, ...]
    data: bytes
    start: int
    torn: bool

    @property
    def body(self) -> memoryview:
        return memoryview(self.data)[self.start :]


HEADER_LIMIT = 64 * 1024
"""Bytes a header line may take; a longer first line is reported, not parsed."""

_Wanted = Callable[[_FileInfo, tuple[str, ...]], bool]


def _read_file(
    info: _FileInfo, kind: str, wanted: _Wanted, asset: str | None, problems: list[RowProblem]
) -> _Chunk | None:
    """The header and data lines of a ``kind`` file that ``wanted`` takes (given the file and
    its header) and that may hold rows of ``asset`` (see ``_may_hold``); of any other file
    only the first line is read. Files of the other kind are skipped without a word; empty
    files, files of no known kind and unreadable ones are reported unless ``wanted`` rules
    them out by name."""
    try:
        with info.path.open("rb") as file:
            data = file.read(HEADER_LIMIT)
            first = re.split(rb"[\r\n]", data, maxsplit=1)[0]
            header = _header(first) if len(first) < HEADER_LIMIT else None
            found = None if header is None else _kind(header)
            if (found is not None and found != kind) or not wanted(info, header or ()):
                return None
            if header is None:
                reason = _long_first_line(file, len(data))
            elif not data.strip():
                reason = "empty file: no header, no rows"
            elif found is None:
                reason = (
                    f"not a candle or tick CSV: header {','.join(header)!r}; expected "
                    "timestamp,asset,timeframe,open,high,low,close or timestamp,open,close,"
                    "high,low or timestamp,asset,price"
                )
            else:
                file.seek(0)
                data = file.read()
                return _chunk(info, header, data) if _may_hold(info, header, data, asset) else None
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        problems.append(RowProblem(info.path, 0, reason))
        return None
    problems.append(RowProblem(info.path, 1, reason))
    return None


def _may_hold(info: _FileInfo, header: tuple[str, ...], data: bytes, asset: str | None) -> bool:
    """False only when no row of the file can be of ``asset``: its rows carry their asset,
    its bytes do not hold the asset's name in any case, and its name does not say the asset
    (such a file's torn last line is reported). A name with characters unsafe in file names
    (``BTC/USD``) is not searched for: ``same_asset`` takes other spellings of it."""
    if asset is None or "asset" not in header:
        return True
    needle = safe_asset_name(asset)
    if "-" in needle or (info.asset is not None and same_asset(info.asset, asset)):
        return True
    return needle.lower().encode() in data.lower()


def _chunk(info: _FileInfo, header: tuple[str, ...], data: bytes) -> _Chunk:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    torn = not data.endswith(b"\n")
    if torn:
        data += b"\n"
    start = data.index(b"\n") + 1
    return _Chunk(info, header, data, start, torn and start < len(data))


def _long_first_line(file: BinaryIO, read: int) -> str:
    """Why a file whose first line is over HEADER_LIMIT is skipped: no candle or tick header
    is that long, so none of its rows could be read by column name."""
    size = read + sum(len(block) for block in iter(lambda: file.read(1 << 20), b""))
    return (
        f"the first line is longer than {HEADER_LIMIT // 1024} KiB (the file has {size:,} "
        "bytes): not a candle or tick header, the file is skipped"
    )


def _header(first: bytes) -> tuple[str, ...]:
    """Lower-case column names of a header line, trailing empty ones dropped."""
    cells = next(csv.reader([first.decode("utf-8", "replace")]), [])
    header = [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]
    while header and not header[-1]:
        header.pop()
    return tuple(header)


def _kind(header: tuple[str, ...]) -> str | None:
    if {"timestamp", *PRICE_COLUMNS} <= set(header):
        return "candles"
    if {"timestamp", "price"} <= set(header):
        return "ticks"
    return None


def _read_rows(
    path: Path,
    kind: str,
    wanted: _Wanted,
    names: tuple[tuple[str, ...], tuple[str, ...]],
    problems: list[RowProblem],
    asset: str | None,
) -> _Rows:
    """The rows of every ``kind`` file under ``path`` that ``wanted`` takes and that may
    hold rows of ``asset``, with the ``names`` = (text columns, number columns)."""
    files, root = _csv_files(Path(path))
    groups: dict[tuple[str, ...], list[_Chunk]] = {}
    for file in files:
        chunk = _read_file(_file_info(file, root), kind, wanted, asset, problems)
        if chunk is not None:
            groups.setdefault(chunk.header, []).append(chunk)
    parts = []
    for header, chunks in groups.items():
        parts += _parse_group(header, chunks, names, problems)
    return _concat(parts, names)


def _parse_body(
    body: bytes, header: tuple[str, ...], names: tuple[tuple[str, ...], tuple[str, ...]]
) -> pd.DataFrame:
    """Data lines -> one frame row per line (blank lines kept, no quoting). Columns are the
    field positions; the label columns (``names[0]`` but the timestamp) are categorical, the
    number columns (``names[1]``) floats where they all are, the rest strings.

    A leading timestamp column is not read if pandas can do without it (``_frame_rows``
    reads it from the bytes): pandas then cuts longer lines silently, and ``_frame_rows``
    counts their fields; pandas refuses when the first line with a field is short of the
    header. Otherwise the header's width is tried first, as most files have no line with more
    fields than the header: pandas raises on a longer line, except on the first line, which
    it would silently cut, so that one is checked here. Only then are the fields of every
    line counted."""
    if not body:
        return pd.DataFrame({i: pd.Series(dtype=object) for i in range(len(header))})
    if len(header) > 1 and header[0] == "timestamp":
        try:
            return _read_csv(body, len(header), header, names, skip_first=True)
        except ValueError:
            pass
    if body[: body.find(b"\n")].count(b",") < len(header):
        try:
            return _read_csv(body, len(header), header, names)
        except pd.errors.ParserError:
            pass
    return _read_csv(body, max(_field_width(body), len(header)), header, names)


def _read_csv(
    body: bytes,
    width: int,
    header: tuple[str, ...],
    names: tuple[tuple[str, ...], ...],
    skip_first: bool = False,
) -> pd.DataFrame:
    numbers = {header.index(name) for name in names[1] if name in header}
    labels = {header.index(name) for name in names[0][1:] if name in header}
    return pd.read_csv(
        io.BytesIO(body),
        header=None,
        names=range(width),
        usecols=range(1, width) if skip_first else None,
        index_col=False,
        dtype={i: "category" if i in labels else str for i in range(width) if i not in numbers},
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
    body = b"".join(chunk.body for chunk in chunks)
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    sizes = np.cumsum([len(chunk.data) - chunk.start for chunk in chunks])
    counts = np.diff(np.searchsorted(ends, sizes), prepend=0).tolist()
    try:
        frame = _parse_body(body, header, names)
    except ValueError:
        frame = None
    if frame is not None and len(frame) == len(ends):
        return [_frame_rows(header, chunks, counts, body, ends, frame, names)]
    parts = []
    for chunk in chunks:
        one = bytes(chunk.body)
        try:
            frame = _parse_body(one, header, names)
        except ValueError as error:
            reason = f"cannot parse the file as CSV: {error}"
            problems.append(RowProblem(chunk.info.path, 0, reason))
            continue
        ends = np.flatnonzero(np.frombuffer(one, dtype=np.uint8) == ord("\n"))[: len(frame)]
        parts.append(_frame_rows(header, [chunk], [len(frame)], one, ends, frame, names))
    return parts


def _blank(frame: pd.DataFrame, blank: np.ndarray) -> np.ndarray:
    """Of the ``blank`` rows, those with no field in ``frame`` either (each column looked at
    only where all the columns before it were empty)."""
    for position in frame.columns:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        blank[rows] = frame[position].iloc[rows].isna().to_numpy()
    return blank


def _line_stamps(body: bytes, starts: np.ndarray) -> _Stamps:
    """The leading timestamps of the data lines (starting at ``starts``), from the bytes."""
    buf = np.frombuffer(body, dtype=np.uint8)
    micros = leading_stamps_us(body, starts)
    empty = np.isin(buf[starts], (ord(","), ord("\n")))
    unsure = np.flatnonzero((micros == NOT_A_TIME) & ~empty)
    texts = np.array([_first_field(body, int(start)) for start in starts[unsure]], dtype=object)
    micros[unsure] = timestamps_us(texts, b"\x00" not in body)
    return _Stamps(micros, empty, np.zeros(len(starts), dtype=np.int64), starts, (body,))


def _longer_lines(body: bytes, starts: np.ndarray, short: np.ndarray, width: int) -> np.ndarray:
    """Which data lines have a non-empty field past the header's ``width`` (empty trailing
    fields do not count, as with pandas). ``short``: the lines whose last header field is
    empty or absent. Every other line has at least ``width - 1`` commas, so when they hold
    exactly that many in all, only the ``short`` ones are looked at one by one."""
    extra = np.zeros(len(starts), dtype=bool)
    candidates = np.flatnonzero(short)
    lines = [body[a : body.index(b"\n", a)] for a in starts[candidates].tolist()]
    commas = body.count(b",") - sum(line.count(b",") for line in lines)
    if commas != (len(starts) - len(candidates)) * (width - 1):
        buf = np.frombuffer(body, dtype=np.uint8)
        per_line = np.add.reduceat((buf == ord(",")).view(np.uint8), starts, dtype=np.int64)
        candidates = np.flatnonzero(per_line >= width)
        lines = [body[a : body.index(b"\n", a)] for a in starts[candidates].tolist()]
    for i, line in zip(candidates.tolist(), lines, strict=True):
        extra[i] = any(line.split(b",")[width:])
    return extra


def _frame_rows(
    header: tuple[str, ...],
    chunks: list[_Chunk],
    counts: list[int],
    body: bytes,
    line_ends: np.ndarray,
    frame: pd.DataFrame,
    names: tuple[tuple[str, ...], tuple[str, ...]],
) -> _Rows:
    """The frame's rows as ``_Rows`` (blank lines left out), ``counts`` of them per chunk;
    ``line_ends``: where each data line of ``body`` ends."""
    n = len(frame)
    file_index = np.repeat(np.arange(len(chunks)), counts)
    starts = np.cumsum([0, *counts])[:-1]
    lines = np.arange(n, dtype=np.int64) - np.repeat(starts, counts) + 2
    torn = np.zeros(n, dtype=bool)
    ends = np.cumsum(counts) - 1
    torn[ends[[chunk.torn for chunk in chunks]]] = True
    if 0 not in frame.columns and n:
        line_starts = np.concatenate(([0], line_ends[:-1] + 1))
        stamps = _line_stamps(body, line_starts)
        short = frame[len(header) - 1].isna().to_numpy()
        extra = _longer_lines(body, line_starts, short, len(header))
        blank = _blank(frame, stamps.empty.copy())
    else:
        if len(frame.columns) > len(header):
            extra = frame.iloc[:, len(header) :].notna().to_numpy().any(axis=1)
        else:
            extra = np.zeros(n, dtype=bool)
        texts = frame[header.index("timestamp")].to_numpy(dtype=object, na_value=np.nan)
        stamps = _Stamps.of_texts(texts, b"\x00" not in body)
        blank = _blank(frame, np.ones(n, dtype=bool))
    labels, numbers, not_numbers, has_column = {}, {}, {}, {}
    for name in names[0][1:]:
        has_column[name] = np.full(n, name in header)
        if name in header:
            labels[name] = _Labels.of(frame[header.index(name)])
        else:
            labels[name] = _Labels(np.full(n, -1, dtype=np.int64), np.empty(0, dtype=object))
    for name in names[1]:
        numbers[name], not_numbers[name] = _numbers(frame[header.index(name)])
    rows = _Rows(
        [chunk.info for chunk in chunks],
        np.full(len(chunks), len(header), dtype=np.int64),
        stamps,
        labels,
        numbers,
        not_numbers,
        has_column,
        file_index,
        lines,
        torn,
        extra,
    )
    return rows.take(~blank | torn)


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """A column -> (floats, the text of cells that are not numbers, or None if none is).
    Text is converted by Python's float, which is correctly rounded, as is pandas' own float
    parser."""
    if column.dtype.kind == "f":
        return column.to_numpy(dtype=np.float64), None
    text = column.to_numpy(dtype=object, na_value=np.nan)
    try:
        values = text.astype(np.float64)
    except (TypeError, ValueError):
        values = np.array([_float_or_nan(v) for v in text], dtype=np.float64)
    not_numbers = np.where(np.isnan(values) & ~pd.isna(text), text, np.nan)
    return values, not_numbers


def _concat(parts: list[_Rows], names: tuple[tuple[str, ...], tuple[str, ...]]) -> _Rows:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        no_labels = _Labels(np.empty(0, dtype=np.int64), np.empty(0, dtype=object))
        parts = [
            _Rows(
                [],
                np.empty(0, dtype=np.int64),
                _Stamps.of_texts(np.empty(0, dtype=object), True),
                {name: no_labels for name in names[0][1:]},
                {name: np.empty(0, dtype=np.float64) for name in names[1]},
                {name: None for name in names[1]},
                {name: np.empty(0, dtype=bool) for name in names[0][1:]},
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

    def join_text(name: str) -> np.ndarray | None:
        texts = [part.not_numbers[name] for part in parts]
        if all(text is None for text in texts):
            return None
        return np.concatenate(
            [
                np.full(len(p), np.nan, dtype=object) if t is None else t
                for p, t in zip(parts, texts, strict=True)
            ]
        )

    return _Rows(
        [info for part in parts for info in part.files],
        np.concatenate([part.header_fields for part in parts]),
        _Stamps.concat([part.stamps for part in parts]),
        {name: _Labels.concat([part.labels[name] for part in parts]) for name in parts[0].labels},
        join("numbers"),
        {name: join_text(name) for name in parts[0].not_numbers},
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


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _first_checks(checks: _Checks, rows: _Rows) -> None:
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


def _check_prices(checks: _Checks, rows: _Rows) -> None:
    for name, raw in rows.not_numbers.items():
        if raw is not None:
            checks.check(~pd.isna(raw), lambda i, n=name, raw=raw: f"non-numeric {n} {raw[i]!r}")
    for name, v in rows.numbers.items():
        checks.check(
            ~np.isfinite(v) | (v <= 0),
            lambda i, n=name, v=v: f"{n} must be a positive number, got {format_price(v[i])}",
        )


def _matches(assets: _Labels, wanted: str | None) -> np.ndarray:
    """Rows whose asset is ``wanted`` (see ``same_asset``) or unknown (reported later)."""
    if wanted is None:
        return np.ones(len(assets), dtype=bool)
    return assets.map(lambda name: same_asset(name, wanted), True, bool)


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
    return ranks[rows.file_index]


def same_asset(a: str, b: str) -> bool:
    """One asset by its file-name form, case-insensitive (``EURUSD_otc`` ~ ``eurusd_OTC``)."""
    return safe_asset_name(a).casefold() == safe_asset_name(b).casefold()


def _by_name(
    info: _FileInfo, header: tuple[str, ...], asset: str | None, timeframe: int | None = None
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


def _files_taken(rows: _Rows, keep: np.ndarray) -> int:
    """Files with a row in ``keep`` or with no rows at all (a header alone)."""
    size = len(rows.files)
    return int(
        np.count_nonzero(
            (np.bincount(rows.file_index[keep], minlength=size) > 0)
            | (np.bincount(rows.file_index, minlength=size) == 0)
        )
    )


def _with_torn(
    rows: _Rows, keep: np.ndarray, asset: str | None, timeframe: int | None = None
) -> np.ndarray:
    """``keep`` plus the torn lines of the files it takes. A torn line's own fields may be
    cut short (``EURUSD_otc`` as ``EUR``), so it is judged by its file: kept (to be reported)
    when a whole line of the file is kept or the file's name says the wanted asset and
    timeframe."""
    taken = np.array([_by_name(info, (), asset, timeframe) for info in rows.files], dtype=bool)
    taken[rows.file_index[keep & ~rows.torn]] = True
    return keep | (rows.torn & taken[rows.file_index])


def _row_timeframes(rows: _Rows) -> np.ndarray:
    """Seconds per row from the timeframe column, else the file name or folder; -1 unknown."""
    from_file = rows.per_row(lambda info: info.timeframe or -1, np.int64)
    from_column = rows.labels["timeframe"].map(lambda name: label_seconds(name) or -1, -1, np.int64)
    return np.where(rows.has_column["timeframe"], from_column, from_file)


def load_history(
    path: Path, asset: str | None = None, timeframe: int | None = None
) -> LoadedHistory:
    """Load candles from a CSV file or a folder tree (recursively), optionally one asset
    (case-insensitive) and/or one timeframe (seconds). Raises FileNotFoundError for a
    missing path; everything wrong inside the files is reported in ``problems``."""
    problems: list[RowProblem] = []

    def wanted(info: _FileInfo, header: tuple[str, ...]) -> bool:
        return _by_name(info, header, asset, timeframe)

    names = (("timestamp", "asset", "timeframe"), PRICE_COLUMNS)
    rows = _read_rows(path, "candles", wanted, names, problems, asset)
    rows.labels["asset"] = rows.assets()
    timeframes = _row_timeframes(rows)
    keep = _matches(rows.labels["asset"], asset)
    if timeframe is not None:
        keep &= (timeframes == timeframe) | (timeframes == -1)
    keep = _with_torn(rows, keep, asset, timeframe)
    files = _files_taken(rows, keep)
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
            lambda i, n=name, v=v: (
                f"{n} {format_price(v[i])} is outside low..high ({format_price(lo[i])}..{format_price(h[i])})"
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
    series = _build_series(key, starts, ordered, ohlc)
    return LoadedHistory(series=series, problems=problems, files=files)


class _SeriesKey:
    """A small integer per (asset, timeframe) of each row, and back."""

    def __init__(self, assets: _Labels, timeframes: np.ndarray) -> None:
        self._assets = assets.names
        timeframe_codes, self._timeframes = pd.factorize(timeframes)
        self._width = max(len(self._timeframes), 1)
        self.ids = assets.codes * self._width + timeframe_codes

    def name(self, series_id: int) -> tuple[str, int]:
        asset, timeframe = divmod(series_id, self._width)
        return str(self._assets[asset]), int(self._timeframes[timeframe])


def _check_repeats(
    checks: _Checks, rows: _Rows, key: _SeriesKey, starts: np.ndarray, ohlc: np.ndarray
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
    checks: _Checks, rows: _Rows, starts: np.ndarray, readable: np.ndarray, period: np.ndarray
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


def _build_series(
    key: _SeriesKey, starts: np.ndarray, ordered: np.ndarray, ohlc: np.ndarray
) -> dict[tuple[str, int], CandleSeries]:
    """The ``ordered`` rows (see ``_check_repeats``) as series, the later-written row of each
    candle kept."""
    series: dict[tuple[str, int], CandleSeries] = {}
    if not len(ordered):
        return series
    ids, starts = key.ids[ordered], starts[ordered]
    last = np.ones(len(ordered), dtype=bool)
    last[:-1] = (ids[1:] != ids[:-1]) | (starts[1:] != starts[:-1])
    rows, ids, starts = ordered[last], ids[last], starts[last]
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    for a, b in itertools.pairwise([0, *bounds.tolist(), len(ids)]):
        name = key.name(int(ids[a]))
        one = CandleSeries(name[0], name[1], capacity=b - a)
        one.insert_many(starts[a:b], ohlc[:, rows[a:b]])
        series[name] = one
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
    assets, prices_out = frame["asset"].tolist(), frame["price"].tolist()
    ticks = [Tick(a, t, p) for a, t, p in zip(assets, times, prices_out, strict=True)]
    return ticks, problems
