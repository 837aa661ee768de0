"""The simulator's history before it started: a pure function of (asset, minute).

Paging back asks for minutes the live walk never generated. They come from here, the same
for the same asset and time in every run (``blake2b`` of the symbol and the minute, never
Python's salted ``hash``), at any depth back to 2000-01-01: a slow level (a few sine waves
with phases drawn from the symbol) plus noise per minute. A minute's close is the next
minute's open, so candles join up, and the live walk starts at the open of its first
minute and is pulled towards the same level, so history and the live stream meet without
a jump.

Minutes with no trading have no candle: weekends (Saturday and Sunday in platform time)
for an asset that is not OTC, and the spans a test closes with :meth:`DeepHistory.close`.
"""

from __future__ import annotations

import hashlib
import math
import struct

from qfdesk.sim.assets import SimAsset

MINUTE = 60
FLOOR = 946_684_800  # 2000-01-01: nothing older
_WAVES = ((0.003, 2.3 * 86400), (0.0015, 7.1 * 3600), (0.0005, 47 * 60))
_NOISE = 3e-4  # of the price, per minute's open
_WICK = 2e-4  # of the price, at most, beyond open/close
_TICK_OFFSETS = (1.5, 20.25, 40.5, 58.75)  # seconds into a minute of its four history ticks

MinuteBar = tuple[float, float, float, float]  # open, close, high, low


def _units(key: bytes, minute: int) -> tuple[float, float, float, float]:
    """Four uniform numbers in [0, 1) for ``minute``, the same in every run."""
    digest = hashlib.blake2b(key + minute.to_bytes(8, "little", signed=True), digest_size=8)
    a, b, c, d = struct.unpack("<4H", digest.digest())
    return a / 65536, b / 65536, c / 65536, d / 65536


class DeepHistory:
    """Deterministic minute candles and history ticks of one asset."""

    def __init__(self, asset: SimAsset) -> None:
        self.asset = asset
        self._key = asset.symbol.encode("utf-8") + b"|"
        phases = _units(b"phase|" + self._key, 0)
        self._waves = tuple(
            (amplitude, 2 * math.pi / period, 2 * math.pi * phase)
            for (amplitude, period), phase in zip(_WAVES, phases, strict=False)
        )
        self._closed: list[tuple[int, int]] = []

    def close(self, start: int, end: int) -> None:
        """No candle (and no tick) for minutes starting in [start, end)."""
        self._closed.append((int(start), int(end)))

    def level(self, t: float) -> float:
        """The slow price level at platform time ``t`` (the live walk is pulled to it)."""
        wave = sum(a * math.sin(w * t + phase) for a, w, phase in self._waves)
        return self.asset.price * (1.0 + wave)

    def open_at(self, minute: int) -> float:
        u = _units(self._key, minute)[0]
        price = self.level(minute) * (1.0 + (2.0 * u - 1.0) * _NOISE)
        return round(price, self.asset.precision)

    def trading(self, minute: int) -> bool:
        if minute < FLOOR:
            return False
        if not self.asset.is_otc and (minute // 86400 + 3) % 7 >= 5:  # 1970-01-01 a Thursday
            return False
        return not any(start <= minute < end for start, end in self._closed)

    def bar(self, minute: int) -> MinuteBar | None:
        """The minute's open, close, high and low; None when there was no trading."""
        if not self.trading(minute):
            return None
        o, c = self.open_at(minute), self.open_at(minute + MINUTE)
        _, _, up, down = _units(self._key, minute)
        digits, price = self.asset.precision, self.asset.price
        high = round(max(o, c) + up * _WICK * price, digits)
        low = round(min(o, c) - down * _WICK * price, digits)
        return o, c, high, max(low, 10.0**-digits)


def bar_ticks(minute: int, bar: MinuteBar) -> list[tuple[float, float]]:
    """Four ticks that make exactly ``bar``: open, the nearer extreme, the other, close."""
    o, c, high, low = bar
    middle = (low, high) if c >= o else (high, low)
    prices = (o, *middle, c)
    return [(minute + offset, p) for offset, p in zip(_TICK_OFFSETS, prices, strict=True)]
