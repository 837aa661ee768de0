"""Paging one asset's history back, page by page, as the trader's page does when scrolled.

:class:`HistoryPager` asks for a page of ``timeframe`` candles ending where the history it
has reached begins (the *frontier*), waits for the platform's answer, moves the frontier to
the answer's oldest candle and asks again, at most ``pace`` requests a second, until the
frontier reaches ``target``. It sends nothing itself: ``send`` (a page capability) sends the
page's own ``loadHistoryPeriod``, and the answers reach :meth:`HistoryPager.on_events`
from the pipeline that decodes the page's traffic, which also files the candles in its book
and writes them through its sink. So every candle is handled, and written, as any other.

Periods the platform has nothing for (a weekend of a regular market) are *gaps*: an empty
page moves the frontier back by the span it asked for; a page whose newest candle ends before
the frontier leaves a gap between them. Gaps are reported, never asked for again. Empty pages
that run on for ``max_empty`` seconds mean the platform's history ends there. A request the
page does not answer within ``answer_timeout`` is sent again, ``attempts`` times in all.

Times are platform epoch seconds (see ``csv_sink``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from qfdesk.engine.events import Event, HistoryCandles

log = logging.getLogger(__name__)

DEFAULT_PACE = 1.0
"""Requests a second: about what a trader scrolling the chart back sends."""
DEFAULT_PAGE_CANDLES = 500
ANSWER_TIMEOUT = 10.0
ATTEMPTS = 3
MAX_EMPTY = 4 * 86400
"""Seconds of empty pages in a row after which history is taken to end (longer than any
weekend or holiday closure)."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``count`` candles of ``timeframe`` seconds ending before platform time ``end``."""

    asset: str
    timeframe: int
    end: int
    count: int


@dataclass(frozen=True, slots=True)
class HistoryGap:
    """[start, end) in platform time: the platform returned no candle there."""

    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


class Outcome(str, Enum):
    RUNNING = "running"
    DONE = "done"  # the target was reached
    HISTORY_ENDS = "history ends"  # nothing older for MAX_EMPTY seconds
    STOPPED = "stopped"  # asked to stop: run again to resume
    FAILED = "failed"  # requests not sent or not answered


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Where a backfill stands. ``candles``: new candles received (older than where it
    started); ``frontier``: the oldest time reached; ``eta``: seconds left at the rate so far
    (None until known)."""

    asset: str
    timeframe: int
    start: int
    target: int
    frontier: int
    candles: int
    requests: int
    gaps: tuple[HistoryGap, ...]
    eta: float | None
    outcome: Outcome
    message: str = ""

    @property
    def fraction(self) -> float:
        """Share of the span from start to target covered, 0..1."""
        span = self.start - self.target
        return 1.0 if span <= 0 else min(1.0, max(0.0, (self.start - self.frontier) / span))


@dataclass
class _Answer:
    starts: list[int] = field(default_factory=list)


def oldest_on_disk(data_root: Path, asset: str, timeframe: int) -> int | None:
    """The start of the oldest candle of ``asset`` at ``timeframe`` stored under
    ``data_root`` (archive and CSVs, as the history loader reads them); None if none."""
    # Imported here: the loader brings pandas, and ``qfdesk backfill`` builds its parser
    # from this module's constants on every ``qfdesk`` start.
    from qfdesk.engine.history_loader import load_history

    try:
        loaded = load_history(data_root, asset, timeframe)
    except FileNotFoundError:
        return None
    starts = [int(s.start[0]) for (a, tf), s in loaded.series.items() if tf == timeframe and len(s)]
    return min(starts) if starts else None


class HistoryPager:
    """Pages ``asset``'s ``timeframe`` history back from ``start`` (exclusive) to ``target``.

    ``send(request)`` sends one page request through the trader's page; it returns None when
    sent, else what went wrong (shown to the trader). ``on_events`` takes the pipeline's
    batches (any thread); :meth:`run` blocks (a worker thread) until the target, the end of
    history, a failure or ``stop``.
    """

    def __init__(
        self,
        asset: str,
        timeframe: int,
        start: int,
        target: int,
        send: Callable[[PageRequest], str | None],
        *,
        page_candles: int = DEFAULT_PAGE_CANDLES,
        pace: float = DEFAULT_PACE,
        answer_timeout: float = ANSWER_TIMEOUT,
        attempts: int = ATTEMPTS,
        max_empty: int = MAX_EMPTY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeframe <= 0 or page_candles < 1 or pace <= 0 or attempts < 1:
            raise ValueError("timeframe, page size, pace and attempts must be positive")
        self.asset = asset
        self.timeframe = timeframe
        self.start = start - start % timeframe
        self.target = target
        self._send = send
        self.page_candles = page_candles
        self.interval = 1.0 / pace
        self.answer_timeout = answer_timeout
        self.attempts = attempts
        self.max_empty = max_empty
        self._clock = clock
        self._lock = threading.Condition()
        self._pending: PageRequest | None = None
        self._answer: _Answer | None = None
        self.frontier = self.start
        self.candles = 0
        self.requests = 0
        self.gaps: list[HistoryGap] = []
        self._gap_top: int | None = None
        self._began = 0.0

    # ----- answers (the pipeline's thread) ---------------------------------------------

    def on_events(self, events: list[Event]) -> None:
        """A pipeline listener: the answer to the request in flight, if this batch has it."""
        for event in events:
            if (
                type(event) is HistoryCandles
                and event.asset == self.asset
                and event.timeframe == self.timeframe
                and event.source.startswith("loadHistoryPeriod")
            ):
                with self._lock:
                    pending = self._pending
                    if pending is None or self._answer is not None:
                        continue
                    starts = [c.start for c in event.candles if c.start < pending.end]
                    if event.candles and not starts:
                        continue  # a page newer than asked for: not the answer
                    self._answer = _Answer(starts)
                    self._lock.notify_all()

    # ----- the loop (a worker thread) -----------------------------------------------------

    def progress(self, outcome: Outcome = Outcome.RUNNING, message: str = "") -> BackfillProgress:
        return BackfillProgress(
            asset=self.asset,
            timeframe=self.timeframe,
            start=self.start,
            target=self.target,
            frontier=self.frontier,
            candles=self.candles,
            requests=self.requests,
            gaps=tuple(self.gaps),
            eta=self._eta(),
            outcome=outcome,
            message=message,
        )

    def _eta(self) -> float | None:
        """At the rate so far, and never less than the pace allows for the pages left."""
        done = self.start - self.frontier
        elapsed = self._clock() - self._began
        if done <= 0 or elapsed <= 0:
            return None
        left = max(0, self.frontier - self.target)
        pages = math.ceil(left / (self.timeframe * self.page_candles))
        return max(left / (done / elapsed), pages * self.interval)

    def run(
        self,
        stop: threading.Event,
        on_progress: Callable[[BackfillProgress], None] | None = None,
    ) -> BackfillProgress:
        """Page back until done; returns the final progress (its outcome says why it ended)."""
        self._began = self._clock()
        report = on_progress or (lambda _p: None)
        next_send = self._began
        while self.frontier > self.target:
            count = min(
                self.page_candles, math.ceil((self.frontier - self.target) / self.timeframe)
            )
            request = PageRequest(self.asset, self.timeframe, self.frontier, count)
            answer: _Answer | None = None
            problem = "no answer"
            for _ in range(self.attempts):
                if stop.wait(max(0.0, next_send - self._clock())):
                    return self._end(Outcome.STOPPED, report)
                next_send = self._clock() + self.interval
                answer, problem = self._ask(request, stop)
                if answer is not None or stop.is_set():
                    break
            if stop.is_set():
                return self._end(Outcome.STOPPED, report)
            if answer is None:
                when = _when(request.end)
                return self._end(
                    Outcome.FAILED,
                    report,
                    f"{self.attempts} requests for history before {when} failed ({problem}). "
                    f"Check that {self.asset} is the platform's symbol (as in EURUSD_otc) "
                    "and that the trading page is open and connected, then run again: it "
                    "resumes where it stopped.",
                )
            if self._take(request, answer.starts):
                return self._end(
                    Outcome.HISTORY_ENDS,
                    report,
                    f"the platform has no {self.asset} history before "
                    f"{_when(self._gap_top or self.frontier)} "
                    f"(nothing in the {self.max_empty / 86400:g} days before it)",
                )
            report(self.progress())
        return self._end(Outcome.DONE, report)

    def _ask(self, request: PageRequest, stop: threading.Event) -> tuple[_Answer | None, str]:
        with self._lock:
            self._pending, self._answer = request, None
        self.requests += 1
        error = self._send(request)
        if error is not None:
            with self._lock:
                self._pending = None
            log.warning("history request not sent: %s", error)
            return None, error
        deadline = self._clock() + self.answer_timeout
        with self._lock:
            while self._answer is None and not stop.is_set():
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.2))
            answer, self._pending = self._answer, None
        if answer is None:
            return None, f"no answer within {self.answer_timeout:g} s"
        return answer, ""

    def _take(self, request: PageRequest, starts: list[int]) -> bool:
        """Move the frontier past an answer; True when history has ended."""
        tf = self.timeframe
        top = self._gap_top if self._gap_top is not None else request.end
        if not starts:
            self._gap_top = top
            self.frontier = request.end - request.count * tf
            if top - self.frontier >= self.max_empty:
                self.frontier = max(self.frontier, self.target)
                return True
            if self.frontier <= self.target:
                self.gaps.append(HistoryGap(max(self.frontier, self.target), top))
            return False
        newest = max(starts)
        if newest + tf < top:
            self.gaps.append(HistoryGap(newest + tf, top))
            log.info("no %s history from %s to %s", self.asset, _when(newest + tf), _when(top))
        self._gap_top = None
        self.candles += len(set(starts))
        self.frontier = min(starts)
        return False

    def _end(
        self, outcome: Outcome, report: Callable[[BackfillProgress], None], message: str = ""
    ) -> BackfillProgress:
        final = self.progress(outcome, message)
        report(final)
        return final


def _when(t: float) -> str:
    """Platform epoch seconds as ``2026-12-04 21:07`` (platform time, as the files hold it)."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
