"""``python -m qfdesk --demo`` as a real process: live within seconds; SIGTERM ends every child,
and so does SIGKILL (the run's watchdog), the throw-away profile and Chrome's log included."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_helpers import needs_browser
from proc_helpers import alive, descendants, poll, running, with_marker

pytestmark = [pytest.mark.browser, pytest.mark.gui, needs_browser]

ROOT = Path(__file__).resolve().parents[2]


def start_demo(tmp_path: Path, temp_dir: Path) -> tuple[subprocess.Popen, Path]:
    """The demo as a user starts it: config and state (HOME) in ``tmp_path``, TMPDIR
    ``temp_dir``."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(temp_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("XDG_STATE_HOME", None)
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "qfdesk", "--demo", "--data-dir", str(tmp_path / "data")],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return process, log_path


def wait_live(process: subprocess.Popen, log_path: Path) -> str:
    """The demo's log once it is live (the throw-away profile's path is in it)."""
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline and "qfdesk: live" not in text:
        assert process.poll() is None, f"the app ended early:\n{log_path.read_text()}"
        time.sleep(0.2)
        text = log_path.read_text()
    assert "qfdesk: live" in text, f"never live:\n{text}"
    return text


def demo_profile(text: str) -> str:
    return re.search(r"profile (\S*qfdesk-demo-profile-\S+)", text).group(1)


def test_demo_goes_live_and_sigterm_ends_every_child(tmp_path, short_tmp):
    process, log_path = start_demo(tmp_path, short_tmp)
    try:
        profile = demo_profile(wait_live(process, log_path))
        chromium = with_marker(profile)
        children = descendants(process.pid)
        assert chromium and set(chromium) <= children, "Chromium is our child"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    poll(lambda: not with_marker(profile) and not any(map(alive, children)), 10)
    assert with_marker(profile) == [], "no Chromium of the demo remains"
    assert [pid for pid in children if alive(pid)] == [], "no child of the app remains"
    assert not Path(profile).exists(), "the throw-away profile is removed"
    assert list(short_tmp.iterdir()) == [], (
        "no temporary file (Chrome's log, its socket folder) remains"
    )
    assert "qfdesk: closed" in log_path.read_text()


def test_a_sigkilled_demo_leaves_no_chromium_no_chromedriver_and_no_profile(tmp_path, short_tmp):
    process, log_path = start_demo(tmp_path, short_tmp)
    try:
        profile = demo_profile(wait_live(process, log_path))
        chromium = with_marker(profile)
        drivers = running(descendants(process.pid), "chromedriver")
        assert chromium and set(chromium) <= descendants(process.pid), "Chromium is our child"
        assert len(drivers) >= 2, "the tail and the page each have a chromedriver"
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    gone = poll(
        lambda: (
            not with_marker(profile)
            and not running(drivers, "chromedriver")
            and not Path(profile).exists()
            and not list(short_tmp.iterdir())
        ),
        60,
    )
    assert with_marker(profile) == [], "no Chromium of the demo remains"
    assert running(drivers, "chromedriver") == [], "no chromedriver of the demo remains"
    assert not Path(profile).exists(), "the throw-away profile is removed"
    assert list(short_tmp.iterdir()) == [], (
        "no temporary file (Chrome's log, its socket folder) remains"
    )
    assert gone
