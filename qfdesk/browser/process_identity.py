"""Tell a process from a later one that got its pid, and end it (or its process group).

A pid alone may name another program once its process is gone, so every process qfdesk
records is recorded with its identity (its start time) and is ended only while that still
matches. An identity that cannot be read means "not the process we started": never kill then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def identity(pid: int) -> str | None:
    """The start time of a live process ``pid``, or None when it is gone (or a zombie)."""
    try:
        if sys.platform.startswith("linux"):
            return _linux_identity(pid)
        if sys.platform == "win32":
            return _windows_identity(pid)
        return _ps_identity(pid)
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def _linux_identity(pid: int) -> str | None:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _ps_identity(pid: int) -> str | None:
    out = subprocess.run(
        ["ps", "-o", "stat=,lstart=", "-p", str(pid)],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout.split(maxsplit=1)
    return None if not out or out[0].startswith("Z") else out[1].strip()


def _windows_identity(pid: int) -> str | None:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return None
    try:
        times = [wintypes.FILETIME() for _ in range(4)]
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value != 259:
            return None  # 259 is STILL_ACTIVE
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return None
        return f"{times[0].dwHighDateTime}:{times[0].dwLowDateTime}"
    finally:
        kernel32.CloseHandle(handle)


def same_process(pid: int, recorded: str | None) -> bool:
    return recorded is not None and identity(pid) == recorded


def end_process(pid: int, recorded: str, *, group: bool, grace: float = 5.0) -> bool:
    """End ``pid`` (with its process group when ``group``) if it is still the recorded one:
    politely first, then by force after ``grace`` seconds. True if it was running."""
    if not same_process(pid, recorded):
        return False
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True, check=False)
        return True
    _signal(pid, signal.SIGTERM, group)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and same_process(pid, recorded):
        time.sleep(0.05)
    if same_process(pid, recorded):
        _signal(pid, signal.SIGKILL, group)
    elif group:
        _signal(pid, signal.SIGKILL, group)  # helpers that outlived the group's leader
    return True


def _signal(pid: int, sig: int, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
