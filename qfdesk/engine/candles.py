"""Ticks and platform history -> one OHLC candle series per asset and timeframe.

A candle starts at ``floor(time / period) * period`` in platform time (the platform's own
clock, never rewritten). Each (asset, timeframe) has one :class:`CandleSeries` holding the
closed candles and, as its last element, the forming one. Every closed whole candle is
announced exactly once as a :class:`CandleClosed` event, so the writer can store it like any
other; a partial one (see below) is announced ``partial=True`` and, if history completes it,
once more whole.

Closing:
- ``by="tick"``: the first tick of a later period closes the forming candle.
- ``by="clock"``: :meth:`CandleBook.on_clock` closes it once ``platform_now >= end +
  CLOSE_GRACE`` (1 s, so ticks still in flight when the period ends get in).
- ``by="history"``: the candle came closed from platform history, or history newer than it
  arrived (including history ticks that run on past it).

Live ticks: a tick older than the newest closed candle's end (at any timeframe of its asset)
is *late*: it is counted and changes nothing, so a closed candle never reopens. A tick that
repeats the newest one (same time and price) is counted as a duplicate. A tick older than
the newest one but inside every forming candle is *out of order*: it may widen high/low and
becomes the open if it is the earliest, but it never becomes the close. Every tick reaches
every timeframe or none, so all timeframes of an asset always agree. Most live ticks land
inside every forming candle and within all their highs and lows: they take a fast path that
only moves the closes (tests/test_candles_fast_path.py: exactly what the general path gives).

History (``HistoryCandles`` at the platform's period, usually 60 s, and ``HistoryTicks``):
- History candles are kept per asset in a history-only base series, each start once (a
  repeat, e.g. after a page reload or the one-candle overlap of backward pages, is counted in
  ``history_duplicates``). Every timeframe that is a multiple of the history period (1m, 3m,
  5m, ... 4h from 1m) is built from that base; 5s/15s/30s come from ticks only.
- A history-built candle for a period the series does not hold yet is inserted in order and
  announced ``by="history"`` -- older pages paged backwards and gaps alike -- but only when
  the data covers the whole period: its start (the base reaches back to the period start,
  pages being contiguous) and its end (the base reaches the period end, which the platform
  clock has passed). An incomplete one is held back (``partial_dropped``); a later, older page
  completes it. A period already closed in the series keeps what it has (first one wins:
  it has already been written).
- History for the period forming now is merged into the forming candle: the earlier open
  wins (history usually saw the period from its start, live ticks from the moment the app
  attached), high/low are widened, and the close comes from whichever source saw the later
  time (a tie goes to the live tick). History's time for a period is its last tick, or for
  candles the end of its last base candle, capped at "now" (the platform's running candle).
- History newer than what the series holds extends it (a live forming candle it passes is
  closed ``by="history"``). A period that has ended is closed with what history holds of it
  (nothing else will come); the newest one stays forming while its period has not ended (it
  may be the platform's own running candle).
- History ticks at or before the asset's newest tick are grouped into candles per timeframe
  and merged by the same rules (a repeat of a tick already seen cannot change a candle:
  max/min are idempotent and open/close follow tick times). Newer history ticks go through
  the live-tick path; the candle they start at the batch's first, partly covered period
  stays forming but is dropped rather than announced if nothing completes it before it
  closes.

"Now" for history is the latest platform time the book knows: the latest ``on_clock`` time,
tick time or history time.

Partial live candles: the candle a live tick opens is *partial* when its period's start was
not seen: the asset's first tick (after attaching, a restart) lands after the period start
and nothing the series holds reaches that start. It is built and drawn like any other and
announced with ``partial=True`` (not to be stored); history that covers it (from its start to
its first live tick) completes it: while forming it simply becomes whole, once closed it is
merged by the rules above and announced again ``by="history"``, whole.

Known limit: a whole candle closed (and announced) from live ticks before history for its
period arrives keeps its live values. Every whole candle is announced once, so a written
candle is never contradicted.

Not thread-safe: the pipeline owns the app's one book and uses it under its lock; others
see it through the updates it publishes (``market_update``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np

from qfdesk.engine.events import (
    Candle,
    CandleClosed,
    FormingCandles,
    HistoryCandles,
    HistoryTicks,
    Tick,
)
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.timeframes import TIMEFRAMES, period_start

CLOSE_GRACE = 1.0
"""Seconds after a period's end before :meth:`CandleBook.on_clock` closes its candle."""

_INF = float("inf")
_NEG_INF = -_INF
_TIME_LIMIT = float(2**53)  # beyond this a time is not a time (and would not fit int64 math)
_VALID_TIMEFRAMES = frozenset(TIMEFRAMES.values())


@dataclass(slots=True)
class CandleStats:
    """Counters of what the book did with its input."""

    ticks: int = 0
    """Live ticks applied."""
    duplicate_ticks: int = 0
    """Live ticks repeating the newest one (same time and price): ignored."""
    out_of_order_ticks: int = 0
    """Live ticks older than the newest one but inside every forming candle: applied to
    open/high/low, never to close."""
    late_ticks: int = 0
    """Live ticks older than the end of a closed candle: ignored, nothing reopens."""
    bad_input: int = 0
    """Ticks and history candles whose time is not finite (beyond 2**53 s) or whose prices
    are not positive finite numbers (for a candle: with low <= open, close <= high): ignored
    (the decoder normally drops them first)."""
    history_candles: int = 0
    """History candles new to the book."""
    history_duplicates: int = 0
    """History candles the book already held (page reload, overlapping pages)."""
    history_ticks: int = 0
    """History ticks received."""
    history_ticks_newer: int = 0
    """History ticks newer than every live tick, applied like live ticks."""
    partial_dropped: int = 0
    """History-built candles left out because history did not cover their whole period."""
    partial_live: int = 0
    """Live candles announced partial (their period's start was not seen)."""
    partial_completed: int = 0
    """Closed partial live candles that history completed (announced again, whole)."""
    closed_by_tick: int = 0
    closed_by_clock: int = 0
    closed_by_history: int = 0


class _Builder:
    """One asset at one timeframe: its series and the forming candle in plain floats.

    ``mo``/``mh``/``ml``/``mc`` are memoryviews of the series' buffers (cheaper to write than
    numpy indexing); they are refreshed whenever the series may have reallocated.
    """

    __slots__ = (
        "c",
        "cap",
        "close_time",
        "end",
        "first",
        "forming",
        "h",
        "i",
        "keep",
        "l",
        "mc",
        "mh",
        "ml",
        "mo",
        "o",
        "partial",
        "series",
        "start",
        "tf",
        "unseen",
    )

    def __init__(self, asset: str, tf: int) -> None:
        self.tf = tf
        self.series = CandleSeries(asset, tf)
        self.forming = False
        self.start = 0
        self.end = _NEG_INF  # the forming candle's end; -inf when none forms
        self.o = self.h = self.l = self.c = 0.0
        self.first = 0.0  # time of the data that gave the open
        self.close_time = _NEG_INF  # time of the history that gave the close (ticks: last_time)
        self.partial = False  # its period's start not covered
        self.keep = False  # a partial candle a live tick opened: announced partial, not dropped
        self.unseen: dict[int, tuple[float, float]] = {}  # closed partial live candles:
        # start -> (time of their first tick, time of their close), until history completes them
        self.i = -1
        self.cap = 0
        self.refresh()

    def refresh(self) -> None:
        """Point at the forming candle's index; re-take the memoryviews after a doubling."""
        series = self.series
        if series.capacity != self.cap:
            _, o, h, l, c = series.buffers()
            self.mo, self.mh, self.ml, self.mc = (
                cast("memoryview[float]", a.data) for a in (o, h, l, c)
            )
            self.cap = series.capacity
        self.i = len(series) - 1

    def frontier(self) -> float:
        """Where new data may start: the forming candle's start, or the last candle's end."""
        if self.forming:
            return self.start
        last = self.series.last_start
        return _NEG_INF if last is None else last + self.tf

    def begin(self, start: int, o: float, h: float, l: float, c: float) -> None:
        """Append a forming candle."""
        self.series.append(start, o, h, l, c)
        self.refresh()
        self.forming = True
        self.start = start
        self.end = start + self.tf
        self.o, self.h, self.l, self.c = o, h, l, c

    def write(self) -> None:
        i = self.i
        self.mo[i] = self.o
        self.mh[i] = self.h
        self.ml[i] = self.l
        self.mc[i] = self.c

    def candle(self) -> Candle:
        return Candle(self.series.asset, self.tf, self.start, self.o, self.h, self.l, self.c)


class _Asset:
    __slots__ = (
        "builders",
        "by_tf",
        "changed",
        "fast_end",
        "fast_high",
        "fast_low",
        "floor",
        "history",
        "last_price",
        "last_time",
        "name",
        "same_prices",
        "same_time",
        "ticked",
    )

    def __init__(self, name: str, timeframes: tuple[int, ...]) -> None:
        self.name = name
        self.builders = tuple(_Builder(name, tf) for tf in timeframes)
        self.by_tf = {b.tf: b for b in self.builders}
        self.last_time = -_TIME_LIMIT  # newest tick applied (this bound keeps absurd times out)
        self.last_price = 0.0
        self.floor = _NEG_INF  # ticks older than this are late (max frontier of all builders)
        self.history: dict[int, CandleSeries] = {}  # history-only base series per period
        self.same_time = _NEG_INF  # prices seen at the newest tick time (duplicates check)
        self.same_prices: set[float] = set()
        # Since ``take_forming_changes``: builders whose forming start/open/high/low changed,
        # and whether a live tick set every forming close to ``last_price``.
        self.changed: set[_Builder] = set()
        self.ticked = False
        # The live-tick fast path (``CandleBook.on_tick``): while ``fast_end`` is not -inf,
        # every builder forms a candle ending at or after it, with a high of at least
        # ``fast_high`` and a low of at most ``fast_low``. A newer tick before ``fast_end``
        # priced within them changes nothing but the closes. Anything else that touches the
        # builders sets ``fast_end`` to -inf; the next live tick measures them again.
        self.fast_end = _NEG_INF
        self.fast_high = 0.0
        self.fast_low = 0.0


class CandleBook:
    """All assets' candles at the given timeframes (seconds, from ``TIMEFRAMES``)."""

    def __init__(self, timeframes: Iterable[int] = (60,)) -> None:
        tfs = tuple(sorted({int(tf) for tf in timeframes}))
        bad = [tf for tf in tfs if tf not in _VALID_TIMEFRAMES]
        if bad or not tfs:
            raise ValueError(
                f"unsupported timeframes {bad or '(none)'}; use some of "
                f"{sorted(_VALID_TIMEFRAMES)} seconds"
            )
        self.timeframes = tfs
        self.stats = CandleStats()
        self._assets: dict[str, _Asset] = {}
        self._clock_now = _NEG_INF
        self._history_now = _NEG_INF
        self._next_end = _INF  # at most the earliest end of a forming candle: on_clock's
        # scan is skipped until the clock reaches it

    # --- queries ---------------------------------------------------------------------------

    def assets(self) -> list[str]:
        return list(self._assets)

    def series(self, asset: str, timeframe: int) -> CandleSeries:
        """Closed candles plus the forming one (if any) as the last element. An asset not seen
        yet gives an empty series that is not kept."""
        b = self._builder(asset, timeframe)
        return CandleSeries(asset, timeframe) if b is None else b.series

    def forming(self, asset: str, timeframe: int) -> Candle | None:
        b = self._builder(asset, timeframe)
        return b.candle() if b is not None and b.forming else None

    def asset_series(self, asset: str) -> list[tuple[CandleSeries, Candle | None]]:
        """Every timeframe's series of ``asset`` with its forming candle (None if none)."""
        st = self._assets.get(asset)
        if st is None:
            return []
        return [(b.series, b.candle() if b.forming else None) for b in st.builders]

    def take_forming_changes(self, assets: Iterable[str]) -> tuple[FormingCandles, ...]:
        """What changed in each asset's forming candles since the last call: the rows of
        each one whose start, open, high or low did, and the close every other one now has
        (None if no live tick came since). For a publisher (one per book): each call starts
        the asset's next interval."""
        out: list[FormingCandles] = []
        get = self._assets.get
        new = tuple.__new__  # the named tuple made without its Python-level __new__
        for asset in assets:
            st = get(asset)
            if st is None:
                out.append(new(FormingCandles, (asset, (), None)))
                continue
            changed = st.changed
            if changed:
                rows = tuple([(b.tf, b.start, b.o, b.h, b.l, b.c) for b in changed if b.forming])
                changed.clear()
            else:
                rows = ()
            if st.ticked:
                st.ticked = False
                out.append(new(FormingCandles, (asset, rows, st.last_price)))
            else:
                out.append(new(FormingCandles, (asset, rows, None)))
        return tuple(out)

    def closed_len(self, asset: str, timeframe: int) -> int:
        b = self._builder(asset, timeframe)
        return 0 if b is None else len(b.series) - (1 if b.forming else 0)

    # --- live ticks (the hot path) ---------------------------------------------------------

    def on_tick(self, tick: Tick) -> list[CandleClosed]:
        st = self._assets.get(tick.asset)
        if st is None:
            st = self._new_asset(tick.asset)
        t = tick.time
        p = tick.price
        if st.last_time < t < st.fast_end:
            # Inside every forming candle: no candle rolls (and the time is good and not
            # behind a closed candle). What the general path below does, without its tests.
            if st.fast_low <= p <= st.fast_high:  # within every high and low: only closes
                self.stats.ticks += 1
                for b in st.builders:
                    b.c = p
                    b.mc[b.i] = p
                st.last_time = t
                st.last_price = p
                st.ticked = True
                return []
            if 0.0 < p < _INF:
                self.stats.ticks += 1
                changed = st.changed
                for b in st.builders:
                    if p > b.h:
                        b.h = p
                        b.mh[b.i] = p
                        changed.add(b)
                    elif p < b.l:
                        b.l = p
                        b.ml[b.i] = p
                        changed.add(b)
                    b.c = p
                    b.mc[b.i] = p
                st.last_time = t
                st.last_price = p
                st.ticked = True
                # every high is now at least p, every low at most p (compares, not calls)
                if p > st.fast_high:  # noqa: PLR1730
                    st.fast_high = p
                if p < st.fast_low:  # noqa: PLR1730
                    st.fast_low = p
                return []
        out: list[CandleClosed] = []
        if st.last_time < t < _TIME_LIMIT and t >= st.floor and 0.0 < p < _INF:
            self.stats.ticks += 1
            changed = st.changed
            rolled = False
            for b in st.builders:
                if t < b.end:
                    if p > b.h:
                        b.h = p
                        b.mh[b.i] = p
                        changed.add(b)
                    elif p < b.l:
                        b.l = p
                        b.ml[b.i] = p
                        changed.add(b)
                    b.c = p
                    b.mc[b.i] = p
                else:  # st.last_time is still the tick before: -_TIME_LIMIT for the first
                    first = st.last_time == -_TIME_LIMIT and _start_unseen(b, t)
                    self._roll(st, b, t, p, out, "tick", first)
                    rolled = True
            st.last_time = t
            st.last_price = p
            st.ticked = True
            # Measure for the fast path. Every high is now at least p and every low at most
            # p; a candle that began here is p alone, so then they are p exactly.
            builders = st.builders
            st.fast_end = min(min([b.end for b in builders]), _TIME_LIMIT)
            if rolled:
                st.fast_high = st.fast_low = p
            else:  # other input came since the last tick
                st.fast_high = min([b.h for b in builders])
                st.fast_low = max([b.l for b in builders])
            return out
        self._older_tick(st, t, p)
        return out

    def _older_tick(self, st: _Asset, t: float, p: float) -> None:
        """A live tick not newer than the newest one, behind a closed candle, or bad."""
        st.changed.update(st.builders)
        st.fast_end = _NEG_INF
        stats = self.stats
        if not (-_TIME_LIMIT < t < _TIME_LIMIT and 0.0 < p < _INF):
            stats.bad_input += 1
            return
        if t == st.last_time:
            if not self._same_time(st, t, p):
                stats.duplicate_ticks += 1
            elif t < st.floor:
                stats.late_ticks += 1
            else:
                stats.ticks += 1
            return
        if t < st.floor:
            stats.late_ticks += 1
            return
        stats.out_of_order_ticks += 1
        for b in st.builders:
            b.h = max(b.h, p)
            b.l = min(b.l, p)
            if t < b.first:
                b.o = p
                b.first = t
            b.write()

    def _same_time(self, st: _Asset, t: float, p: float) -> bool:
        """A tick at the newest tick's time: False if its price was seen at that time already
        (a duplicate); otherwise it is the newest tick and becomes the close."""
        st.changed.update(st.builders)
        st.fast_end = _NEG_INF
        if st.same_time != t:
            st.same_time = t
            st.same_prices = {st.last_price}
        if p in st.same_prices:
            return False
        st.same_prices.add(p)
        if t < st.floor:
            return True
        st.last_price = p
        for b in st.builders:
            b.h = max(b.h, p)
            b.l = min(b.l, p)
            b.c = p
            b.write()
        return True

    def _roll(
        self,
        st: _Asset,
        b: _Builder,
        t: float,
        p: float,
        out: list[CandleClosed],
        by: str,
        partial: bool,
    ) -> None:
        """Close ``b``'s forming candle (if any) and start the one holding ``t``."""
        st.changed.add(b)
        st.fast_end = _NEG_INF
        if b.forming:
            self._close(st, b, out, by)
        start = period_start(t, b.tf)
        b.begin(start, p, p, p, p)
        self._next_end = min(self._next_end, b.end)
        b.first = t
        b.close_time = _NEG_INF
        b.partial = partial
        b.keep = by == "tick"
        st.floor = max(st.floor, start)

    def _close(self, st: _Asset, b: _Builder, out: list[CandleClosed], by: str) -> None:
        end = b.end
        st.fast_end = _NEG_INF
        if b.partial and not b.keep:
            b.series.pop_last()
            b.refresh()
            self.stats.partial_dropped += 1
        else:
            if b.partial:
                out.append(CandleClosed(b.candle(), by, True))
                b.unseen[b.start] = (b.first, _close_time(st, b))
                self.stats.partial_live += 1
            else:
                out.append(CandleClosed(b.candle(), by))
            if by == "tick":
                self.stats.closed_by_tick += 1
            elif by == "clock":
                self.stats.closed_by_clock += 1
            else:
                self.stats.closed_by_history += 1
        b.forming = False
        b.end = _NEG_INF
        st.floor = max(st.floor, end)

    # --- clock -----------------------------------------------------------------------------

    def on_clock(self, platform_now: float) -> list[CandleClosed]:
        """Close every forming candle whose period ended at least CLOSE_GRACE ago."""
        if platform_now > self._clock_now:  # noqa: PLR1730 -- every batch: a compare, not a call
            self._clock_now = platform_now
        limit = platform_now - CLOSE_GRACE
        if limit < self._next_end:  # no candle has ended yet
            return []
        out: list[CandleClosed] = []
        next_end = _INF
        for st in self._assets.values():
            for b in st.builders:
                if b.forming:
                    if b.end <= limit:
                        self._close(st, b, out, "clock")
                    elif b.end < next_end:
                        next_end = b.end
        self._next_end = next_end
        return out

    # --- history ---------------------------------------------------------------------------

    def on_history_candles(self, history: HistoryCandles) -> list[CandleClosed]:
        period = int(history.timeframe)
        candles = history.candles
        if period <= 0 or not candles:
            return []
        st = self._asset(history.asset)
        good = [c for c in candles if _good_candle(c)]
        self.stats.bad_input += len(candles) - len(good)
        if not good:
            return []
        start = np.fromiter((c.start for c in good), dtype=np.int64, count=len(good))
        ohlc = np.array([(c.open, c.high, c.low, c.close) for c in good], dtype=np.float64).T
        return self._history_candles(st, period, start, ohlc)

    def on_history_arrays(
        self, asset: str, period: int, start: np.ndarray, ohlc: np.ndarray
    ) -> list[CandleClosed]:
        """History candles as columns (``start``, ``ohlc`` of shape (4, n), e.g. read from
        disk), merged like :meth:`on_history_candles`; rows that are not good candles are
        counted in ``bad_input``."""
        period = int(period)
        start = np.asarray(start, dtype=np.int64)
        ohlc = np.asarray(ohlc, dtype=np.float64).reshape(4, -1)
        if period <= 0 or not len(start):
            return []
        st = self._asset(asset)
        o, h, l, c = ohlc
        with np.errstate(invalid="ignore"):
            good = (np.abs(start) < _TIME_LIMIT) & (l > 0) & (h < _INF)
            good &= (l <= o) & (o <= h) & (l <= c) & (c <= h)
        if not good.all():
            self.stats.bad_input += int(len(good) - good.sum())
            start, ohlc = start[good], ohlc[:, good]
            if not len(start):
                return []
        return self._history_candles(st, period, start, ohlc)

    def _history_candles(
        self, st: _Asset, period: int, start: np.ndarray, ohlc: np.ndarray
    ) -> list[CandleClosed]:
        out: list[CandleClosed] = []
        st.changed.update(st.builders)
        st.fast_end = _NEG_INF
        base = st.history.get(period)
        if base is None:
            base = st.history[period] = CandleSeries(st.name, period)
        old_first = base.start[0] if len(base) else None
        start = start - start % period  # a start off the period grid belongs to its period
        order = np.argsort(start, kind="stable")
        start, ohlc = start[order], ohlc[:, order]
        keep = np.ones(len(start), dtype=bool)
        keep[1:] = start[1:] != start[:-1]
        if len(base):
            pos = np.minimum(np.searchsorted(base.start, start), len(base) - 1)
            keep &= base.start[pos] != start
        self.stats.history_duplicates += int(len(start) - keep.sum())
        start, ohlc = start[keep], ohlc[:, keep]
        if not len(start):
            return out
        self.stats.history_candles += len(start)
        base.insert_many(start, ohlc)
        self._history_now = max(self._history_now, float(base.start[-1]))
        now = self._now()
        for b in st.builders:
            if b.tf % period:
                continue
            periods = np.unique(start - start % b.tf)
            if old_first is not None:
                periods = np.union1d(periods, [old_first - old_first % b.tf])
            self._merge_history(st, b, _aggregate_base(base, periods, b.tf, now), out)
        return out

    def on_history_ticks(self, history: HistoryTicks) -> list[CandleClosed]:
        out: list[CandleClosed] = []
        ticks = history.ticks
        if not ticks:
            return out
        st = self._asset(history.asset)
        st.changed.update(st.builders)
        st.fast_end = _NEG_INF
        self.stats.history_ticks += len(ticks)
        times = np.fromiter((tk.time for tk in ticks), dtype=np.float64, count=len(ticks))
        prices = np.fromiter((tk.price for tk in ticks), dtype=np.float64, count=len(ticks))
        good = (np.abs(times) < _TIME_LIMIT) & np.isfinite(prices) & (prices > 0)
        if not good.all():
            self.stats.bad_input += int(len(good) - good.sum())
            times, prices = times[good], prices[good]
            if not len(times):
                return out
        order = np.argsort(times, kind="stable")
        times, prices = times[order], prices[order]
        first, last = float(times[0]), float(times[-1])
        self._history_now = max(self._history_now, last)
        split = int(np.searchsorted(times, st.last_time, side="right"))
        if split:
            for b in st.builders:
                self._merge_history(
                    st, b, _aggregate_ticks(times[:split], prices[:split], b.tf, first, last), out
                )
        newer = len(times) - split
        self.stats.history_ticks_newer += newer
        for t, p in zip(times[split:].tolist(), prices[split:].tolist(), strict=True):
            if t == st.last_time:
                self._same_time(st, t, p)
                continue
            if t < st.floor:
                continue
            for b in st.builders:
                if t < b.end:
                    b.h = max(b.h, p)
                    b.l = min(b.l, p)
                    b.c = p
                    b.write()
                else:
                    self._roll(st, b, t, p, out, "history", first > period_start(t, b.tf))
            st.last_time = t
            st.last_price = p
        return out

    def _merge_history(
        self, st: _Asset, b: _Builder, agg: _Aggregate, out: list[CandleClosed]
    ) -> None:
        """Merge history-built candles (ascending) into ``b`` by the rules in the module doc."""
        series = b.series
        inserts: list[int] = []
        for k in range(len(agg.start)):
            p_start = int(agg.start[k])
            o, h, l, c = agg.o[k], agg.h[k], agg.l[k], agg.c[k]
            whole_start, whole_end = bool(agg.whole_start[k]), bool(agg.whole_end[k])
            last = float(agg.last[k])
            if b.forming and p_start == b.start:
                if whole_start and (whole_end or last >= b.first):
                    b.partial = False
                if agg.first[k] < b.first:
                    b.o = o
                    b.first = float(agg.first[k])
                b.h = max(b.h, h)
                b.l = min(b.l, l)
                if last > _close_time(st, b):
                    b.c = c
                    b.close_time = last
                b.write()
                continue
            if p_start < b.frontier():
                if p_start in b.unseen:
                    self._complete(b, agg, k, out)
                elif series.find(p_start) < 0:
                    if whole_start and whole_end:
                        inserts.append(k)
                    else:
                        self.stats.partial_dropped += 1
                continue
            if b.forming:
                self._close(st, b, out, "history")
            if agg.ended[k]:  # nothing newer is held: history is all there is of this period
                if not whole_start:
                    self.stats.partial_dropped += 1
                    continue
                series.append(p_start, o, h, l, c)
                b.refresh()
                out.append(CandleClosed(Candle(series.asset, b.tf, p_start, o, h, l, c), "history"))
                self.stats.closed_by_history += 1
            else:
                b.begin(p_start, o, h, l, c)
                self._next_end = min(self._next_end, b.end)
                b.first = float(agg.first[k])
                b.close_time = last
                b.partial = not whole_start
                b.keep = False
            frontier = b.frontier()
            st.floor = max(st.floor, frontier)
        if inserts:
            asset, tf = series.asset, b.tf
            rows = [
                Candle(asset, tf, agg.start[k], agg.o[k], agg.h[k], agg.l[k], agg.c[k])
                for k in inserts
            ]
            series.insert_many(
                np.array([r.start for r in rows], dtype=np.int64),
                np.array([(r.open, r.high, r.low, r.close) for r in rows], dtype=np.float64).T,
            )
            b.refresh()
            out.extend(CandleClosed(candle, "history") for candle in rows)
            self.stats.closed_by_history += len(inserts)

    def _complete(self, b: _Builder, agg: _Aggregate, k: int, out: list[CandleClosed]) -> None:
        """History for a closed partial live candle: if it covers the period from its start
        to the first live tick, the candle is merged (history's open, widened high/low, the
        later close) and announced again, whole."""
        p_start = int(agg.start[k])
        live_first, live_close_time = b.unseen[p_start]
        last = float(agg.last[k])
        if not (agg.whole_start[k] and (agg.whole_end[k] or last >= live_first)):
            return
        del b.unseen[p_start]
        series = b.series
        i = series.find(p_start)
        o = float(agg.o[k])
        h = max(float(series.high[i]), float(agg.h[k]))
        l = min(float(series.low[i]), float(agg.l[k]))
        c = float(agg.c[k]) if last > live_close_time else float(series.close[i])
        series.replace(i, o, h, l, c)
        out.append(CandleClosed(Candle(series.asset, b.tf, p_start, o, h, l, c), "history"))
        self.stats.partial_completed += 1
        self.stats.closed_by_history += 1

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> float:
        latest = max((st.last_time for st in self._assets.values()), default=_NEG_INF)
        return max(self._clock_now, self._history_now, latest)

    def _new_asset(self, asset: str) -> _Asset:
        st = self._assets[asset] = _Asset(asset, self.timeframes)
        return st

    def _asset(self, asset: str) -> _Asset:
        st = self._assets.get(asset)
        return self._new_asset(asset) if st is None else st

    def _builder(self, asset: str, timeframe: int) -> _Builder | None:
        """The asset's builder at ``timeframe``; None for an asset not seen yet. KeyError for
        a timeframe the book does not build."""
        if timeframe not in self.timeframes:
            raise KeyError(f"timeframe {timeframe} s is not built here; built: {self.timeframes}")
        st = self._assets.get(asset)
        return None if st is None else st.by_tf[timeframe]


def _start_unseen(b: _Builder, t: float) -> bool:
    """For the asset's first tick, opening a candle of ``b`` at ``t``: the period's start was
    not seen if ``t`` is after it and the series holds nothing reaching it."""
    start = period_start(t, b.tf)
    held_to = b.end if b.forming else b.frontier()
    return t > start and held_to < start


def _close_time(st: _Asset, b: _Builder) -> float:
    """When the data that gave ``b``'s forming close was seen: the asset's newest tick if it
    lies in the period (every tick reaches every timeframe), else what history said."""
    t = st.last_time
    return max(b.close_time, t) if b.start <= t < b.end else b.close_time


def _good_candle(c: Candle) -> bool:
    """Finite positive prices that agree (low <= open, close <= high) and a sane start."""
    try:
        o, h, l, cl = float(c.open), float(c.high), float(c.low), float(c.close)
        start_ok = abs(int(c.start)) < _TIME_LIMIT
    except (TypeError, ValueError, OverflowError):
        return False
    # Chained comparisons, not min/max: min(1.0, nan) is 1.0, so a NaN price would pass.
    return start_ok and 0.0 < l <= o <= h < _INF and l <= cl <= h


@dataclass(slots=True)
class _Aggregate:
    """History-built candles of one timeframe, ascending, with how well history covers
    each period: ``whole_start`` (from its start) and ``whole_end`` (to its end), and whether
    the period has ``ended`` by the platform clock. ``first``/``last``: the times of the data
    that gave the open and the close."""

    start: list[int]
    o: list[float]
    h: list[float]
    l: list[float]
    c: list[float]
    first: list[float]
    last: list[float]
    whole_start: list[bool]
    whole_end: list[bool]
    ended: list[bool]


def _aggregate_ticks(
    times: np.ndarray, prices: np.ndarray, tf: int, batch_first: float, batch_last: float
) -> _Aggregate:
    """Candles of ``tf`` from ascending ticks that belong to a batch spanning
    [batch_first, batch_last]."""
    start = (times // tf).astype(np.int64) * tf
    bounds = np.flatnonzero(start[1:] != start[:-1]) + 1
    first_idx = np.concatenate(([0], bounds))
    last_idx = np.concatenate((bounds - 1, [len(times) - 1]))
    starts = start[first_idx]
    return _Aggregate(
        start=starts.tolist(),
        o=prices[first_idx].tolist(),
        h=np.maximum.reduceat(prices, first_idx).tolist(),
        l=np.minimum.reduceat(prices, first_idx).tolist(),
        c=prices[last_idx].tolist(),
        first=times[first_idx].tolist(),
        last=times[last_idx].tolist(),
        whole_start=(batch_first <= starts).tolist(),
        whole_end=(batch_last >= starts + tf).tolist(),
        ended=(batch_last >= starts + tf).tolist(),
    )


def _aggregate_base(base: CandleSeries, periods: np.ndarray, tf: int, now: float) -> _Aggregate:
    """Candles of ``tf`` for ``periods`` (ascending starts) from the history base series.

    Backward pages are contiguous, so the base covers a period's start once its first candle
    is at or before it; it covers the end once its last candle reaches the period's end and
    the platform clock has passed that end. The close is as of the end of the period's last
    base candle, or "now" while that one runs."""
    held = base.start
    periods = np.asarray(periods, dtype=np.int64)
    lo = np.searchsorted(held, periods, side="left")
    hi = np.searchsorted(held, periods + tf, side="left")
    present = hi > lo
    periods, lo, hi = periods[present], lo[present], hi[present]
    base_first = int(held[0])
    covered_end = int(held[-1]) + base.timeframe
    high, low = base.high, base.low
    if tf == base.timeframe:
        highs, lows = high[lo], low[lo]
    else:
        highs = np.array([high[a:z].max() for a, z in zip(lo, hi, strict=True)])
        lows = np.array([low[a:z].min() for a, z in zip(lo, hi, strict=True)])
    ends = periods + tf
    return _Aggregate(
        start=periods.tolist(),
        o=base.open[lo].tolist(),
        h=highs.tolist(),
        l=lows.tolist(),
        c=base.close[hi - 1].tolist(),
        first=held[lo].astype(np.float64).tolist(),
        last=np.minimum(held[hi - 1] + base.timeframe, now).tolist(),
        whole_start=(periods >= base_first).tolist(),
        whole_end=((ends <= covered_end) & (ends <= now)).tolist(),
        ended=(ends <= now).tolist(),
    )
