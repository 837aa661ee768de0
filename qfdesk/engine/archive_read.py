"""Candle history from the Parquet archive (see ``archive_store``) plus the CSV files that
are new or changed since it was last updated, merged as the CSV loader merges files: the
later-written file wins.

Archived files still on disk with the size and mtime the archive recorded are served by the
archive; the others under ``path`` are read as CSVs, and the archive's rows from files that
changed are set aside (the rows they had shadowed come back). Archived files that are gone
from disk stay served by the archive. A folder inside the data root gets the archived rows
of the files under it only. ``problems`` holds the problems of the CSV files read now; those
of archived files were reported by ``qfdesk archive`` (their counts are in the manifest).
``files`` counts the archived files that gave candles to the series read, and the CSV files
read now as the CSV loader counts them.
"""

from __future__ import annotations

import itertools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qfdesk.engine.archive_build import merge_rows, scan_csv_files
from qfdesk.engine.archive_store import (
    ArchiveError,
    Manifest,
    PartitionEntry,
    archive_dir,
    find_data_root,
    read_manifest,
    require_pyarrow,
)
from qfdesk.engine.asset_names import same_asset
from qfdesk.engine.history_csv import CheckedCandles, LoadedHistory, check_candles
from qfdesk.engine.series import CandleSeries

log = logging.getLogger(__name__)

_PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True)
class _Plan:
    """What to read: the archive's partitions, the sources to set aside, the CSVs to read."""

    partitions: list[PartitionEntry]
    excluded: np.ndarray
    fresh: list[Path]
    files: int


def load_archived(
    path: Path, asset: str | None = None, timeframe: int | None = None
) -> LoadedHistory | None:
    """As ``load_history`` (asset, timeframe filters) from the archive covering the folder
    ``path``, or None when none does or it cannot be read (pyarrow missing, a damaged
    manifest, a partition file missing or damaged: logged, and the CSVs are read instead)."""
    data_root = find_data_root(path)
    if data_root is None:
        return None
    try:
        require_pyarrow()
        manifest = read_manifest(data_root)
    except ArchiveError as error:
        log.warning("reading the CSV files instead of the archive: %s", error)
        return None
    if manifest is None:
        return None
    plan = _plan(manifest, data_root, path, asset, timeframe)
    checked = check_candles(path, asset, timeframe, plan.fresh) if plan.fresh else None
    try:
        series = _series(data_root, manifest, plan, checked)
    except (OSError, ValueError, ArchiveError) as error:
        # pyarrow's read errors are OSError or ValueError subclasses.
        log.warning(
            "reading the CSV files instead of the archive, whose files cannot be read (%s); "
            "run qfdesk archive --rebuild",
            error,
        )
        return None
    problems = [] if checked is None else checked.problems
    taken = plan.files + (0 if checked is None else checked.files_taken)
    return LoadedHistory(series=series, problems=problems, files=taken)


def _plan(
    manifest: Manifest, data_root: Path, path: Path, asset: str | None, timeframe: int | None
) -> _Plan:
    scope = path.relative_to(data_root).as_posix()
    prefix = "" if scope == "." else scope + "/"
    on_disk = scan_csv_files(path) if prefix else scan_csv_files(data_root)
    fresh: list[Path] = []
    excluded: list[int] = []
    served: set[str] = set()
    for rel, state in on_disk.items():
        full = f"{prefix}{rel}"
        entry = manifest.files.get(full)
        if entry is not None and (entry.size, entry.mtime_ns) == (state.size, state.mtime_ns):
            served.add(full)
        else:
            fresh.append(state.path)
    for rel, entry in manifest.files.items():
        inside = rel.startswith(prefix)
        if rel not in served and (not inside or (rel[len(prefix) :] in on_disk)):
            excluded.append(entry.id)
    wanted = [
        p
        for p in manifest.partitions.values()
        if (asset is None or same_asset(p.asset, asset))
        and (timeframe is None or p.timeframe == timeframe)
    ]
    keys = {f"{p.asset}\0{p.timeframe}\0{p.month}" for p in wanted}
    excluded_set = set(excluded)
    files = 0
    for entry in manifest.files.values():
        if entry.id in excluded_set:
            continue
        for key in entry.partitions:
            p = manifest.partitions.get(key)
            if p is not None and f"{p.asset}\0{p.timeframe}\0{p.month}" in keys:
                files += 1
                break
    return _Plan(wanted, np.array(sorted(excluded_set), dtype=np.int64), fresh, files)


def _read(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ohlc (4, n), sources) of one partition file."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, memory_map=True)
    starts = table.column("start").to_numpy()
    ohlc = np.empty((4, len(starts)), dtype=np.float64)
    for row, name in enumerate(_PRICES):
        ohlc[row] = table.column(name).to_numpy()
    return starts, ohlc, table.column("source").to_numpy().astype(np.int64)


def _series(
    data_root: Path, manifest: Manifest, plan: _Plan, checked: CheckedCandles | None
) -> dict[tuple[str, int], CandleSeries]:
    folder = archive_dir(data_root)
    groups: dict[tuple[str, int], list[PartitionEntry]] = {}
    for partition in sorted(plan.partitions, key=lambda p: p.month):
        groups.setdefault((partition.asset, partition.timeframe), []).append(partition)
    fresh = _fresh_by_series(checked)
    ranks = _ranks(manifest, data_root, checked)
    whole: dict[tuple[str, int], list[PartitionEntry]] = {}
    series: dict[tuple[str, int], CandleSeries] = {}
    for name in sorted(set(groups) | set(fresh)):
        parts = groups.get(name, [])
        if name not in fresh and not any(np.isin(p.sources, plan.excluded).any() for p in parts):
            whole[name] = parts
            continue
        one = _merged(name, parts, folder, plan.excluded, fresh.get(name), ranks)
        if len(one):
            series[name] = one
    series.update(_whole_partitions(whole, folder))
    return dict(sorted(series.items()))


def _whole_partitions(
    groups: dict[tuple[str, int], list[PartitionEntry]], folder: Path
) -> dict[tuple[str, int], CandleSeries]:
    """The winners of each series' partitions as they are, month after month, read straight
    into the series' arrays, the files in parallel (pyarrow and numpy's copies let go of the
    GIL)."""
    import pyarrow.parquet as pq

    jobs = []
    arrays = {}
    for name, parts in groups.items():
        size = sum(p.rows for p in parts)
        starts = np.empty(size, dtype=np.int64)
        ohlc = np.empty((4, size), dtype=np.float64)
        arrays[name] = (starts, ohlc)
        at = 0
        for partition in parts:
            jobs.append((folder / partition.candles, starts, ohlc, at, partition.rows))
            at += partition.rows

    def read(job: tuple[Path, np.ndarray, np.ndarray, int, int]) -> None:
        path, starts, ohlc, at, rows = job
        table = pq.read_table(path, columns=["start", *_PRICES], use_threads=False)
        if table.num_rows != rows:
            raise ArchiveError(
                f"{path} holds {table.num_rows} rows, its manifest says {rows}; run "
                "`qfdesk archive --rebuild`"
            )
        starts[at : at + rows] = table.column(0).to_numpy()
        for row in range(4):
            ohlc[row, at : at + rows] = table.column(row + 1).to_numpy()

    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1) or 1) as pool:
        list(pool.map(read, jobs))
    return {
        name: CandleSeries.holding(name[0], name[1], starts, ohlc)
        for name, (starts, ohlc) in arrays.items()
        if len(starts)
    }


def _merged(
    name: tuple[str, int],
    parts: list[PartitionEntry],
    folder: Path,
    excluded: np.ndarray,
    fresh: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    ranks: np.ndarray,
) -> CandleSeries:
    """The partitions' rows (winners and shadowed) but the ``excluded`` sources', with the
    ``fresh`` CSV rows (sources numbered after the archive's), the later-written kept."""
    starts, ohlc, sources = [], [], []
    for partition in parts:
        for file in (partition.candles, partition.shadowed):
            if file is None:
                continue
            s, o, src = _read(folder / file)
            keep = ~np.isin(src, excluded)
            starts.append(s[keep])
            ohlc.append(o[:, keep])
            sources.append(src[keep])
    if fresh is not None:
        starts.append(fresh[0])
        ohlc.append(fresh[1])
        sources.append(fresh[2])
    all_starts = np.concatenate(starts) if starts else np.empty(0, np.int64)
    all_ohlc = np.hstack(ohlc) if ohlc else np.empty((4, 0))
    all_sources = np.concatenate(sources) if sources else np.empty(0, np.int64)
    winners, _ = merge_rows(all_starts, all_sources, ranks)
    one = CandleSeries(name[0], name[1], capacity=len(winners))
    one.insert_many(all_starts[winners], all_ohlc[:, winners])
    return one


def _fresh_by_series(
    checked: CheckedCandles | None,
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The CSV rows read now by series (their rows are ordered by series): starts, ohlc, and
    source numbers ``-1 - file index`` (see ``_ranks``)."""
    if checked is None or not len(checked.starts):
        return {}
    found: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    codes, timeframes = checked.assets.codes, checked.timeframes
    cut = np.ones(len(codes), dtype=bool)
    cut[1:] = (codes[1:] != codes[:-1]) | (timeframes[1:] != timeframes[:-1])
    bounds = [*np.flatnonzero(cut).tolist(), len(codes)]
    for a, b in itertools.pairwise(bounds):
        name = (str(checked.assets.names[codes[a]]), int(timeframes[a]))
        found[name] = (checked.starts[a:b], checked.ohlc[:, a:b], -1 - checked.file_index[a:b])
    return found


def _ranks(manifest: Manifest, data_root: Path, checked: CheckedCandles | None) -> np.ndarray:
    """Write-order ranks for the archive's file ids and the CSVs read now, one array:
    archive id ``i`` at ``i``, the ``k``-th file read now at ``-1 - k`` (from the end)."""
    fresh = [] if checked is None else checked.files
    keys: list[tuple[tuple[float, int, float, str], int]] = []
    for rel, entry in manifest.files.items():
        keys.append(((*entry.order, str(data_root / rel)), entry.id))
    size = max(manifest.next_id, 1) + len(fresh)
    for k, info in enumerate(fresh):
        keys.append((info.order, size - 1 - k))
    ranks = np.zeros(size, dtype=np.int64)
    ordered = sorted(keys)
    ranks[[where for _, where in ordered]] = np.arange(len(ordered))
    return ranks
