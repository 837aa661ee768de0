"""Files as traders keep them and as crashes leave them: renamed files, a row repeated with
other prices, a huge first line, a torn last line under filters; through the loader and
through a real ``python -m qfdesk backtest``."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.csv_sink import CsvSink, candle_dir
from qfdesk.engine.events import Candle, Tick
from qfdesk.engine.history_loader import load_history, load_ticks
from qfdesk.engine.persist_settings import PersistSettings

T0 = 1761183840  # 2025-10-23 01:44:00 platform time
OURS_HEADER = "timestamp,asset,timeframe,open,high,low,close\n"
OLD_HEADER = "timestamp,open,close,high,low\n"
SESSION = "20251023T014400Z-1-abcd"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def walk(asset: str, timeframe: int, n: int, seed: int) -> list[Candle]:
    """``n`` consecutive candles of a random walk, as the platform sends them."""
    rng = np.random.default_rng(seed)
    closes = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 1e-3, n + 1))), 5).tolist()
    out = []
    for i in range(n):
        o, c = closes[i], closes[i + 1]
        hi, lo = round(max(o, c) + 0.0002, 5), round(min(o, c) - 0.0002, 5)
        out.append(
            Candle(asset, timeframe, T0 // timeframe * timeframe + i * timeframe, o, hi, lo, c)
        )
    return out


def saved(root: Path, candles: list[Candle], ticks: list[Tick] = ()) -> list[Path]:
    sink = CsvSink(root, PersistSettings(True, True, candle_chunk=10_000), session=SESSION)
    sink.write_candles(candles)
    sink.write_ticks(ticks)
    return sink.files


def backtest(data: Path, *argv: str, out: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m qfdesk backtest`` in a child process, as a trader runs it."""
    extra = ["--json", str(out)] if out is not None else []
    command = [sys.executable, "-m", "qfdesk", "backtest", "--data", str(data), "--strategy",
               "sma-cross", "--param", "fast=2", "--param", "slow=4", "--payout", "92"]  # fmt: skip
    return subprocess.run(
        [*command, *argv, *extra], check=False, capture_output=True, text=True, timeout=120
    )


# --- 4. files as traders keep them -------------------------------------------------------


def test_a_renamed_candle_file_is_found_by_its_asset_and_timeframe_columns(tmp_path: Path) -> None:
    eur = walk("EURUSD_otc", 60, 30, 1)
    (eur_file,) = saved(tmp_path / "collected", eur)
    (gbp_file,) = saved(tmp_path / "other", walk("GBPUSD_otc", 60, 30, 2))
    renamed = tmp_path / "data" / "my export (copy).csv"
    renamed.parent.mkdir()
    eur_file.rename(renamed)
    gbp_file.rename(tmp_path / "data" / "EURUSD_otc_5m_20251023T014400Z-1-abcd_part000001.csv")

    loaded = load_history(tmp_path / "data", asset="EURUSD_otc", timeframe=60)
    assert loaded.problems == []
    assert set(loaded.series) == {("EURUSD_otc", 60)} and loaded.files == 1
    assert loaded.series["EURUSD_otc", 60].close.tolist() == [c.close for c in eur]
    # The GBPUSD rows in a file named for EURUSD 5m belong to GBPUSD 1m, by their columns.
    by_gbp = load_history(tmp_path / "data", asset="GBPUSD_otc", timeframe=60)
    assert set(by_gbp.series) == {("GBPUSD_otc", 60)}
    assert load_history(tmp_path / "data", asset="EURUSD_otc", timeframe=300).series == {}


def test_the_file_name_still_decides_for_files_without_those_columns(tmp_path: Path) -> None:
    row = "2025-10-23 01:44:00Z,1.1,1.15,1.2,1.0\n"
    write(tmp_path / "1M_candles" / "EURUSD_otc_1m_2025_10_23_01_44_00.csv", OLD_HEADER + row)
    write(tmp_path / "1M_candles" / "GBPUSD_otc_1m_2025_10_23_01_44_00.csv", OLD_HEADER + row)
    write(tmp_path / "5M_candles" / "EURUSD_otc.csv", OLD_HEADER + "2025-10-23 01:45:00Z,1,1,1,1\n")
    assert set(load_history(tmp_path, asset="EURUSD_otc").series) == {
        ("EURUSD_otc", 60),
        ("EURUSD_otc", 300),
    }
    only = load_history(tmp_path, asset="EURUSD_otc", timeframe=300)
    assert set(only.series) == {("EURUSD_otc", 300)} and only.files == 1


def test_a_renamed_tick_file_is_found_by_its_asset_column(tmp_path: Path) -> None:
    ticks = [Tick("EURUSD_otc", 1756866774.5 + i, 1.17 + i / 1000) for i in range(3)]
    (tick_file,) = saved(tmp_path, [], ticks)
    tick_file.rename(tick_file.with_name("backup.csv"))
    got, problems = load_ticks(tmp_path, asset="EURUSD_otc")
    assert problems == [] and got == ticks
    assert load_ticks(tmp_path, asset="GBPUSD_otc") == ([], [])


def test_qfdesk_backtest_finds_the_candles_of_a_renamed_file(tmp_path: Path) -> None:
    candles = walk("EURUSD_otc", 60, 40, 3)
    (path,) = saved(tmp_path / "collected", candles)
    data = tmp_path / "data"
    data.mkdir()
    path.rename(data / "eurusd october.csv")
    out = tmp_path / "stats.json"
    done = backtest(data, "--asset", "EURUSD_otc", "--timeframe", "1m", out=out)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["candles"] == len(candles)
    assert (report["first_candle"], report["last_candle"]) == (candles[0].start, candles[-1].start)
    assert done.stderr == ""


# --- 5. rows a crash or a bad file leaves -------------------------------------------------


def test_a_50_mb_first_line_is_reported_and_the_rest_of_the_folder_loads(tmp_path: Path) -> None:
    folder = candle_dir(tmp_path, 60)
    saved(tmp_path, walk("EURUSD_otc", 60, 30, 4))
    huge = folder / f"EURUSD_otc_1m_{SESSION}_part000002.csv"
    huge.write_bytes(b"x" * 50_000_000 + b"\n" + OURS_HEADER.encode())
    for asset in (None, "EURUSD_otc"):
        loaded = load_history(tmp_path, asset=asset, timeframe=60)
        assert [(p.file, p.line) for p in loaded.problems] == [(huge, 1)]
        assert "first line is longer than 64 KiB" in loaded.problems[0].reason
        assert len(loaded.series["EURUSD_otc", 60]) == 30
    ticks, problems = load_ticks(tmp_path)
    assert ticks == [] and [(p.file, p.line) for p in problems] == [(huge, 1)]


def test_qfdesk_backtest_reports_a_50_mb_first_line_and_goes_on(tmp_path: Path) -> None:
    candles = walk("EURUSD_otc", 60, 40, 5)
    saved(tmp_path, candles)
    huge = candle_dir(tmp_path, 60) / "EURUSD_otc_1m_2025_10_23_01_44_00.csv"
    huge.write_bytes(b"2025," * 10_000_000 + b"\n")
    out = tmp_path / "stats.json"
    done = backtest(tmp_path, "--asset", "EURUSD_otc", out=out)
    assert done.returncode == 0, done.stderr
    assert f"{huge}:1: the first line is longer than 64 KiB" in done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(out.read_text())
    assert (report["candles"], report["rows_skipped_loading"]) == (len(candles), 1)


def torn_file(root: Path, keep_bytes: int) -> tuple[Path, list[Candle]]:
    """A saved EURUSD 1m file whose last line keeps only ``keep_bytes`` bytes, as a crash
    mid-write leaves it."""
    candles = walk("EURUSD_otc", 60, 6, 6)
    (path,) = saved(root, candles)
    data = path.read_bytes()
    last = data.rindex(b"\n", 0, len(data) - 1) + 1
    path.write_bytes(data[: last + keep_bytes])
    return path, candles


# Cuts inside the timestamp, the asset, the timeframe and the close of the last line.
CUTS = {"timestamp": 15, "asset": 24, "timeframe": 33, "close": 60}
FILTERS = [{}, {"asset": "EURUSD_otc"}, {"timeframe": 60}, {"asset": "eurusd_OTC", "timeframe": 60}]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "no filter")
@pytest.mark.parametrize("cut", CUTS, ids=str)
def test_a_torn_last_line_is_reported_with_or_without_filters(
    tmp_path: Path, cut: str, filters: dict[str, object]
) -> None:
    path, candles = torn_file(tmp_path, CUTS[cut])
    saved(tmp_path / "gbp", walk("GBPUSD_otc", 60, 3, 7))
    loaded = load_history(tmp_path, **filters)
    assert [(p.file, p.line) for p in loaded.problems] == [(path, 7)]
    assert "torn line" in loaded.problems[0].reason
    assert loaded.series["EURUSD_otc", 60].start.tolist() == [c.start for c in candles[:5]]


def test_a_torn_line_of_another_assets_file_is_not_reported_for_this_one(tmp_path: Path) -> None:
    torn, _ = torn_file(tmp_path / "eur", CUTS["asset"])
    saved(tmp_path / "gbp", walk("GBPUSD_otc", 60, 3, 8))
    assert load_history(tmp_path, asset="GBPUSD_otc").problems == []
    assert [(p.file, p.line) for p in load_history(tmp_path).problems] == [(torn, 7)]


def test_a_torn_tick_line_is_reported_with_an_asset_filter(tmp_path: Path) -> None:
    ticks = [Tick("EURUSD_otc", 1756866774.5 + i, 1.25) for i in range(4)]
    (path,) = saved(tmp_path, [], ticks)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1 + 27])  # "...Z,EU"
    for asset in (None, "EURUSD_otc"):
        got, problems = load_ticks(tmp_path, asset=asset)
        assert got == ticks[:3]
        assert [(p.file, p.line) for p in problems] == [(path, 5)]
        assert "torn line" in problems[0].reason


def test_qfdesk_backtest_with_an_asset_reports_a_torn_last_line(tmp_path: Path) -> None:
    path, _ = torn_file(tmp_path, CUTS["asset"])
    out = tmp_path / "stats.json"
    done = backtest(tmp_path, "--asset", "EURUSD_otc", "--timeframe", "1m", out=out)
    assert done.returncode == 0, done.stderr
    assert f"{path}:7: torn line" in done.stderr
    report = json.loads(out.read_text())
    assert (report["candles"], report["rows_skipped_loading"]) == (5, 1)


def ours(start: int, close: float, asset: str = "EURUSD_otc") -> str:
    """One of our candle lines at ``start``, closing at ``close``."""
    stamp = np.datetime64(start, "s").astype(str)
    return f"{stamp}Z,{asset},1m,1.08,1.6,1.0,{close}\n"


def test_a_second_row_for_one_candle_with_other_prices_is_a_conflict_and_the_first_is_kept(
    tmp_path: Path,
) -> None:
    path = write(
        candle_dir(tmp_path, 60) / f"EURUSD_otc_1m_{SESSION}_part000001.csv",
        OURS_HEADER + ours(T0, 1.08) + ours(T0 + 60, 1.09) + ours(T0, 1.5) + ours(T0 + 120, 1.1),
    )
    old = write(
        tmp_path / "1M_candles" / "GBPUSD_otc_1m_2025_10_23_01_44_00.csv",
        OLD_HEADER
        + "2025-10-23 01:44:00Z,1.1,1.08,1.2,1.0\n2025-10-23 01:44:00Z,1.1,1.5,1.6,1.0\n",
    )
    loaded = load_history(tmp_path)
    assert [(p.file, p.line) for p in loaded.problems] == [(old, 3), (path, 4)]
    assert "conflict: the same candle as line 2 of this file" in loaded.problems[1].reason
    assert "close 1.5 against" in loaded.problems[1].reason
    assert loaded.series["EURUSD_otc", 60].close.tolist() == [1.08, 1.09, 1.1]
    assert loaded.series["GBPUSD_otc", 60].close.tolist() == [1.08]
    filtered = load_history(tmp_path, asset="EURUSD_otc", timeframe=60)
    assert [(p.file, p.line) for p in filtered.problems] == [(path, 4)]


def test_a_row_repeated_with_the_same_values_is_kept_once_without_a_report(
    tmp_path: Path,
) -> None:
    write(tmp_path / "1M_candles" / "a.csv", OURS_HEADER + ours(T0, 1.08) * 3 + ours(T0 + 60, 1.1))
    loaded = load_history(tmp_path)
    assert loaded.problems == []
    assert loaded.series["EURUSD_otc", 60].close.tolist() == [1.08, 1.1]


def test_across_files_the_later_written_file_still_wins(tmp_path: Path) -> None:
    folder = candle_dir(tmp_path, 60)
    write(folder / f"EURUSD_otc_1m_{SESSION}_part000001.csv", OURS_HEADER + ours(T0, 1.08))
    later = write(
        folder / f"EURUSD_otc_1m_{SESSION}_part000002.csv",
        OURS_HEADER + ours(T0, 1.09) + ours(T0, 1.5),
    )
    loaded = load_history(tmp_path)
    assert [(p.file, p.line) for p in loaded.problems] == [(later, 3)]
    assert loaded.series["EURUSD_otc", 60].close.tolist() == [1.09]


def test_qfdesk_backtest_reports_a_conflicting_row_and_trades_on_the_first(tmp_path: Path) -> None:
    candles = walk("EURUSD_otc", 60, 40, 10)
    (path,) = saved(tmp_path, candles)
    with path.open("a") as file:
        file.write(ours(candles[3].start, 1.5))
    out = tmp_path / "stats.json"
    done = backtest(tmp_path, "--asset", "EURUSD_otc", out=out)
    assert done.returncode == 0, done.stderr
    assert f"{path}:42: conflict: the same candle as line 5 of this file" in done.stderr
    clean = tmp_path / "clean"
    saved(clean, candles)
    again = backtest(clean, "--asset", "EURUSD_otc", out=tmp_path / "clean.json")
    assert again.returncode == 0, again.stderr
    report, expected = (
        json.loads(out.read_text()),
        json.loads((tmp_path / "clean.json").read_text()),
    )
    assert report.pop("rows_skipped_loading") == 1 and expected.pop("rows_skipped_loading") == 0
    assert (report.pop("data"), expected.pop("data")) == (str(tmp_path), str(clean))
    assert report == expected


def test_a_renamed_file_is_found_whatever_the_case_or_spelling_of_its_asset(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a.csv", OURS_HEADER + ours(T0, 1.08, asset="eurusd_OTC"))
    write(tmp_path / "b.csv", OURS_HEADER + ours(T0, 1.09, asset="BTC/USD"))
    write(tmp_path / "c.csv", OURS_HEADER + ours(T0, 1.1, asset="GBPUSD_otc"))
    for asked, close in (("EURUSD_otc", 1.08), ("btc/usd", 1.09), ("BTC-USD", 1.09)):
        loaded = load_history(tmp_path, asset=asked)
        assert [s.close.tolist() for s in loaded.series.values()] == [[close]], asked
        assert loaded.files == 1 and loaded.problems == []


def test_columns_in_any_order_and_the_fast_path_give_the_same_rows_and_reports(
    tmp_path: Path,
) -> None:
    lines = [
        ("2025-10-23T01:44:00Z", "1.08"),
        ("2025-10-23 01:45:00Z", "1.09"),
        ("2025-10-23T01:46:00.5Z", "1.1"),  # not a whole second
        ("2025-10-23T01:47:00Z", "x"),
        ("", "1.1"),
        ("2025-13-23T01:48:00Z", "1.1"),
        ("2025-10-23T01:49:00Z", "1.1"),
    ]
    first = write(
        tmp_path / "first" / "a.csv",
        OURS_HEADER + "".join(f"{t},EURUSD_otc,1m,1.08,1.2,1.0,{c}\n" for t, c in lines),
    )
    moved = write(
        tmp_path / "moved" / "a.csv",
        "close,asset,timeframe,open,high,low,timestamp\n"
        + "".join(f"{c},EURUSD_otc,1m,1.08,1.2,1.0,{t}\n" for t, c in lines),
    )
    by_first, by_moved = load_history(first), load_history(moved)
    assert [(p.line, p.reason) for p in by_first.problems] == [
        (p.line, p.reason) for p in by_moved.problems
    ]
    assert [p.line for p in by_first.problems] == [4, 5, 6, 7]
    assert "bad timestamp '2025-13-23T01:48:00Z'" in by_first.problems[3].reason
    series, moved_series = by_first.series["EURUSD_otc", 60], by_moved.series["EURUSD_otc", 60]
    assert series.close.tolist() == moved_series.close.tolist() == [1.08, 1.09, 1.1]
    assert series.start.tolist() == [T0, T0 + 60, T0 + 300]


FIELDS = st.sampled_from(
    [
        "2025-10-23T01:44:00Z",
        "2025-10-23 01:45:00Z",
        "2025-10-23T01:45:00.5Z",
        "2025-02-29T00:00:00Z",
    ]
    + ["2025-10-23T01:44:00Z\x00", "EURUSD_otc", "1m", "5m", "1.1", "1.2", "1.0", "0", "-1", "nan"]
    + ["NA", "abc", "", '"', "\x00", "é", "1e308", "9" * 30, "2025-10-23T25:00:00Z"]
)
LINES = st.lists(st.integers(1, 9), min_size=1, max_size=10).flatmap(
    lambda widths: st.tuples(*(st.lists(FIELDS, min_size=w, max_size=w) for w in widths))
)


@settings(max_examples=60, deadline=None)
@given(LINES, st.booleans())
def test_a_leading_timestamp_read_from_the_bytes_reads_as_pandas_reads_it(
    lines: tuple[list[str], ...], torn: bool
) -> None:
    """The same lines with the timestamp first (read from the bytes) and behind a padding
    column (read by pandas) give the same rows and the same reports."""
    lines = tuple(fields for fields in lines if any(f not in ("", "nan", "NA") for f in fields))
    end = "" if torn else "\n"
    with tempfile.TemporaryDirectory() as folder:
        first = write(
            Path(folder) / "first" / "a.csv",
            OURS_HEADER + "\n".join(",".join(f) for f in lines) + end,
        )
        padded = write(
            Path(folder) / "padded" / "a.csv",
            "pad," + OURS_HEADER + "\n".join("0," + ",".join(f) for f in lines) + end,
        )
        by_first, by_padded = load_history(first.parent), load_history(padded.parent)
    assert [(p.line, p.reason) for p in by_first.problems] == [
        (p.line, p.reason.replace("header's 8", "header's 7")) for p in by_padded.problems
    ]
    assert {k: s.close.tolist() for k, s in by_first.series.items()} == {
        k: s.close.tolist() for k, s in by_padded.series.items()
    }


def test_a_renamed_file_is_found_under_any_spelling_of_its_asset(tmp_path):
    rows = "".join(
        f"2025-10-23T01:{44 + i:02d}:00Z,EUR/USD OTC,1m,1.1,1.2,1.0,1.1{i}\n" for i in range(3)
    )
    write(tmp_path / "export.csv", OURS_HEADER + rows)
    write(tmp_path / "other.csv", OURS_HEADER + rows.replace("EUR/USD OTC", "GBPUSD_otc"))
    loaded = load_history(tmp_path, asset="EURUSD_otc", timeframe=60)
    (series,) = [s for s in loaded.series.values() if len(s)]
    assert series.close.tolist() == [1.10, 1.11, 1.12]
    assert loaded.problems == []
