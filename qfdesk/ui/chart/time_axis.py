"""Bottom axis: ticks at bar indices, labelled with the local time of each bar.

Local time = platform time minus the platform clock offset (seconds the platform clock runs
ahead of UTC), shown in the local timezone (or a given one).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import numpy as np
import pyqtgraph as pg

from qfdesk.ui.chart.bar_index import index_to_time


def local_time(platform_seconds: float, platform_offset: float, tz: tzinfo | None) -> datetime:
    """The moment ``platform_seconds`` as an aware datetime in ``tz`` (None: local zone)."""
    utc = datetime.fromtimestamp(platform_seconds - platform_offset, tz=UTC)
    return utc.astimezone(tz)


def time_format(seconds_per_tick: float) -> str:
    """strftime format fitting the distance between two labels."""
    if seconds_per_tick < 60:
        return "%H:%M:%S"
    if seconds_per_tick < 86_400:
        return "%H:%M"
    return "%d %b"


class TimeAxisItem(pg.AxisItem):
    """AxisItem whose values are bar indices of a series of candle start times."""

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self._starts = np.empty(0, dtype=np.int64)
        self._timeframe = 60
        self._offset = 0.0
        self._tz: tzinfo | None = None

    def set_source(self, starts: np.ndarray, timeframe: int) -> None:
        """The start times to label with (a view; it may grow without a new call)."""
        self._starts = starts
        self._timeframe = timeframe
        self.picture = None
        self.update()

    def set_offset(self, platform_offset: float, tz: tzinfo | None = None) -> None:
        self._offset = platform_offset
        self._tz = tz
        self.picture = None
        self.update()

    def label_for(self, index: int, seconds_per_tick: float) -> str:
        t = index_to_time(self._starts, self._timeframe, index)
        return local_time(t, self._offset, self._tz).strftime(time_format(seconds_per_tick))

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self._starts.shape[0] == 0:
            return ["" for _ in values]
        seconds = max(spacing, 1.0) * self._timeframe
        return [self.label_for(round(v), seconds) for v in values]

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        """pyqtgraph's ticks, without levels finer than one bar."""
        levels = super().tickValues(minVal, maxVal, size)
        return [(spacing, values) for spacing, values in levels if spacing >= 1]
