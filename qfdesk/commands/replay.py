"""``qfdesk replay``: a captured performance log through the collector's own code path."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from pathlib import Path
from typing import TextIO

from qfdesk.commands.collector_options import (
    add_collector_arguments,
    build_pipeline,
    format_summary,
)

BATCH_LINES = 10_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "log",
        help="performance log, one get_log('performance') entry (JSON) per line; - for stdin",
    )
    add_collector_arguments(parser)


def _batches(stream: TextIO) -> Iterator[list[str]]:
    """The stream's lines, ``BATCH_LINES`` at a time, without the blank ones."""
    while lines := list(islice(stream, BATCH_LINES)):
        yield [line for line in lines if not line.isspace()]


def _open_log(name: str) -> AbstractContextManager[TextIO]:
    """The log file (undecodable bytes become U+FFFD, left to the decoder), or stdin for -."""
    if name == "-":
        return nullcontext(sys.stdin)
    return Path(name).open(encoding="utf-8", errors="replace")


def run(args: argparse.Namespace) -> int:
    try:
        pipeline = build_pipeline(args)
    except ValueError as error:
        print(f"qfdesk replay: {error}", file=sys.stderr)
        return 2
    try:
        with _open_log(args.log) as stream:
            for batch in _batches(stream):
                pipeline.feed(batch)
    except OSError as error:
        print(
            f"qfdesk replay: cannot read {args.log}: {error.strerror or error}. "
            "Give the path of a performance log (.jsonl, one entry per line), or - for "
            "standard input.",
            file=sys.stderr,
        )
        return 2
    print(format_summary(pipeline.finish(), args.timeframes))
    return 0
