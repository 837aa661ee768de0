"""The collector's data path: performance-log entries -> events -> candles -> CSV.

One path for every source: ``qfdesk replay`` feeds it lines of a captured log, ``qfdesk
collect`` and the desktop app feed it batches drained from Chrome. The platform clock is
measured from the ticks; after each batch, candles whose period has ended by the platform
time of the batch's newest entry are closed "by clock". The live caller also calls
:meth:`Pipeline.on_wall_clock` now and then so candles close while the stream is quiet.

Only live ticks are written to the tick CSVs: history ticks repeat what an earlier session
may already have written, and the candles they build are written like any other candle.
Partial candles (their period's start was not seen, e.g. the first one after attaching) are
announced to listeners but never written; history that completes one writes it whole.

Each asset table's changes of payout or open/closed state are written to the payout history
(:mod:`qfdesk.engine.payout_recorder`) whenever candles are saved, stamped in platform time
once the clock is known.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.clock import ClockOffset
from qfdesk.engine.csv_sink import CsvSink, SinkWriteError
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import (
    AssetTable,
    CandleClosed,
    Event,
    HistoryCandles,
    HistoryTicks,
    MarketUpdate,
    PayoutChange,
    Tick,
)
from qfdesk.engine.market_state import MarketPublisher
from qfdesk.engine.payout_recorder import PayoutRecorder
from qfdesk.engine.series import CandleSeries

log = logging.getLogger(__name__)

_NEG_INF = float("-inf")
_MAX_UNWRITTEN = 1_000_000
"""Ticks (and candles) kept in memory for a retry while writes fail."""

Listener = Callable[[list[Event]], None]
Item = TypeVar("Item", Tick, CandleClosed, PayoutChange)


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    frames: int
    events: dict[str, int]
    ticks_by_asset: dict[str, int]
    candles_closed: int
    candles_written: int
    ticks_written: int
    malformed: dict[str, int]
    late_ticks: int
    write_errors: int
    clock_offset: float | None
    files: tuple[str, ...] = field(default=())
    payouts_written: int = 0
    payouts_unstamped: int = 0


class Pipeline:
    """Decoder, clock, candle book and (optionally) a CSV sink, fed in batches.

    The app's one market state: its book is the only place ticks become candles, its clock
    the only measure of platform time. Thread-safe: the tail thread feeds it while a timer
    thread may call ``on_wall_clock`` and a loader ``add_stored_history``. Listeners get each
    batch's events (decoded events, then the candles it closed, then -- with ``publish`` --
    its :class:`MarketUpdate`) on the feeding thread; the UI hands them on through a queued
    Qt signal and keeps its copy of the candles from the updates (``market_state``).
    """

    def __init__(
        self,
        timeframes: Iterable[int],
        sink: CsvSink | None = None,
        *,
        publish: bool = False,
        store_if: Callable[[CandleClosed], bool] | None = None,
    ) -> None:
        self.decoder = FrameDecoder()
        # Which closed candles the sink gets (default: all); a backfill writes only its own.
        self.store_if = store_if
        self.clock = ClockOffset()
        self.book = CandleBook(timeframes)
        self.publisher = MarketPublisher(self.book) if publish else None
        # Forming candles that came from disk: when they close they are on disk already.
        self._from_disk: set[tuple[str, int, int]] = set()
        self.sink = sink
        self.ticks_by_asset: dict[str, int] = {}
        self.candles_closed = 0
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        # Taken before the lock is let go, so listeners get batches in the order they were
        # built, whichever thread built them (re-entrant: a listener may feed again).
        self._in_order = threading.RLock()
        self._last_received = 0.0
        self.write_errors = 0
        self._unwritten_ticks: list[Tick] = []
        self._unwritten_candles: list[CandleClosed] = []
        self.payouts = PayoutRecorder()
        self._unwritten_payouts: list[PayoutChange] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def feed(self, entries: Iterable[Mapping[str, Any] | str]) -> list[Event]:
        """Decode a batch, update candles, write what closed; returns all resulting events."""
        with self._lock:
            events = self.decoder.feed_many(entries)
            events += self._market(events)
            self._in_order.acquire()
        self._notify(events)
        return events

    def feed_events(self, events: Iterable[Event]) -> list[Event]:
        """A batch already decoded (a replay of decoded events, a test): as :meth:`feed`."""
        events = list(events)
        with self._lock:
            events += self._market(events)
            self._in_order.acquire()
        self._notify(events)
        return events

    def _market(self, events: list[Event]) -> Sequence[Event]:
        """Candles and clock from a batch: the candles it closed (written) and, publishing,
        the batch's market update last."""
        closed: list[CandleClosed] = []
        touched: set[str] = set()
        book, clock, counts = self.book, self.clock, self.ticks_by_asset
        on_tick = book.on_tick
        newest = self._last_received
        best_sample, best_received = _NEG_INF, 0.0
        for event in events:
            if type(event) is Tick:
                asset = event.asset
                counts[asset] = counts.get(asset, 0) + 1
                touched.add(asset)
                received = event.received
                if received > newest:  # noqa: PLR1730 -- per tick: a compare, not a call
                    newest = received
                sample = event.time - received
                if sample > best_sample:
                    best_sample, best_received = sample, received
                got = on_tick(event)
                if got:
                    closed += got
            elif type(event) is HistoryCandles:
                touched.add(event.asset)
                closed += book.on_history_candles(event)
            elif type(event) is HistoryTicks:
                touched.add(event.asset)
                closed += book.on_history_ticks(event)
            elif type(event) is AssetTable:
                keep = self.sink is not None and self.sink.settings.save_payouts
                self.payouts.observe(event, event.received or time.time(), keep=keep)
        if best_received:
            # The clock keeps the least delayed sample anyway: one per batch is enough.
            clock.observe(best_sample + best_received, best_received)
        self._last_received = newest
        offset = clock.offset
        if newest and offset is not None:
            closed += book.on_clock(newest + offset)  # the platform time of the newest entry
        stored = closed
        if self._from_disk:
            closed = self._mark_disk(closed)
            stored = _new(closed)
        self._store(events, stored)
        if self.publisher is None or not (touched or closed):
            return closed
        return [*closed, self.publisher.update(touched, closed, clock.offset)]

    def _forming(self, assets: Iterable[str]) -> set[tuple[str, int, int]]:
        return {
            (asset, candle.timeframe, candle.start)
            for asset in assets
            for _, candle in self.book.asset_series(asset)
            if candle is not None
        }

    def _mark_disk(self, closed: list[CandleClosed]) -> list[CandleClosed]:
        """Mark ``by="disk"`` the candles that came from disk still forming: never stored."""
        marked = []
        for event in closed:
            c = event.candle
            key = (c.asset, c.timeframe, c.start)
            if key in self._from_disk:
                self._from_disk.discard(key)
                event = dataclasses.replace(event, by="disk")
            marked.append(event)
        return marked

    def _published(self, touched: set[str], closed: list[CandleClosed]) -> list[MarketUpdate]:
        """The market update (a list of it), if this pipeline publishes and there is one."""
        if self.publisher is None or not (touched or closed):
            return []
        return [self.publisher.update(touched, closed, self.clock.offset)]

    def on_wall_clock(self, wall: float | None = None) -> list[CandleClosed]:
        """Close candles whose period has ended by the platform time at ``wall`` (default:
        now). Returns them, after writing and announcing them."""
        with self._lock:
            now = self.clock.platform_now(time.time() if wall is None else wall)
            closed = self.book.on_clock(now) if now is not None else []
            stored = closed
            if self._from_disk:
                closed = self._mark_disk(closed)
                stored = _new(closed)
            self._store((), stored)
            events: list[Event] = [*closed, *self._published(set(), closed)]
            if events:
                self._in_order.acquire()
        if events:
            self._notify(events)
        return closed

    def add_stored_history(self, history: Iterable[CandleSeries]) -> int:
        """Candles read back from the CSVs, merged into the book like platform history and
        announced (``by="disk"``, in the market update only) but never written again: they
        are on disk already. Any thread. Returns how many closed in the book."""
        history = list(history)
        with self._lock:
            closed: list[CandleClosed] = []
            assets = {series.asset for series in history}
            forming = self._forming(assets)
            for series in history:
                ohlc = np.vstack((series.open, series.high, series.low, series.close))
                got = self.book.on_history_arrays(
                    series.asset, series.timeframe, series.start, ohlc
                )
                closed += [dataclasses.replace(c, by="disk") for c in got]
            # The newest disk candles stay forming until the clock or a tick closes them.
            self._from_disk |= self._forming(assets) - forming
            events: list[Event] = list(self._published(assets, closed))
            if events:
                self._in_order.acquire()
        if events:
            self._notify(events)
        return len(closed)

    def finish(self) -> PipelineSummary:
        """End of input: count headers left without attachment; return the summary."""
        with self._lock:
            self.decoder.flush()
        summary = self.summary()
        if summary.payouts_unstamped:
            log.warning(
                "%d payout changes were not written: no tick arrived to measure the platform "
                "clock they are dated in.",
                summary.payouts_unstamped,
            )
        return summary

    def summary(self) -> PipelineSummary:
        stats = self.decoder.stats
        sink = self.sink
        return PipelineSummary(
            frames=stats.frames,
            events=dict(stats.events),
            ticks_by_asset=dict(self.ticks_by_asset),
            candles_closed=self.candles_closed,
            candles_written=sink.candles_written if sink else 0,
            ticks_written=sink.ticks_written if sink else 0,
            malformed=dict(stats.malformed),
            late_ticks=self.book.stats.late_ticks,
            write_errors=self.write_errors,
            clock_offset=self.clock.offset,
            files=tuple(str(path) for path in sink.files) if sink else (),
            payouts_written=sink.payouts_written if sink else 0,
            payouts_unstamped=(
                self.payouts.waiting
                if sink and sink.settings.save_payouts and self.clock.offset is None
                else 0
            ),
        )

    def _store(self, events: Iterable[Event], closed: list[CandleClosed]) -> None:
        """Write the batch's live ticks and ``closed``, keeping what a failed write (disk
        full, permissions) did not store for the next batch: the sink says which items are
        not on disk, so a retry writes each once."""
        self.candles_closed += len(closed)
        if self.sink is None:
            return
        ticks = self._unwritten_ticks + [e for e in events if type(e) is Tick]
        keep = self.store_if
        candles = self._unwritten_candles + [
            c for c in closed if not c.partial and (keep is None or keep(c))
        ]
        self._unwritten_ticks = self._write(self.sink.write_ticks, ticks)
        self._unwritten_candles = self._write(self.sink.write_candles, candles)
        if self.sink.settings.save_payouts:
            payouts = self._unwritten_payouts + self.payouts.take(self.clock.offset)
            self._unwritten_payouts = self._write(self.sink.write_payouts, payouts)

    def _write(self, write: Callable[[list[Item]], int], items: list[Item]) -> list[Item]:
        """``write(items)``; returns the items a failed write left unwritten (the newest
        ``_MAX_UNWRITTEN``)."""
        if not items:
            return []
        try:
            write(items)
        except SinkWriteError as error:
            self.write_errors += 1
            log.error(
                "Could not write market data (%s). What is not on disk is kept in memory and "
                "written with the next batch; free disk space or fix the folder's permissions.",
                error,
            )
            return list(error.unwritten[-_MAX_UNWRITTEN:])
        return []

    def _notify(self, events: list[Event]) -> None:
        """Hand ``events`` to the listeners; the caller took ``_in_order`` under the lock."""
        try:
            for listener in self._listeners:
                listener(events)
        finally:
            self._in_order.release()


def _new(closed: list[CandleClosed]) -> list[CandleClosed]:
    """The closed candles to write: not those read back from disk."""
    return [c for c in closed if c.by != "disk"]
