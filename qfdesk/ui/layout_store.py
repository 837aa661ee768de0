"""What the window remembers between starts, in QSettings.

Geometry and dock state, last asset, timeframe, indicators, the chart grid, hotkeys and the
trade panel's amount and expiry. REAL-account consent is never stored (it is per session). The file is
``layout.ini`` in the app's config folder, beside the settings file (the folder the Paths
dialog shows); what an older version kept in Qt's own place (``~/.config/qfdesk/`` on Linux)
is moved there once. Tests pass their own ``QSettings`` (an INI file under tmp_path) so the
user's settings stay untouched. Values read back are checked: a file edited by hand or
damaged gives the defaults, never an error.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from PySide6 import QtCore

from qfdesk.engine.paths import config_dir

log = logging.getLogger(__name__)

LAYOUT_FILENAME = "layout.ini"
LARGEST_WHOLE = 2**31 - 1  # Qt's int: larger values overflow when they reach a widget


def layout_path() -> Path:
    return config_dir() / LAYOUT_FILENAME


def _open(path: Path) -> QtCore.QSettings:
    """The layout file at ``path``; on first use, filled with what Qt's own place holds."""
    first_use = not path.exists()
    settings = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    if first_use:
        _move_older(settings)
    return settings


def _move_older(settings: QtCore.QSettings) -> None:
    """Move what an older version kept in Qt's own place (the organisation and app name
    create_qapp sets) into ``settings``; the old file is removed once the new one is written."""
    older = QtCore.QSettings()
    keys = older.allKeys()
    if not keys:
        return
    for key in keys:
        settings.setValue(key, older.value(key))
    settings.sync()
    if settings.status() != QtCore.QSettings.Status.NoError:
        log.warning("layout: could not write %s; the layout starts afresh", settings.fileName())
        return
    old_file = Path(older.fileName())
    del older
    try:
        old_file.unlink()
        old_file.parent.rmdir()  # only when nothing else is in it
    except OSError:
        pass
    log.info("layout: moved from %s to %s", old_file, settings.fileName())


class LayoutStore:
    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.settings = settings if settings is not None else _open(layout_path())

    def _get(self, key: str, default: Any = None) -> Any:
        return self.settings.value(key, default)

    def _set(self, key: str, value: Any) -> None:
        self.settings.setValue(key, value)

    def save_window(self, geometry: QtCore.QByteArray, state: QtCore.QByteArray) -> None:
        self._set("window/geometry", geometry)
        self._set("window/state", state)

    def window_geometry(self) -> QtCore.QByteArray | None:
        value = self._get("window/geometry")
        return value if isinstance(value, QtCore.QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QtCore.QByteArray | None:
        value = self._get("window/state")
        return value if isinstance(value, QtCore.QByteArray) and not value.isEmpty() else None

    def text(self, key: str, default: str = "") -> str:
        value = self._get(key, default)
        return value if isinstance(value, str) else default

    def set_text(self, key: str, value: str) -> None:
        self._set(key, value)

    def number(self, key: str, default: float) -> float:
        """A finite number, or ``default`` when the stored value is none (inf, nan, text)."""
        try:
            value = float(self._get(key, default))
        except (TypeError, ValueError, OverflowError):
            return default
        return value if math.isfinite(value) else default

    def whole(self, key: str, default: int) -> int:
        """A whole number Qt's widgets can take, or ``default`` for anything else stored."""
        value = self.number(key, default)
        if value != int(value) or abs(value) > LARGEST_WHOLE:
            return default
        return int(value)

    def last_asset(self) -> str:
        return self.text("chart/asset")

    def set_last_asset(self, asset: str) -> None:
        self._set("chart/asset", asset)

    def timeframe(self, default: int = 60) -> int:
        return self.whole("chart/timeframe", default)

    def set_timeframe(self, seconds: int) -> None:
        self._set("chart/timeframe", int(seconds))

    def indicators(self) -> list[dict[str, Any]] | None:
        """The saved indicator specs; None when nothing (or something unreadable) is saved."""
        raw = self._get("chart/indicators")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            specs = json.loads(raw)
        except (ValueError, RecursionError):
            log.warning("the saved indicators could not be read; using the defaults")
            return None
        return specs if isinstance(specs, list) else None

    def set_indicators(self, specs: list[dict[str, Any]]) -> None:
        self._set("chart/indicators", json.dumps(specs))

    def chart_grid(self) -> dict[str, Any] | None:
        """The chart grid's layout as saved (see ``ui.chart_grid``); None when nothing (or
        something unreadable) is saved."""
        raw = self._get("chart/grid")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            layout = json.loads(raw)
        except (ValueError, RecursionError):
            log.warning("the saved chart grid could not be read; one chart is shown")
            return None
        return layout if isinstance(layout, dict) else None

    def set_chart_grid(self, layout: dict[str, Any]) -> None:
        self._set("chart/grid", json.dumps(layout))

    def drawings(self, asset: str) -> str:
        """``asset``'s drawings as saved (JSON; see ``chart.drawings``), "[]" for none."""
        saved = self._all_drawings().get(asset)
        return json.dumps(saved) if isinstance(saved, list) else "[]"

    def set_drawings(self, asset: str, text: str) -> None:
        every = self._all_drawings()
        every[asset] = json.loads(text)
        self._set("chart/drawings", json.dumps(every))

    def _all_drawings(self) -> dict[str, Any]:
        raw = self._get("chart/drawings")
        try:
            every = json.loads(raw) if isinstance(raw, str) and raw else {}
        except (ValueError, RecursionError):
            log.warning("the saved drawings could not be read; starting without them")
            return {}
        return every if isinstance(every, dict) else {}

    def sync(self) -> None:
        self.settings.sync()
