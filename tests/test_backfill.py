"""``qfdesk backfill`` as a user runs it: a real process launching headless Chromium on the
simulated platform, paging history through the page, writing CSVs read back as files."""

from __future__ import annotations

import calendar
import csv
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, free_port, needs_browser, rig_settings
from proc_helpers import poll

from qfdesk.browser.chrome_launcher import launch_chrome, probe_debugger
from qfdesk.engine.csv_sink import candle_dir, format_candle_time
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]

ROOT = Path(__file__).resolve().parents[1]
ASSET = "EURUSD_otc"


@pytest.fixture
def sim() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform(assets=3, seed=5) as platform:
        yield platform


class Run:
    """One ``qfdesk <command>`` process on its own headless Chromium."""

    def __init__(
        self,
        tmp_path: Path,
        temp_dir: Path,
        sim: SimulatedPlatform,
        *args: str,
        attach: bool = False,
    ):
        self.log = tmp_path / f"run-{time.monotonic_ns()}.log"
        env = {
            **os.environ,
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "TMPDIR": str(temp_dir),
            "PYTHONUNBUFFERED": "1",
        }
        launch = ["--launch", "--headless", "--port", str(free_port()), "--chrome", str(CHROMIUM)]
        launch += ["--profile", str(tmp_path / "profile"), "--url", sim.url]
        if attach:
            launch = []
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "qfdesk", *args, "--data-dir", str(tmp_path / "data")]
                + launch,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text()

    def wait(self, timeout: float = 240) -> str:
        try:
            self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
        return self.text()


def backfill(tmp_path: Path, temp_dir: Path, sim: SimulatedPlatform, *args: str) -> Run:
    return Run(tmp_path, temp_dir, sim, "backfill", "--asset", ASSET, *args)


def rows_on_disk(tmp_path: Path, asset: str = ASSET) -> list[int]:
    """The start of every 1m candle row of ``asset`` in every CSV file, repeats included."""
    starts = []
    for path in sorted(candle_dir(tmp_path / "data", 60).glob("*.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                assert row["asset"] == asset and row["timeframe"] == "1m"
                starts.append(
                    calendar.timegm(time.strptime(row["timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
                )
    return starts


def requests(sim: SimulatedPlatform) -> list[dict]:
    return [e.payload for e in sim.received_events() if e.event == "loadHistoryPeriod"]


def assert_once_and_whole(starts: list[int]) -> None:
    repeated = [t for t, n in Counter(starts).items() if n > 1]
    assert repeated == [], f"{len(repeated)} candles written twice"
    ordered = sorted(starts)
    holes = [(a, b) for a, b in itertools.pairwise(ordered) if b - a != 60]
    assert holes == [], f"holes in the history written: {holes[:3]}"


def test_backfill_writes_every_candle_once_next_to_what_the_live_chart_wrote(
    tmp_path, short_tmp, sim
):
    collector = Run(tmp_path, short_tmp, sim, "collect", "--duration", "6", "--timeframes", "1m")
    assert collector.wait(120) and collector.process.returncode == 0, collector.text()
    live = rows_on_disk(tmp_path)
    assert len(live) >= 90  # the page's opening history, written by the collector
    run = backfill(tmp_path, short_tmp, sim, "--days", "1", "--page-candles", "300", "--pace", "4")
    out = run.wait()
    assert run.process.returncode == 0, out
    assert "resuming at the oldest candle on disk" in out
    assert "[done]" in out and "0 gaps" in out
    starts = rows_on_disk(tmp_path)
    assert_once_and_whole(starts)
    # A day back from the backfill's own platform time (a loaded machine may start it a
    # minute or more after the collector's newest candle).
    target = re.search(r"back to (\d{4}-\d\d-\d\d \d\d:\d\d) \(platform time\)", out)
    assert target is not None, out
    assert min(starts) <= calendar.timegm(time.strptime(target.group(1), "%Y-%m-%d %H:%M"))
    sent = requests(sim)
    assert sent[0]["time"] == min(live) and sent[0]["offset"] == 300 * 60
    assert {r["asset"] for r in sent} == {ASSET} and {r["period"] for r in sent} == {60}
    assert 4 <= len(sent) <= 5  # about 1340 candles, 300 a page
    assert len({r["time"] for r in sent}) == len(sent)  # none asked for twice


def test_a_stopped_backfill_resumes_where_it_stopped(tmp_path, short_tmp, sim):
    first = backfill(tmp_path, short_tmp, sim, "--days", "3", "--page-candles", "200")
    poll(lambda: len(requests(sim)) >= 4 or first.process.poll() is not None, 120)
    first.process.send_signal(signal.SIGTERM)
    out = first.wait(60)
    assert first.process.returncode == 0, out
    assert "[stopped]" in out and "run the same command again to resume" in out
    before = rows_on_disk(tmp_path)
    assert_once_and_whole(before)
    asked = len(requests(sim))
    assert 4 <= asked < 20 and len(before) >= 3 * 200

    second = backfill(tmp_path, short_tmp, sim, "--days", "3", "--page-candles", "1000")
    out = second.wait()
    assert second.process.returncode == 0, out
    assert "[done]" in out
    resumed = requests(sim)[asked:]
    assert resumed[0]["time"] == min(before)  # from the oldest candle on disk, nothing again
    assert all(r["time"] <= min(before) for r in resumed)
    starts = rows_on_disk(tmp_path)
    assert_once_and_whole(starts)
    assert max(starts) - min(starts) >= 3 * 86400 - 3600


def test_a_gap_in_the_platforms_history_is_reported_as_a_gap(tmp_path, short_tmp, sim):
    now = int(time.time() + 7200) // 60 * 60
    gap_start, gap_end = now - 30 * 3600, now - 22 * 3600  # eight hours, a day back
    sim.control("history_gap", asset=ASSET, start=gap_start, end=gap_end)
    run = backfill(tmp_path, short_tmp, sim, "--days", "2", "--page-candles", "200", "--pace", "4")
    out = run.wait()
    assert run.process.returncode == 0, out
    assert "[done]" in out and "1 gaps" in out
    gap = f"gap: no history from {format_candle_time(gap_start)[:16].replace('T', ' ')} to "
    assert gap + f"{format_candle_time(gap_end)[:16].replace('T', ' ')} (480 candles)" in out
    starts = rows_on_disk(tmp_path)
    assert len(starts) == len(set(starts))
    assert not [t for t in starts if gap_start <= t < gap_end]
    assert min(starts) < gap_start and max(starts) > gap_end
    assert len(requests(sim)) <= 2 * 2880 // 200 + 1  # the gap was not asked for again and again


def test_history_that_ends_stops_the_backfill_with_the_reason(tmp_path, short_tmp, sim):
    now = int(time.time() + 7200) // 60 * 60
    sim.control("history_gap", asset=ASSET, start=now - 40 * 86400, end=now - 86400)
    run = backfill(
        tmp_path, short_tmp, sim, "--days", "30", "--page-candles", "2000", "--pace", "4"
    )
    out = run.wait()
    assert run.process.returncode == 0, out
    assert "[history ends]" in out
    assert "the platform has no EURUSD_otc history before" in out
    assert len(requests(sim)) <= 1 + (4 * 1440) // 2000 + 2


def test_backfill_attaches_to_the_traders_open_page(tmp_path, short_tmp, sim):
    """The trader's Chrome, its page and sockets open before qfdesk attaches (the real case)."""
    port = free_port()
    traders = launch_chrome(rig_settings(tmp_path / "traders-profile", port, url=sim.url))
    try:
        assert poll(lambda: sim.state()["trading_sockets"] == 1, 30)
        command = ["backfill", "--asset", "AUDCAD_otc", "--days", "0.5", "--attach"]
        run = Run(tmp_path, short_tmp, sim, *command, f"127.0.0.1:{port}", attach=True)
        out = run.wait()
        assert run.process.returncode == 0, out
        assert "[done]" in out
        assert probe_debugger("127.0.0.1", port), "the trader's Chrome was closed"
    finally:
        if traders.process is not None:
            traders.process.kill()
    assert {r["asset"] for r in requests(sim)} == {"AUDCAD_otc"}
    starts = rows_on_disk(tmp_path, "AUDCAD_otc")
    assert_once_and_whole(starts)
    assert max(starts) - min(starts) >= 12 * 3600 - 120
