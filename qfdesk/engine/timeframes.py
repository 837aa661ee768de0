"""The timeframes the terminal builds, their labels and their storage folder names."""

from __future__ import annotations

TIMEFRAMES: dict[str, int] = {
    "5s": 5,
    "15s": 15,
    "30s": 30,
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "4h": 14400,
}

_LABELS = {seconds: label for label, seconds in TIMEFRAMES.items()}


def parse_timeframe(text: str) -> int:
    """``"5m"`` -> 300. Raises ValueError naming the accepted labels."""
    key = text.strip().lower()
    if key not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {text!r}; use one of {', '.join(TIMEFRAMES)}")
    return TIMEFRAMES[key]


def parse_timeframes(text: str) -> tuple[int, ...]:
    """``"1m,5m"`` -> (60, 300), sorted and without repeats."""
    return tuple(sorted({parse_timeframe(part) for part in text.split(",") if part.strip()}))


def timeframe_label(seconds: int) -> str:
    """60 -> ``"1m"``; periods outside the table get a plain seconds label."""
    return _LABELS.get(seconds, f"{seconds}s")


def folder_label(seconds: int) -> str:
    """The collector's folder prefix: 60 -> ``"1M"``, 3600 -> ``"1H"``, 5 -> ``"5S"``."""
    return timeframe_label(seconds).upper()


def period_start(time: float, seconds: int) -> int:
    """The start of the candle holding ``time``: floor(time / period) * period."""
    return int(time // seconds) * seconds
