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
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.clock import ClockOffset
from qfdesk.engine.csv_sink import CsvSink, SinkWriteError
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import CandleClosed, Event, HistoryCandles, HistoryTicks, Tick

log = logging.getLogger(__name__)

_MAX_UNWRITTEN = 1_000_000
"""Ticks (and candles) kept in memory for a retry while writes fail."""

Listener = Callable[[list[Event]], None]
Item = TypeVar("Item", Tick, CandleClosed)


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


class Pipeline:
    """Decoder, clock, candle book and (optionally) a CSV sink, fed in batches.

    Thread-safe: the tail thread feeds it while a timer thread may call ``on_wall_clock``.
    Listeners get each batch's events (decoded events, then the candles it closed) on the
    feeding thread; the UI hands them on through a queued Qt signal.
    """

    def __init__(self, timeframes: Iterable[int], sink: CsvSink | None = None) -> None:
        self.decoder = FrameDecoder()
        self.clock = ClockOffset()
        self.book = CandleBook(timeframes)
        self.sink = sink
        self.ticks_by_asset: Counter[str] = Counter()
        self.candles_closed = 0
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._last_received = 0.0
        self.write_errors = 0
        self._unwritten_ticks: list[Tick] = []
        self._unwritten_candles: list[CandleClosed] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def feed(self, entries: Iterable[Mapping[str, Any] | str]) -> list[Event]:
        """Decode a batch, update candles, write what closed; returns all resulting events."""
        with self._lock:
            events = self.decoder.feed_many(entries)
            closed: list[CandleClosed] = []
            ticks: list[Tick] = []
            book, clock, counts = self.book, self.clock, self.ticks_by_asset
            newest = self._last_received
            best_sample, best_received = float("-inf"), 0.0
            for event in events:
                if type(event) is Tick:
                    ticks.append(event)
                    counts[event.asset] += 1
                    received = event.received
                    newest = max(newest, received)
                    if event.time - received > best_sample:
                        best_sample, best_received = event.time - received, received
                    closed += book.on_tick(event)
                elif type(event) is HistoryCandles:
                    closed += book.on_history_candles(event)
                elif type(event) is HistoryTicks:
                    closed += book.on_history_ticks(event)
            if best_received:
                # The clock keeps the least delayed sample anyway: one per batch is enough.
                clock.observe(best_sample + best_received, best_received)
            self._last_received = newest
            now = clock.platform_now(newest) if newest else None
            if now is not None:
                closed += book.on_clock(now)
            self._store(ticks, closed)
            events += closed
        self._notify(events)
        return events

    def on_wall_clock(self, wall: float | None = None) -> list[CandleClosed]:
        """Close candles whose period has ended by the platform time at ``wall`` (default:
        now). Returns them, after writing and announcing them."""
        with self._lock:
            now = self.clock.platform_now(time.time() if wall is None else wall)
            closed = self.book.on_clock(now) if now is not None else []
            self._store([], closed)
        if closed:
            self._notify(list(closed))
        return closed

    def finish(self) -> PipelineSummary:
        """End of input: count headers left without attachment; return the summary."""
        with self._lock:
            self.decoder.flush()
        return self.summary()

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
        )

    def _store(self, ticks: list[Tick], closed: list[CandleClosed]) -> None:
        """Write, keeping what a failed write (disk full, permissions) did not store for the
        next batch: the sink says which items are not on disk, so a retry writes each once."""
        self.candles_closed += len(closed)
        if self.sink is None:
            return
        ticks = self._unwritten_ticks + ticks
        candles = self._unwritten_candles + [c for c in closed if not c.partial]
        self._unwritten_ticks = self._write(self.sink.write_ticks, ticks)
        self._unwritten_candles = self._write(self.sink.write_candles, candles)

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
        for listener in self._listeners:
            listener(events)
