"""Builds and updates the Parquet candle archive (see ``archive_store``) from the CSV files.

An update reads only the CSV files that are new or whose size or mtime changed since the
last one, through the same checks as the CSV loader (``history_csv.check_candles``), and
rewrites only the partitions those files gave rows to, now or before. In a partition each
candle's row comes from the later-written file (``FileInfo.order``), as the loader merges
them; the other files' rows for it are kept aside (``shadowed``), so a file that changes
can be merged again exactly. Files that are gone from the data root stay in the archive (the
CSVs of old months may be pruned once archived); ``rebuild`` starts from the CSVs alone.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qfdesk.engine.archive_store import (
    ARCHIVE_DIR,
    CANDLES_DIR,
    SHADOWED_DIR,
    ArchiveError,
    FileEntry,
    Manifest,
    PartitionEntry,
    UpdateLock,
    archive_dir,
    months_of,
    partition_folder,
    partition_key,
    read_manifest,
    require_pyarrow,
    write_manifest,
)
from qfdesk.engine.csv_sink import in_payout_folder
from qfdesk.engine.history_csv import CheckedCandles, RowProblem, check_candles
from qfdesk.engine.history_rows import file_info

COMPRESSION = "none"
DICTIONARY_COLUMNS = ["open", "high", "low", "close", "source"]
"""Uncompressed, for reading speed; prices (which repeat a lot at five decimals) and sources
dictionary-encoded, about halving the files at little cost to reading; starts (each one
once) plain."""


@dataclass(frozen=True)
class ArchiveReport:
    """What an update did: files read and left alone, partitions rewritten and held,
    candles held, and the rows of the files read that were skipped (see the loader)."""

    files_read: int
    files_unchanged: int
    partitions_written: int
    partitions: int
    candles: int
    problems: list[RowProblem]


@dataclass(frozen=True)
class CsvState:
    path: Path
    size: int
    mtime_ns: int


def scan_csv_files(data_root: Path) -> dict[str, CsvState]:
    """Every candle and tick CSV file under ``data_root`` (the archive's own folder and the
    payout history aside) by its path relative to the root, with its size and mtime."""
    found: dict[str, CsvState] = {}
    skip = Path(data_root) / ARCHIVE_DIR
    for path in sorted(Path(data_root).rglob("*")):
        if path.suffix.lower() != ".csv" or skip in path.parents or in_payout_folder(path):
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if path.is_file():
            found[path.relative_to(data_root).as_posix()] = CsvState(
                path, info.st_size, info.st_mtime_ns
            )
    return found


def source_ranks(manifest: Manifest, data_root: Path) -> np.ndarray:
    """Each file id's rank in write order (index: id), ties broken by path as the loader
    does."""
    ordered = sorted(
        manifest.files.items(), key=lambda kv: (*kv[1].order, str(Path(data_root) / kv[0]))
    )
    ranks = np.zeros(max(manifest.next_id, 1), dtype=np.int64)
    ranks[[entry.id for _, entry in ordered]] = np.arange(len(ordered))
    return ranks


def merge_rows(
    starts: np.ndarray, sources: np.ndarray, ranks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(winners, shadowed): indices of the rows kept for each start (its later-written
    file's, ascending by start) and of the others. One file never holds a start twice."""
    order = np.lexsort((ranks[sources], starts))
    ordered = starts[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    return order[last], order[~last]


class _Columns:
    """A partition's rows: start, ohlc (4, n), source."""

    def __init__(self, starts: np.ndarray, ohlc: np.ndarray, sources: np.ndarray) -> None:
        self.starts, self.ohlc, self.sources = starts, ohlc, sources

    @staticmethod
    def read(path: Path) -> _Columns:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return _Columns(
            table.column("start").to_numpy(),
            np.vstack([table.column(n).to_numpy() for n in ("open", "high", "low", "close")]),
            table.column("source").to_numpy().astype(np.int64),
        )

    @staticmethod
    def concat(parts: list[_Columns]) -> _Columns:
        if not parts:
            return _Columns(
                np.empty(0, np.int64), np.empty((4, 0), np.float64), np.empty(0, np.int64)
            )
        return _Columns(
            np.concatenate([p.starts for p in parts]),
            np.hstack([p.ohlc for p in parts]),
            np.concatenate([p.sources for p in parts]),
        )

    def take(self, rows: np.ndarray) -> _Columns:
        return _Columns(self.starts[rows], self.ohlc[:, rows], self.sources[rows])

    def write(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(
            {
                "start": pa.array(self.starts, pa.int64()),
                "open": pa.array(self.ohlc[0]),
                "high": pa.array(self.ohlc[1]),
                "low": pa.array(self.ohlc[2]),
                "close": pa.array(self.ohlc[3]),
                "source": pa.array(self.sources.astype(np.int32)),
            }
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, temporary, compression=COMPRESSION, use_dictionary=DICTIONARY_COLUMNS)
        os.replace(temporary, path)


def _new_rows(
    checked: CheckedCandles, ids: np.ndarray
) -> dict[str, tuple[str, int, str, _Columns]]:
    """The checked rows by partition key: (asset, timeframe, month, rows); ``ids``: the
    manifest id of each of ``checked.files``."""
    starts = checked.starts
    if not len(starts):
        return {}
    month_numbers = starts.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    codes, timeframes = checked.assets.codes, checked.timeframes
    cut = np.ones(len(starts), dtype=bool)
    cut[1:] = (
        (codes[1:] != codes[:-1])
        | (timeframes[1:] != timeframes[:-1])
        | (month_numbers[1:] != month_numbers[:-1])
    )
    bounds = [*np.flatnonzero(cut).tolist(), len(starts)]
    sources = ids[checked.file_index]
    groups: dict[str, tuple[str, int, str, _Columns]] = {}
    for a, b in itertools.pairwise(bounds):
        asset = str(checked.assets.names[codes[a]])
        timeframe = int(timeframes[a])
        month = str(months_of(starts[a : a + 1])[0])
        rows = _Columns(starts[a:b], checked.ohlc[:, a:b], sources[a:b])
        key = partition_key(asset, timeframe, month)
        if key in groups:  # the same series again further on (never, as rows are ordered)
            rows = _Columns.concat([groups[key][3], rows])
        groups[key] = (asset, timeframe, month, rows)
    return groups


def _referenced(manifest: Manifest) -> set[str]:
    names = set()
    for partition in manifest.partitions.values():
        names.add(partition.candles)
        if partition.shadowed is not None:
            names.add(partition.shadowed)
    return names


def remove_unreferenced(data_root: Path, manifest: Manifest) -> None:
    """Remove partition files the manifest does not name: replaced ones, and those a
    stopped update left behind."""
    folder = archive_dir(data_root)
    keep = _referenced(manifest)
    for tree in (CANDLES_DIR, SHADOWED_DIR):
        for path in sorted((folder / tree).rglob("*"), reverse=True):
            if path.is_file() and path.relative_to(folder).as_posix() not in keep:
                path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def update_archive(data_root: Path, rebuild: bool = False) -> ArchiveReport:
    """Bring the archive of ``data_root`` up to date with its CSV files (build it the first
    time, or again from the CSVs alone with ``rebuild``). Raises ArchiveError (pyarrow
    missing, another update running, a damaged manifest) and OSError (disk)."""
    require_pyarrow()
    data_root = Path(data_root)
    with UpdateLock(data_root):
        previous = _manifest_or_none(data_root) if rebuild else read_manifest(data_root)
        old = None if rebuild else previous
        manifest = _copy(old) if old is not None else Manifest()
        manifest.generation = (previous.generation if previous else 0) + 1
        remove_unreferenced(data_root, previous or Manifest())
        csvs = scan_csv_files(data_root)
        changed = [
            rel
            for rel, state in csvs.items()
            if rel not in manifest.files
            or (manifest.files[rel].size, manifest.files[rel].mtime_ns)
            != (state.size, state.mtime_ns)
        ]
        if not changed and old is not None:
            return _report(manifest, 0, len(csvs), 0, [])
        checked = check_candles(data_root, files=[csvs[rel].path for rel in changed])
        stale = {manifest.files[rel].id for rel in changed if rel in manifest.files}
        touched = {
            key
            for rel in changed
            if rel in manifest.files
            for key in manifest.files[rel].partitions
        }
        by_rel = {info.path.relative_to(data_root).as_posix(): info for info in checked.files}
        per_file = Counter(problem.file for problem in checked.problems)
        for rel in changed:
            entry = manifest.files.get(rel)
            if entry is None:
                entry = FileEntry(manifest.next_id, 0, 0, (0.0, 0, 0.0))
                manifest.next_id += 1
            info = by_rel.get(rel)
            entry.size, entry.mtime_ns = csvs[rel].size, csvs[rel].mtime_ns
            entry.order = (
                (info.written_at, info.part, info.mtime) if info else _order_of(csvs[rel].path)
            )
            entry.partitions = []
            entry.problems = per_file.get(csvs[rel].path, 0)
            manifest.files[rel] = entry
        ids = np.array(
            [
                manifest.files[info.path.relative_to(data_root).as_posix()].id
                for info in checked.files
            ],
            dtype=np.int64,
        )
        fresh = _new_rows(checked, ids)
        written = _write_partitions(data_root, manifest, fresh, touched | set(fresh), stale)
        write_manifest(data_root, manifest)
        remove_unreferenced(data_root, manifest)
        return _report(manifest, len(changed), len(csvs) - len(changed), written, checked.problems)


def _manifest_or_none(data_root: Path) -> Manifest | None:
    """The manifest on disk, None if there is none or it is damaged (a rebuild replaces
    it)."""
    try:
        return read_manifest(data_root)
    except ArchiveError:
        return None


def _order_of(path: Path) -> tuple[float, int, float]:
    info = file_info(path, path.parent)
    return (info.written_at, info.part, info.mtime)


def _copy(manifest: Manifest) -> Manifest:
    return Manifest.of_json(manifest.to_json())


def _write_partitions(
    data_root: Path,
    manifest: Manifest,
    fresh: dict[str, tuple[str, int, str, _Columns]],
    keys: Iterable[str],
    stale: set[int],
) -> int:
    """Rewrite the partitions ``keys``: their held rows but those of the ``stale`` files,
    plus the ``fresh`` rows, merged; update the manifest's partitions and files."""
    folder = archive_dir(data_root)
    ranks = source_ranks(manifest, data_root)
    paths = manifest.paths_by_id()
    stale_array = np.array(sorted(stale), dtype=np.int64)
    written = 0
    for number, key in enumerate(sorted(keys)):
        held = manifest.partitions.get(key)
        parts = []
        if held is not None:
            for name in (held.candles, held.shadowed):
                if name is not None:
                    rows = _Columns.read(folder / name)
                    parts.append(rows.take(np.flatnonzero(~np.isin(rows.sources, stale_array))))
        if key in fresh:
            parts.append(fresh[key][3])
        rows = _Columns.concat(parts)
        if not len(rows.starts):
            manifest.partitions.pop(key, None)
            continue
        asset, timeframe, month = (
            fresh[key][:3] if key in fresh else (held.asset, held.timeframe, held.month)  # type: ignore[union-attr]
        )
        winners, shadowed = merge_rows(rows.starts, rows.sources, ranks)
        name = f"part-{manifest.generation:06d}-{number:06d}.parquet"
        where = partition_folder(asset, timeframe, month) / name
        rows.take(winners).write(folder / CANDLES_DIR / where)
        shadowed_name = None
        if len(shadowed):
            rows.take(shadowed).write(folder / SHADOWED_DIR / where)
            shadowed_name = (Path(SHADOWED_DIR) / where).as_posix()
        sources = sorted(set(np.unique(rows.sources).tolist()))
        manifest.partitions[key] = PartitionEntry(
            asset,
            timeframe,
            month,
            (Path(CANDLES_DIR) / where).as_posix(),
            shadowed_name,
            len(winners),
            sources,
        )
        for source in sources:
            partitions = manifest.files[paths[source]].partitions
            if key not in partitions:
                partitions.append(key)
        written += 1
    return written


def _report(
    manifest: Manifest, read: int, unchanged: int, written: int, problems: list[RowProblem]
) -> ArchiveReport:
    candles = sum(p.rows for p in manifest.partitions.values())
    return ArchiveReport(read, unchanged, written, len(manifest.partitions), candles, problems)


def describe(report: ArchiveReport) -> str:
    """One paragraph for a person: what the update did and what it holds."""
    lines = [
        (
            f"read {report.files_read} new or changed CSV files ({report.files_unchanged} "
            f"unchanged), rewrote {report.partitions_written} partitions; the archive holds "
            f"{report.candles:,} candles in {report.partitions} partitions"
        )
    ]
    if report.problems:
        lines.append(f"{len(report.problems)} rows or files skipped (as the loader skips them):")
        lines += [f"  {p.file}:{p.line}: {p.reason}" for p in report.problems[:10]]
        if len(report.problems) > 10:
            lines.append(f"  and {len(report.problems) - 10} more")
    return "\n".join(lines)
