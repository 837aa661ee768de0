"""Loading history from real files: round trips, crashes, bad rows, overlaps, the old tool."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.csv_sink import CsvSink, candle_dir, tick_dir
from qfdesk.engine.events import Candle, Tick
from qfdesk.engine.history_loader import RowProblem, load_history, load_ticks
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.series import CandleSeries

T0 = 1761183840  # 2025-10-23 01:44:00 platform time
OURS_HEADER = "timestamp,asset,timeframe,open,high,low,close\n"
OLD_HEADER = "timestamp,open,close,high,low\n"


def epoch(text: str) -> int:
    """``2025-10-25 10:16:00`` read as UTC, like the files label it."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def candles_of(series: CandleSeries) -> list[Candle]:
    return [
        Candle(series.asset, series.timeframe, int(s), o, h, lo, c)
        for s, o, h, lo, c in zip(
            series.start, series.open, series.high, series.low, series.close, strict=True
        )
    ]


def random_candles(rng: np.random.Generator, asset: str, timeframe: int, n: int) -> list[Candle]:
    out = []
    base = T0 // timeframe * timeframe
    for i in range(n):
        o, c = rng.uniform(0.001, 50000, 2)
        lo = min(o, c) * rng.uniform(0.9, 1)
        hi = max(o, c) * rng.uniform(1, 1.1)
        out.append(Candle(asset, timeframe, base + i * timeframe, o, hi, lo, c))
    return out


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- round trip -------------------------------------------------------------------------


def test_round_trip_candles_and_ticks_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    candles = [
        c
        for asset in ("EURUSD_otc", "#AAPL_otc")
        for tf in (5, 60, 300, 3600)
        for c in random_candles(rng, asset, tf, 57)
    ]
    millis = 1756866774962 + np.cumsum(rng.integers(1, 900, 1500))
    ticks = [
        Tick(asset, int(ms) / 1000, float(p))
        for asset in ("EURUSD_otc", "BTC/USD")
        for ms, p in zip(millis, rng.uniform(1e-5, 1e5, len(millis)), strict=True)
    ]
    sink = CsvSink(tmp_path, PersistSettings(True, True, candle_chunk=10, tick_chunk=100))
    for i in range(0, len(candles), 33):
        sink.write_candles(candles[i : i + 33])
    for i in range(0, len(ticks), 250):
        sink.write_ticks(ticks[i : i + 250])

    loaded = load_history(tmp_path)
    assert loaded.problems == []
    assert loaded.files == len([f for f in sink.files if "_ticks_" not in f.name])
    got = [c for s in loaded.series.values() for c in candles_of(s)]
    key = lambda c: (c.asset, c.timeframe, c.start)
    assert sorted(got, key=key) == sorted(candles, key=key)
    assert loaded.series["#AAPL_otc", 5].timeframe == 5

    loaded_ticks, problems = load_ticks(tmp_path)
    assert problems == []
    times = [t.time for t in loaded_ticks]
    assert times == sorted(times)
    by_time = lambda t: (t.time, t.asset)
    assert sorted(loaded_ticks, key=by_time) == sorted(ticks, key=by_time)


PRICES = st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1_000_000_000_000, 4_000_000_000_000), PRICES),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    ),
    st.lists(st.tuples(PRICES, PRICES, PRICES, PRICES), min_size=1, max_size=20),
)
def test_round_trip_is_exact_for_any_prices_and_milliseconds(
    ticks: list[tuple[int, float]], prices: list[tuple[float, ...]]
) -> None:
    wrote_ticks = [Tick("EURUSD_otc", ms / 1000, price) for ms, price in ticks]
    wrote_candles = []
    for i, four in enumerate(prices):
        lo, a, b, hi = sorted(four)
        wrote_candles.append(Candle("EURUSD_otc", 300, T0 // 300 * 300 + 300 * i, a, hi, lo, b))
    with tempfile.TemporaryDirectory() as folder:
        sink = CsvSink(Path(folder), PersistSettings(True, True, candle_chunk=7, tick_chunk=7))
        assert sink.write_ticks(wrote_ticks) == len(wrote_ticks)
        assert sink.write_candles(wrote_candles) == len(wrote_candles)
        loaded_ticks, tick_problems = load_ticks(Path(folder))
        loaded = load_history(Path(folder))
    assert tick_problems == [] and loaded.problems == []
    assert loaded_ticks == sorted(wrote_ticks, key=lambda t: t.time)
    assert candles_of(loaded.series["EURUSD_otc", 300]) == wrote_candles


def test_filters_by_asset_and_timeframe(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    for asset in ("EURUSD_otc", "GBPUSD_otc"):
        for tf in (60, 300):
            sink.write_candles(random_candles(rng, asset, tf, 5))
        sink.write_ticks([Tick(asset, 1756866774.5, 1.1)])
    assert set(load_history(tmp_path, asset="eurusd_OTC").series) == {
        ("EURUSD_otc", 60),
        ("EURUSD_otc", 300),
    }
    assert set(load_history(tmp_path, timeframe=300).series) == {
        ("EURUSD_otc", 300),
        ("GBPUSD_otc", 300),
    }
    only = load_history(tmp_path, asset="GBPUSD_otc", timeframe=60)
    assert set(only.series) == {("GBPUSD_otc", 60)} and only.files == 1
    ticks, _ = load_ticks(tmp_path, asset="GBPUSD_otc")
    assert [t.asset for t in ticks] == ["GBPUSD_otc"]


def test_a_single_file_and_a_missing_path(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles(random_candles(np.random.default_rng(2), "EURUSD_otc", 60, 3))
    (path,) = sink.files
    assert len(load_history(path).series["EURUSD_otc", 60]) == 3
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_history(tmp_path / "nope")


def test_an_empty_folder_loads_nothing(tmp_path: Path) -> None:
    loaded = load_history(tmp_path)
    assert (loaded.series, loaded.problems, loaded.files) == ({}, [], 0)
    assert load_ticks(tmp_path) == ([], [])


# --- crashes and bad rows ---------------------------------------------------------------


def test_a_file_cut_mid_line_by_a_crash_still_loads(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    sink.write_candles(random_candles(np.random.default_rng(3), "EURUSD_otc", 60, 5))
    sink.write_ticks([Tick("EURUSD_otc", 1756866774.5 + i, 1.25) for i in range(4)])
    candle_file, tick_file = sink.files
    for path in (candle_file, tick_file):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 7])  # the last row loses its end
    loaded = load_history(tmp_path)
    assert len(loaded.series["EURUSD_otc", 60]) == 4
    assert loaded.problems == [RowProblem(candle_file, 6, loaded.problems[0].reason)]
    assert "torn line" in loaded.problems[0].reason
    ticks, problems = load_ticks(tmp_path)
    assert len(ticks) == 3
    assert [(p.file, p.line) for p in problems] == [(tick_file, 5)]
    assert "torn line" in problems[0].reason


def test_a_crash_that_leaves_zero_bytes_or_an_empty_file(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles(random_candles(np.random.default_rng(4), "EURUSD_otc", 60, 3))
    (path,) = sink.files
    with path.open("ab") as f:
        f.write(b"\x00" * 40)  # what some file systems leave after a power cut
    empty = write(path.with_name("EURUSD_otc_1m_20250101T000000Z-1-abcd_part000001.csv"), "")
    loaded = load_history(tmp_path)
    assert len(loaded.series["EURUSD_otc", 60]) == 3
    assert sorted((p.file.name, p.line) for p in loaded.problems) == sorted(
        [(path.name, 5), (empty.name, 1)]
    )


def test_bad_rows_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "EURUSD_otc_1m_20251023T014400Z-1-abcd_part000001.csv",
        OURS_HEADER
        + "2025-10-23T01:44:00Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"  # 2 good
        + "2025-10-23T01:45:00Z,EURUSD_otc,1m,abc,1.2,1.0,1.15\n"  # 3 non-numeric
        + "2025-10-23T01:46:00Z,EURUSD_otc,1m,1.1,1.2,1.0\n"  # 4 missing close
        + "2025-10-23T01:47:99Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"  # 5 bad timestamp
        + "2025-10-23T01:48:00Z,EURUSD_otc,1m,1.1,0.9,1.0,1.15\n"  # 6 high < low
        + "2025-10-23T01:49:00Z,EURUSD_otc,1m,0,1.2,0,1.15\n"  # 7 zero price
        + "\n"  # 8 blank: skipped silently
        + "2025-10-23T01:50:00Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15,7\n"  # 9 extra field
        + "2025-10-23T01:51:00Z,EURUSD_otc,1m,1.3,1.2,1.0,1.15\n"  # 10 open above high
        + "2025-10-23T01:52:30Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"  # 11 off the grid
        + "2025-10-23T01:53:00+02:00,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"  # 12 not UTC-labelled
        + "2025-10-23T01:54:00Z,EURUSD_otc,7x,1.1,1.2,1.0,1.15\n"  # 13 unknown timeframe
        + "2025-10-23T01:55:00Z,EURUSD_otc,1m,1.1,inf,1.0,1.15\n"  # 14 infinite
        + "2025-10-23T01:56:00.5Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"  # 15 fraction
        + '"2025-10-23T01:57:00Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n'  # 16 stray quote
        + "2025-10-23T01:58:00Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n",  # 17 good
    )
    loaded = load_history(tmp_path)
    assert [(p.file, p.line) for p in loaded.problems] == [
        (path, n) for n in (3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16)
    ]
    reasons = {p.line: p.reason for p in loaded.problems}
    assert "non-numeric open 'abc'" in reasons[3]
    assert "missing close" in reasons[4]
    assert "bad timestamp '2025-10-23T01:47:99Z'" in reasons[5]
    assert "high 0.9 is below low 1.0" in reasons[6]
    assert "open must be a positive number" in reasons[7]
    assert "more fields than the header's 7" in reasons[9]
    assert "open 1.3 is outside low..high" in reasons[10]
    assert "not on the 1m grid" in reasons[11]
    assert "bad timestamp" in reasons[12]
    assert "unknown timeframe '7x'" in reasons[13]
    assert "high must be a positive number" in reasons[14]
    assert "whole second" in reasons[15]
    assert "bad timestamp" in reasons[16]
    series = loaded.series["EURUSD_otc", 60]
    assert series.start.tolist() == [epoch("2025-10-23 01:44"), epoch("2025-10-23 01:58")]


def test_a_torn_file_next_to_a_header_only_file(tmp_path: Path) -> None:
    torn = write(
        tmp_path / "1M_candles" / "a.csv", OLD_HEADER + "2025-10-23 01:44:00Z,1,1,1,1\n2025-1"
    )
    write(tmp_path / "1M_candles" / "b.csv", OLD_HEADER.rstrip("\n"))  # crashed after the header
    loaded = load_history(tmp_path)
    assert [(p.file, p.line) for p in loaded.problems] == [(torn, 3)]
    assert len(loaded.series["a", 60]) == 1 and loaded.files == 2


def test_header_only_files_are_fine(tmp_path: Path) -> None:
    write(tmp_path / "1M_candles" / "A_1m_2025_10_23_01_44_00.csv", OLD_HEADER)
    sink = CsvSink(tmp_path, PersistSettings(False, True))
    sink.write_ticks([Tick("A", 1756866774.5, 1.0)])
    path = sink.files[0]
    path.write_text("timestamp,asset,price\n")
    loaded = load_history(tmp_path)
    assert (loaded.series, loaded.problems, loaded.files) == ({}, [], 1)
    assert load_ticks(tmp_path) == ([], [])


def test_extra_fields_on_the_first_line_are_not_cut_off_silently(tmp_path: Path) -> None:
    first = write(
        tmp_path / "1M_candles" / "A_1m_2025_10_23_01_44_00.csv",
        OLD_HEADER + "2025-10-23 01:44:00Z,1,1,1,1,9\n2025-10-23 01:45:00Z,1,1,1,1\n",
    )
    write(
        tmp_path / "1M_candles" / "B_1m_2025_10_23_01_44_00.csv",
        OLD_HEADER + "2025-10-23 01:44:00Z,1,1,1,1\n",
    )
    loaded = load_history(tmp_path)
    assert [(p.file, p.line) for p in loaded.problems] == [(first, 2)]
    assert "more fields than the header's 5" in loaded.problems[0].reason
    assert {k: len(v) for k, v in loaded.series.items()} == {("A", 60): 1, ("B", 60): 1}


def test_rows_of_several_series_in_one_file(tmp_path: Path) -> None:
    write(
        tmp_path / "mixed.csv",
        OURS_HEADER
        + "2025-10-23T01:44:00Z,EURUSD_otc,1m,1,1,1,1\n"
        + "2025-10-23T01:45:00Z,EURUSD_otc,5m,1,1,1,1\n"  # another series: no spacing rule
        + "2025-10-23T01:45:00Z,GBPUSD_otc,1m,1,1,1,1\n"
        + "2025-10-23T01:45:00Z,EURUSD_otc,1m,1,1,1,1\n",
    )
    loaded = load_history(tmp_path)
    assert loaded.problems == []
    assert {k: len(v) for k, v in loaded.series.items()} == {
        ("EURUSD_otc", 60): 2,
        ("EURUSD_otc", 300): 1,
        ("GBPUSD_otc", 60): 1,
    }


LINE_PIECES = st.sampled_from(
    [
        "2025-10-23T01:44:00Z",
        "2025-10-23 01:45:00Z",
        "EURUSD_otc",
        "1m",
        "5m",
        "1.1",
        "1.2",
        "1.0",
        "0",
        "-1",
        "nan",
        "abc",
        "",
        ",",
        '"',
        "\x00",
        "\r",
        "é",
        "1e308",
        "9" * 30,
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(LINE_PIECES, max_size=9).map(",".join), max_size=12), st.booleans())
def test_any_garbage_loads_without_an_exception(lines: list[str], old: bool) -> None:
    header = OLD_HEADER if old else OURS_HEADER
    text = header + "\n".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "1M_candles" / "EURUSD_otc_1m_2025_10_23_01_44_00.csv"
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8"))
        loaded = load_history(Path(folder))
        line_count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        assert all(1 < p.line <= line_count and p.file == path for p in loaded.problems)
        assert len({p.line for p in loaded.problems}) == len(loaded.problems)
        loaded_rows = sum(len(s) for s in loaded.series.values())
        assert loaded_rows + len(loaded.problems) <= line_count - 1
        for series in loaded.series.values():
            assert np.all(np.diff(series.start) > 0)
            assert np.all(series.low <= series.high) and np.all(series.low > 0)


def test_garbage_and_foreign_files_are_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path / "notes.csv", "name,value\nx,1\n")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    write(tmp_path / "readme.txt", "not a csv at all")
    loaded = load_history(tmp_path)
    assert loaded.series == {} and loaded.files == 0
    assert sorted((p.file.name, p.line) for p in loaded.problems) == [
        ("binary.csv", 1),
        ("notes.csv", 1),
    ]
    assert "not a candle or tick CSV" in loaded.problems[0].reason


def test_tick_and_candle_files_skip_each_other(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, True))
    sink.write_candles(random_candles(np.random.default_rng(5), "EURUSD_otc", 60, 2))
    sink.write_ticks([Tick("EURUSD_otc", 1756866774.5, 1.1)])
    # A tick file whose name does not say so is recognised by its header.
    shutil.copy(sink.files[1], tmp_path / "ticks.csv")
    loaded = load_history(tmp_path)
    assert (loaded.files, loaded.problems) == (1, [])
    ticks, problems = load_ticks(tmp_path)
    assert problems == [] and len(ticks) == 1  # the copy's identical tick is kept once


def test_bad_tick_rows(tmp_path: Path) -> None:
    path = write(
        tick_dir(tmp_path) / "EURUSD_otc_ticks_20250903T000000Z-1-abcd_part000001.csv",
        "timestamp,asset,price\n"
        "2025-09-03T02:32:54.962Z,EURUSD_otc,1.17353\n"
        "2025-09-03T02:32:55.1Z,EURUSD_otc,-1\n"
        "2025-09-03T02:32:55,EURUSD_otc,1.2\n"
        "2025-09-03T02:32:56.000Z,,1.2\n"
        "2025-09-03T02:32:57.250Z,EURUSD_otc,1.17360\n",
    )
    ticks, problems = load_ticks(tmp_path)
    assert ticks == [
        Tick("EURUSD_otc", 1756866774.962, 1.17353),
        Tick("EURUSD_otc", 1756866777.25, 1.1736),
    ]
    assert [(p.file, p.line) for p in problems] == [(path, 3), (path, 4), (path, 5)]
    assert "price must be a positive number" in problems[0].reason
    assert "bad timestamp" in problems[1].reason
    assert "missing asset" in problems[2].reason or "no asset" in problems[2].reason


def test_windows_line_ends_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "1M_candles" / "EURUSD_otc_1m_2025_10_23_01_44_00.csv"
    path.parent.mkdir()
    path.write_bytes(
        b"\xef\xbb\xbftimestamp,open,close,high,low\r\n"
        b"2025-10-23 01:44:00Z,1.1,1.15,1.2,1.0\r\n"
        b"2025-10-23 01:45:00Z,1.15,1.16,1.2,1.1\r\n"
    )
    loaded = load_history(tmp_path)
    assert loaded.problems == []
    assert candles_of(loaded.series["EURUSD_otc", 60]) == [
        Candle("EURUSD_otc", 60, T0, 1.1, 1.2, 1.0, 1.15),
        Candle("EURUSD_otc", 60, T0 + 60, 1.15, 1.2, 1.1, 1.16),
    ]


def test_timeframe_from_the_folder_and_asset_from_the_stem(tmp_path: Path) -> None:
    write(tmp_path / "1H_candles" / "EURUSD.csv", OLD_HEADER + "2025-10-23 01:00:00Z,1,1,1,1\n")
    write(tmp_path / "misc" / "GBPUSD.csv", OLD_HEADER + "2025-10-23 01:00:00Z,1,1,1,1\n")
    loaded = load_history(tmp_path)
    assert set(loaded.series) == {("EURUSD", 3600)}
    assert [(p.file.name, p.line) for p in loaded.problems] == [("GBPUSD.csv", 2)]
    assert "no timeframe" in loaded.problems[0].reason


# --- overlaps: the later-written file wins -----------------------------------------------


def test_later_session_wins_even_with_an_older_mtime(tmp_path: Path) -> None:
    early = CsvSink(tmp_path, PersistSettings(True, False), session="20251023T010000Z-1-aaaa")
    late = CsvSink(tmp_path, PersistSettings(True, False), session="20251023T020000Z-1-bbbb")
    late.write_candles([Candle("EURUSD_otc", 60, T0 + 60 * i, 1.1, 1.3, 1.0, 1.2) for i in (1, 2)])
    early.write_candles([Candle("EURUSD_otc", 60, T0 + 60 * i, 1.1, 1.2, 1.0, 1.1) for i in (0, 1)])
    os.utime(late.files[0], (1_000_000, 1_000_000))  # copied around: mtime means nothing
    series = load_history(tmp_path).series["EURUSD_otc", 60]
    assert series.start.tolist() == [T0, T0 + 60, T0 + 120]
    assert series.close.tolist() == [1.1, 1.2, 1.2]
    assert series.high.tolist() == [1.2, 1.3, 1.3]


def test_later_part_wins_then_mtime(tmp_path: Path) -> None:
    folder = candle_dir(tmp_path, 60)
    row = "2025-10-23T01:44:00Z,EURUSD_otc,1m,1.1,1.2,1.0,{}\n"
    session = "EURUSD_otc_1m_20251023T010000Z-1-aaaa"
    write(folder / f"{session}_part000002.csv", OURS_HEADER + row.format(1.12))
    write(folder / f"{session}_part000010.csv", OURS_HEADER + row.format(1.13))
    assert load_history(tmp_path).series["EURUSD_otc", 60].close.tolist() == [1.13]
    # Names without a time stamp fall back on mtime.
    plain = tmp_path / "plain"
    a = write(plain / "1M_candles" / "a.csv", OURS_HEADER + row.format(1.14))
    b = write(plain / "1M_candles" / "b.csv", OURS_HEADER + row.format(1.15))
    os.utime(a, (2_000_000, 2_000_000))
    os.utime(b, (1_000_000, 1_000_000))
    assert load_history(plain).series["EURUSD_otc", 60].close.tolist() == [1.14]


def test_gaps_stay_gaps(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path, PersistSettings(True, False))
    sink.write_candles([Candle("EURUSD_otc", 60, T0 + 60 * i, 1.1, 1.2, 1.0, 1.1) for i in (0, 5)])
    assert load_history(tmp_path).series["EURUSD_otc", 60].start.tolist() == [T0, T0 + 300]


# --- the old QuantumFlux files, as they are ----------------------------------------------


@pytest.fixture(scope="module")
def quflx(quflx_csv_dir: Path):
    return load_history(quflx_csv_dir)


def test_old_files_all_load(quflx, quflx_csv_dir: Path) -> None:
    assert quflx.files == len(list(quflx_csv_dir.rglob("*.csv"))) == 282
    assert {tf for _, tf in quflx.series} == {60, 300, 900, 3600}
    for series in quflx.series.values():
        assert np.all(np.diff(series.start) > 0)
        assert np.all(series.start % series.timeframe == 0)


def test_old_column_order_open_close_high_low(quflx) -> None:
    # 1M_candles/AEDCNY_otc_1m_2025_10_25_09_55_35.csv line 2:
    # 2025-10-25 10:16:00Z,1.80016,1.80012,1.80089,1.79916
    series = quflx.series["AEDCNY_otc", 60]
    i = series.find(epoch("2025-10-25 10:16:00"))
    assert i == 0
    assert (series.open[i], series.high[i], series.low[i], series.close[i]) == (
        1.80016,
        1.80089,
        1.79916,
        1.80012,
    )
    # 1H_candles/USDCNH_otc_60m_2025_10_23_01_18_16.csv line 6:
    # 2025-10-19 04:00:00Z,7.14972,7.15079,7.151,7.14962
    hourly = quflx.series["USDCNH_otc", 3600]
    i = hourly.find(epoch("2025-10-19 04:00:00"))
    assert (hourly.open[i], hourly.high[i], hourly.low[i], hourly.close[i]) == (
        7.14972,
        7.151,
        7.14962,
        7.15079,
    )


def test_old_overlapping_files_later_one_wins(quflx) -> None:
    # AEDCNY 1m 11:55 is in ..._09_55_35.csv (close 1.81955, high 1.82) and in the later
    # ..._09_55_50.csv (close 1.81992, high 1.8201).
    series = quflx.series["AEDCNY_otc", 60]
    i = series.find(epoch("2025-10-25 11:55:00"))
    assert (series.close[i], series.high[i]) == (1.81992, 1.8201)
    # AUDCHF 1h 2025-10-23 03:00: the 2025_10_25 file wins over the 2025_10_23 one.
    hourly = quflx.series["AUDCHF_otc", 3600]
    i = hourly.find(epoch("2025-10-23 03:00:00"))
    assert (hourly.close[i], hourly.high[i], hourly.low[i]) == (0.51754, 0.52353, 0.51604)


def test_old_rotated_parts_merge_in_order(quflx) -> None:
    # realtime_stream/1M_candle_data/ZARUSD_otc_1m_2025_10_15_14_11_00_part001.csv holds
    # 14:32..16:11 (100 rows, ends 0.05689,0.05733,0.05737,0.05665); part002 holds 70 rows
    # from 16:12 to 18:06 with a gap from 16:54 to 17:40 in the platform's data.
    series = quflx.series["ZARUSD_otc", 60]
    first = series.find(epoch("2025-10-15 14:32:00"))
    last = series.find(epoch("2025-10-15 18:06:00"))
    assert last - first == 100 + 70 - 1
    steps = np.diff(series.start[first : last + 1])
    assert steps.tolist().count(60) == 168
    gap = int(np.flatnonzero(steps != 60)[0])
    assert series.start[first + gap] == epoch("2025-10-15 16:54:00")
    assert series.start[first + gap + 1] == epoch("2025-10-15 17:40:00")  # the gap stays
    i = series.find(epoch("2025-10-15 16:11:00"))
    assert series.start[i + 1] == epoch("2025-10-15 16:12:00")
    assert (series.open[i], series.close[i]) == (0.05689, 0.05733)
    assert (series.open[i + 1], series.close[i + 1]) == (0.05733, 0.0572)


def test_old_tools_mislabelled_rows_are_reported(quflx, quflx_csv_dir: Path) -> None:
    by_place = {(p.file.relative_to(quflx_csv_dir).as_posix(), p.line): p for p in quflx.problems}
    # The old tool appended 1m candles to its 60m files after the 100 history candles.
    hourly_file = "1H_candles/USDCNH_otc_60m_2025_10_23_01_18_16.csv"
    assert "not on the 1h grid" in by_place[hourly_file, 102].reason
    assert quflx.series["USDCNH_otc", 3600].find(epoch("2025-10-23 03:06:00")) == -1
    assert quflx.series["USDCNH_otc", 3600].find(epoch("2025-10-23 03:00:00")) >= 0
    # ... and wrote 15s candles into a 1m file: 11:20:00 is on the minute, but 15 s after
    # the row before it.
    yer = "1M_candles/YERUSD_otc_1m_2025_10_25_09_44_41.csv"
    assert "not on the 1m grid" in by_place[yer, 2].reason
    assert "15 s from the row on line 2" in by_place[yer, 3].reason
    assert all("grid" in p.reason or "period" in p.reason for p in quflx.problems)


def test_old_files_filtered(quflx_csv_dir: Path) -> None:
    loaded = load_history(quflx_csv_dir, asset="ZARUSD_otc", timeframe=60)
    assert set(loaded.series) == {("ZARUSD_otc", 60)}
    assert loaded.files == 4
