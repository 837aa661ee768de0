"""``qfdesk collect``: the headless collector on the trader's Chrome.

A Chrome it starts (``--launch``) opens a blank page and goes to the platform once the tail
listens, as the app's does, so the page's first frames (the asset table with its payouts,
the chart's history) are collected too.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qfdesk.commands.browser_options import add_browser_arguments, browser_settings
from qfdesk.commands.collector_options import (
    add_collector_arguments,
    build_pipeline,
    format_summary,
)
from qfdesk.engine.recording import DEFAULT_PART_MB

if TYPE_CHECKING:
    from qfdesk.browser.live import LiveSource
    from qfdesk.browser.settings import BrowserSettings
    from qfdesk.engine.pipeline import Pipeline
    from qfdesk.engine.recording import Recorder

STATUS_EVERY = 10.0
CLOCK_EVERY = 0.5


def configure(parser: argparse.ArgumentParser) -> None:
    add_browser_arguments(parser)
    parser.add_argument(
        "--duration", type=float, default=None, metavar="S", help="stop after S seconds"
    )
    parser.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="FILE.jsonl",
        help="also write every WebSocket entry read, session token scrubbed, one per line as "
        "qfdesk replay takes it",
    )
    parser.add_argument(
        "--record-max-mb",
        type=_megabytes,
        default=DEFAULT_PART_MB,
        metavar="N",
        help=f"start a new recording part (FILE.1.jsonl, ...) past N MB (default {DEFAULT_PART_MB})",
    )
    add_collector_arguments(parser)


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("a recording part needs more than 0 MB")
    return value


def _start_recorder(args: argparse.Namespace) -> Recorder | None:
    """The recorder ``--record`` asks for, writing; raises OSError when it cannot."""
    if args.record is None:
        return None
    from qfdesk.engine.recording import Recorder

    recorder = Recorder(args.record, max(1, round(args.record_max_mb * 1024 * 1024)))
    recorder.start()
    print(f"recording to {args.record} (parts of {args.record_max_mb:g} MB)", flush=True)
    return recorder


def run(args: argparse.Namespace) -> int:
    from qfdesk.browser.errors import ChromeError
    from qfdesk.browser.live import LiveSource
    from qfdesk.browser.owned import sweep

    try:
        pipeline = build_pipeline(args)
        settings = browser_settings(args)
    except ValueError as error:
        print(f"qfdesk collect: {error}", file=sys.stderr)
        return 2
    try:
        recorder = _start_recorder(args)
    except OSError as error:
        print(
            f"qfdesk collect: cannot record to {args.record}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    sweep()  # before looking for a Chrome: one an earlier, killed run started is not adopted
    page = settings.url if args.launch else None
    if page is not None:
        settings = dataclasses.replace(settings, url="about:blank")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def feed(entries: list[dict[str, Any]]) -> None:
        if recorder is not None:
            recorder.write(entries)
        pipeline.feed(entries)

    source = LiveSource(
        settings,
        feed,
        launch=args.launch,
        on_state=lambda state: print(f"state: {state.value}", flush=True),
        decode_errors=lambda: pipeline.decoder.stats.malformed_total,
    )
    try:
        source.start()
        if page is not None and source.endpoint is not None and source.endpoint.process:
            _open_page(settings, page)
    except ChromeError as error:
        source.stop(close_chrome=args.launch)
        if recorder is not None:
            recorder.close()
        print(f"qfdesk collect: {error}", file=sys.stderr)
        return 2
    print(f"collecting from Chrome at {settings.address}; Ctrl-C to stop", flush=True)
    started = time.monotonic()
    next_status = started + STATUS_EVERY
    try:
        while not stop.wait(CLOCK_EVERY):
            pipeline.on_wall_clock()
            now = time.monotonic()
            if now >= next_status:
                next_status = now + STATUS_EVERY
                print(_status_line(pipeline, source), flush=True)
            if args.duration is not None and now - started >= args.duration:
                break
    finally:
        source.stop(close_chrome=args.launch)
        pipeline.on_wall_clock()
        if recorder is not None:
            recorder.close()
    print(format_summary(pipeline.finish(), args.timeframes))
    if recorder is not None:
        print(f"recorded:         {recorder.summary()}")
    for gap in source.gaps:
        print(f"gap: {gap.seconds if gap.seconds is not None else 'open'} s from {gap.start:.3f}")
    return 0


def _open_page(settings: BrowserSettings, url: str) -> None:
    """Navigate the Chrome we started to ``url`` through a session of its own."""
    from selenium.common.exceptions import WebDriverException

    from qfdesk.browser.attach import attach, detach

    driver = attach(settings.address, chromedriver_path=settings.chromedriver_path)
    try:
        driver.get(url)
    except WebDriverException as error:
        print(
            f"qfdesk collect: the platform page {url} did not finish loading ({error.msg}); "
            "collecting from it as it is",
            file=sys.stderr,
        )
    finally:
        detach(driver)


def _status_line(pipeline: Pipeline, source: LiveSource) -> str:
    summary = pipeline.summary()
    ticks = ", ".join(f"{asset} {n}" for asset, n in sorted(summary.ticks_by_asset.items()))
    return (
        f"[{source.state.value}] frames {summary.frames}; ticks {ticks or 'none yet'}; "
        f"candles written {summary.candles_written}; ticks written {summary.ticks_written}"
    )
