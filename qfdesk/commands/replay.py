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
        nargs="+",
        help="performance log, one get_log('performance') entry (JSON) per line; - for stdin. "
        "Several are read in the order given; a recording's first part (FILE.jsonl) brings "
        "its later parts (FILE.1.jsonl, ...)",
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


def _logs(names: list[str]) -> list[str]:
    """Each name, a recording's first part followed by its later parts, each once."""
    from qfdesk.engine.recording import recording_parts

    found: dict[str, None] = {}
    for name in names:
        parts = [name] if name == "-" else [str(path) for path in recording_parts(Path(name))]
        found.update(dict.fromkeys(parts))
    return list(found)


def run(args: argparse.Namespace) -> int:
    try:
        pipeline = build_pipeline(args)
    except ValueError as error:
        print(f"qfdesk replay: {error}", file=sys.stderr)
        return 2
    logs = _logs(args.log)
    name = "-"
    try:
        for name in logs:
            with _open_log(name) as stream:
                for batch in _batches(stream):
                    pipeline.feed(batch)
    except OSError as error:
        print(
            f"qfdesk replay: cannot read {name}: {error.strerror or error}. "
            "Give the path of a performance log (.jsonl, one entry per line), or - for "
            "standard input.",
            file=sys.stderr,
        )
        return 2
    if len(logs) > 1:
        print(f"read {len(logs)} files: {', '.join(logs)}")
    print(format_summary(pipeline.finish(), args.timeframes))
    return 0
