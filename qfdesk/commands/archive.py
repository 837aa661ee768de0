"""``qfdesk archive``: build, then update, the Parquet archive of the candle CSVs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data root holding data_output/ (default: the per-user data folder)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build it again from the CSV files alone (drops files no longer on disk)",
    )


def run(args: argparse.Namespace) -> int:
    from qfdesk.engine.archive_build import describe, update_archive
    from qfdesk.engine.archive_store import ArchiveError, archive_dir
    from qfdesk.engine.paths import default_data_root

    data_root = args.data_dir if args.data_dir is not None else default_data_root()
    if not data_root.is_dir():
        print(f"qfdesk archive: no data folder at {data_root}; give --data-dir", file=sys.stderr)
        return 2
    try:
        report = update_archive(data_root, rebuild=args.rebuild)
    except ArchiveError as error:
        print(f"qfdesk archive: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"qfdesk archive: cannot write the archive in {archive_dir(data_root)}: "
            f"{error.strerror or error}; the previous archive is unchanged",
            file=sys.stderr,
        )
        return 2
    print(describe(report))
    return 0
