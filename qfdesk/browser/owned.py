"""What this qfdesk process started and made, so that it ends with the process.

``own_process`` / ``own_path`` as soon as a Chrome, a chromedriver or a temporary file exists,
``release_process`` / ``release_path`` once it is ended or removed. The first call writes this
run's record (the pid file, see ``run_record``) and, on Linux, starts its ``watchdog``;
``sweep`` at a command's start ends what earlier runs that died left behind. A normal exit
ends what is still recorded itself.

Recording never stops the program: a record that cannot be written is logged and skipped.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from qfdesk.browser import watchdog
from qfdesk.browser.run_record import RunRecord, end_run, sweep_leftovers
from qfdesk.engine.paths import runs_dir

log = logging.getLogger(__name__)

WATCHDOG = sys.platform.startswith("linux")

_lock = threading.Lock()
_record: RunRecord | None = None
_watchdog: subprocess.Popen[bytes] | None = None


def _this_run() -> RunRecord | None:
    global _record, _watchdog
    with _lock:
        if _record is not None and _record.owner == os.getpid():
            return _record
        try:
            _record = RunRecord.for_this_run(runs_dir())
            atexit.register(_end_this_run)
            if WATCHDOG:
                _watchdog = watchdog.start(_record.path)
        except OSError as error:
            log.warning("cannot record what this run starts (%s): a crash may leave it", error)
            _record = None
        return _record


def _current() -> RunRecord | None:
    return _record if _record is not None and _record.owner == os.getpid() else None


def own_process(pid: int, *, group: bool, what: str) -> None:
    """Record a process this run started (``group``: end its whole process group)."""
    record = _this_run()
    if record is not None:
        _try(record.add_process, pid, group=group, what=what)


def release_process(pid: int) -> None:
    record = _current()
    if record is not None:
        _try(record.remove_process, pid)


def own_path(path: Path) -> None:
    """Record a temporary file or folder this run made (removed if the run dies)."""
    record = _this_run()
    if record is not None:
        _try(record.add_path, path)


def release_path(path: Path) -> None:
    record = _current()
    if record is not None:
        _try(record.remove_path, path)


def _end_this_run() -> None:
    """At a normal exit: end what is still ours (a Chrome nobody closed) and drop the record."""
    global _record
    record = _current()
    if record is not None:
        _record = None  # what is released from now on (finalizers) has no record to update
        _try(end_run, record.path)


def sweep() -> None:
    """End what earlier runs left: their Chrome, chromedrivers, temporary profiles and logs."""
    try:
        sweep_leftovers(runs_dir())
    except OSError as error:
        log.warning("could not check for what earlier runs left (%s)", error)


def _try(method: Callable[..., object], *args: object, **kwargs: object) -> None:
    try:
        method(*args, **kwargs)
    except OSError as error:
        log.warning("could not update this run's record %s (%s)", runs_dir(), error)
