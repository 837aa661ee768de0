"""The watchdog: a small process that ends what a qfdesk run started once that run is gone.

A run starts one, with a pipe on its standard input that only the run holds (the pipe is not
inherited by Chrome or chromedriver). Whatever ends the run, SIGKILL included, the kernel
closes the pipe; the watchdog then waits for the run's process to be gone and ends what the
run's record still lists (``run_record.end_run``). A run that stops cleanly has already
ended and released everything, so its watchdog only removes the empty record.

This is the parent-death signal done from outside: PR_SET_PDEATHSIG fires when the *thread*
that forked the child exits (qfdesk starts chromedrivers from short-lived threads), and it
cannot remove a temporary profile. The watchdog runs in a session of its own, so a terminal's
Ctrl-C or hang-up, which end the run, do not end the watchdog too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from qfdesk.browser.run_record import RunRecord, end_run
from qfdesk.engine.paths import is_frozen

FROZEN_FLAG = "--qfdesk-watchdog"
"""How a PyInstaller bundle (which cannot run ``-m``) is asked to be a watchdog."""
OWNER_EXIT_WAIT = 30.0


def command(record: Path) -> list[str]:
    if is_frozen():
        return [sys.executable, FROZEN_FLAG, str(record)]
    return [sys.executable, "-m", "qfdesk.browser.watchdog", str(record)]


def start(record: Path) -> subprocess.Popen[bytes]:
    """The watchdog of this run; keep the returned Popen (its stdin is the run's life line)."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        command(record),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )


def main(record_path: str) -> int:
    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    path = Path(record_path)
    sys.stdin.buffer.read()  # returns when the run is gone (or closed its end at exit)
    record = RunRecord.load(path)
    if record is None:
        return 0
    deadline = time.monotonic() + OWNER_EXIT_WAIT
    while record.owner_alive():
        if time.monotonic() > deadline:
            return 0  # the run lives on: never end what a live run owns
        time.sleep(0.05)
    done = end_run(path)
    if done:
        print(
            f"qfdesk watchdog: ended what run {record.owner} left: {', '.join(done)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
