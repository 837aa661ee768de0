"""Reading the strategies file: its layout checked before anything in it is used.

A file that cannot be used at all (not UTF-8 text, not JSON, not an object, ``files`` not a
list of file names, ``strategies`` not an object) is kept aside as a copy next to it and
reported; only the built-in strategies are used then. Its entries are checked one by one
later (:meth:`StrategyRegistry.load_config`), each bad one skipped and named.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qfdesk.engine.keep_aside import keep_aside

log = logging.getLogger(__name__)

STRATEGIES_FILENAME = "strategies.json"


@dataclass(frozen=True, slots=True)
class StrategiesFile:
    """What the file holds; ``problem`` and ``backup`` are set when it was rejected."""

    files: tuple[str, ...] = ()
    strategies: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    backup: Path | None = None


class _IllShaped(ValueError):
    """The file is JSON but not of the strategies layout; the message names the part."""


def _layout(data: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The file names and the entries; _IllShaped naming the part of the wrong shape."""
    if not isinstance(data, dict):
        raise _IllShaped(f"does not hold a JSON object (it holds a {type(data).__name__})")
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        raise _IllShaped('has a "files" part that is not a list of file names')
    strategies = data.get("strategies", {})
    if not isinstance(strategies, dict):
        raise _IllShaped('has a "strategies" part that is not an object of name -> parameters')
    return tuple(files), strategies


def read_strategies_file(path: Path) -> StrategiesFile:
    """The file at ``path``; a missing file is an empty one. Never raises."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return StrategiesFile()
    except OSError as error:
        return _rejected(path, f"could not be read ({error})")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _rejected(path, "is not text (it is not UTF-8)")
    except (ValueError, RecursionError) as error:
        return _rejected(path, f"is not valid JSON ({error})")
    try:
        files, strategies = _layout(data)
    except _IllShaped as error:
        return _rejected(path, str(error))
    return StrategiesFile(files, strategies)


def _rejected(path: Path, reason: str) -> StrategiesFile:
    backup = keep_aside(path, "unreadable")
    kept = f"a copy is kept as {backup}; " if backup is not None else ""
    problem = (
        f"the strategies file {path} {reason}; {kept}only the built-in strategies are used. "
        "Fix the file (or delete it) and start again."
    )
    log.warning("%s", problem)
    return StrategiesFile(problem=problem, backup=backup)
