"""The Parquet archive against the CSV files it comes from, on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from disk_faults import disk_full_at, needs_file_size_limit

from qfdesk.cli import main
from qfdesk.engine.archive_build import update_archive
from qfdesk.engine.archive_store import (
    LOCK_NAME,
    MANIFEST_NAME,
    ArchiveError,
    archive_dir,
    read_manifest,
)
from qfdesk.engine.csv_sink import CsvSink, candle_dir
from qfdesk.engine.events import Candle
from qfdesk.engine.history_loader import LoadedHistory, load_csv_history, load_history
from qfdesk.engine.persist_settings import PersistSettings

pytest.importorskip("pyarrow")

T0 = 1_761_955_200 - 3 * 86_400  # three days before 2025-11-01: series cross a month
SETTINGS = PersistSettings(True, False, candle_chunk=700)


def write(root: Path, session: str, asset: str, timeframe: int, first: int, count: int, shift=0.0):
    """``count`` candles of ``asset`` from candle number ``first``, prices moved by
    ``shift`` (so two collectors' rows for one candle differ); returns the sink."""
    sink = CsvSink(root, SETTINGS, session=session)
    candles = []
    for i in range(first, first + count):
        base = 1.1 + 0.0001 * (i % 97) + shift
        candles.append(
            Candle(
                asset,
                timeframe,
                T0 + timeframe * i,
                base,
                base + 0.0003,
                base - 0.0002,
                base + 0.0001,
            )
        )
    sink.write_candles(candles)
    return sink


def two_collectors(root: Path) -> CsvSink:
    """Collector A (the older session) and collector B overlap on EURUSD 1m candles
    4000..4999 with other prices; GBPUSD at 5m from A only. Returns B's sink."""
    write(root, "20251029T000000Z-11-aaaa", "EURUSD_otc", 60, 0, 5000)
    write(root, "20251029T000000Z-11-aaaa", "GBPUSD_otc", 300, 0, 900)
    return write(root, "20251030T090000Z-22-bbbb", "EURUSD_otc", 60, 4000, 2500, shift=0.01)


def assert_same(archived: LoadedHistory, csvs: LoadedHistory) -> None:
    assert sorted(archived.series) == sorted(csvs.series)
    for key, expected in csvs.series.items():
        got = archived.series[key]
        for column in ("start", "open", "high", "low", "close"):
            assert np.array_equal(getattr(got, column), getattr(expected, column)), (key, column)


def served_by_archive(root: Path) -> bool:
    return (archive_dir(root) / MANIFEST_NAME).is_file()


def test_the_archive_equals_the_csvs_it_came_from_with_two_collectors_overlapping(tmp_path):
    two_collectors(tmp_path)
    old_tool = candle_dir(tmp_path, 60) / "USDJPY_otc_1m_2025_10_29_00_00_00.csv"
    old_tool.write_text(
        "timestamp,open,close,high,low\n"
        + "".join(f"2025-10-29 00:{i:02d}:00Z,150.1,150.2,150.3,150.0\n" for i in range(50))
        + "not a time,1,1,1,1\n"
    )
    csvs = load_csv_history(tmp_path)
    report = update_archive(tmp_path)
    assert served_by_archive(tmp_path)
    assert report.candles == sum(len(s) for s in csvs.series.values())
    assert [p.reason for p in report.problems] == [p.reason for p in csvs.problems]
    archived = load_history(tmp_path)
    assert_same(archived, csvs)
    eurusd = archived.series[("EURUSD_otc", 60)]
    later = eurusd.close[eurusd.find(T0 + 60 * 4500)]
    assert later == pytest.approx(1.1 + 0.0001 * (4500 % 97) + 0.01 + 0.0001)  # B wins
    for asset, timeframe in [("eurusd_otc", 60), ("GBPUSD_otc", None), (None, 300)]:
        assert_same(
            load_history(tmp_path, asset, timeframe), load_csv_history(tmp_path, asset, timeframe)
        )
    assert archived.files == csvs.files


def test_a_second_run_reads_only_the_changed_file_and_rewrites_only_its_partitions(tmp_path):
    collector = two_collectors(tmp_path)
    update_archive(tmp_path)
    before = read_manifest(tmp_path)
    assert before is not None
    collector.write_candles(
        Candle("EURUSD_otc", 60, T0 + 60 * i, 1.2, 1.3, 1.1, 1.2) for i in range(6500, 6550)
    )  # B's last part (of 700 rows) grows
    report = update_archive(tmp_path)
    after = read_manifest(tmp_path)
    assert after is not None
    assert (report.files_read, report.files_unchanged) == (1, len(before.files) - 1)
    changed = {k for k, p in after.partitions.items() if before.partitions[k].candles != p.candles}
    assert changed == {"EURUSD_otc/60/2025-11"}
    assert report.partitions_written == 1
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))
    nothing = update_archive(tmp_path)
    assert (nothing.files_read, nothing.partitions_written) == (0, 0)


def test_a_changed_file_gives_back_the_rows_it_had_shadowed(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    newer = min(p for p in candle_dir(tmp_path, 60).glob("EURUSD_otc_1m_20251030*"))
    lines = newer.read_text().splitlines(keepends=True)
    newer.write_text(lines[0] + "".join(lines[400:]))  # B's first 399 candles gone
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))  # before the update
    update_archive(tmp_path)
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))


def test_the_loader_reads_the_csvs_written_since_the_archive(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    write(tmp_path, "20251031T120000Z-33-cccc", "EURUSD_otc", 60, 6000, 800, shift=0.02)
    write(tmp_path, "20251031T120000Z-33-cccc", "AUDCAD_otc", 60, 0, 10)
    archived, csvs = load_history(tmp_path), load_csv_history(tmp_path)
    assert ("AUDCAD_otc", 60) in archived.series
    assert_same(archived, csvs)
    folder = candle_dir(tmp_path, 60)
    assert_same(load_history(folder, "EURUSD_otc"), load_csv_history(folder, "EURUSD_otc"))


def test_a_pruned_csv_stays_in_the_archive_until_a_rebuild(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    whole = load_csv_history(tmp_path)
    for path in candle_dir(tmp_path, 300).glob("*.csv"):
        path.unlink()
    assert ("GBPUSD_otc", 300) not in load_csv_history(tmp_path).series
    assert_same(load_history(tmp_path), whole)
    update_archive(tmp_path, rebuild=True)
    assert ("GBPUSD_otc", 300) not in load_history(tmp_path).series


def test_the_backtest_command_reads_the_archive(tmp_path, capsys):
    two_collectors(tmp_path)
    assert main(["archive", "--data-dir", str(tmp_path)]) == 0
    assert "the archive holds 7,400 candles" in capsys.readouterr().out
    for path in candle_dir(tmp_path, 60).glob("*_20251029T*.csv"):
        path.unlink()  # collector A's files pruned: only the archive has candles 0..3999
    out = tmp_path / "report.json"
    argv = ["backtest", "--data", str(tmp_path), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    assert main([*argv, "--payout", "92", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["candles"], report["first_candle"]) == (6500, T0)


def test_the_sweep_command_reads_the_archive(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    for path in candle_dir(tmp_path, 60).glob("*_20251029T*.csv"):
        path.unlink()
    out = tmp_path / "sweep.json"
    argv = ["sweep", "--data", str(tmp_path), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    grid = ["--grid", "fast=2..3", "--grid", "slow=4..8:4", "--workers", "1"]
    assert main([*argv, *grid, "--json", str(out)]) == 0
    assert json.loads(out.read_text())["candles"] == 6500


@needs_file_size_limit
def test_an_update_stopped_by_a_full_disk_leaves_the_previous_archive_readable(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    previous = load_history(tmp_path)
    write(tmp_path, "20251031T120000Z-33-cccc", "EURUSD_otc", 60, 0, 6500, shift=0.05)
    with pytest.raises(OSError), disk_full_at(4096):
        update_archive(tmp_path)
    assert not (archive_dir(tmp_path) / LOCK_NAME).exists()
    manifest = read_manifest(tmp_path)
    assert manifest is not None and manifest.generation == 1
    stale = load_history(tmp_path)  # the archive, plus the new CSVs read as CSVs
    assert_same(stale, load_csv_history(tmp_path))
    assert not np.array_equal(
        stale.series[("EURUSD_otc", 60)].close, previous.series[("EURUSD_otc", 60)].close
    )
    update_archive(tmp_path)
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))
    named = {p.candles for p in read_manifest(tmp_path).partitions.values()}
    on_disk = {
        p.relative_to(archive_dir(tmp_path)).as_posix()
        for p in (archive_dir(tmp_path) / "candles").rglob("*")
        if p.is_file()
    }
    assert on_disk == named  # what the stopped update left behind is gone


def test_a_second_update_at_once_is_refused_with_what_to_do(tmp_path, capsys):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    lock = archive_dir(tmp_path) / LOCK_NAME
    lock.write_text(f"host elsewhere pid {os.getpid()}\n")
    with pytest.raises(ArchiveError, match="remove .*update.lock"):
        update_archive(tmp_path)
    assert main(["archive", "--data-dir", str(tmp_path)]) == 2
    assert "another `qfdesk archive`" in capsys.readouterr().err


def test_without_pyarrow_the_command_says_how_to_install_it_and_the_loader_reads_csvs(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    for path in candle_dir(tmp_path, 300).glob("*.csv"):
        path.unlink()
    script = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from pathlib import Path\n"
        "from qfdesk.cli import main\n"
        "from qfdesk.engine.history_loader import load_history\n"
        f"root = Path({str(tmp_path)!r})\n"
        "print(sorted(load_history(root).series))\n"
        "sys.exit(main(['archive', '--data-dir', str(root)]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "pip install 'qfdesk[archive]'" in done.stderr
    assert done.stdout.strip() == "[('EURUSD_otc', 60)]"  # the CSVs alone


def test_dask_reads_the_candles_folder_as_the_merged_series(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    two_collectors(tmp_path)
    update_archive(tmp_path)
    frame = dd.read_parquet(
        archive_dir(tmp_path) / "candles",
        filters=[("asset", "==", "EURUSD_otc"), ("timeframe", "==", 60)],
    ).compute()
    frame = frame.sort_values("start")
    expected = load_csv_history(tmp_path).series[("EURUSD_otc", 60)]
    assert np.array_equal(frame["start"].to_numpy(), expected.start)
    assert np.array_equal(frame["close"].to_numpy(), expected.close)


def test_a_damaged_manifest_is_explained_and_a_rebuild_replaces_it(tmp_path, capsys):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    (archive_dir(tmp_path) / MANIFEST_NAME).write_text('{"version": 1, "files": ')
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))  # the CSVs, logged
    assert main(["archive", "--data-dir", str(tmp_path)]) == 2
    assert "--rebuild" in capsys.readouterr().err
    assert main(["archive", "--data-dir", str(tmp_path), "--rebuild"]) == 0
    assert read_manifest(tmp_path) is not None
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))


def test_a_missing_or_damaged_partition_file_falls_back_to_the_csvs(tmp_path):
    two_collectors(tmp_path)
    update_archive(tmp_path)
    partitions = sorted((archive_dir(tmp_path) / "candles").rglob("*.parquet"))
    assert partitions
    partitions[0].write_bytes(b"not parquet")
    partitions[-1].unlink()
    assert_same(load_history(tmp_path), load_csv_history(tmp_path))
