"""``qfdesk replay``: the real capture through the collector's own path, onto real files."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qfdesk.cli import main
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import Tick
from qfdesk.engine.history_loader import load_history, load_ticks

REALTIME = Path("data_output/assets_data/realtime_stream")


def _capture_ticks(capture: Path) -> list[Tick]:
    """The capture's ticks read the plainest way: every updateStream attachment, paired with
    the header before it on the same socket."""
    pending: dict[str, str] = {}
    ticks: list[Tick] = []
    for line in capture.read_text().splitlines():
        params = json.loads(json.loads(line)["message"])["message"]["params"]
        response, socket = params["response"], params["requestId"]
        if response["opcode"] == 1:
            if response["payloadData"].startswith("451-"):
                pending[socket] = json.loads(response["payloadData"][4:])[0]
        elif pending.pop(socket, None) == "updateStream":
            for asset, time, price in json.loads(base64.b64decode(response["payloadData"])):
                ticks.append(Tick(asset, time, price))
    return ticks


def _order(tick: Tick) -> tuple[str, float]:
    return tick.asset, tick.time


def test_replay_writes_every_tick_to_the_millisecond(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(capture_path), "--data-dir", str(tmp_path)]) == 0
    expected = _capture_ticks(capture_path)
    assert len(expected) == 148
    loaded, problems = load_ticks(tmp_path / REALTIME / "1M_tick_data")
    assert problems == []
    assert sorted(loaded, key=_order) == sorted(expected, key=_order)
    out = capsys.readouterr().out
    assert "frames:           346" in out
    assert "EURGBP_otc 91" in out and "AUDCAD_otc 5" in out
    assert "ticks written:    148" in out


def test_replay_candles_equal_the_pipeline_and_the_platform_history(
    capture_path: Path, tmp_path: Path
) -> None:
    assert (
        main(["replay", str(capture_path), "--data-dir", str(tmp_path), "--timeframes", "1m,5m"])
        == 0
    )
    history = load_history(tmp_path / REALTIME)
    assert history.problems == []
    eurgbp = history.series[("EURGBP_otc", 60)]
    # The platform's own 1m history of EURGBP_otc, read straight from the capture's
    # updateHistoryNewFast ([time, open, close, high, low], newest first).
    platform: dict[int, tuple[float, float, float, float]] = {}
    decoder = FrameDecoder()
    for event in decoder.feed_many(capture_path.read_text().splitlines()):
        if type(event).__name__ == "HistoryCandles" and event.asset == "EURGBP_otc":
            for c in event.candles:
                platform[c.start] = (c.open, c.high, c.low, c.close)
    assert len(platform) > 100
    written = dict(
        zip(
            eurgbp.start.tolist(),
            zip(
                eurgbp.open.tolist(),
                eurgbp.high.tolist(),
                eurgbp.low.tolist(),
                eurgbp.close.tolist(),
            ),
        )
    )
    # Every complete history candle was written, each once, exactly as the platform sent it.
    complete = {start: ohlc for start, ohlc in platform.items() if start in written}
    assert len(complete) >= len(platform) - 2
    for start, ohlc in complete.items():
        assert written[start] == ohlc
    assert len(set(eurgbp.start.tolist())) == len(eurgbp)
    five = history.series[("EURGBP_otc", 300)]
    assert (five.start % 300 == 0).all()
    for i, start in enumerate(five.start.tolist()):
        lo, hi = eurgbp.index_range(start, start + 300)
        if hi - lo == 5:
            assert five.high[i] == eurgbp.high[lo:hi].max()
            assert five.low[i] == eurgbp.low[lo:hi].min()
            assert five.open[i] == eurgbp.open[lo]
            assert five.close[i] == eurgbp.close[hi - 1]


def test_replay_switches_flag_beats_environment(
    capture_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QF_PERSIST", "0")
    assert main(["replay", str(capture_path), "--data-dir", str(tmp_path), "--save-candles"]) == 0
    assert list((tmp_path / REALTIME).glob("1M_candle_data/*.csv"))
    assert not (tmp_path / REALTIME / "1M_tick_data").exists()


def test_replay_counts_garbage_lines_and_keeps_the_rest(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = capture_path.read_text().splitlines()
    mixed = []
    for i, line in enumerate(lines):
        mixed.append(line)
        if i % 50 == 0:
            mixed.append('{"level": "INFO", "message": "not json')
            mixed.append(line[: len(line) // 2])
    log = tmp_path / "mixed.jsonl"
    log.write_text("\n".join(mixed) + "\n")
    assert main(["replay", str(log), "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "ticks written:    148" in out
    assert "bad_entry_json" in out or "malformed" in out


def test_replay_reads_standard_input(capture_path: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qfdesk", "replay", "-", "--data-dir", str(tmp_path)],
        input=capture_path.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ticks written:    148" in result.stdout


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_replay_unreadable_input_exits_2(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / name
    assert main(["replay", str(target), "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "performance log" in err


def test_replay_bad_environment_value_is_refused(
    capture_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QF_PERSIST_TICKS", "maybe")
    assert main(["replay", str(capture_path), "--data-dir", str(tmp_path)]) == 2
    assert "QF_PERSIST_TICKS" in capsys.readouterr().err


def test_replay_reads_on_after_a_long_run_of_blank_lines(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = capture_path.read_text().splitlines()
    log = tmp_path / "gappy.jsonl"
    half = len(lines) // 2
    log.write_text("\n".join([*lines[:half], *[" "] * 25_000, *lines[half:]]) + "\n")
    assert main(["replay", str(log), "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "frames:           346" in out
    assert "ticks written:    148" in out
    assert "bad_entry" not in out


def test_starting_a_command_imports_no_pandas() -> None:
    code = (
        "import sys\n"
        "from qfdesk.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
