"""What the frame decoder saw: counts only, never frame contents (the auth token stays out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class DecodeStats:
    """Running counts of one :class:`~qfdesk.engine.decoder.FrameDecoder`.

    ``frames``: WebSocket frames seen (received and sent). ``events``: events produced, by
    event class name. ``malformed``: input skipped, by kind (see ``decoder`` for the kinds).
    ``unmodelled``: well-formed platform events the decoder does not turn into events, by
    event name (``sent:<name>`` for what the page sent). ``other``: performance-log entries
    that are not WebSocket traffic, by DevTools method name.
    """

    frames: int = 0
    events: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    unmodelled: Counter[str] = field(default_factory=Counter)
    other: Counter[str] = field(default_factory=Counter)

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())

    def summary(self) -> str:
        """One line for a log or a terminal: frames, events and skipped input by kind."""
        parts = [f"{self.frames} frames"]
        parts.append("events: " + format_counts(self.events))
        parts.append("malformed: " + format_counts(self.malformed))
        parts.append("unmodelled: " + format_counts(self.unmodelled))
        return "; ".join(parts)


def format_counts(counts: Mapping[str, int]) -> str:
    """``"Tick 12, Balance 1"``: most first, ties by name; ``"none"`` when empty."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {count}" for name, count in ordered) or "none"
