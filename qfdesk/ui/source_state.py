"""Where the chart's data comes from now: LIVE, HISTORICAL or DISCONNECTED."""

from __future__ import annotations

from enum import Enum

LIVE_WINDOW = 5.0
"""Seconds after the selected asset's last tick during which it still counts as live."""


class SourceState(str, Enum):
    LIVE = "LIVE"
    HISTORICAL = "HISTORICAL"
    DISCONNECTED = "DISCONNECTED"


def sense(connected: bool, tick_age: float | None, live_window: float = LIVE_WINDOW) -> SourceState:
    """LIVE while ticks of the selected asset keep coming; else HISTORICAL when Chrome is
    attached (the asset is quiet or not streamed), DISCONNECTED when it is not."""
    if connected and tick_age is not None and tick_age <= live_window:
        return SourceState.LIVE
    return SourceState.HISTORICAL if connected else SourceState.DISCONNECTED


def age_text(tick_age: float | None) -> str:
    if tick_age is None:
        return "no tick yet"
    if tick_age < 60:
        return f"last tick {tick_age:.1f} s ago"
    if tick_age < 3600:
        return f"last tick {tick_age / 60:.0f} min ago"
    return f"last tick {tick_age / 3600:.1f} h ago"
