"""The run record (pid file): what a dead run left is ended at the next start, and nothing
else ever is: not a live run's processes, not a program that got a recorded pid later."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from proc_helpers import poll

from qfdesk.browser.process_identity import identity
from qfdesk.browser.run_record import OwnedProcess, RunRecord, sweep_leftovers

RUN = textwrap.dedent(
    """
    import subprocess, sys, tempfile, time
    from pathlib import Path
    from qfdesk.browser.run_record import RunRecord

    record = RunRecord.for_this_run(Path(sys.argv[1]))
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    record.add_process(child.pid, group=True, what="sleep")
    folder = Path(tempfile.mkdtemp(prefix="qfdesk-", dir=sys.argv[2]))
    (folder / "inside").write_text("x")
    record.add_path(folder)
    print(child.pid, folder, flush=True)
    time.sleep(600)
    """
)


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "600"], start_new_session=True)


def test_a_dead_runs_processes_are_ended_and_its_files_removed_at_the_next_sweep(tmp_path):
    runs = tmp_path / "runs"
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, str(runs), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    try:
        pid_text, folder = run.stdout.readline().split()
        child = int(pid_text)
        assert sweep_leftovers(runs) == [], "a live run's record is left alone"
        assert identity(child) is not None and Path(folder).is_dir()
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        assert identity(child) is not None, "nothing but the record can end it now"
        done = sweep_leftovers(runs)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    assert poll(lambda: identity(child) is None, 30), "the dead run's process still runs"
    assert done == [f"sleep {child}", folder]
    assert not Path(folder).exists()
    assert list(runs.iterdir()) == [], "the record itself is removed"


def test_a_sweep_never_ends_a_process_whose_pid_now_names_another_start_nor_removes_a_profile(
    tmp_path,
):
    runs = tmp_path / "runs"
    profile = tmp_path / "Chrome_profile"
    profile.mkdir()
    other = sleeper()
    try:
        record = RunRecord(runs / "999999999.json", 999999999, "no longer running")
        runs.mkdir()
        record.processes[other.pid] = OwnedProcess(other.pid, "an earlier start", True, "Chrome")
        record.paths.append(str(profile))
        record.save()
        assert sweep_leftovers(runs) == []
        assert other.poll() is None, "a process that merely has a recorded pid was ended"
        assert profile.is_dir(), "only qfdesk's temporary files are ever removed"
        assert list(runs.iterdir()) == [], "the stale record is removed"
    finally:
        other.kill()
        other.wait(10)


def test_a_live_runs_record_is_left_alone(tmp_path):
    runs = tmp_path / "runs"
    ours = sleeper()
    try:
        record = RunRecord.for_this_run(runs)
        record.add_process(ours.pid, group=True, what="Chrome")
        assert sweep_leftovers(runs) == []
        assert ours.poll() is None
        assert RunRecord.load(record.path).processes.keys() == {ours.pid}
        record.remove_process(ours.pid)
        assert RunRecord.load(record.path).processes == {}
    finally:
        ours.kill()
        ours.wait(10)


def test_the_watchdog_ends_what_its_run_left_once_the_run_is_gone(tmp_path):
    """As a PyInstaller bundle starts it (``qfdesk --qfdesk-watchdog RECORD``); its standard
    input already closed, as when its run was killed."""
    runs = tmp_path / "runs"
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, str(runs), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    try:
        pid_text, folder = run.stdout.readline().split()
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        record = runs / f"{run.pid}.json"
        done = subprocess.run(
            [sys.executable, "-m", "qfdesk", "--qfdesk-watchdog", str(record)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    assert done.returncode == 0, done.stderr
    assert f"sleep {pid_text}" in done.stderr
    assert poll(lambda: identity(int(pid_text)) is None, 30), "the run's process still runs"
    assert not Path(folder).exists() and not record.exists()
