"""The ``qfdesk`` command: the desktop app by default, and its subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from qfdesk import __version__
from qfdesk.engine.paths import config_dir, logs_dir, own_folders
from qfdesk.engine.private import make_private
from qfdesk.log_setup import setup_logging
from qfdesk.ui.desktop_options import add_desktop_arguments

# Each subcommand lives in qfdesk.commands.<module> with configure(parser) and run(args) -> int.
# Modules keep heavy imports inside run() so that building the parser stays cheap.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "archive": ("qfdesk.commands.archive", "build or update the Parquet archive of the CSVs"),
    "backfill": ("qfdesk.commands.backfill", "page older history of an asset through the page"),
    "backtest": ("qfdesk.commands.backtest", "run a strategy over history CSVs, print statistics"),
    "collect": ("qfdesk.commands.collect", "collect live market data from the trader's Chrome"),
    "doctor": ("qfdesk.commands.doctor", "check Chrome, chromedriver, profile and page selectors"),
    "journal": ("qfdesk.commands.journal", "the trade journal's figures for a period, and CSV"),
    "install-desktop": ("qfdesk.commands.desktop_entry", "add the app to the Linux desktop's menu"),
    "uninstall-desktop": ("qfdesk.commands.desktop_entry", "remove it from the desktop's menu"),
    "replay": ("qfdesk.commands.replay", "run a captured performance log through the collector"),
    "simulate": ("qfdesk.commands.simulate", "serve the built-in simulated trading platform"),
    "sweep": ("qfdesk.commands.sweep", "sweep a strategy's parameters, judged out of sample"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qfdesk", description="QuantumFlux Desk")
    parser.add_argument("--version", action="version", version=f"qfdesk {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log (default INFO)",
    )
    add_desktop_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        module.configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def private_start() -> None:
    """Before anything is written: every file and folder of this process is the user's only."""
    make_private(own_folders(), folders_with_files=(config_dir(), logs_dir()))


def main(argv: Sequence[str] | None = None) -> int:
    private_start()
    args = build_parser().parse_args(argv)
    # The desktop app also logs to rotating files in the logs dir; subcommands to the console.
    setup_logging(args.log_level, logs_dir() if args.command is None else None)
    if args.command is None:
        from qfdesk.ui.desktop import run_desktop

        return run_desktop(args)
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    return int(module.run(args))


if __name__ == "__main__":
    sys.exit(main())
