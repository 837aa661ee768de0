"""*Report a problem*: one zip a trader can send, and the list of what is in it.

It holds the app's version and platform, its diagnostics (counts and states, never frame
contents), the settings with every password-, token-, session- or cookie-like key left out,
the log files, the newest trade diagnostics files and, while traffic is recorded, the last
minutes of the recording (already scrubbed of the session token). Every text goes through
``scrub`` too (the recorder's: the tokens it has seen), so a token that reached a log by some
path nobody foresaw is still replaced. No Qt here: the window builds it on a worker thread.
"""

from __future__ import annotations

import json
import platform
import re
import sys
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qfdesk.engine.recording import recent_lines

SECRET_KEY = re.compile(
    r"pass|pwd|token|secret|session|cookie|credential|auth|api.?key", re.IGNORECASE
)
LEFT_OUT = "(left out of the report)"
RECORDING_MINUTES = 10
DIAGNOSTIC_FILES = 20


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What goes into a report; ``recording`` is the first part of the recording being
    written (None when traffic is not recorded)."""

    version: str
    diagnostics: Mapping[str, Any]
    settings: Mapping[str, Any]
    settings_file: Path | None = None
    log_files: tuple[Path, ...] = ()
    diagnostic_files: tuple[Path, ...] = ()
    recording: Path | None = None
    recording_minutes: float = RECORDING_MINUTES
    scrub: Callable[[str], str] = field(default=lambda text: text)


@dataclass(frozen=True, slots=True)
class ProblemReport:
    """The zip written, and one line per member: its name and what it is."""

    path: Path
    contents: tuple[tuple[str, str], ...]

    def listing(self) -> str:
        return "\n".join(f"{name}: {what}" for name, what in self.contents)


def without_secrets(value: Any) -> Any:
    """``value`` with the value of every secret-like key (at any depth) replaced."""
    if isinstance(value, Mapping):
        return {
            str(key): LEFT_OUT if SECRET_KEY.search(str(key)) else without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [without_secrets(item) for item in value]
    return value


def app_log_files(folder: Path) -> tuple[Path, ...]:
    """The app's log file and its rotations in ``folder``, the current one first."""
    if not folder.is_dir():
        return ()
    return tuple(sorted(folder.glob("qfdesk.log*"), key=lambda p: (len(p.name), p.name)))


def newest_files(folder: Path, pattern: str, most: int = DIAGNOSTIC_FILES) -> tuple[Path, ...]:
    """The newest ``most`` files in ``folder`` matching ``pattern``."""
    if not folder.is_dir():
        return ()
    found = []
    for path in folder.glob(pattern):
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    return tuple(path for _, path in sorted(found, reverse=True)[:most])


def _settings_file(path: Path) -> tuple[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "{}", "none yet: the defaults are in use"
    except (OSError, ValueError) as error:
        return json.dumps({"unreadable": str(error)}), "could not be read"
    return json.dumps(without_secrets(data), indent=2), "secret-like keys left out"


def build_report(target: Path, inputs: ReportInputs, now: float | None = None) -> ProblemReport:
    """Write the zip at ``target`` (replacing it); raises OSError when it cannot."""
    now = time.time() if now is None else now
    scrub = inputs.scrub
    contents: list[tuple[str, str]] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, text: str, what: str) -> None:
            archive.writestr(name, scrub(text))
            contents.append((name, what))

        about = {
            "version": inputs.version,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        }
        add("about.json", json.dumps(about, indent=2), f"QuantumFlux Desk {inputs.version}")
        diagnostics = json.dumps(without_secrets(inputs.diagnostics), indent=2, default=str)
        add("diagnostics.json", diagnostics, "the app's state: connection, counts, clock")
        settings = json.dumps(without_secrets(inputs.settings), indent=2, default=str)
        add("settings/window.json", settings, "the window's settings, secret-like keys left out")
        if inputs.settings_file is not None:
            text, what = _settings_file(inputs.settings_file)
            add("settings/settings.json", text, f"the settings file: {what}")
        files = [(f"logs/{path.name}", path, "log file") for path in inputs.log_files]
        files += [
            (f"diagnostics/{path.name}", path, "a trade's diagnostics")
            for path in inputs.diagnostic_files
        ]
        for name, path, what in files:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            add(name, text, what)
        if inputs.recording is not None:
            since = (now - inputs.recording_minutes * 60) * 1000
            lines = recent_lines(inputs.recording, since)
            add(
                "recording/last-minutes.jsonl",
                "".join(line + "\n" for line in lines),
                f"the last {inputs.recording_minutes:g} minutes of the traffic recording "
                f"({len(lines)} entries, session token scrubbed; qfdesk replay reads it)",
            )
        listing = "\n".join(f"- {name}: {what}" for name, what in contents)
        add(
            "README.txt",
            "QuantumFlux Desk problem report\n\n"
            f"{listing}\n\nNever in it: the platform's session token, passwords, tokens or "
            "cookies.\n",
            "this list",
        )
    partial.replace(target)
    return ProblemReport(target, tuple(contents))


def report_name(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"qfdesk-report-{stamp}.zip"
