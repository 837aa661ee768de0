"""``qfdesk --self-test`` from source, as a subprocess: passes on a live tick, fails with a reason."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser_helpers import needs_browser

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]


def self_test(tmp_path: Path, *extra: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen by itself
    return subprocess.run(
        [sys.executable, "-m", "qfdesk", "--self-test", *extra],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_self_test_passes_on_a_live_tick(tmp_path):
    done = self_test(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "self-test passed: live tick on the chart" in done.stderr
    log_file = tmp_path / "xdg_state_home" / "QuantumFlux Desk" / "log" / "qfdesk.log"
    assert "self-test passed" in log_file.read_text(), "the app logs to its rotating file"
    assert not (tmp_path / "xdg_config_home" / "QuantumFlux Desk").exists(), "no settings"
    assert not (tmp_path / "xdg_data_home" / "QuantumFlux Desk").exists(), "nor data"
    folders = set(re.findall(r"(\S*qfdesk-self-test-[^/\s]+)", done.stderr))
    assert folders, "the self-test names its throw-away folder"
    assert not any(Path(f).exists() for f in folders), "and removes it"


def test_self_test_fails_with_the_reason_when_no_tick_comes_in_time(tmp_path):
    done = self_test(tmp_path, "--self-test-timeout", "0.3")
    assert done.returncode == 2, done.stderr[-3000:]
    assert "self-test failed: no live tick reached the chart within 0 s" in done.stderr
