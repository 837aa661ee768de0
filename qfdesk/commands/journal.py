"""``qfdesk journal``: the trade journal's figures for a period, and its rows as CSV."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qfdesk.engine.journal.reader import JournalRow


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-12-04") from error


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data root holding data_output/ (default: the per-user data folder)",
    )
    parser.add_argument("--from", dest="start", type=_day, help="first day (local), YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=_day, help="last day (local, included)")
    parser.add_argument("--asset", help="only this asset")
    parser.add_argument(
        "--source", choices=("manual", "auto", "paper"), help="only trades from this source"
    )
    parser.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    parser.add_argument(
        "--strategies",
        type=Path,
        default=None,
        help="strategies file for the report card (default: strategies.json in the config folder)",
    )


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time()).astimezone().timestamp()


def run(args: argparse.Namespace) -> int:
    from qfdesk.engine.journal import JournalError, Source, journal_path
    from qfdesk.engine.journal.export import write_csv
    from qfdesk.engine.journal.figures import describe, journal_figures
    from qfdesk.engine.journal.reader import RowFilter, read_rows
    from qfdesk.engine.paths import default_data_root

    if args.start and args.end and args.end < args.start:
        print("qfdesk journal: --to is before --from", file=sys.stderr)
        return 2
    data_root = args.data_dir if args.data_dir is not None else default_data_root()
    path = journal_path(data_root)
    where = RowFilter(
        start=_midnight(args.start) if args.start else None,
        end=_midnight(args.end + dt.timedelta(days=1)) if args.end else None,
        asset=args.asset,
        source=Source(args.source) if args.source else None,
    )
    try:
        rows = read_rows(path, where)
    except JournalError as error:
        print(f"qfdesk journal: {error}", file=sys.stderr)
        return 2
    period = f"{args.start or 'the start'} to {args.end or 'today'}"
    print(f"Journal {path}, {period}:")
    for line in describe(journal_figures(rows)):
        print(f"  {line}")
    card = _report_card(rows, data_root, args)
    if card:
        print("Strategy report card (journal against a backtest of the same candles):")
        for line in card:
            print(f"  {line}")
    if args.csv is not None:
        try:
            count = write_csv(rows, args.csv)
        except OSError as error:
            print(
                f"qfdesk journal: cannot write {args.csv}: {error.strerror or error}",
                file=sys.stderr,
            )
            return 2
        print(f"wrote {count} rows to {args.csv}")
    return 0


def _report_card(rows: list[JournalRow], data_root: Path, args: argparse.Namespace) -> list[str]:
    from qfdesk.commands.backtest import InputError, strategy_registry
    from qfdesk.engine.journal.report_card import candles_on_disk, describe_line, report_card

    if not any(row.strategy for row in rows):
        return []
    try:
        registry = strategy_registry(args)
    except InputError as error:
        return [f"no report card: {error}"]
    card = report_card(rows, candles_on_disk(data_root), registry.create)
    return [describe_line(line) for line in card]
