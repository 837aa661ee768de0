"""The pid file of one qfdesk run: what it started (Chrome, chromedrivers) and the temporary
files it made, so that whatever a killed run left is ended and removed later.

Each run keeps ``<runs dir>/<pid>.json`` up to date. Its watchdog ends what the record lists
the moment the run dies (Linux, see ``watchdog``); everywhere, ``sweep_leftovers`` at the
next start ends what the records of dead runs still list. Only processes recorded here are
ever ended, and only while their start time still matches: never a Chrome the trader
started, never a later program that reuses a pid.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from qfdesk.browser.process_identity import end_process, identity, same_process
from qfdesk.browser.profile import remove_throwaway_profile

log = logging.getLogger(__name__)

TEMP_PREFIX = "qfdesk-"
"""Only files and folders named so are ever removed: a record never costs the trader's profile."""


@dataclass(frozen=True, slots=True)
class OwnedProcess:
    pid: int
    identity: str
    group: bool
    what: str


@dataclass
class RunRecord:
    """What the run ``owner`` (pid and identity) started and made, saved on every change."""

    path: Path
    owner: int
    owner_identity: str | None
    processes: dict[int, OwnedProcess] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_this_run(cls, runs_dir: Path) -> RunRecord:
        runs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        pid = os.getpid()
        path = runs_dir / f"{pid}.json"
        if path.exists():  # an earlier run that had this pid died: end what it left first
            end_run(path)
        record = cls(path, pid, identity(pid))
        record.save()
        return record

    @classmethod
    def load(cls, path: Path) -> RunRecord | None:
        try:
            data = json.loads(path.read_text())
            processes = {
                int(p["pid"]): OwnedProcess(int(p["pid"]), p["identity"], p["group"], p["what"])
                for p in data["processes"]
            }
            return cls(path, int(data["owner"]), data["owner_identity"], processes, data["paths"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def add_process(self, pid: int, *, group: bool, what: str) -> None:
        ident = identity(pid)
        if ident is None:
            return  # already gone
        with self._lock:
            self.processes[pid] = OwnedProcess(pid, ident, group, what)
            self.save()

    def remove_process(self, pid: int) -> None:
        with self._lock:
            if self.processes.pop(pid, None) is not None:
                self.save()

    def add_path(self, path: Path) -> None:
        with self._lock:
            self.paths.append(str(path))
            self.save()

    def remove_path(self, path: Path) -> None:
        with self._lock:
            if str(path) in self.paths:
                self.paths.remove(str(path))
                self.save()

    def save(self) -> None:
        data = {
            "owner": self.owner,
            "owner_identity": self.owner_identity,
            "processes": [
                {"pid": p.pid, "identity": p.identity, "group": p.group, "what": p.what}
                for p in self.processes.values()
            ],
            "paths": self.paths,
        }
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(data))
        os.replace(partial, self.path)

    def owner_alive(self) -> bool:
        return same_process(self.owner, self.owner_identity)


def end_run(path: Path) -> list[str]:
    """End every process the record at ``path`` lists, remove its paths and the record.
    Returns what was ended or removed, for the log."""
    record = RunRecord.load(path)
    done: list[str] = []
    if record is not None:
        for owned in record.processes.values():
            if end_process(owned.pid, owned.identity, group=owned.group):
                done.append(f"{owned.what} {owned.pid}")
        for leftover in map(Path, record.paths):
            if not leftover.name.startswith(TEMP_PREFIX):
                log.warning(
                    "not removing %s: qfdesk's temporary files are %s*", leftover, TEMP_PREFIX
                )
            elif leftover.is_dir():
                remove_throwaway_profile(leftover)
                done.append(str(leftover))
            elif leftover.exists():
                leftover.unlink(missing_ok=True)
                done.append(str(leftover))
    path.unlink(missing_ok=True)
    path.with_suffix(".partial").unlink(missing_ok=True)
    return done


def sweep_leftovers(runs_dir: Path) -> list[str]:
    """End what runs that died left behind (their records name a dead owner)."""
    done: list[str] = []
    for path in sorted(runs_dir.glob("*.json")):
        if not path.stem.isdigit():
            continue
        record = RunRecord.load(path)
        if record.owner_alive() if record else identity(int(path.stem)) is not None:
            continue  # a live run (or, unreadable, one that may be live)
        ended = end_run(path)
        if ended:
            log.info("ended what an earlier qfdesk run (pid %s) left: %s", path.stem, ended)
        done += ended
    return done
