"""``python -m qfdesk collect`` killed with SIGKILL leaves nothing behind: not its chromedriver,
not a Chrome it launched, not Chrome's log; a Chrome the trader started lives on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, free_port, needs_browser, rig_settings
from proc_helpers import descendants, poll, running, with_marker

from qfdesk.browser.chrome_launcher import launch_chrome, probe_debugger
from qfdesk.browser.run_record import sweep_leftovers
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]

ROOT = Path(__file__).resolve().parents[1]


class Collector:
    """One ``qfdesk collect`` process; its state dir (the run records) and TMPDIR are given."""

    def __init__(self, tmp_path: Path, temp_dir: Path, name: str, *args: str) -> None:
        self.log = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "TMPDIR": str(temp_dir),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "qfdesk", "collect", "--data-dir", str(tmp_path / "data")]
                + list(args),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text()

    def wait_connected(self) -> None:
        poll(lambda: "state: connected" in self.text() or self.process.poll() is not None, 60)
        assert "state: connected" in self.text(), f"the collector never connected:\n{self.text()}"

    def watchdogs(self) -> list[int]:
        return running(descendants(self.process.pid), "qfdesk.browser.watchdog")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()


def runs_dir(tmp_path: Path) -> Path:
    """Where the collectors' run records (pid files) are, with their XDG_STATE_HOME."""
    return tmp_path / "state" / "QuantumFlux Desk" / "runs"


def chrome_on(profile: Path) -> list[int]:
    """The Chrome processes that run on ``profile`` (the collector names it too)."""
    return with_marker(f"--user-data-dir={profile}")


def launch_args(port: int, profile: Path, url: str) -> list[str]:
    return [
        "--launch",
        "--headless",
        "--port",
        str(port),
        "--profile",
        str(profile),
        "--url",
        url,
        "--chrome",
        str(CHROMIUM),
    ]


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=2, seed=9) as platform:
        yield platform


def test_a_sigkilled_collector_leaves_no_chromedriver_and_the_traders_chrome_lives_on(
    tmp_path, short_tmp, sim
):
    port = free_port()
    traders = launch_chrome(rig_settings(tmp_path / "traders-profile", port, url=sim.url))
    collector = Collector(tmp_path, short_tmp, "collect", "--attach", f"127.0.0.1:{port}")
    try:
        collector.wait_connected()
        drivers = running(descendants(collector.process.pid), "chromedriver")
        assert drivers, "the collector reads through a chromedriver of its own"
        collector.kill()
        poll(lambda: not running(drivers, "chromedriver"), 30)
        assert running(drivers, "chromedriver") == [], "the collector's chromedriver remains"
        assert traders.process.alive() and probe_debugger("127.0.0.1", port) is not None, (
            "the trader's Chrome must never be ended"
        )
        runs = runs_dir(tmp_path)
        assert poll(lambda: not list(runs.glob("*.json")), 30), "the run's record remains"
    finally:
        collector.close()
        sweep_leftovers(runs_dir(tmp_path))
        traders.process.stop()


def test_collect_launch_then_sigkill_ends_its_chrome_and_removes_its_log(tmp_path, short_tmp, sim):
    profile = tmp_path / "profile"
    collector = Collector(
        tmp_path, short_tmp, "collect", *launch_args(free_port(), profile, sim.url)
    )
    try:
        collector.wait_connected()
        chrome = chrome_on(profile)
        assert chrome and set(chrome) <= descendants(collector.process.pid)
        assert list(short_tmp.glob("qfdesk-chrome-*.log")), "Chrome's messages go to a temp log"
        collector.kill()
        poll(lambda: not chrome_on(profile), 30)
        assert chrome_on(profile) == [], "the Chrome the collector launched remains"
        assert poll(lambda: not list(short_tmp.glob("qfdesk-chrome-*.log")), 30), (
            "Chrome's temporary log remains"
        )
    finally:
        collector.close()
        sweep_leftovers(runs_dir(tmp_path))


def test_what_a_killed_collector_and_its_watchdog_left_is_ended_by_the_next_start(
    tmp_path, short_tmp, sim
):
    """The pid file alone (what other platforms rely on): the next run ends the old Chrome
    instead of adopting it, removes its log, and leaves nothing after its own clean stop."""
    profile, port = tmp_path / "profile", free_port()
    first = Collector(tmp_path, short_tmp, "first", *launch_args(port, profile, sim.url))
    second = None
    try:
        first.wait_connected()
        old_chrome = chrome_on(profile)
        watchdogs = first.watchdogs()
        assert old_chrome and len(watchdogs) == 1
        os.kill(watchdogs[0], signal.SIGKILL)
        first.kill()
        assert chrome_on(profile), "without a watchdog the old Chrome outlives its run"
        assert list(short_tmp.glob("qfdesk-chrome-*.log"))
        second = Collector(
            tmp_path, short_tmp, "second", *launch_args(port, profile, sim.url), "--duration", "4"
        )
        second.wait_connected()
        assert running(old_chrome, "chromium") == [], "the next run adopted the old Chrome"
        new_chrome = chrome_on(profile)
        assert new_chrome and set(new_chrome) <= descendants(second.process.pid)
        assert len(list(short_tmp.glob("qfdesk-chrome-*.log"))) == 1, "only the new run's log"
        assert second.process.wait(60) == 0, second.text()
        poll(lambda: not chrome_on(profile), 30)
        assert chrome_on(profile) == [], "a clean stop ends the Chrome it launched"
        assert list(short_tmp.glob("qfdesk-chrome-*.log")) == [], "and removes its log"
    finally:
        first.close()
        if second is not None:
            second.close()
        sweep_leftovers(runs_dir(tmp_path))
