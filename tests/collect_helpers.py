"""``qfdesk collect`` as a child process launching headless Chromium on a simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from browser_helpers import CHROMIUM, free_port

from qfdesk.browser.run_record import sweep_leftovers
from qfdesk.sim.platform import SimulatedPlatform

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def collecting(
    tmp_path: Path, temp_dir: Path, sim: SimulatedPlatform, data: Path, *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """The collector on ``sim`` writing under ``data`` (with ``args``), and its output file;
    killed on the way out if still running, with whatever its run record lists."""
    log = tmp_path / "collect.log"
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TMPDIR": str(temp_dir),
        "PYTHONUNBUFFERED": "1",
    }
    argv = [sys.executable, "-m", "qfdesk", "collect", "--data-dir", str(data), "--launch"]
    argv += ["--headless", "--port", str(free_port()), "--profile", str(tmp_path / "p")]
    argv += ["--url", sim.url, "--chrome", str(CHROMIUM), *args]
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        sweep_leftovers(tmp_path / "state" / "QuantumFlux Desk" / "runs")


def interrupt(process: subprocess.Popen[bytes], log: Path) -> None:
    """Ctrl-C, and the clean exit it must bring."""
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0, log.read_text()
