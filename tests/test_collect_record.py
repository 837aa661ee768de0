"""``qfdesk collect --record`` in real Chromium on the simulated platform: the recording holds
no byte of the session token, rotates by size, and replays to the live run's own ticks and
candles."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import needs_browser
from collect_helpers import collecting, interrupt
from proc_helpers import poll

from qfdesk.cli import main
from qfdesk.engine.history_loader import load_history, load_ticks
from qfdesk.engine.recording import SCRUBBED, recording_parts
from qfdesk.engine.series import CandleSeries
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]
REALTIME = Path("data_output/assets_data/realtime_stream")
PART_MB = 0.05


def candles(series: CandleSeries) -> dict[int, tuple[float, float, float, float]]:
    return {
        int(s): (o, h, lo, c)
        for s, o, h, lo, c in zip(
            series.start.tolist(),
            series.open.tolist(),
            series.high.tolist(),
            series.low.tolist(),
            series.close.tolist(),
            strict=True,
        )
    }


def tick_rows(data: Path) -> list[tuple[str, float, float]]:
    ticks, problems = load_ticks(data / REALTIME / "1M_tick_data")
    assert problems == []
    return sorted((t.asset, t.time, t.price) for t in ticks)


def test_collect_records_a_token_free_rotated_capture_that_replays_to_the_live_run(
    tmp_path, short_tmp
):
    live, replayed = tmp_path / "live", tmp_path / "replayed"
    recording = tmp_path / "rec" / "traffic.jsonl"
    args = ["--timeframes", "1m", "--record", str(recording), "--record-max-mb", str(PART_MB)]
    with (
        SimulatedPlatform(assets=3, seed=4) as sim,
        collecting(tmp_path, short_tmp, sim, live, *args) as (process, log),
    ):
        assert poll(lambda: len(sim.sent_ticks()) >= 60, 90), log.read_text()
        assert poll(lambda: len(recording_parts(recording)) >= 3, 60), log.read_text()
        interrupt(process, log)
        tokens = sim.auth_tokens()
    output = log.read_text()
    parts = recording_parts(recording)
    assert f"in {recording} and {len(parts) - 1} later parts" in output
    assert tokens and all(len(token) >= 16 for token in tokens)
    written = [path.read_bytes() for path in parts]
    written += [path.read_bytes() for path in live.rglob("*") if path.is_file()]
    assert any(SCRUBBED.encode() in data for data in written)  # the auth frame, scrubbed
    for token in tokens:
        assert all(token.encode() not in data for data in written)
        assert token not in output
    # Parts of at most the size asked, unless one line alone is longer.
    limit = PART_MB * 1024 * 1024
    assert all(len(data) <= limit or data.count(b"\n") == 1 for data in written[: len(parts)])

    assert main(["replay", str(recording), "--data-dir", str(replayed), "--timeframes", "1m"]) == 0
    live_ticks = tick_rows(live)
    assert len(live_ticks) >= 30
    assert tick_rows(replayed) == live_ticks
    live_history, replay_history = load_history(live / REALTIME), load_history(replayed / REALTIME)
    assert live_history.problems == [] and replay_history.problems == []
    assert set(replay_history.series) == set(live_history.series) and live_history.series
    for key, series in live_history.series.items():
        mine, theirs = candles(series), candles(replay_history.series[key])
        assert len(theirs) >= 100
        assert {start: mine[start] for start in theirs} == theirs
        # The live run may close its newest candle by the wall clock at its end; no other
        # candle is missing from the replay.
        assert set(mine) - set(theirs) <= {max(mine)}
