"""Candle and tick CSV files read into rows: one row per data line, with its file and line,
for ``history_loader`` to check and build series from.

Files are told apart by their header (see ``history_loader``); a file whose first line is
longer than ``HEADER_LIMIT`` is no header. Files sharing a header are parsed in one pandas
call; a leading timestamp column is read from the bytes (``stamps``), the asset and
timeframe columns as categories, so no column of a million strings is made.
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from qfdesk.engine.asset_names import normalise, same_asset
from qfdesk.engine.csv_sink import SESSION_STAMP_FORMAT, TICKS_LABEL, in_payout_folder
from qfdesk.engine.stamps import NOT_A_TIME, leading_stamps_us, timestamps_us

PRICE_COLUMNS = ("open", "high", "low", "close")
NA_TEXTS = frozenset(
    ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"]
    + ["<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
)
"""Cells read as empty (pandas' default list, spelled out so both ways of reading a field
agree)."""

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


@dataclass(frozen=True)
class RowProblem:
    """A row (or, with line 0, a whole file) that was skipped, and why."""

    file: Path
    line: int
    reason: str


@dataclass(frozen=True)
class FileInfo:
    """What a file's name and place say: asset, timeframe label, when it was written (see
    ``history_loader`` for the write order) and its part number."""

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
class Labels:
    """A text column of few distinct values (asset, timeframe): a code per row into
    ``names``, -1 where the cell is empty."""

    codes: np.ndarray
    names: np.ndarray

    @staticmethod
    def of(values: pd.Series | np.ndarray) -> Labels:
        codes, names = pd.factorize(values, use_na_sentinel=True)
        return Labels(codes.astype(np.int64), np.asarray(names, dtype=object))

    @staticmethod
    def concat(parts: list[Labels]) -> Labels:
        """One column of the parts' rows, each distinct name once."""
        names = list(dict.fromkeys(name for part in parts for name in part.names))
        where = {name: code for code, name in enumerate(names)}
        codes = [
            np.append(np.array([where[n] for n in part.names], dtype=np.int64), -1)[part.codes]
            for part in parts
        ]
        return Labels(np.concatenate(codes), np.array(names, dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def text(self, i: int) -> object:
        """Row ``i``'s text, NaN if empty."""
        code = self.codes[i]
        return self.names[code] if code >= 0 else np.nan

    def take(self, keep: np.ndarray) -> Labels:
        return Labels(self.codes[keep], self.names)

    def missing(self) -> np.ndarray:
        return self.codes < 0

    def map(self, fn: Callable[[str], object], missing: object, dtype: type) -> np.ndarray:
        """``fn`` applied once per distinct name (``missing`` for empty cells), per row."""
        per_name: np.ndarray = np.array([*(fn(str(n)) for n in self.names), missing], dtype=dtype)
        per_row: np.ndarray = per_name[self.codes]
        return per_row


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
    """The text of the first field of the line at ``start`` (NaN if empty or one of the
    NA_TEXTS), as pandas reads the other fields."""
    end = body.index(b"\n", start)
    comma = body.find(b",", start, end)
    text = body[start : end if comma < 0 else comma].decode("utf-8", "replace")
    return np.nan if text in NA_TEXTS else text


@dataclass
class Rows:
    """Every data line of the files read, stacked: one row per physical line after the
    header, so a row's line number is exact. ``stamps`` holds the timestamps, ``labels`` the
    asset and timeframe columns; ``numbers`` columns hold floats (NaN where empty or not a
    number) and ``not_numbers`` the text of the cells that are not numbers (NaN elsewhere;
    None when there is none)."""

    files: list[FileInfo]
    header_fields: np.ndarray
    stamps: _Stamps
    labels: dict[str, Labels]
    numbers: dict[str, np.ndarray]
    not_numbers: dict[str, np.ndarray | None]
    has_column: dict[str, np.ndarray]
    file_index: np.ndarray
    lines: np.ndarray
    torn: np.ndarray
    extra: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, keep: np.ndarray) -> Rows:
        if keep.all():
            return self

        def pick(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[keep] for name, values in columns.items()}

        return Rows(
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

    def per_row(self, value: Callable[[FileInfo], object], dtype: type) -> np.ndarray:
        if not self.files:
            return np.empty(0, dtype=dtype)
        per_file: np.ndarray = np.array([value(info) for info in self.files], dtype=dtype)
        per_row: np.ndarray = per_file[self.file_index]
        return per_row

    def assets(self) -> Labels:
        """The asset column where the file has one, else the asset from the file name."""
        column = self.labels["asset"]
        from_name = Labels.of(np.array([info.asset for info in self.files], dtype=object))
        both = Labels.concat([column, from_name])
        named = both.codes[len(column) :][self.file_index]
        codes = np.where(self.has_column["asset"], both.codes[: len(column)], named)
        return Labels(codes, both.names)


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


def file_info(path: Path, root: Path) -> FileInfo:
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
    return FileInfo(path, asset, label, mtime if written_at is None else written_at, part, mtime)


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
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() == ".csv" and not in_payout_folder(p) and p.is_file()
        )
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

    info: FileInfo
    header: tuple[str, ...]
    data: bytes
    start: int
    torn: bool

    @property
    def body(self) -> memoryview:
        return memoryview(self.data)[self.start :]


HEADER_LIMIT = 64 * 1024
"""Bytes a header line may take; a longer first line is reported, not parsed."""

_Wanted = Callable[[FileInfo, tuple[str, ...]], bool]


def _read_file(
    info: FileInfo, kind: str, wanted: _Wanted, asset: str | None, problems: list[RowProblem]
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


def _may_hold(info: FileInfo, header: tuple[str, ...], data: bytes, asset: str | None) -> bool:
    """False only when no row of the file can be of ``asset``: its rows carry their asset,
    its bytes hold no spelling of it that ``same_asset`` takes, and its name does not say the
    asset (such a file's torn last line is reported)."""
    if asset is None or "asset" not in header:
        return True
    if info.asset is not None and same_asset(info.asset, asset):
        return True
    return _spellings(asset).search(data) is not None


@functools.lru_cache(maxsize=256)
def _spellings(asset: str) -> re.Pattern[bytes]:
    """Every spelling of ``asset`` that ``same_asset`` takes: its letters, digits and ``#`` in
    order, any case, anything else between them (``EURUSD_otc``, ``EUR/USD OTC``)."""
    pattern = b"[^a-z0-9#]*".join(re.escape(c.encode()) for c in normalise(asset))
    return re.compile(pattern, re.IGNORECASE)


def _chunk(info: FileInfo, header: tuple[str, ...], data: bytes) -> _Chunk:
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


def read_rows(
    path: Path,
    kind: str,
    wanted: _Wanted,
    names: tuple[tuple[str, ...], tuple[str, ...]],
    problems: list[RowProblem],
    asset: str | None,
    only: list[Path] | None = None,
) -> Rows:
    """The rows of every ``kind`` file under ``path`` (or of the ``only`` files, which are
    under it) that ``wanted`` takes and that may hold rows of ``asset``, with the ``names`` =
    (text columns, number columns)."""
    files, root = _csv_files(Path(path))
    if only is not None:
        files = list(only)
    groups: dict[tuple[str, ...], list[_Chunk]] = {}
    for file in files:
        chunk = _read_file(file_info(file, root), kind, wanted, asset, problems)
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
        keep_default_na=False,
        na_values=sorted(NA_TEXTS),
        quoting=csv.QUOTE_NONE,
        encoding_errors="replace",
        low_memory=False,
    )


def _parse_group(
    header: tuple[str, ...],
    chunks: list[_Chunk],
    names: tuple[tuple[str, ...], tuple[str, ...]],
    problems: list[RowProblem],
) -> list[Rows]:
    """Parse all files sharing one header in one pandas call (the per-call overhead dominates
    small files), then split the rows back by each file's line count; file by file if that
    fails."""
    body = b"".join(chunk.body for chunk in chunks)
    ends = _line_ends(body)
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
        ends = _line_ends(one)[: len(frame)]
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
    empty[unsure] = pd.isna(texts)
    return _Stamps(micros, empty, np.zeros(len(starts), dtype=np.int64), starts, (body,))


_BLOCK_BYTES = 1 << 20
_BLOCK_LINES = 1 << 14
"""Whole-body scans go a block at a time: a temporary as large as the body costs more in
fresh memory pages than the scan itself."""


def _line_ends(body: bytes) -> np.ndarray:
    """Where each line break of ``body`` is."""
    buf = np.frombuffer(body, dtype=np.uint8)
    blocks = [
        np.flatnonzero(buf[a : a + _BLOCK_BYTES] == ord("\n")) + a
        for a in range(0, len(buf), _BLOCK_BYTES)
    ]
    return np.concatenate(blocks) if blocks else np.empty(0, dtype=np.int64)


def _longer_lines(body: bytes, starts: np.ndarray, width: int) -> np.ndarray:
    """Which data lines (starting at ``starts``) have a field past the header's ``width``;
    empty ones and NA_TEXTS do not count, as with pandas. Only lines with that many commas
    are split."""
    extra = np.zeros(len(starts), dtype=bool)
    buf = np.frombuffer(body, dtype=np.uint8)
    per_line = np.empty(len(starts), dtype=np.int64)
    for first in range(0, len(starts), _BLOCK_LINES):
        block = starts[first : first + _BLOCK_LINES]
        end = int(starts[first + _BLOCK_LINES]) if first + _BLOCK_LINES < len(starts) else len(buf)
        commas = (buf[block[0] : end] == ord(",")).view(np.uint8)
        per_line[first : first + len(block)] = np.add.reduceat(
            commas, block - block[0], dtype=np.int64
        )
    for i in np.flatnonzero(per_line >= width).tolist():
        fields = body[starts[i] : body.index(b"\n", starts[i])].split(b",")[width:]
        extra[i] = any(f.decode("utf-8", "replace") not in NA_TEXTS for f in fields)
    return extra


def _frame_rows(
    header: tuple[str, ...],
    chunks: list[_Chunk],
    counts: list[int],
    body: bytes,
    line_ends: np.ndarray,
    frame: pd.DataFrame,
    names: tuple[tuple[str, ...], tuple[str, ...]],
) -> Rows:
    """The frame's rows as ``Rows`` (blank lines left out), ``counts`` of them per chunk;
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
        extra = _longer_lines(body, line_starts, len(header))
        blank = _blank(frame, stamps.empty.copy())
    else:
        if len(frame.columns) > len(header):
            extra = np.asarray(frame.iloc[:, len(header) :].notna().to_numpy().any(axis=1))
        else:
            extra = np.zeros(n, dtype=bool)
        texts = frame[header.index("timestamp")].to_numpy(dtype=object, na_value=np.nan)
        stamps = _Stamps.of_texts(texts, b"\x00" not in body)
        blank = _blank(frame, np.ones(n, dtype=bool))
    labels, numbers, not_numbers, has_column = {}, {}, {}, {}
    for name in names[0][1:]:
        has_column[name] = np.full(n, name in header)
        if name in header:
            labels[name] = Labels.of(frame[header.index(name)])
        else:
            labels[name] = Labels(np.full(n, -1, dtype=np.int64), np.empty(0, dtype=object))
    for name in names[1]:
        numbers[name], not_numbers[name] = _numbers(frame[header.index(name)])
    rows = Rows(
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


def _float_or_nan(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _concat(parts: list[Rows], names: tuple[tuple[str, ...], tuple[str, ...]]) -> Rows:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        no_labels = Labels(np.empty(0, dtype=np.int64), np.empty(0, dtype=object))
        parts = [
            Rows(
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

    return Rows(
        [info for part in parts for info in part.files],
        np.concatenate([part.header_fields for part in parts]),
        _Stamps.concat([part.stamps for part in parts]),
        {name: Labels.concat([part.labels[name] for part in parts]) for name in parts[0].labels},
        join("numbers"),
        {name: join_text(name) for name in parts[0].not_numbers},
        join("has_column"),
        np.concatenate([part.file_index + off for part, off in zip(parts, offsets, strict=True)]),
        np.concatenate([part.lines for part in parts]),
        np.concatenate([part.torn for part in parts]),
        np.concatenate([part.extra for part in parts]),
    )
