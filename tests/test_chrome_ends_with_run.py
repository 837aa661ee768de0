"""A program that launched Chrome through qfdesk and exits without closing it does not leave
it running, nor Chrome's temporary log (the run's record is ended at exit)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from browser_helpers import free_port, needs_browser
from proc_helpers import poll, running, with_marker

pytestmark = [pytest.mark.browser, needs_browser]

ROOT = Path(__file__).resolve().parents[1]

FORGETFUL = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from browser_helpers import rig_settings
    from qfdesk.browser.attach import attach
    from qfdesk.browser.chrome_launcher import launch_chrome

    endpoint = launch_chrome(rig_settings(Path(sys.argv[1]), int(sys.argv[2])))
    driver = attach(endpoint.address)
    print(driver.service.process.pid, flush=True)
    """
)


def test_a_run_that_exits_without_closing_its_chrome_ends_it(tmp_path, short_tmp):
    profile = tmp_path / "profile"
    done = subprocess.run(
        [sys.executable, "-c", FORGETFUL, str(profile), str(free_port()), str(ROOT / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(short_tmp), "XDG_STATE_HOME": str(tmp_path / "state")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    driver = int(done.stdout)
    marker = f"--user-data-dir={profile}"
    assert poll(lambda: not with_marker(marker), 30), "the Chrome it launched still runs"
    assert poll(lambda: not running([driver], "chromedriver"), 30), "its chromedriver runs"
    assert list(short_tmp.glob("qfdesk-*")) == [], "Chrome's temporary log remains"
    assert list((tmp_path / "state").rglob("*.json")) == [], "the run's record remains"
