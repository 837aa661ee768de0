"""The CSV sink writes real files: layout, exact formats, rotation, sessions, duplicates."""

from __future__ import annotations

import csv
import errno
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from disk_faults import disk_full_at, needs_file_size_limit
from hypothesis import given
from hypothesis import strategies as st

from qfdesk.engine.csv_sink import (
    CsvSink,
    SinkWriteError,
    candle_dir,
    format_candle_time,
    format_price,
    format_tick_time,
    new_session_id,
    tick_dir,
)
from qfdesk.engine.events import Candle, CandleClosed, Tick
from qfdesk.engine.persist_settings import PersistSettings

STREAM = Path("data_output", "assets_data", "realtime_stream")
T0 = 1761183840  # 2025-10-23 01:44:00 as the platform labels it


def candle(i: int, asset: str = "EURUSD_otc", timeframe: int = 60, close: float = 1.1) -> Candle:
    return Candle(
        asset, timeframe, T0 // timeframe * timeframe + i * timeframe, 1.1, 1.2, 1.0, close
    )


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.csv"))


def test_layout_one_folder_per_timeframe_and_ticks(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    written = sink.write_candles([candle(0, timeframe=tf) for tf in (5, 60, 300, 900, 3600, 14400)])
    assert written == 6
    assert sink.write_ticks([Tick("EURUSD_otc", 1756866774.962, 1.17)]) == 1
    folders = {p.parent.relative_to(tmp_path) for p in all_files(tmp_path)}
    assert folders == {
        STREAM / name
        for name in (
            "5S_candle_data",
            "1M_candle_data",
            "5M_candle_data",
            "15M_candle_data",
            "1H_candle_data",
            "4H_candle_data",
            "1M_tick_data",
        )
    }
    assert candle_dir(tmp_path, 60) == tmp_path / STREAM / "1M_candle_data"
    assert tick_dir(tmp_path) == tmp_path / STREAM / "1M_tick_data"


def test_candle_rows_exact_and_never_shifted(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False), session="s1")
    c = Candle("EURUSD_otc", 60, T0, 1.08012, 1.0802300000000001, 0.1 + 0.2, 1.080119999999999)
    sink.write_candles([c])
    (path,) = all_files(tmp_path)
    assert path.name == "EURUSD_otc_1m_s1_part000001.csv"
    header, row = rows_of(path)
    assert header == ["timestamp", "asset", "timeframe", "open", "high", "low", "close"]
    assert row[:3] == ["2025-10-23T01:44:00Z", "EURUSD_otc", "1m"]
    # The platform's number, labelled UTC: the same instant datetime gives for that epoch.
    assert row[0] == datetime.fromtimestamp(T0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [float(x) for x in row[3:]] == [c.open, c.high, c.low, c.close]
    assert path.read_bytes().endswith(b"\n") and b"\r" not in path.read_bytes()


@given(st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_prices_are_written_without_loss(price: float) -> None:
    assert float(format_price(price)) == price


@given(st.integers(min_value=1_500_000_000_000, max_value=2_500_000_000_000))
def test_tick_times_keep_the_millisecond(millis: int) -> None:
    text = format_tick_time(millis / 1000)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert round(parsed.timestamp() * 1000) == millis


def test_tick_time_float_noise_is_rounded_away() -> None:
    assert format_tick_time(1756866774.962) == "2025-09-03T02:32:54.962Z"
    assert format_tick_time(1756866774.9619999) == "2025-09-03T02:32:54.962Z"
    assert format_tick_time(1756866774.9995) == "2025-09-03T02:32:55.000Z"
    assert format_tick_time(1756866774.0) == "2025-09-03T02:32:54.000Z"
    assert format_candle_time(1756866720) == "2025-09-03T02:32:00Z"


def test_tick_rows(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True), session="s1")
    ticks = [Tick("EURUSD_otc", 1756866774.962, 1.17353), Tick("EURUSD_otc", 1756866775.0, 1.5)]
    assert sink.write_ticks(ticks) == 2
    (path,) = all_files(tmp_path)
    assert path.name == "EURUSD_otc_ticks_s1_part000001.csv"
    assert rows_of(path) == [
        ["timestamp", "asset", "price"],
        ["2025-09-03T02:32:54.962Z", "EURUSD_otc", "1.17353"],
        ["2025-09-03T02:32:55.000Z", "EURUSD_otc", "1.5"],
    ]


def test_candle_rotation_header_in_every_file_names_sort_by_time(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True, candle_chunk=3))
    batches = [[candle(0)], [candle(i) for i in range(1, 5)], [candle(i) for i in range(5, 10)]]
    assert [sink.write_candles(b) for b in batches] == [1, 4, 5]
    files = all_files(tmp_path)
    assert files == sorted(sink.files)
    assert [len(rows_of(f)) - 1 for f in files] == [3, 3, 3, 1]
    starts = []
    for f in files:
        header, *rows = rows_of(f)
        assert header[:7] == ["timestamp", "asset", "timeframe", "open", "high", "low", "close"]
        starts += [row[0] for row in rows]
    assert starts == [format_candle_time(T0 + 60 * i) for i in range(10)]
    assert sink.candles_written == 10
    assert sink.stats.files_by_asset == {"EURUSD_otc": 4}


def test_tick_rotation_default_1000(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True))
    ticks = [Tick("EURUSD_otc", (1756866774962 + i) / 1000, 1.17) for i in range(2500)]
    assert sink.write_ticks(ticks[:700]) == 700
    assert sink.write_ticks(ticks[700:]) == 1800
    files = all_files(tmp_path)
    assert [len(rows_of(f)) - 1 for f in files] == [1000, 1000, 500]
    assert all(rows_of(f)[0] == ["timestamp", "asset", "price"] for f in files)
    assert sink.ticks_written == 2500


def test_candle_default_chunk_100(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles([candle(i) for i in range(250)])
    assert [len(rows_of(f)) - 1 for f in all_files(tmp_path)] == [100, 100, 50]


def test_per_asset_and_timeframe_files(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True), session="s1")
    sink.write_candles([candle(0, "EURUSD_otc"), candle(0, "GBPUSD_otc"), candle(0, timeframe=300)])
    sink.write_ticks([Tick("EURUSD_otc", 1756866774.5, 1.1), Tick("#AAPL_otc", 1756866774.5, 2.0)])
    names = sorted(p.name for p in all_files(tmp_path))
    assert names == [
        "#AAPL_otc_ticks_s1_part000001.csv",
        "EURUSD_otc_1m_s1_part000001.csv",
        "EURUSD_otc_5m_s1_part000001.csv",
        "EURUSD_otc_ticks_s1_part000001.csv",
        "GBPUSD_otc_1m_s1_part000001.csv",
    ]
    assert sink.stats.files_by_asset == {"EURUSD_otc": 3, "GBPUSD_otc": 1, "#AAPL_otc": 1}


def test_unsafe_asset_characters_stay_out_of_names_but_in_the_rows(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True), session="s1")
    sink.write_ticks([Tick("BTC/USD", 1756866774.5, 1.1), Tick("BTC:USD", 1756866774.6, 1.2)])
    (path,) = all_files(tmp_path)
    assert path.name == "BTC-USD_ticks_s1_part000001.csv"
    assert [row[1] for row in rows_of(path)[1:]] == ["BTC/USD", "BTC:USD"]


def test_each_candle_once_per_session(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    first = sink.write_candles([candle(0), candle(1), candle(0, close=1.15)])
    again = sink.write_candles(
        [CandleClosed(candle(1), by="tick"), CandleClosed(candle(2), by="clock")]
    )
    assert (first, again) == (2, 1)
    assert sink.stats.duplicate_candles == 2
    rows = [row for f in all_files(tmp_path) for row in rows_of(f)[1:]]
    assert [row[0] for row in rows] == [format_candle_time(T0 + 60 * i) for i in range(3)]
    assert rows[0][6] == "1.1"  # the first one handed in is the one kept
    # The same start at another timeframe or asset is another candle.
    assert sink.write_candles([candle(0, timeframe=300), candle(0, asset="GBPUSD_otc")]) == 2


def test_history_arriving_after_live_candles_is_still_written(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles([candle(10), candle(11)])
    assert sink.write_candles([candle(i) for i in range(12)]) == 10


def test_impossible_candles_and_ticks_are_skipped_and_counted(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    bad = [
        Candle("A", 60, T0, 1.1, 1.0, 1.2, 1.1),  # high below low
        Candle("A", 60, T0 + 1, 1.1, 1.2, 1.0, 1.1),  # off the 1m grid
        Candle("A", 60, T0, 0.0, 1.2, 0.0, 1.1),  # zero price
        Candle("A", 60, T0, float("nan"), 1.2, 1.0, 1.1),
        Candle("A", 60, T0, 1.3, 1.2, 1.0, 1.1),  # open above high
    ]
    assert sink.write_candles([*bad, candle(0)]) == 1
    assert sink.write_ticks([Tick("A", 1756866774.5, -1.0), Tick("A", float("inf"), 1.0)]) == 0
    assert sink.stats.invalid_skipped == 7
    assert len(all_files(tmp_path)) == 1


def test_switches_off_write_nothing(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, False))
    assert sink.write_candles([candle(0)]) == 0
    assert sink.write_ticks([Tick("A", 1756866774.5, 1.0)]) == 0
    assert not any(tmp_path.iterdir())


def test_two_sessions_never_share_a_file(tmp_path: Path) -> None:
    settings = PersistSettings(True, True, candle_chunk=2, tick_chunk=2)
    a, b = CsvSink(tmp_path, settings), CsvSink(tmp_path, settings)
    assert a.session != b.session
    for i in range(5):
        a.write_candles([candle(i)])
        b.write_candles([candle(i, close=1.15)])
        a.write_ticks([Tick("EURUSD_otc", 1756866774 + i, 1.1)])
        b.write_ticks([Tick("EURUSD_otc", 1756866774 + i, 1.2)])
    assert set(a.files).isdisjoint(b.files)
    assert sorted(a.files + b.files) == all_files(tmp_path)
    for sink, close in ((a, "1.1"), (b, "1.15")):
        rows = [row for f in sink.files if "_1m_" in f.name for row in rows_of(f)[1:]]
        assert [row[6] for row in rows] == [close] * 5


def test_a_reused_session_id_never_appends_to_the_other_sinks_file(tmp_path: Path) -> None:
    CsvSink(tmp_path, PersistSettings(True, False), session="same").write_candles([candle(0)])
    other = CsvSink(tmp_path, PersistSettings(True, False), session="same")
    with pytest.raises(SinkWriteError) as failed:
        other.write_candles([candle(1)])
    assert failed.value.errno == errno.EEXIST and failed.value.unwritten == (candle(1),)
    (path,) = all_files(tmp_path)
    assert len(rows_of(path)) == 2


def test_session_id_shape() -> None:
    session = new_session_id(now=1761183840.5)
    assert re.fullmatch(rf"20251023T014400Z-{os.getpid()}-[0-9a-f]{{4}}", session)
    with pytest.raises(ValueError, match="letters, digits"):
        CsvSink(Path("."), PersistSettings(True, True), session="a_b")


def test_no_file_handle_is_held_between_batches(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    sink.write_candles([candle(i) for i in range(3)])
    sink.write_ticks([Tick("EURUSD_otc", 1756866774.5, 1.1)])
    fd_dir = Path("/proc/self/fd")
    open_paths = set()
    for fd in fd_dir.iterdir():
        try:
            open_paths.add(os.readlink(fd))
        except OSError:
            continue
    assert not any(p.startswith(str(tmp_path)) for p in open_paths)


def test_a_failed_write_keeps_counts_true_and_moves_to_a_new_part(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False, candle_chunk=2), session="s1")
    blocker = candle_dir(tmp_path, 60) / "EURUSD_otc_1m_s1_part000002.csv"
    blocker.mkdir(parents=True)  # the second part cannot be created
    closed = [CandleClosed(candle(i), by="clock") for i in range(4)]
    with pytest.raises(SinkWriteError) as failed:
        sink.write_candles(closed)
    assert sink.candles_written == 2
    assert failed.value.unwritten == tuple(closed[2:]), "the items handed in, not on disk"
    blocker.rmdir()
    # The two that did not reach the disk are written by the next batch, in part 3.
    assert sink.write_candles([candle(i) for i in range(4)]) == 2
    names = [p.name for p in all_files(tmp_path)]
    assert names == ["EURUSD_otc_1m_s1_part000001.csv", "EURUSD_otc_1m_s1_part000003.csv"]
    assert sink.stats.duplicate_candles == 2


def test_a_folder_deleted_while_running_is_created_again(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles([candle(0)])
    shutil.rmtree(tmp_path / "data_output")
    with pytest.raises(SinkWriteError) as failed:
        sink.write_candles([candle(1)])
    assert failed.value.errno == errno.ENOENT
    assert sink.write_candles([candle(1)]) == 1
    assert [len(rows_of(f)) for f in all_files(tmp_path)] == [2]


def tick_rows(ticks: list[Tick]) -> list[list[str]]:
    return [[format_tick_time(t.time), t.asset, format_price(t.price)] for t in ticks]


def rows_by_asset(root: Path) -> dict[str, list[list[str]]]:
    rows: dict[str, list[list[str]]] = {}
    for path in all_files(root):
        for row in rows_of(path)[1:]:
            rows.setdefault(row[1], []).append(row)
    return rows


def test_a_batch_that_fails_part_way_names_the_ticks_not_on_disk_and_a_retry_adds_only_them(
    tmp_path: Path,
) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True, tick_chunk=3), session="s1")
    eur = [Tick("EURUSD_otc", 1756866774.5 + i, 1.1 + i / 1000) for i in range(5)]
    gbp = [Tick("GBPUSD_otc", 1756866774.5 + i, 1.3 + i / 1000) for i in range(2)]
    blocker = tick_dir(tmp_path) / "EURUSD_otc_ticks_s1_part000002.csv"
    blocker.mkdir(parents=True)  # EURUSD's second part cannot be created
    with pytest.raises(SinkWriteError) as failed:
        sink.write_ticks([*eur[:2], gbp[0], *eur[2:], gbp[1]])
    assert failed.value.errno == errno.EEXIST
    assert failed.value.unwritten == (*eur[3:], *gbp)
    assert sink.ticks_written == 3
    blocker.rmdir()
    assert sink.write_ticks(failed.value.unwritten) == 4
    assert rows_by_asset(tmp_path) == {"EURUSD_otc": tick_rows(eur), "GBPUSD_otc": tick_rows(gbp)}
    assert sink.ticks_written == 7


@needs_file_size_limit
def test_a_disk_that_fills_mid_file_keeps_the_whole_rows_and_cuts_off_the_torn_one(
    tmp_path: Path,
) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True), session="s1")
    ticks = [Tick("EURUSD_otc", 1756866774.5 + i / 10, 1.17 + i / 100_000) for i in range(600)]
    with disk_full_at(10_000), pytest.raises(SinkWriteError) as failed:
        sink.write_ticks(ticks)
    assert failed.value.errno == errno.EFBIG
    (path,) = all_files(tmp_path)
    data = path.read_bytes()
    assert data.endswith(b"\n") and len(data) < 10_000, "the torn row was cut off again"
    on_disk = len(rows_of(path)) - 1
    assert 0 < on_disk < len(ticks)
    assert sink.ticks_written == on_disk
    assert failed.value.unwritten == tuple(ticks[on_disk:])
    assert sink.write_ticks(failed.value.unwritten) == len(ticks) - on_disk
    assert rows_by_asset(tmp_path) == {"EURUSD_otc": tick_rows(ticks)}
    assert [p.name for p in all_files(tmp_path)] == [
        "EURUSD_otc_ticks_s1_part000001.csv",
        "EURUSD_otc_ticks_s1_part000002.csv",
    ]


@needs_file_size_limit
def test_a_new_part_that_gets_no_whole_row_is_removed(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False), session="s1")
    with disk_full_at(60), pytest.raises(SinkWriteError) as failed:
        sink.write_candles([candle(0)])  # the header fits, the row does not
    assert failed.value.unwritten == (candle(0),)
    assert all_files(tmp_path) == [] and sink.files == []
    assert sink.write_candles([candle(0)]) == 1
    assert [p.name for p in all_files(tmp_path)] == ["EURUSD_otc_1m_s1_part000002.csv"]


def test_asset_names_that_need_quoting_are_quoted_one_row_each(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(False, True), session="s1")
    odd = 'A,"B\nC'
    ticks = [Tick(odd, 1756866774.5 + i, 1.1 + i / 1000) for i in range(3)]
    assert sink.write_ticks(ticks) == 3
    (path,) = all_files(tmp_path)
    assert rows_of(path)[1:] == [
        [format_tick_time(t.time), odd, format_price(t.price)] for t in ticks
    ]
