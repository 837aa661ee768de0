"""The payout history as the collector writes it: one row per change of an asset's payout or
open/closed state, stamped in platform time, rotated with a header per file, read back by
the loader the backtest and the sweep use."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from disk_faults import disk_full_at, needs_file_size_limit

from qfdesk.cli import main
from qfdesk.engine.archive_build import scan_csv_files
from qfdesk.engine.csv_sink import PAYOUT_COLUMNS, CsvSink, payout_dir
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import AssetInfo, AssetTable, Tick
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.payout_history import load_payouts
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline

OFFSET = 7200.0  # platform minus UTC in these tests
WALL = 1_761_180_000.0


def info(symbol: str, payout: float, active: bool = True) -> AssetInfo:
    return AssetInfo(1, symbol, symbol, "currency", payout, True, active, (60,))


def table(received: float, *rows: tuple[str, float, bool]) -> AssetTable:
    return AssetTable(tuple(info(*row) for row in rows), received)


def tick(received: float) -> Tick:
    return Tick("EURUSD_otc", received + OFFSET, 1.1, received)


def payout_rows(root: Path) -> list[list[str]]:
    """Every data row of the payout files, in file order; each file must start with the
    header."""
    rows = []
    for path in sorted(payout_dir(root).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == PAYOUT_COLUMNS, path
        rows += lines[1:]
    return rows


def pipeline(root: Path, *, save: bool = True, chunk: int = 1000) -> Pipeline:
    settings = PersistSettings(save, False, payout_chunk=chunk)
    return Pipeline([60], CsvSink(root, settings, session="s1"))


def test_each_change_is_written_once_and_a_repeated_table_writes_nothing(tmp_path):
    p = pipeline(tmp_path)
    p.feed_events([tick(WALL), table(WALL, ("EURUSD_otc", 92, True), ("GBPUSD_otc", 90, True))])
    p.feed_events(
        [tick(WALL + 5), table(WALL + 5, ("EURUSD_otc", 92, True), ("GBPUSD_otc", 90, True))]
    )
    p.feed_events([table(WALL + 9, ("EURUSD_otc", 85, True), ("GBPUSD_otc", 90, True))])
    p.feed_events([table(WALL + 12, ("EURUSD_otc", 85, False), ("GBPUSD_otc", 90, True))])
    p.feed_events([table(WALL + 15, ("EURUSD_otc", 85, False), ("GBPUSD_otc", 90, True))])
    assert payout_rows(tmp_path) == [
        ["2025-10-23T02:40:00.000Z", "EURUSD_otc", "92", "1"],
        ["2025-10-23T02:40:00.000Z", "GBPUSD_otc", "90", "1"],
        ["2025-10-23T02:40:09.000Z", "EURUSD_otc", "85", "1"],
        ["2025-10-23T02:40:12.000Z", "EURUSD_otc", "85", "0"],
    ]
    assert p.summary().payouts_written == 4
    schedule, problems = load_payouts(tmp_path, "EURUSD_otc")
    assert problems == []
    assert schedule.times.tolist() == [WALL + OFFSET, WALL + 9 + OFFSET, WALL + 12 + OFFSET]


def test_a_table_before_any_tick_waits_for_the_platform_clock(tmp_path):
    p = pipeline(tmp_path)
    p.feed_events([table(WALL, ("EURUSD_otc", 92, True))])
    assert payout_rows(tmp_path) == []
    assert p.finish().payouts_unstamped == 1
    p.feed_events([tick(WALL + 30)])
    # Dated when the table came, in the platform time the first tick measured.
    assert payout_rows(tmp_path) == [["2025-10-23T02:40:00.000Z", "EURUSD_otc", "92", "1"]]
    assert p.finish().payouts_unstamped == 0


def test_two_changes_in_one_batch_are_both_written(tmp_path):
    p = pipeline(tmp_path)
    p.feed_events(
        [
            tick(WALL),
            table(WALL, ("EURUSD_otc", 92, True)),
            table(WALL + 1, ("EURUSD_otc", 80, True)),
            table(WALL + 2, ("EURUSD_otc", 92, True)),
        ]
    )
    assert [row[2] for row in payout_rows(tmp_path)] == ["92", "80", "92"]


def test_payouts_follow_the_save_candles_switch_and_catch_up_when_it_turns_on(tmp_path):
    p = pipeline(tmp_path, save=False)
    p.feed_events([tick(WALL), table(WALL, ("EURUSD_otc", 92, True), ("GBPUSD_otc", 90, True))])
    p.feed_events([table(WALL + 10, ("EURUSD_otc", 70, True), ("GBPUSD_otc", 90, True))])
    assert not payout_dir(tmp_path).exists()
    assert p.sink is not None
    p.sink.settings = PersistSettings(True, False)
    p.on_wall_clock(WALL + 20)
    # The state in force when saving began, dated when it was first seen; nothing in between.
    assert payout_rows(tmp_path) == [
        ["2025-10-23T02:40:00.000Z", "GBPUSD_otc", "90", "1"],
        ["2025-10-23T02:40:10.000Z", "EURUSD_otc", "70", "1"],
    ]
    p.feed_events([table(WALL + 30, ("EURUSD_otc", 70, True), ("GBPUSD_otc", 90, True))])
    assert len(payout_rows(tmp_path)) == 2


def test_payout_files_rotate_with_a_header_each(tmp_path):
    p = pipeline(tmp_path, chunk=2)
    p.feed_events([tick(WALL), table(WALL, *[(f"A{n}_otc", 80 + n, True) for n in range(5)])])
    files = sorted(payout_dir(tmp_path).glob("*.csv"))
    assert [f.name for f in files] == [f"payouts_s1_part00000{n}.csv" for n in (1, 2, 3)]
    assert len(payout_rows(tmp_path)) == 5
    schedule, problems = load_payouts(tmp_path, "A4_otc")
    assert problems == [] and schedule.payout.tolist() == [84]


def test_a_half_written_last_line_after_a_crash_still_loads(tmp_path):
    p = pipeline(tmp_path)
    p.feed_events([tick(WALL), table(WALL, ("EURUSD_otc", 92, True))])
    p.feed_events([table(WALL + 60, ("EURUSD_otc", 88, True))])
    (path,) = payout_dir(tmp_path).glob("*.csv")
    with path.open("a") as handle:  # what a kill during the next write leaves
        handle.write("2025-10-23T02:42:00.000Z,EURUSD_otc,7")
    # The next session (a restart) writes files of its own.
    later = Pipeline([60], CsvSink(tmp_path, PersistSettings(True, False), session="s2"))
    later.feed_events([tick(WALL + 120), table(WALL + 120, ("EURUSD_otc", 75, True))])
    schedule, problems = load_payouts(tmp_path, "EURUSD_otc")
    assert schedule.payout.tolist() == [92, 88, 75]
    assert [(p.file, p.line) for p in problems] == [(path, 4)]


def test_a_replay_of_the_capture_records_its_two_asset_tables(capture_path, tmp_path, capsys):
    assert main(["replay", str(capture_path), "--data-dir", str(tmp_path)]) == 0
    assert "payouts written:  240 changes" in capsys.readouterr().out
    rows = payout_rows(tmp_path)
    decoded = FrameDecoder().feed_many(capture_path.read_text().splitlines())
    first, second = (e for e in decoded if type(e) is AssetTable)
    changed = {
        a.symbol
        for a, b in zip(first.assets, second.assets, strict=True)
        if (a.payout, a.is_active) != (b.payout, b.is_active)
    }
    # Every asset once when first seen, then once more for each that changed.
    assert len(rows) == len(first.assets) + len(changed) == 183 + 57
    assert len({tuple(row) for row in rows}) == len(rows)
    apple, problems = load_payouts(tmp_path, "#AAPL_otc")
    assert problems == [] and apple.payout.tolist() == [90, 79]
    # Platform time: the tables came between ticks stamped 02:32:54 and 02:34 on its clock.
    assert all(row[0].startswith("2025-09-03T02:3") for row in rows)
    # The candle loader (backtest, chart) and the archive leave the payout files alone.
    assert load_history(tmp_path).problems == []
    archived = scan_csv_files(tmp_path)
    assert archived and not any("payout_data" in name for name in archived)


def test_no_payouts_are_written_when_candles_are_not_saved(capture_path, tmp_path, capsys):
    argv = ["replay", str(capture_path), "--data-dir", str(tmp_path), "--no-save-candles"]
    assert main(argv) == 0
    assert "payouts written:  0 changes" in capsys.readouterr().out
    assert not payout_dir(tmp_path).exists()


@pytest.mark.parametrize("bad", [float("nan"), -1.0])
def test_an_impossible_payout_change_is_skipped_and_counted(tmp_path, bad):
    from qfdesk.engine.events import PayoutChange

    sink = CsvSink(tmp_path, PersistSettings(True, False), session="s1")
    written = sink.write_payouts(
        [PayoutChange("EURUSD_otc", bad, 92, True), PayoutChange("EURUSD_otc", WALL, 92, True)]
    )
    assert written == 1 and sink.invalid_skipped == 1


@needs_file_size_limit
def test_a_disk_full_mid_table_then_freed_leaves_each_change_on_disk_once(tmp_path):
    p = pipeline(tmp_path)
    assets = [(f"A{n:02d}_otc", 50 + n, True) for n in range(40)]
    p.feed_events([tick(WALL)])
    with disk_full_at(700):  # the header and some rows fit, the table does not
        p.feed_events([table(WALL + 1, *assets)])
    assert p.write_errors == 1
    assert 0 < len(payout_rows(tmp_path)) < len(assets)
    p.feed_events([tick(WALL + 2)])
    rows = payout_rows(tmp_path)
    assert [(row[1], int(row[2])) for row in rows] == [(a, payout) for a, payout, _ in assets]
    assert all(len(row) == len(PAYOUT_COLUMNS) for row in rows), "no torn line left behind"
