"""The platform clock's offset from UTC, measured from ticks.

Each tick gives one sample ``tick.time - tick.received``: platform time minus the local UTC
wall clock at which Chrome logged the frame. Network and logging latency only ever make a
frame arrive later, so every sample is at most the true offset (plus local clock error) and
the least delayed sample is the best one. The estimate is therefore the maximum over a
sliding window of recent samples (the last ``window`` seconds of wall time), which follows a
changed offset (daylight saving, a corrected local clock) within one window. The platform's
timestamps themselves are never changed.
"""

from __future__ import annotations

import time
from collections import deque

_INF = float("inf")
DEFAULT_WINDOW = 300.0
"""Seconds of wall time whose samples the estimate is the maximum of."""


class ClockOffset:
    """Platform time minus UTC, in seconds (about +7200 on the live platform)."""

    __slots__ = ("_samples", "_window", "offset")

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        if not window > 0:
            raise ValueError(f"window must be positive seconds, got {window!r}")
        self._window = float(window)
        # (received, sample) with samples strictly decreasing: the front is the window's max.
        self._samples: deque[tuple[float, float]] = deque()
        self.offset: float | None = None

    def observe(self, platform_time: float, received_wall: float) -> None:
        """One tick: its platform time and the wall-clock time it was received. Samples with
        an unknown (zero) or non-finite time are ignored."""
        if not (0.0 < received_wall < _INF and -_INF < platform_time < _INF):
            return  # (comparisons, not isfinite calls: NaN fails them too)
        sample = platform_time - received_wall
        samples = self._samples
        while samples and samples[-1][1] <= sample:
            samples.pop()
        samples.append((received_wall, sample))
        horizon = received_wall - self._window
        while samples[0][0] < horizon:
            samples.popleft()
        self.offset = samples[0][1]

    def platform_now(self, wall: float | None = None) -> float | None:
        """Platform time at ``wall`` (default: now), or None before the first sample."""
        if self.offset is None:
            return None
        return (time.time() if wall is None else wall) + self.offset
