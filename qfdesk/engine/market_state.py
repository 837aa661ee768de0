"""The engine's one market state, published as immutable updates, and a reader's copy of it.

The pipeline's :class:`~qfdesk.engine.candles.CandleBook` is the only place where ticks
become candles. After each batch, :class:`MarketPublisher` turns what the batch did into a
:class:`~qfdesk.engine.events.MarketUpdate`: the candles it closed, what changed in the
forming candles of every asset it touched, the whole of every series that history changed
in a way appending cannot follow (see ``CandleSeries.revision``), and the clock offset. A
reader on another thread (the GUI) keeps a :class:`MarketCopy` by applying the updates in
order; it then holds the same candles as the book, without aggregating a single tick.

Cost: publishing is a row per forming candle whose start, open, high or low changed (a tick
moves a couple) and the shared close, in named tuples (cheaper to make than dataclasses, as
immutable); the copy writes a forming candle only when its series is read (the chart reads
one), and a closed candle over its own pending changes, so the GUI pays per batch, not per
tick (``benchmarks/bench_market_path.py`` compares tail and GUI with the two books before).
"""

from __future__ import annotations

import numpy as np

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import (
    Candle,
    CandleClosed,
    MarketUpdate,
    SeriesHistory,
)
from qfdesk.engine.series import CandleSeries

_Key = tuple[str, int]
_Row = tuple[int, int, float, float, float, float]


class MarketPublisher:
    """Builds the updates of one book. Call it under the lock that guards the book."""

    def __init__(self, book: CandleBook) -> None:
        self.book = book
        self._revisions: dict[_Key, int] = {}
        self._structure = -1

    def update(
        self, assets: set[str], closed: list[CandleClosed], clock_offset: float | None
    ) -> MarketUpdate:
        """The update for a batch that touched ``assets`` (left as it is) and closed
        ``closed``."""
        if closed:  # a candle closed by the clock may be of an asset the batch did not touch
            missing = [e.candle.asset for e in closed if e.candle.asset not in assets]
            if missing:
                assets = {*assets, *missing}
        book = self.book
        # Only history (and dropping a candle history had started) rebuilds a series: while
        # the book's counters of those stay (they only grow: their sum moves when one does),
        # no series needs looking at.
        stats = book.stats
        structure = (
            stats.history_candles
            + stats.history_ticks
            + stats.partial_dropped
            + stats.partial_completed
        )
        history = () if structure == self._structure else self._history(structure)
        forming = book.take_forming_changes(assets)
        return tuple.__new__(MarketUpdate, (tuple(closed), forming, history, clock_offset))

    def _history(self, structure: int) -> tuple[SeriesHistory, ...]:
        """Every series rebuilt since the last update."""
        self._structure = structure
        history: list[SeriesHistory] = []
        revisions = self._revisions
        for asset in self.book.assets():
            for series, candle in self.book.asset_series(asset):
                key = (asset, series.timeframe)
                if series.revision != revisions.get(key, 0):
                    revisions[key] = series.revision
                    history.append(_whole(series, len(series) - (candle is not None)))
        return tuple(history)


def _whole(series: CandleSeries, closed: int) -> SeriesHistory:
    start = series.start.copy()
    ohlc = np.vstack((series.open, series.high, series.low, series.close))
    start.flags.writeable = False
    ohlc.flags.writeable = False
    return SeriesHistory(series.asset, series.timeframe, start, ohlc, closed)


class _Held:
    """One series of a copy: its candles, how many are closed, the update it is written up
    to."""

    __slots__ = ("applied", "closed", "series")

    def __init__(self, key: _Key) -> None:
        self.series = CandleSeries(*key)
        self.closed = 0
        self.applied = 0


class MarketCopy:
    """The candles of a :class:`CandleBook`, kept by applying its publisher's updates.

    Not thread-safe: one reader (the GUI thread). The forming candles' changes are kept
    aside, stamped with the update they came in, and written into a series when it is read
    (:meth:`series`) or before one of its candles closes: most updates then cost a few
    dictionary writes. A series keeps its identity while it is rebuilt, so a chart showing
    it stays on it.
    """

    def __init__(self) -> None:
        self._held: dict[_Key, _Held] = {}
        self._rows: dict[str, dict[int, tuple[int, _Row]]] = {}  # asset -> tf -> (update, row)
        self._close: dict[str, tuple[int, float]] = {}  # asset -> (update, shared close)
        self._update = 0
        self.clock_offset: float | None = None

    # ----- queries ---------------------------------------------------------------------------

    def series(self, asset: str, timeframe: int) -> CandleSeries:
        """Closed candles plus the forming one (if any) last; an unknown series is empty (and
        not kept)."""
        held = self._bring((asset, timeframe))
        return CandleSeries(asset, timeframe) if held is None else held.series

    def closed_len(self, asset: str, timeframe: int) -> int:
        held = self._held.get((asset, timeframe))
        return 0 if held is None else held.closed

    def closed_candles(self, asset: str, timeframe: int) -> list[Candle]:
        """The closed candles of a series as events (to warm strategies up)."""
        series = self.series(asset, timeframe)
        n = self.closed_len(asset, timeframe)
        columns = (series.start, series.open, series.high, series.low, series.close)
        rows = zip(*(column[:n].tolist() for column in columns), strict=True)
        return [Candle(asset, timeframe, s, o, h, low, c) for s, o, h, low, c in rows]

    def platform_now(self, wall: float) -> float | None:
        """Platform time at the local UTC time ``wall``; None before the clock is measured."""
        return None if self.clock_offset is None else wall + self.clock_offset

    # ----- applying ----------------------------------------------------------------------------

    def apply(self, update: MarketUpdate) -> dict[str, bool]:
        """Apply one update; the assets it touched, True where a series was rebuilt."""
        closed, forming, history, clock_offset = update
        self._update = n = self._update + 1
        touched: dict[str, bool] = {}
        if history or closed:
            self._apply_closed(update, n, touched)
        kept_rows, kept_close = self._rows, self._close
        for asset, rows, close in forming:
            if rows:
                pending = kept_rows.get(asset)
                if pending is None:
                    pending = kept_rows[asset] = {}
                for row in rows:
                    pending[row[0]] = (n, row)
            if close is not None:
                kept_close[asset] = (n, close)
            touched.setdefault(asset, False)
        if clock_offset is not None:
            self.clock_offset = clock_offset
        return touched

    def _apply_closed(self, update: MarketUpdate, n: int, touched: dict[str, bool]) -> None:
        """Rebuilt series, then closed candles (each series' pending changes written first,
        unless they are changes of the very candle that closed: it has the last word)."""
        rebuilt: set[_Key] = set()
        for whole in update.history:
            key = (whole.asset, whole.timeframe)
            held = self._bring(key) or self._hold(key)
            held.series.assign(whole.start, whole.ohlc)
            held.closed = whole.closed
            held.applied = n
            rebuilt.add(key)
            touched[whole.asset] = True
        for event in update.closed:
            c = event.candle
            key = (c.asset, c.timeframe)
            if key not in rebuilt:
                rows = self._rows.get(c.asset)
                pending = None if rows is None else rows.get(c.timeframe)
                if rows is not None and pending is not None and pending[1][1] == c.start:
                    del rows[c.timeframe]
                    held = self._held.get(key) or self._hold(key)
                else:
                    held = self._bring(key) or self._hold(key)
                i = _put(held.series, c.start, c.open, c.high, c.low, c.close)
                held.closed = max(held.closed, i + 1)
                held.applied = n
                touched.setdefault(c.asset, False)

    def _bring(self, key: _Key) -> _Held | None:
        """Write into a series the forming changes kept aside for it, in update order; the
        series held (None if none is)."""
        asset, tf = key
        held = self._held.get(key)
        applied = 0 if held is None else held.applied
        rows = self._rows.get(asset)
        if rows:
            pending = rows.pop(tf, None)
            if pending is not None:
                applied, (_, start, o, h, l, c) = pending
                if held is None:
                    held = self._hold(key)
                series = held.series
                if series.last_start == start:
                    series.write_last(o, h, l, c)  # the usual case: the same forming candle
                else:
                    _put(series, start, o, h, l, c)
        if held is None:
            return None
        close = self._close.get(asset)
        if close is not None:
            stamp, price = close
            if stamp > applied:
                if held.closed < len(held.series):
                    held.series.write_close(price)
                applied = stamp
        held.applied = applied
        return held

    def _hold(self, key: _Key) -> _Held:
        held = self._held[key] = _Held(key)
        return held


def _put(series: CandleSeries, start: int, o: float, h: float, l: float, c: float) -> int:
    """Write a candle at its place in ``series`` (the last one, or a new one after it); its
    index."""
    last = series.last_start
    if last == start:
        series.write_last(o, h, l, c)
    elif last is None or start > last:
        series.append(start, o, h, l, c)
    else:  # the book announces older candles only with the series rebuilt
        i = series.find(start)
        if i < 0:
            key = (series.asset, series.timeframe)
            raise ValueError(f"{key}: candle {start} is older than {last}, not held")
        series.replace(i, o, h, l, c)
        return i
    return len(series) - 1
