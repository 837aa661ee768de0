"""What the window remembers between starts, in QSettings.

Geometry and dock state, last asset, timeframe, indicators, hotkeys and the trade panel's
amount and expiry. REAL-account consent is never stored (it is per session). Tests pass
their own ``QSettings`` (an INI file under tmp_path) so the user's settings stay untouched.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6 import QtCore

log = logging.getLogger(__name__)


class LayoutStore:
    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.settings = settings if settings is not None else QtCore.QSettings()

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
        try:
            return float(self._get(key, default))
        except (TypeError, ValueError):
            return default

    def last_asset(self) -> str:
        return self.text("chart/asset")

    def set_last_asset(self, asset: str) -> None:
        self._set("chart/asset", asset)

    def timeframe(self, default: int = 60) -> int:
        return int(self.number("chart/timeframe", default))

    def set_timeframe(self, seconds: int) -> None:
        self._set("chart/timeframe", int(seconds))

    def indicators(self) -> list[dict[str, Any]] | None:
        """The saved indicator specs; None when nothing (or something unreadable) is saved."""
        raw = self._get("chart/indicators")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            specs = json.loads(raw)
        except ValueError:
            log.warning("the saved indicators could not be read; using the defaults")
            return None
        return specs if isinstance(specs, list) else None

    def set_indicators(self, specs: list[dict[str, Any]]) -> None:
        self._set("chart/indicators", json.dumps(specs))

    def sync(self) -> None:
        self.settings.sync()
