"""Health figures of the tail: drain rhythm, frame rate, age of the last frame, latency."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

_FRAME_MARK = '"Network.webSocketFrame'


@dataclass(frozen=True, slots=True)
class TailHealth:
    """A snapshot. Times in seconds unless the name says ms; None when not measured yet.
    ``backlog``: drained batches not yet handed to the consumer."""

    state: str
    frames_total: int
    entries_total: int
    frames_per_s: float
    last_frame_age: float | None
    decode_errors: int
    latency_ms: float | None
    latency_p95_ms: float | None
    drain_interval_ms: float | None
    drain_interval_p99_ms: float | None
    drain_interval_max_ms: float | None
    drains: int
    callback_errors: int
    gaps: int
    backlog: int


class HealthMeter:
    """Thread-safe accumulator fed by the tail after every drain.

    Frame rate and latency cover the last ``window`` seconds. The drain interval counts only
    drains while data flows (the previous drain returned entries), which is what the 50 ms
    bound is about; an idle tail may poll more slowly.
    """

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._frames: deque[tuple[float, int]] = deque()
        self._latencies: deque[tuple[float, float]] = deque()
        self._intervals: deque[tuple[float, float]] = deque()
        self._last_drain: float | None = None
        self._last_had_data = False
        self._last_frame_at: float | None = None
        self.frames_total = 0
        self.entries_total = 0
        self.drains = 0
        self.callback_errors = 0

    def drained(self, entries: list[dict[str, Any]], now: float | None = None) -> None:
        now = time.time() if now is None else now
        frames = [e for e in entries if _FRAME_MARK in e.get("message", "")]
        with self._lock:
            self.drains += 1
            if self._last_drain is not None and self._last_had_data:
                self._intervals.append((now, now - self._last_drain))
            self._last_drain = now
            self._last_had_data = bool(entries)
            self.entries_total += len(entries)
            if frames:
                self.frames_total += len(frames)
                self._frames.append((now, len(frames)))
                self._last_frame_at = now
                stamp = frames[-1].get("timestamp")
                if isinstance(stamp, int | float):
                    self._latencies.append((now, now * 1000.0 - float(stamp)))
            self._trim(now)

    def reset_rhythm(self) -> None:
        """Forget the previous drain (after a reconnection the pause is a gap, not a drain)."""
        with self._lock:
            self._last_drain = None
            self._last_had_data = False

    def _trim(self, now: float) -> None:
        cutoff = now - self._window
        for series in (self._frames, self._latencies, self._intervals):
            while series and series[0][0] < cutoff:
                series.popleft()

    def snapshot(self, state: str, decode_errors: int, gaps: int, backlog: int = 0) -> TailHealth:
        now = time.time()
        with self._lock:
            self._trim(now)
            frames = sum(n for _, n in self._frames)
            latencies = np.array([v for _, v in self._latencies], dtype=float)
            intervals = np.array([v for _, v in self._intervals], dtype=float) * 1000.0
            return TailHealth(
                state=state,
                frames_total=self.frames_total,
                entries_total=self.entries_total,
                frames_per_s=frames / self._window,
                last_frame_age=None if self._last_frame_at is None else now - self._last_frame_at,
                decode_errors=decode_errors,
                latency_ms=float(latencies[-1]) if latencies.size else None,
                latency_p95_ms=float(np.percentile(latencies, 95)) if latencies.size else None,
                drain_interval_ms=float(intervals.mean()) if intervals.size else None,
                drain_interval_p99_ms=(
                    float(np.percentile(intervals, 99)) if intervals.size else None
                ),
                drain_interval_max_ms=float(intervals.max()) if intervals.size else None,
                drains=self.drains,
                callback_errors=self.callback_errors,
                gaps=gaps,
                backlog=backlog,
            )
