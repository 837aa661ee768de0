"""Where the Parquet candle archive lives and what its manifest records.

Layout under a data root::

    data_output/archive/manifest.json
    data_output/archive/candles/asset=EURUSD_otc/timeframe=60/month=2025-10/part-000003.parquet
    data_output/archive/shadowed/asset=EURUSD_otc/timeframe=60/month=2025-10/part-000003.parquet

``candles/`` is a hive-partitioned dataset (asset URI-encoded, timeframe in seconds, month
of the candle's start): one file per partition, each candle once, the later-written CSV's row
(columns ``start``, ``open``, ``high``, ``low``, ``close`` and ``source``, the manifest id of
the CSV file it came from). ``shadowed/`` keeps the rows other files gave for the same
candles, so a changed file can be merged again exactly.

The manifest is the commit point: it names the one current file of each partition and, for
every CSV file read, its size and mtime (a file whose size or mtime differs is read again),
its write order (``FileInfo.order``) and the partitions it gave rows to. An update writes
new partition files under new names, then replaces the manifest atomically, then removes the
files it replaced; a crash before the replace leaves the previous archive whole (the files it
left behind are removed by the next update).

pyarrow is optional (the ``archive`` extra): ``require_pyarrow`` says how to install it.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Self
from urllib.parse import quote

import numpy as np

ARCHIVE_DIR = Path("data_output", "archive")
MANIFEST_NAME = "manifest.json"
LOCK_NAME = "update.lock"
CANDLES_DIR = "candles"
SHADOWED_DIR = "shadowed"
MANIFEST_VERSION = 1
INSTALL_HINT = "pip install 'qfdesk[archive]' (or: pip install pyarrow)"


class ArchiveError(Exception):
    """The archive cannot be read or updated; the message says why and what to do."""


def require_pyarrow() -> ModuleType:
    """The pyarrow module, or an ArchiveError saying how to install it."""
    try:
        import pyarrow
    except ImportError:
        raise ArchiveError(f"the Parquet archive needs pyarrow: {INSTALL_HINT}") from None
    module: ModuleType = pyarrow
    return module


def archive_dir(data_root: Path) -> Path:
    return Path(data_root) / ARCHIVE_DIR


def find_data_root(path: Path) -> Path | None:
    """The folder ``path`` is or is inside of whose archive has a manifest, else None. Only
    folders: a single CSV file is read as it is."""
    if not path.is_dir():
        return None
    for folder in (path, *path.parents):
        if (archive_dir(folder) / MANIFEST_NAME).is_file():
            return folder
    return None


def months_of(starts: np.ndarray) -> np.ndarray:
    """``2025-10`` for each start in October 2025 (platform epoch labelled UTC)."""
    return np.datetime_as_string(starts.astype("datetime64[s]").astype("datetime64[M]"))


def partition_key(asset: str, timeframe: int, month: str) -> str:
    return f"{quote(asset, safe='')}/{timeframe}/{month}"


def partition_folder(asset: str, timeframe: int, month: str) -> Path:
    """``asset=EURUSD_otc/timeframe=60/month=2025-10`` (the hive layout Dask and pyarrow read)."""
    return Path(f"asset={quote(asset, safe='')}", f"timeframe={timeframe}", f"month={month}")


@dataclass
class FileEntry:
    """A CSV file as the archive last read it."""

    id: int
    size: int
    mtime_ns: int
    order: tuple[float, int, float]
    """(written_at, part, mtime) of ``FileInfo.order``; the path completes it."""
    partitions: list[str] = field(default_factory=list)
    problems: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "order": list(self.order),
            "partitions": self.partitions,
            "problems": self.problems,
        }

    @staticmethod
    def of_json(data: dict[str, Any]) -> FileEntry:
        written_at, part, mtime = data["order"]
        return FileEntry(
            int(data["id"]),
            int(data["size"]),
            int(data["mtime_ns"]),
            (float(written_at), int(part), float(mtime)),
            [str(p) for p in data["partitions"]],
            int(data.get("problems", 0)),
        )


@dataclass
class PartitionEntry:
    """One partition's current files (relative to the archive folder) and its sources."""

    asset: str
    timeframe: int
    month: str
    candles: str
    shadowed: str | None
    rows: int
    sources: list[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "timeframe": self.timeframe,
            "month": self.month,
            "candles": self.candles,
            "shadowed": self.shadowed,
            "rows": self.rows,
            "sources": self.sources,
        }

    @staticmethod
    def of_json(data: dict[str, Any]) -> PartitionEntry:
        return PartitionEntry(
            str(data["asset"]),
            int(data["timeframe"]),
            str(data["month"]),
            str(data["candles"]),
            None if data["shadowed"] is None else str(data["shadowed"]),
            int(data["rows"]),
            [int(s) for s in data["sources"]],
        )


@dataclass
class Manifest:
    """Files by path relative to the data root (POSIX form), partitions by key."""

    generation: int = 0
    next_id: int = 0
    files: dict[str, FileEntry] = field(default_factory=dict)
    partitions: dict[str, PartitionEntry] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "generation": self.generation,
            "next_id": self.next_id,
            "files": {path: entry.to_json() for path, entry in sorted(self.files.items())},
            "partitions": {k: p.to_json() for k, p in sorted(self.partitions.items())},
        }

    @staticmethod
    def of_json(data: dict[str, Any]) -> Manifest:
        if data.get("version") != MANIFEST_VERSION:
            raise ValueError(f"manifest version {data.get('version')!r}, expected 1")
        return Manifest(
            int(data["generation"]),
            int(data["next_id"]),
            {str(p): FileEntry.of_json(e) for p, e in data["files"].items()},
            {str(k): PartitionEntry.of_json(p) for k, p in data["partitions"].items()},
        )

    def paths_by_id(self) -> dict[int, str]:
        return {entry.id: path for path, entry in self.files.items()}


def read_manifest(data_root: Path) -> Manifest | None:
    """The archive's manifest, None when there is no archive; ArchiveError when it is
    unreadable."""
    path = archive_dir(data_root) / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ArchiveError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return Manifest.of_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(
            f"{path} is damaged ({error}); run `qfdesk archive --rebuild` to build it again "
            "from the CSV files"
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all: a temporary file, flushed, then renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def write_manifest(data_root: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.to_json(), indent=1) + "\n"
    write_atomically(archive_dir(data_root) / MANIFEST_NAME, text.encode("utf-8"))


class UpdateLock:
    """One update of an archive at a time, across machines sharing the folder: a lock file
    created exclusively, naming the host and process that holds it. A lock left by a process
    of this host that no longer runs (it was killed) is taken over."""

    def __init__(self, data_root: Path) -> None:
        self.path = archive_dir(data_root) / LOCK_NAME

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._holder()
                if attempt == 0 and self._left_behind(holder):
                    self.path.unlink(missing_ok=True)
                    continue
                raise ArchiveError(
                    f"another `qfdesk archive` is updating this archive ({holder}); if none "
                    f"is running (it was stopped), remove {self.path} and run it again"
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(f"host {socket.gethostname()} pid {os.getpid()}\n")
            break
        return self

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return "unknown"

    @staticmethod
    def _left_behind(holder: str) -> bool:
        words = holder.split()
        if len(words) != 4 or words[1] != socket.gethostname() or not words[3].isdigit():
            return False
        try:
            os.kill(int(words[3]), 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)
