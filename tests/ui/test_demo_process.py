"""``python -m qfdesk --demo`` as a real process: live within seconds, SIGTERM ends every child."""

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

pytestmark = [pytest.mark.browser, pytest.mark.gui, needs_browser]

ROOT = Path(__file__).resolve().parents[2]


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (by parent id in /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def with_profile(profile: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if profile in cmdline.read_bytes().decode(errors="replace"):
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return [pid for pid in pids if alive(pid)]


def test_demo_goes_live_and_sigterm_ends_every_child(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path / "home"),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "qfdesk", "--demo", "--data-dir", str(tmp_path / "data")],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline and "qfdesk: live" not in text:
            assert process.poll() is None, f"the app ended early:\n{log_path.read_text()}"
            time.sleep(0.2)
            text = log_path.read_text()
        assert "qfdesk: live" in text, f"never live:\n{text}"
        profile = re.search(r"profile (\S*qfdesk-demo-profile-\S+)", text).group(1)
        chromium = with_profile(profile)
        children = descendants(process.pid)
        assert chromium and set(chromium) <= children, "Chromium is our child"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (with_profile(profile) or any(map(alive, children))):
        time.sleep(0.2)
    assert with_profile(profile) == [], "no Chromium of the demo remains"
    assert [pid for pid in children if alive(pid)] == [], "no child of the app remains"
    assert not Path(profile).exists(), "the throw-away profile is removed"
    assert "qfdesk: closed" in log_path.read_text()
