"""``qfdesk backfill``: older history of one asset through the trader's own page.

The page is asked for older pages with its own ``loadHistoryPeriod`` request, on its own
socket (``browser/capabilities/history_page.py``); the answers are read from Chrome's
performance log like every frame and go through the collector's pipeline and sink, so they are
written as candles like any other. Only candles older than where the run starts are written
(the live candles are the collector's), each once. The run starts at the oldest candle of the
asset and timeframe already on disk, so a stopped backfill resumes where it stopped.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qfdesk.commands.browser_options import add_browser_arguments, browser_settings
from qfdesk.engine.backfill import DEFAULT_PACE, DEFAULT_PAGE_CANDLES, MAX_EMPTY

if TYPE_CHECKING:
    from qfdesk.browser.action_session import ActionSession
    from qfdesk.browser.settings import BrowserSettings
    from qfdesk.engine.backfill import BackfillProgress, PageRequest
    from qfdesk.engine.pipeline import Pipeline

STATUS_EVERY = 5.0
CLOCK_TIMEOUT = 30.0
DEFAULT_CHUNK = 10_000


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be more than 0")
        return value

    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    from qfdesk.commands.collector_options import _timeframes

    add_browser_arguments(parser)
    parser.add_argument("--asset", required=True, help="platform symbol, e.g. EURUSD_otc")
    parser.add_argument(
        "--timeframe", type=_timeframes, default=(60,), help="candle timeframe (default 1m)"
    )
    parser.add_argument(
        "--days", type=_positive(float), required=True, help="how far back from now, in days"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="data root (default: the per-user data folder)"
    )
    parser.add_argument(
        "--pace",
        type=_positive(float),
        default=DEFAULT_PACE,
        help=f"page requests a second at most (default {DEFAULT_PACE:g})",
    )
    parser.add_argument(
        "--page-candles",
        type=_positive(int),
        default=DEFAULT_PAGE_CANDLES,
        help=f"candles asked for in one request (default {DEFAULT_PAGE_CANDLES})",
    )
    parser.add_argument(
        "--candle-chunk-size",
        type=_positive(int),
        default=DEFAULT_CHUNK,
        help=f"rows a candle file holds (default {DEFAULT_CHUNK})",
    )


def run(args: argparse.Namespace) -> int:
    from qfdesk.browser.errors import ChromeError
    from qfdesk.browser.live import LiveSource
    from qfdesk.browser.owned import sweep
    from qfdesk.engine.paths import default_data_root

    if len(args.timeframe) != 1:
        print("qfdesk backfill: name one timeframe, for example 1m", file=sys.stderr)
        return 2
    timeframe = args.timeframe[0]
    try:
        settings = browser_settings(args)
    except ValueError as error:
        print(f"qfdesk backfill: {error}", file=sys.stderr)
        return 2
    data_root = args.data_dir if args.data_dir is not None else default_data_root()
    job = _Job(args.asset, timeframe, data_root, args.candle_chunk_size)
    sweep()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    source = LiveSource(settings, job.pipeline.feed, launch=args.launch)
    try:
        source.start()
    except ChromeError as error:
        print(f"qfdesk backfill: {error}", file=sys.stderr)
        return 2
    actions = _actions(settings, source)
    try:
        return job.run(args, stop, actions, settings)
    finally:
        actions.close()
        source.stop(close_chrome=args.launch)


def _actions(settings: BrowserSettings, source: object) -> ActionSession:
    from qfdesk.browser.action_session import ActionSession
    from qfdesk.browser.attach import attach

    return ActionSession(
        lambda: attach(settings.address, chromedriver_path=settings.chromedriver_path),
        lambda: int(getattr(source, "reconnects", 0)),
    )


class _Job:
    """One backfill run: its pipeline (writing only what is older than where it starts)."""

    def __init__(self, asset: str, timeframe: int, data_root: Path, chunk: int) -> None:
        from qfdesk.engine.backfill import oldest_on_disk
        from qfdesk.engine.csv_sink import CsvSink
        from qfdesk.engine.persist_settings import PersistSettings
        from qfdesk.engine.pipeline import Pipeline

        self.asset = asset
        self.timeframe = timeframe
        self.data_root = data_root
        # History candles of the asset are written, only those older than the oldest on
        # disk when there is one: what is newer is on disk already, or the collector's.
        self.oldest = oldest_on_disk(data_root, asset, timeframe)
        persist = PersistSettings(save_candles=True, save_ticks=False, candle_chunk=chunk)
        sink = CsvSink(data_root, persist)
        self.pipeline: Pipeline = Pipeline(
            (timeframe,),
            sink,
            store_if=lambda closed: (
                closed.by == "history"
                and closed.candle.asset == asset
                and closed.candle.timeframe == timeframe
                and (self.oldest is None or closed.candle.start < self.oldest)
            ),
        )

    def _platform_now(self, stop: threading.Event) -> float | None:
        deadline = time.monotonic() + CLOCK_TIMEOUT
        while not stop.is_set() and time.monotonic() < deadline:
            now = self.pipeline.clock.platform_now(time.time())
            if now is not None:
                return now
            stop.wait(0.2)
        return None

    def run(
        self,
        args: argparse.Namespace,
        stop: threading.Event,
        actions: ActionSession,
        settings: BrowserSettings,
    ) -> int:
        from qfdesk.engine.backfill import HistoryPager, Outcome

        now = self._platform_now(stop)
        if now is None:
            print(
                f"qfdesk backfill: no tick from the trading page in {CLOCK_TIMEOUT:.0f} s, so "
                "the platform's time is unknown. Open the trading page in that Chrome (logged "
                "in, a chart showing) and run again.",
                file=sys.stderr,
            )
            return 2
        tf = self.timeframe
        oldest = self.oldest
        start = oldest if oldest is not None else int(now) - int(now) % tf
        target = int(now - args.days * 86400)
        target -= target % tf
        resumed = "resuming at the oldest candle on disk" if oldest is not None else "from now"
        print(
            f"backfill {self.asset} {_label(tf)} back to {_when(target)} (platform time), "
            f"{resumed} ({_when(start)}); {args.page_candles} candles a request, "
            f"at most {args.pace:g} requests/s",
            flush=True,
        )
        if start <= target:
            print(f"nothing to do: the data on disk already reaches {_when(start)}")
            return 0
        pager = HistoryPager(
            self.asset,
            tf,
            start,
            target,
            lambda request: self._send(actions, settings, request),
            page_candles=args.page_candles,
            pace=args.pace,
            max_empty=MAX_EMPTY,
        )
        self.pipeline.add_listener(pager.on_events)
        shown = [0.0]

        def on_progress(progress: BackfillProgress) -> None:
            if time.monotonic() - shown[0] >= STATUS_EVERY:
                shown[0] = time.monotonic()
                print(_status(progress, self._written()), flush=True)

        # The pipeline writes a batch before its listeners (the pager) hear of it, so what
        # the pager has received is on disk when it returns.
        final = pager.run(stop, on_progress)
        print(_status(final, self._written()))
        for gap in final.gaps:
            print(
                f"gap: no history from {_when(gap.start)} to {_when(gap.end)} "
                f"({gap.seconds // tf} candles)"
            )
        if final.message:
            print(final.message)
        if final.outcome is Outcome.STOPPED:
            print("stopped: run the same command again to resume where it stopped")
        return 1 if final.outcome is Outcome.FAILED else 0

    def _written(self) -> int:
        sink = self.pipeline.sink
        return sink.candles_written if sink is not None else 0

    def _send(
        self, actions: ActionSession, settings: BrowserSettings, request: PageRequest
    ) -> str | None:
        from qfdesk.browser.capabilities.base import Context
        from qfdesk.browser.capabilities.history_page import request_history_page
        from qfdesk.browser.errors import ChromeError
        from qfdesk.browser.selectors import Selectors
        from qfdesk.engine.paths import artifacts_dir

        try:
            ctx = Context(
                driver=actions.driver(),
                selectors=Selectors.load(),
                artifacts_dir=artifacts_dir(),
                address=settings.address,
                url_mark=settings.url_mark,
            )
        except ChromeError as error:
            return str(error)
        result = request_history_page(
            ctx, request.asset, request.timeframe, request.end, request.count
        )
        return None if result.ok else (result.error or "the request was not sent")


def _status(progress: BackfillProgress, written: int) -> str:
    eta = "-" if progress.eta is None else _duration(progress.eta)
    return (
        f"[{progress.outcome.value}] {progress.asset} {_label(progress.timeframe)}: "
        f"{progress.candles} candles received, {written} written; oldest {_when(progress.frontier)}"
        f" ({progress.fraction:.0%} of the way to {_when(progress.target)}); "
        f"{progress.requests} requests; {len(progress.gaps)} gaps; ETA {eta}"
    )


def _label(timeframe: int) -> str:
    from qfdesk.engine.timeframes import timeframe_label

    return timeframe_label(timeframe)


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
