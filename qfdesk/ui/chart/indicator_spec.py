"""Indicator specs: what to draw, as plain dicts that QSettings can remember.

A spec dict is ``{"id": "sma-1", "kind": "sma", "params": {"period": 20}, "color": "#f0b90b"}``.
``id`` and ``color`` may be left out when adding (the chart assigns them); unknown params,
a wrong kind or a bad value raise ValueError (TypeError for a wrong type) saying which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PySide6 import QtGui


@dataclass(frozen=True, slots=True)
class IndicatorKind:
    """How an indicator kind is computed and placed."""

    label: str
    defaults: dict[str, int | float]
    outputs: tuple[str, ...]
    overlay: bool  # drawn on the price plot; else in its own pane
    y_range: tuple[float, float] | None = None  # a fixed pane range (oscillators)
    levels: tuple[float, ...] = ()  # guide lines in the pane
    histogram: str | None = None  # output drawn as a histogram
    warmup_periods: int = 60  # history (in periods) a tail recompute needs to converge


# Longer periods mean nothing on a chart (its editor offers up to 1000); a hand-edited layout
# file may hold any number, and huge ones overflow the indicator arrays.
LONGEST_PERIOD = 100_000

KINDS: dict[str, IndicatorKind] = {
    "sma": IndicatorKind("SMA", {"period": 20}, ("sma",), overlay=True, warmup_periods=1),
    "ema": IndicatorKind("EMA", {"period": 50}, ("ema",), overlay=True),
    "bollinger": IndicatorKind(
        "BB",
        {"period": 20, "k_up": 2.0, "k_down": 2.0},
        ("upper", "middle", "lower"),
        overlay=True,
        warmup_periods=1,
    ),
    "rsi": IndicatorKind(
        "RSI", {"period": 14}, ("rsi",), overlay=False, y_range=(0, 100), levels=(30, 70)
    ),
    "macd": IndicatorKind(
        "MACD",
        {"fast": 12, "slow": 26, "signal": 9},
        ("macd", "signal", "hist"),
        overlay=False,
        levels=(0,),
        histogram="hist",
    ),
    "stochastic": IndicatorKind(
        "STOCH",
        {"fastk": 5, "slowk": 3, "slowd": 3},
        ("k", "d"),
        overlay=False,
        y_range=(0, 100),
        levels=(20, 80),
        warmup_periods=3,
    ),
}


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    id: str
    kind: str
    params: dict[str, int | float] = field(default_factory=dict)
    color: str = "#f0b90b"

    @property
    def info(self) -> IndicatorKind:
        return KINDS[self.kind]

    @property
    def title(self) -> str:
        """E.g. ``SMA(20)`` or ``MACD(12,26,9)``."""
        values = ",".join(f"{v:g}" for v in self.params.values())
        return f"{self.info.label}({values})"

    @property
    def warmup(self) -> int:
        """Candles before a new one that a recompute needs to give the same value."""
        longest = max(int(v) for v in self.params.values())
        return self.info.warmup_periods * longest + 16

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "params": dict(self.params), "color": self.color}


def parse_spec(raw: Any, *, id_: str, color: str) -> IndicatorSpec:
    """A validated spec from a dict; ``id_``/``color`` fill in when the dict has none."""
    if not isinstance(raw, dict):
        raise TypeError(f"an indicator spec must be a dict, got {type(raw).__name__}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown indicator kind {kind!r}; known kinds: {', '.join(KINDS)}")
    info = KINDS[kind]
    given = raw.get("params") or {}
    if not isinstance(given, dict):
        raise TypeError(f"{kind} params must be a dict, got {type(given).__name__}")
    unknown = set(given) - set(info.defaults)
    if unknown:
        raise ValueError(
            f"{kind} has no parameter {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(info.defaults)}"
        )
    params: dict[str, int | float] = {}
    for name, default in info.defaults.items():
        value = given.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{kind} {name} must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{kind} {name} must be a finite number, got {value!r}")
        if isinstance(default, int):
            if int(value) != value or value < 1:
                raise ValueError(f"{kind} {name} must be a whole number >= 1, got {value!r}")
            if value > LONGEST_PERIOD:
                raise ValueError(f"{kind} {name} must be at most {LONGEST_PERIOD:,}, got {value!r}")
            value = int(value)
        elif not 0 < value < 100:
            raise ValueError(f"{kind} {name} must be between 0 and 100, got {value!r}")
        params[name] = value
    chosen = raw.get("color") or color
    if not isinstance(chosen, str) or not QtGui.QColor.isValidColorName(chosen):
        raise ValueError(f"{kind} color must be a colour name like '#f0b90b', got {chosen!r}")
    spec_id = raw.get("id") or id_
    if not isinstance(spec_id, str):
        raise TypeError(f"{kind} id must be a string, got {spec_id!r}")
    return IndicatorSpec(spec_id, kind, params, chosen)
