"""Processes seen through Linux's /proc: only ours, found by pid tree or by a unique marker in
the command line (other programs on the machine run Chromium and chromedriver too)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


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


def command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def with_marker(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (a temp path, a port)."""
    pids = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/cmdline")]
    return [pid for pid in pids if marker in command_line(pid) and alive(pid)]


def running(pids: set[int] | list[int], name: str) -> list[int]:
    """Those of ``pids`` that still run a program whose command line mentions ``name``."""
    return [pid for pid in pids if name in command_line(pid) and alive(pid)]


def poll(predicate: Callable[[], object], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
