"""Closed candles and ticks written to CSV files, the collector's on-disk contract.

Layout under a data root::

    data_output/assets_data/realtime_stream/1M_candle_data/EURUSD_otc_1m_<session>_part000001.csv
    data_output/assets_data/realtime_stream/5M_candle_data/...   (one folder per timeframe)
    data_output/assets_data/realtime_stream/1M_tick_data/EURUSD_otc_ticks_<session>_part000001.csv
    data_output/assets_data/realtime_stream/payout_data/payouts_<session>_part000001.csv

``<session>`` is ``YYYYMMDDTHHMMSSZ-<pid>-<4 hex>``: the UTC wall-clock time the sink was
created, the process id and a random suffix, so two sessions never share a file and, for one
asset and timeframe, names sort by the time they were written (the zero-padded part number
sorts the files of one session). Each file starts with a header; a file holds at most
``candle_chunk`` / ``tick_chunk`` / ``payout_chunk`` rows, then the next part starts. Every write batch opens,
appends and closes, so no handle is held and a crash costs at most a torn last line.

A write that fails part way (disk full, folder gone) raises :class:`SinkWriteError`, which
holds exactly the items that are not on disk: the bytes the system took are counted row by
row, a torn row is cut off again and counts as not written, so writing ``unwritten`` later
puts every row on disk exactly once.

Timestamps are the platform's own epoch (its clock runs about +7200 s ahead of UTC). They are
written exactly as sent, formatted as if they were UTC (``2025-10-23T01:44:00Z``) and never
shifted; the history loader reads them back with the inverse conversion, so the numbers round
trip exactly. Prices are written with ``repr`` (shortest exact form), so they round trip too.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import itertools
import logging
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar, cast

from qfdesk.engine.events import Candle, CandleClosed, PayoutChange, Tick
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.timeframes import folder_label, timeframe_label

log = logging.getLogger(__name__)

REALTIME_DIR = Path("data_output", "assets_data", "realtime_stream")
TICK_FOLDER = "1M_tick_data"
CANDLE_COLUMNS = ("timestamp", "asset", "timeframe", "open", "high", "low", "close")
TICK_COLUMNS = ("timestamp", "asset", "price")
TICKS_LABEL = "ticks"
PAYOUT_FOLDER = "payout_data"
PAYOUT_COLUMNS = ("timestamp", "asset", "payout", "active")
PAYOUTS_STREAM = "payouts"
SESSION_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
PART_DIGITS = 6

_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_OPEN_APPEND = os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0)

Item = TypeVar("Item")

_SESSION_RE = re.compile(r"[A-Za-z0-9.-]+")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9#._+-]")


def candle_dir(data_root: Path, timeframe: int) -> Path:
    """``<root>/data_output/assets_data/realtime_stream/1M_candle_data`` for 60 s."""
    return data_root / REALTIME_DIR / f"{folder_label(timeframe)}_candle_data"


def tick_dir(data_root: Path) -> Path:
    return data_root / REALTIME_DIR / TICK_FOLDER


def payout_dir(data_root: Path) -> Path:
    return data_root / REALTIME_DIR / PAYOUT_FOLDER


def in_payout_folder(path: Path) -> bool:
    """A file of the payout history (not candles or ticks), by the folder it is in."""
    return PAYOUT_FOLDER in path.parts[:-1]


def new_session_id(now: float | None = None) -> str:
    """``20251023T014400Z-4242-a3f9``: UTC wall-clock start, pid, random suffix."""
    stamp = time.strftime(SESSION_STAMP_FORMAT, time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{os.getpid()}-{secrets.token_hex(2)}"


def safe_asset_name(asset: str) -> str:
    """The asset as it appears in file names: characters unsafe there become ``-`` (the
    asset column keeps the exact symbol)."""
    return _UNSAFE_NAME_CHARS.sub("-", asset) or "-"


def file_name(asset: str, label: str, session: str, part: int) -> str:
    """``EURUSD_otc_1m_<session>_part000001.csv``."""
    return part_name(f"{safe_asset_name(asset)}_{label}", session, part)


def part_name(stream: str, session: str, part: int) -> str:
    """``<stream>_<session>_part000001.csv``."""
    return f"{stream}_{session}_part{part:0{PART_DIGITS}d}.csv"


def format_candle_time(start: int) -> str:
    """Platform epoch seconds -> ``2025-10-23T01:44:00Z`` (labelled UTC, never shifted)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))


def format_tick_time(seconds: float) -> str:
    """Platform epoch seconds with ms -> ``2025-09-03T02:32:54.962Z``, rounded to the nearest
    millisecond so float noise (``.96199999``) never shows."""
    whole, millis = divmod(round(seconds * 1000), 1000)
    return f"{_second_text(whole)}.{millis:03d}Z"


@functools.lru_cache(maxsize=1024)
def _second_text(whole: int) -> str:
    """``2025-09-03T02:32:54`` for a whole second (ticks come many to a second)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def format_payout(value: float) -> str:
    """Percent as the platform sends it: ``92`` for a whole number, else the shortest exact."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_price(value: float) -> str:
    """The shortest text that reads back as exactly the same float."""
    return repr(float(value))


def _valid_candle(candle: Candle) -> bool:
    prices = (candle.open, candle.high, candle.low, candle.close)
    return (
        candle.timeframe > 0
        and candle.start > 0
        and candle.start % candle.timeframe == 0
        and all(math.isfinite(p) and p > 0 for p in prices)
        and candle.low <= min(candle.open, candle.close)
        and max(candle.open, candle.close) <= candle.high
    )


def _valid_change(change: PayoutChange) -> bool:
    return math.isfinite(change.time) and change.time > 0 and 0.0 <= change.payout <= 1000.0


def _valid_tick(tick: Tick) -> bool:
    return (
        math.isfinite(tick.time) and tick.time > 0 and math.isfinite(tick.price) and tick.price > 0
    )


class SinkWriteError(OSError, Generic[Item]):
    """A write that failed: the OSError's errno, text and file name, and ``unwritten``, the
    items handed in that did not reach the disk (in their order within each asset; invalid
    items and duplicate candles are never written, so they are not among them)."""

    def __init__(self, error: OSError, unwritten: Sequence[Item]) -> None:
        super().__init__(error.errno, error.strerror or str(error), error.filename)
        self.unwritten: tuple[Item, ...] = tuple(unwritten)


class _PartlyWritten(Exception):
    """Internal: ``rows`` rows of a stream reached the disk before ``error``."""

    def __init__(self, error: OSError, rows: int) -> None:
        super().__init__(error)
        self.error = error
        self.rows = rows


def _encoded_lines(rows: Sequence[Sequence[str]]) -> list[bytes]:
    """Each row as one CSV line in UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    text = buffer.getvalue()
    if '"' not in text:  # no field was quoted, so none holds a newline: one line per "\n"
        return [line + b"\n" for line in text.encode("utf-8").split(b"\n")[:-1]]
    lines = []
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        lines.append(buffer.getvalue().encode("utf-8"))
    return lines


def _write_rows(path: Path, rows: list[bytes], header: bytes | None) -> None:
    """Append whole lines to ``path``; with a ``header``, create it first (never an existing
    file).

    On an OSError the rows the system took whole stay, a torn one is cut off again (a new file
    left without a whole row is removed) and :class:`_PartlyWritten` says how many rows are on
    disk."""
    lines = rows if header is None else [header, *rows]
    data = b"".join(lines)
    fd = os.open(path, _OPEN_APPEND if header is None else _OPEN_NEW, 0o666)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        sent = 0
        view = memoryview(data)
        try:
            while sent < len(data):
                sent += os.write(fd, view[sent:])
        except OSError as error:
            ends = list(itertools.accumulate(map(len, lines)))
            whole = bisect.bisect_right(ends, sent)
            done = whole if header is None else max(0, whole - 1)
            kept = start + (ends[whole - 1] if whole else 0)
            _cut(fd, path, kept, remove=header is not None and not done)
            raise _PartlyWritten(error, done) from error
    finally:
        os.close(fd)


def _cut(fd: int, path: Path, size: int, *, remove: bool) -> None:
    """Best effort after a failed write: drop a torn line (or a new file with no row)."""
    try:
        if remove:
            path.unlink()
        else:
            os.ftruncate(fd, size)
    except OSError as error:
        log.warning("could not remove the torn end of %s: %s", path, error)


@dataclass(frozen=True)
class SinkStats:
    """A snapshot of what a sink has done this session."""

    candles_written: int
    ticks_written: int
    payouts_written: int
    duplicate_candles: int
    invalid_skipped: int
    files_by_asset: dict[str, int]


@dataclass
class _Stream:
    """The current part of one stream of files (asset as in file names, timeframe label)."""

    part: int = 0
    rows: int = 0
    path: Path | None = None


class CsvSink:
    """Writes closed candles and ticks as the switches in ``settings`` allow.

    A candle (asset, timeframe, start) is written at most once per sink; repeats are counted
    in ``duplicate_candles``. Candles or ticks that could not be valid (non-positive or
    non-finite prices, high below low, a start off the timeframe grid) are skipped, logged and
    counted in ``invalid_skipped``. An OSError (disk full, permissions) reaches the caller as
    a :class:`SinkWriteError` naming the items not on disk; only the rows that reached the disk
    whole are marked written, and the next batch starts a new part (so a torn line that could
    not be cut off is the last line of a file).

    Payout changes go into one stream of files for all assets, in the order given, whenever
    candles are saved; deciding what changed is the caller's (``PayoutRecorder``).

    Counters: ``candles_written``, ``ticks_written``, ``payouts_written``, ``duplicate_candles``,
    ``invalid_skipped``, ``files_by_asset`` (files created per asset) and ``files`` (their
    paths, in creation order); ``stats`` is a snapshot of them.
    """

    def __init__(
        self, data_root: Path, settings: PersistSettings, session: str | None = None
    ) -> None:
        if session is None:
            session = new_session_id()
        elif not _SESSION_RE.fullmatch(session):
            raise ValueError(
                f"session id {session!r} may only hold letters, digits, '.' and '-' "
                "(it becomes part of file names)"
            )
        self.data_root = Path(data_root)
        self.settings = settings
        self.session = session
        self.files: list[Path] = []
        self.candles_written = 0
        self.ticks_written = 0
        self.payouts_written = 0
        self.duplicate_candles = 0
        self.invalid_skipped = 0
        self.files_by_asset: dict[str, int] = {}
        self._streams: dict[tuple[Path, str], _Stream] = {}
        self._written: dict[tuple[str, int], set[int]] = {}
        self._made_dirs: set[Path] = set()

    @property
    def stats(self) -> SinkStats:
        return SinkStats(
            candles_written=self.candles_written,
            ticks_written=self.ticks_written,
            payouts_written=self.payouts_written,
            duplicate_candles=self.duplicate_candles,
            invalid_skipped=self.invalid_skipped,
            files_by_asset=dict(self.files_by_asset),
        )

    def write_candles(self, candles: Iterable[Candle | CandleClosed]) -> int:
        """Append closed candles (or CandleClosed events); returns the rows written. Raises
        :class:`SinkWriteError` (with the items not written) if the disk fails."""
        if not self.settings.save_candles:
            return 0
        groups: dict[tuple[str, int], dict[int, tuple[Candle, Candle | CandleClosed]]] = {}
        for item in candles:
            candle = item.candle if isinstance(item, CandleClosed) else item
            if not _valid_candle(candle):
                self.invalid_skipped += 1
                log.warning("not writing an impossible candle: %r", candle)
                continue
            key = (candle.asset, candle.timeframe)
            pending = groups.setdefault(key, {})
            if candle.start in pending or candle.start in self._written.get(key, ()):
                self.duplicate_candles += 1
                continue
            pending[candle.start] = (candle, item)
        before = self.candles_written
        items = [[item for _, item in pending.values()] for pending in groups.values()]
        for i, ((asset, timeframe), pending) in enumerate(groups.items()):
            label = timeframe_label(timeframe)
            rows = [
                [
                    format_candle_time(c.start),
                    asset,
                    label,
                    format_price(c.open),
                    format_price(c.high),
                    format_price(c.low),
                    format_price(c.close),
                ]
                for c, _ in pending.values()
            ]
            mark = partial(self._mark_candles, (asset, timeframe), list(pending))
            directory = candle_dir(self.data_root, timeframe)
            chunk = self.settings.candle_chunk
            try:
                name = f"{safe_asset_name(asset)}_{label}"
                self._append(name, directory, CANDLE_COLUMNS, rows, chunk, mark, asset)
            except _PartlyWritten as stop:
                raise SinkWriteError(stop.error, _unwritten(items, i, stop.rows)) from stop.error
        return self.candles_written - before

    def write_ticks(self, ticks: Iterable[Tick]) -> int:
        """Append ticks in the order given; returns the rows written. Raises
        :class:`SinkWriteError` (with the ticks not written) if the disk fails."""
        if not self.settings.save_ticks:
            return 0
        groups: dict[str, list[Tick]] = {}
        for tick in ticks:
            if not _valid_tick(tick):
                self.invalid_skipped += 1
                log.warning("not writing an impossible tick: %r", tick)
                continue
            groups.setdefault(tick.asset, []).append(tick)
        before = self.ticks_written
        directory = tick_dir(self.data_root)
        items = list(groups.values())
        for i, (asset, group) in enumerate(groups.items()):
            rows = [[format_tick_time(t.time), asset, format_price(t.price)] for t in group]
            chunk = self.settings.tick_chunk
            try:
                name = f"{safe_asset_name(asset)}_{TICKS_LABEL}"
                self._append(name, directory, TICK_COLUMNS, rows, chunk, self._mark_ticks, asset)
            except _PartlyWritten as stop:
                raise SinkWriteError(stop.error, _unwritten(items, i, stop.rows)) from stop.error
        return self.ticks_written - before

    def write_payouts(self, changes: Iterable[PayoutChange]) -> int:
        """Append payout changes in the order given; returns the rows written. Raises
        :class:`SinkWriteError` (with the changes not written) if the disk fails."""
        if not self.settings.save_payouts:
            return 0
        valid = []
        for change in changes:
            if _valid_change(change):
                valid.append(change)
            else:
                self.invalid_skipped += 1
                log.warning("not writing an impossible payout: %r", change)
        if not valid:
            return 0
        rows = [
            [format_tick_time(c.time), c.asset, format_payout(c.payout), "1" if c.active else "0"]
            for c in valid
        ]
        before = self.payouts_written
        directory = payout_dir(self.data_root)
        chunk = self.settings.payout_chunk
        try:
            self._append(PAYOUTS_STREAM, directory, PAYOUT_COLUMNS, rows, chunk, self._mark_payouts)
        except _PartlyWritten as stop:
            raise SinkWriteError(stop.error, valid[stop.rows :]) from stop.error
        return self.payouts_written - before

    def _mark_payouts(self, lo: int, hi: int) -> None:
        self.payouts_written += hi - lo

    def _mark_candles(self, key: tuple[str, int], starts: list[int], lo: int, hi: int) -> None:
        self._written.setdefault(key, set()).update(starts[lo:hi])
        self.candles_written += hi - lo

    def _mark_ticks(self, lo: int, hi: int) -> None:
        self.ticks_written += hi - lo

    def _append(
        self,
        name: str,
        directory: Path,
        header: Sequence[str],
        rows: list[list[str]],
        chunk: int,
        on_written: Callable[[int, int], None],
        asset: str | None = None,
    ) -> None:
        """Write ``rows`` into the current part of the stream ``<name>_<session>_partNNNNNN.csv``
        (its files counted in ``files_by_asset`` under ``asset``, if given), starting a new part every ``chunk``
        rows; ``on_written(lo, hi)`` hears about each slice of rows that reached the disk. An
        OSError becomes :class:`_PartlyWritten` with the number of rows on disk; the next
        batch starts a new part (so a torn line that could not be cut off is a file's last)
        and creates the folder again if it was deleted."""
        stream = self._streams.setdefault((directory, name), _Stream())
        done = 0
        try:
            if directory not in self._made_dirs:
                directory.mkdir(parents=True, exist_ok=True)
                self._made_dirs.add(directory)
            while done < len(rows):
                new_file = stream.path is None or stream.rows >= chunk
                if new_file:
                    stream.part += 1
                    stream.rows = 0
                    stream.path = directory / part_name(name, self.session, stream.part)
                path = cast(Path, stream.path)
                take = min(chunk - stream.rows, len(rows) - done)
                first_line = _encoded_lines([header])[0] if new_file else None
                failure: OSError | None = None
                try:
                    _write_rows(path, _encoded_lines(rows[done : done + take]), first_line)
                except _PartlyWritten as stop:
                    take, failure = stop.rows, stop.error
                if new_file and take:
                    self.files.append(path)
                    if asset is not None:
                        self.files_by_asset[asset] = self.files_by_asset.get(asset, 0) + 1
                stream.rows += take
                on_written(done, done + take)
                done += take
                if failure is not None:
                    raise failure
        except OSError as error:
            stream.path = None
            self._made_dirs.discard(directory)
            raise _PartlyWritten(error, done) from error


def _unwritten(groups: list[list[Item]], failed: int, done: int) -> list[Item]:
    """The items of ``groups[failed]`` after its first ``done`` and of every later group."""
    return groups[failed][done:] + [item for group in groups[failed + 1 :] for item in group]
