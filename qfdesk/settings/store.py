"""The settings file: JSON in the config dir, versioned, never lost.

``{"version": 2, "settings": {...}}``. Reading never fails: a missing file gives the
defaults; keys added since the file was written get their defaults; an older layout is
migrated; a value that is not acceptable falls back to its default with the reason reported;
a file that cannot be read at all is reported and kept as a backup next to it, so nothing a
trader typed is lost. Keys this version does not know (a newer app wrote them) are kept and
written back. Writing refuses invalid settings and replaces the file atomically.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qfdesk.engine.keep_aside import keep_aside
from qfdesk.engine.paths import config_dir
from qfdesk.settings.model import SCHEMA_VERSION, AppSettings, field_names
from qfdesk.settings.validation import parse_value, problems

log = logging.getLogger(__name__)

SETTINGS_FILENAME = "settings.json"


class SettingsError(ValueError):
    """Settings refused on saving; ``problems`` maps each field to its reason."""

    def __init__(self, found: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in found.items()))
        self.problems = found


class _IllShaped(ValueError):
    """The file's layout is not the settings layout; the message says which part is wrong."""


def _group(data: dict[str, Any], key: str) -> dict[str, Any]:
    group = data.get(key)
    if group is None:
        return {}
    if not isinstance(group, dict):
        raise _IllShaped(f"has a {key!r} part that is not an object ({type(group).__name__})")
    return group


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the pre-release layout) grouped the keys; version 2 is flat.

    v1: ``{"chrome": {"url", "path", "port"}, "persistence": {"candles", "ticks",
    "candle_chunk", "tick_chunk"}, "hotkeys": {"buy", "sell"}, "risk": {...}, "theme"}``.
    Raises :class:`_IllShaped` when a group is not an object.
    """
    chrome = _group(data, "chrome")
    persistence = _group(data, "persistence")
    hotkeys = _group(data, "hotkeys")
    risk = _group(data, "risk")
    moved = {
        "platform_url": chrome.get("url"),
        "chrome_path": chrome.get("path"),
        "debugging_port": chrome.get("port"),
        "data_dir": data.get("data_dir"),
        "save_candles": persistence.get("candles"),
        "save_ticks": persistence.get("ticks"),
        "candle_chunk": persistence.get("candle_chunk"),
        "tick_chunk": persistence.get("tick_chunk"),
        "hotkey_buy": hotkeys.get("buy"),
        "hotkey_sell": hotkeys.get("sell"),
        "theme": data.get("theme"),
        "welcome_shown": data.get("welcome_shown"),
        **{name: risk[name] for name in risk if name in field_names()},
    }
    return {name: value for name, value in moved.items() if value is not None}


# Each step turns the settings of version N (the key) into those of version N + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}


@dataclass(frozen=True, slots=True)
class LoadResult:
    settings: AppSettings
    problems: tuple[str, ...] = ()
    backup: Path | None = None
    migrated_from: int | None = None


class SettingsStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_dir() / SETTINGS_FILENAME
        self.extra: dict[str, Any] = {}

    def load(self) -> LoadResult:
        self.extra = {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult(AppSettings())
        except OSError as error:
            return self._unreadable(f"could not be read ({error})")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._unreadable("is not text (it is not UTF-8)")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:
            return self._unreadable(f"is not valid JSON ({error})")
        if not isinstance(data, dict):
            return self._unreadable("does not hold a settings object")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            return self._unreadable(f"has no valid version number ({version!r})")
        found: list[str] = []
        values = data.get("settings") if version >= 2 else data
        if not isinstance(values, dict):
            return self._unreadable("has no 'settings' object")
        try:
            for step in range(version, SCHEMA_VERSION):
                values = MIGRATIONS[step](values)
        except _IllShaped as error:
            return self._unreadable(str(error))
        if version > SCHEMA_VERSION:
            found.append(
                f"{self.path} was written by a newer QuantumFlux Desk (settings version "
                f"{version}); the settings this version knows are used"
            )
        settings, dropped = self._settings_from(values)
        found += dropped
        backup = self._backup("kept") if found else None
        for problem in found:
            log.warning("settings: %s", problem)
        if backup is not None:
            log.warning("settings: the file as it was is kept as %s", backup)
        migrated = version if version < SCHEMA_VERSION else None
        if migrated is not None:
            log.info("settings: migrated %s from version %d", self.path, version)
        return LoadResult(settings, tuple(found), backup, migrated)

    def _settings_from(self, values: dict[str, Any]) -> tuple[AppSettings, list[str]]:
        known = set(field_names())
        self.extra = {k: v for k, v in values.items() if k not in known}
        defaults = AppSettings()
        accepted: dict[str, Any] = {}
        dropped: list[str] = []
        for name in known & values.keys():
            try:
                accepted[name] = parse_value(name, values[name])
            except ValueError as error:
                dropped.append(f"{name}: {error}; using {getattr(defaults, name)!r}")
        settings = replace(defaults, **accepted)
        for name, reason in problems(settings).items():
            dropped.append(f"{name}: {reason}; using {getattr(defaults, name)!r}")
            settings = replace(settings, **{name: getattr(defaults, name)})
        if problems(settings):
            return defaults, [*dropped, "the settings do not fit together; using the defaults"]
        return settings, dropped

    def _unreadable(self, reason: str) -> LoadResult:
        backup = self._backup("unreadable")
        problem = f"the settings file {self.path} {reason}; " + (
            f"it is kept as {backup} and the defaults are used"
            if backup is not None
            else "the defaults are used"
        )
        log.error("settings: %s", problem)
        return LoadResult(AppSettings(), (problem,), backup)

    def _backup(self, why: str) -> Path | None:
        return keep_aside(self.path, why)

    def save(self, settings: AppSettings) -> Path:
        """Write ``settings`` (refused with :class:`SettingsError` if any value is invalid)."""
        found = problems(settings)
        if found:
            raise SettingsError(found)
        document = {"version": SCHEMA_VERSION, "settings": {**self.extra, **settings.as_dict()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=2, sort_keys=True)
                file.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return self.path
