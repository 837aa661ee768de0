"""The collector's path on a disk that fills part way through a batch and then recovers:
the real capture ends up on disk exactly as on a healthy disk, every row once."""

from __future__ import annotations

import csv
from pathlib import Path

from disk_faults import disk_full_at, needs_file_size_limit

from qfdesk.engine.csv_sink import CsvSink, tick_dir
from qfdesk.engine.history_loader import load_ticks
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline

BATCH = 10  # log lines per batch, as the live tail hands them over
FULL = range(18, 24)  # the batches during which the disk is full


def batches(capture: Path) -> list[list[str]]:
    lines = capture.read_text().splitlines()
    return [lines[i : i + BATCH] for i in range(0, len(lines), BATCH)]


def streams(root: Path) -> dict[tuple[str, ...], list[list[str]]]:
    """Every data row under ``root``, per stream (folder, asset), in file order."""
    found: dict[tuple[str, ...], list[list[str]]] = {}
    for path in sorted(root.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for row in list(csv.reader(f))[1:]:
                found.setdefault((path.parent.name, row[1]), []).append(row)
    return found


def new_pipeline(root: Path) -> Pipeline:
    return Pipeline([60, 300], CsvSink(root, PersistSettings(True, True), session="s1"))


@needs_file_size_limit
def test_a_disk_full_mid_batch_then_freed_leaves_every_row_on_disk_exactly_once(
    capture_path: Path, tmp_path: Path
) -> None:
    healthy = new_pipeline(tmp_path / "healthy")
    for batch in batches(capture_path):
        healthy.feed(batch)
    assert healthy.write_errors == 0

    root = tmp_path / "filling"
    pipeline = new_pipeline(root)
    sink = pipeline.sink
    assert sink is not None
    failed_part_way = 0
    for n, batch in enumerate(batches(capture_path)):
        if n not in FULL:
            pipeline.feed(batch)
            continue
        # Full a few rows past the biggest tick file: a batch's ticks cross it part way.
        biggest = max(p.stat().st_size for p in (root / "data_output").rglob("*ticks*.csv"))
        ticks, errors = sink.ticks_written, pipeline.write_errors
        with disk_full_at(biggest + 100):
            pipeline.feed(batch)
        failed_part_way += pipeline.write_errors > errors and sink.ticks_written > ticks
    assert pipeline.write_errors > 0
    assert failed_part_way > 0, "some batch failed after part of its ticks reached the disk"

    assert streams(root) == streams(tmp_path / "healthy")
    assert sink.ticks_written == healthy.sink.ticks_written == 148
    assert sink.candles_written == healthy.sink.candles_written
    assert len(sink.files) > len(healthy.sink.files), "each failure started a new part"
    _, problems = load_ticks(tick_dir(root))
    assert problems == [], "no torn line left behind"
