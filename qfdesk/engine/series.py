"""Columnar candle storage in numpy arrays that grow by doubling.

Appending and updating the last candle are O(1) (amortised); the column properties are
views of the filled part, so slicing never copies. 1 million candles take 40 MB (up to 80 MB
of capacity right after a doubling). Inserting older candles (history paged backwards)
costs O(n) and is rare.
"""

from __future__ import annotations

from typing import cast

import numpy as np

_INITIAL_CAPACITY = 256


class CandleSeries:
    """Candles of one asset at one timeframe, ascending by start time, no start twice."""

    __slots__ = ("_len", "_ohlc", "_start", "_views", "asset", "revision", "timeframe")

    def __init__(self, asset: str, timeframe: int, capacity: int = _INITIAL_CAPACITY) -> None:
        self.asset = asset
        self.timeframe = timeframe
        capacity = max(1, capacity)
        self._start = np.empty(capacity, dtype=np.int64)
        self._ohlc = np.empty((4, capacity), dtype=np.float64)
        self._len = 0
        self._views = self._memoryviews()
        self.revision = 0
        """Bumped by every change other than appending and writing the last candle (an
        insert, a pop, a rewritten older candle): a copy kept by appending must be rebuilt."""

    def __len__(self) -> int:
        return self._len

    @property
    def capacity(self) -> int:
        """Candles the buffers hold before the next doubling (which reallocates them)."""
        return self._start.shape[0]

    @property
    def nbytes(self) -> int:
        return self._start.nbytes + self._ohlc.nbytes

    @property
    def start(self) -> np.ndarray:
        return self._start[: self._len]

    @property
    def open(self) -> np.ndarray:
        return self._ohlc[0, : self._len]

    @property
    def high(self) -> np.ndarray:
        return self._ohlc[1, : self._len]

    @property
    def low(self) -> np.ndarray:
        return self._ohlc[2, : self._len]

    @property
    def close(self) -> np.ndarray:
        return self._ohlc[3, : self._len]

    @property
    def last_start(self) -> int | None:
        return self._views[0][self._len - 1] if self._len else None

    def append(self, start: int, open_: float, high: float, low: float, close: float) -> None:
        """Add a candle after the last one. Raises ValueError if ``start`` is not later."""
        n = self._len
        starts, opens, highs, lows, closes = self._views
        if n and start <= starts[n - 1]:
            raise ValueError(f"candle at {start} is not after the last one at {starts[n - 1]}")
        if n == self._start.shape[0]:
            self._grow()
            starts, opens, highs, lows, closes = self._views
        starts[n] = int(start)
        opens[n] = open_
        highs[n] = high
        lows[n] = low
        closes[n] = close
        self._len = n + 1

    def update_last(self, high: float, low: float, close: float) -> None:
        """Replace the last candle's high, low and close (its open never changes)."""
        i = self._len - 1
        if i < 0:
            raise IndexError("update_last on an empty series")
        ohlc = self._ohlc
        ohlc[1, i] = high
        ohlc[2, i] = low
        ohlc[3, i] = close

    def write_last(self, open_: float, high: float, low: float, close: float) -> None:
        """Replace the whole last candle (its start stays): a copy taking the forming candle."""
        i = self._len - 1
        if i < 0:
            raise IndexError("write_last on an empty series")
        _, opens, highs, lows, closes = self._views
        opens[i], highs[i], lows[i], closes[i] = open_, high, low, close

    def write_close(self, close: float) -> None:
        """Replace the last candle's close."""
        i = self._len - 1
        if i < 0:
            raise IndexError("write_close on an empty series")
        self._views[4][i] = close

    @classmethod
    def holding(
        cls, asset: str, timeframe: int, start: np.ndarray, ohlc: np.ndarray
    ) -> CandleSeries:
        """A series whose buffers are ``start`` (int64, ascending, no start twice) and
        ``ohlc`` (float64, C-contiguous, shape (4, n)) themselves, full: no copy is made."""
        if start.dtype != np.int64 or ohlc.dtype != np.float64 or not ohlc.flags.c_contiguous:
            raise ValueError("holding needs int64 starts and C-contiguous float64 (4, n) prices")
        if ohlc.shape != (4, len(start)) or not start.flags.c_contiguous:
            raise ValueError(f"{len(start)} starts but prices of shape {ohlc.shape}")
        series = cls(asset, timeframe, capacity=1)
        if len(start):
            series._start, series._ohlc, series._len = start, ohlc, len(start)
            series._views = series._memoryviews()
        return series

    def assign(self, start: np.ndarray, ohlc: np.ndarray) -> None:
        """Hold a copy of ``start`` (ascending) and ``ohlc`` (shape (4, n)) instead."""
        n = len(start)
        while n > self._start.shape[0]:
            self._grow()
        self._start[:n] = start
        self._ohlc[:, :n] = ohlc
        self._len = n
        self.revision += 1

    def pop_last(self) -> None:
        """Drop the last candle (a forming candle that turned out to be incomplete)."""
        if not self._len:
            raise IndexError("pop_last on an empty series")
        self._len -= 1
        self.revision += 1

    def replace(self, i: int, open_: float, high: float, low: float, close: float) -> None:
        """Rewrite candle ``i`` (its start stays)."""
        if not 0 <= i < self._len:
            raise IndexError(f"no candle {i} in a series of {self._len}")
        ohlc = self._ohlc
        ohlc[0, i], ohlc[1, i], ohlc[2, i], ohlc[3, i] = open_, high, low, close
        self.revision += 1

    def insert_many(self, start: np.ndarray, ohlc: np.ndarray) -> None:
        """Merge candles whose starts are not held yet (ascending ``start``, ``ohlc`` of shape
        (4, m)) into their places, e.g. older history pages or candles filling a gap."""
        start = np.asarray(start, dtype=np.int64)
        ohlc = np.asarray(ohlc, dtype=np.float64).reshape(4, -1)
        m = start.shape[0]
        if m == 0:
            return
        if ohlc.shape[1] != m:
            raise ValueError(f"{m} starts but {ohlc.shape[1]} candles")
        if m > 1 and not bool(np.all(start[1:] > start[:-1])):
            raise ValueError("inserted candles must be strictly ascending")
        n = self._len
        held = self.start
        pos = np.searchsorted(held, start)
        if n and bool(np.any(held[np.minimum(pos, n - 1)] == start)):
            raise ValueError("inserted candles must not repeat a held start")
        while n + m > self._start.shape[0]:
            self._grow()
        if int(pos[0]) == n:
            self._start[n : n + m] = start
            self._ohlc[:, n : n + m] = ohlc
        else:
            merged_start = np.insert(self._start[:n], pos, start)
            merged_ohlc = np.insert(self._ohlc[:, :n], pos, ohlc, axis=1)
            self._start[: n + m] = merged_start
            self._ohlc[:, : n + m] = merged_ohlc
        self._len = n + m
        self.revision += 1

    def buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The full-capacity start/open/high/low/close arrays, for code that writes the last
        candle in place on a hot path. Valid until the next append or insert, which may
        reallocate them."""
        ohlc = self._ohlc
        return self._start, ohlc[0], ohlc[1], ohlc[2], ohlc[3]

    def find(self, start: int) -> int:
        """Index of the candle that starts at ``start``, or -1."""
        i = int(np.searchsorted(self.start, start))
        return i if i < self._len and self._start[i] == start else -1

    def index_range(self, first_start: int, end_start: int) -> tuple[int, int]:
        """Indices [lo, hi) of candles with first_start <= start < end_start."""
        starts = self.start
        return (
            int(np.searchsorted(starts, first_start, side="left")),
            int(np.searchsorted(starts, end_start, side="left")),
        )

    def _grow(self) -> None:
        capacity = self._start.shape[0] * 2
        start = np.empty(capacity, dtype=np.int64)
        start[: self._len] = self._start[: self._len]
        ohlc = np.empty((4, capacity), dtype=np.float64)
        ohlc[:, : self._len] = self._ohlc[:, : self._len]
        self._start, self._ohlc = start, ohlc
        self._views = self._memoryviews()

    def _memoryviews(
        self,
    ) -> tuple[
        memoryview[int], memoryview[float], memoryview[float], memoryview[float], memoryview[float]
    ]:
        """Memoryviews of the buffers: writing single items through them is several times
        cheaper than numpy item assignment."""
        opens, highs, lows, closes = (cast("memoryview[float]", a.data) for a in self._ohlc)
        return self._start.data, opens, highs, lows, closes
