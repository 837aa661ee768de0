"""Options and output shared by the collector commands (``replay`` and ``collect``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from qfdesk.engine.decode_stats import format_counts
from qfdesk.engine.persist_settings import add_persist_arguments, resolve_persist_settings
from qfdesk.engine.timeframes import parse_timeframes, timeframe_label

if TYPE_CHECKING:
    from qfdesk.engine.pipeline import Pipeline, PipelineSummary

DEFAULT_TIMEFRAMES = "1m,5m,15m,1h"


def _timeframes(text: str) -> tuple[int, ...]:
    try:
        parsed = parse_timeframes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not parsed:
        raise argparse.ArgumentTypeError("name at least one timeframe, for example 1m,5m")
    return parsed


def add_collector_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data root (default: the per-user data folder)",
    )
    parser.add_argument(
        "--timeframes",
        type=_timeframes,
        default=_timeframes(DEFAULT_TIMEFRAMES),
        help=f"candle timeframes to build and save (default {DEFAULT_TIMEFRAMES})",
    )
    add_persist_arguments(parser)


def build_pipeline(args: argparse.Namespace) -> Pipeline:
    """The pipeline the options describe; collectors save both candles and ticks by default.
    Raises ValueError for a persistence variable that is set but not understood."""
    # Imported here, not at the top: every ``qfdesk`` start builds the parser (numpy and the
    # candle code cost more than the rest of it).
    from qfdesk.engine.csv_sink import CsvSink
    from qfdesk.engine.paths import default_data_root
    from qfdesk.engine.pipeline import Pipeline

    settings = resolve_persist_settings(args, os.environ, default_save=True)
    data_root = args.data_dir if args.data_dir is not None else default_data_root()
    sink = CsvSink(data_root, settings)
    return Pipeline(args.timeframes, sink)


def format_summary(summary: PipelineSummary, timeframes: tuple[int, ...]) -> str:
    built = ", ".join(timeframe_label(tf) for tf in timeframes)
    offset = "unknown" if summary.clock_offset is None else f"{summary.clock_offset:+.1f} s"
    lines = [
        f"frames:           {summary.frames}",
        f"events:           {format_counts(summary.events)}",
        f"ticks per asset:  {format_counts(summary.ticks_by_asset)}",
        f"candles closed:   {summary.candles_closed} ({built})",
        f"candles written:  {summary.candles_written}",
        f"ticks written:    {summary.ticks_written}",
        f"payouts written:  {summary.payouts_written} changes"
        + (
            f" ({summary.payouts_unstamped} not written: no tick gave the platform clock)"
            if summary.payouts_unstamped
            else ""
        ),
        f"malformed:        {format_counts(summary.malformed)}",
        f"late ticks:       {summary.late_ticks}",
        f"platform clock:   {offset} from UTC",
    ]
    if summary.write_errors:
        lines.append(f"write errors:     {summary.write_errors} (see the log above)")
    return "\n".join(lines)
