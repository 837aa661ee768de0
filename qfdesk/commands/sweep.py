"""``qfdesk sweep``: a parameter sweep judged out of sample and corrected for the search."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from qfdesk.commands.backtest import InputError, write_report

if TYPE_CHECKING:
    from qfdesk.engine.research.report import SweepReport


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="a candle CSV or a folder tree")
    parser.add_argument("--asset", required=True, help="asset symbol, e.g. EURUSD_otc")
    parser.add_argument("--timeframe", default="1m", help="candle timeframe (default 1m)")
    parser.add_argument("--strategy", required=True, help="strategy name, e.g. sma-cross")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="K=SPEC",
        help="values of a parameter: 3..12, 15..60:5 or 3,5,8 (repeat for each parameter)",
    )
    parser.add_argument("--expiry", type=int, default=60, help="trade duration in s (default 60)")
    parser.add_argument("--payout", type=float, default=92.0, help="payout in %% (default 92)")
    parser.add_argument("--stake", type=float, default=1.0, help="stake per trade (default 1)")
    parser.add_argument("--folds", type=int, default=5, help="walk-forward folds (default 5)")
    parser.add_argument(
        "--pbo-blocks", type=int, default=16, help="sub-blocks for the overfitting test (16)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, help="local worker processes (default: the number of cores)"
    )
    where.add_argument("--dask", metavar="ADDRESS", help="a Dask scheduler, tcp://HOST:PORT")
    parser.add_argument(
        "--strategies",
        type=Path,
        metavar="FILE",
        help="strategies file (default: strategies.json in the config folder)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the report as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        report = _sweep(args)
    except InputError as exc:
        print(f"qfdesk sweep: {exc}", file=sys.stderr)
        return 2
    print(report.describe())
    return write_report(args.json, report.to_dict(), "sweep")


def _progress(done: int, total: int) -> None:
    if done == total or done % max(1, total // 20) == 0:
        print(f"\rbacktested {done}/{total} combinations", end="", file=sys.stderr, flush=True)
        if done == total:
            print(file=sys.stderr)


def _sweep(args: argparse.Namespace) -> SweepReport:
    from qfdesk.commands.backtest import load_series, strategies_path, strategy_registry
    from qfdesk.engine.backtest import BacktestConfig, BacktestError
    from qfdesk.engine.payout_history import describe_payouts, payout_source, payouts_in
    from qfdesk.engine.research.grid import GridError, build_grid
    from qfdesk.engine.research.report import analyse
    from qfdesk.engine.research.runner import (
        SweepTask,
        command_line_start,
        keep_freed_memory,
        run_dask,
        run_local,
    )
    from qfdesk.engine.research.settings import SweepSettings
    from qfdesk.engine.research.trades import Columns
    from qfdesk.engine.timeframes import parse_timeframe

    try:
        timeframe = parse_timeframe(args.timeframe)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    registry = strategy_registry(args)
    fixed = {"expiry": args.expiry}
    try:
        grid = build_grid(lambda params: registry.create(args.strategy, params), args.grid, fixed)
        BacktestConfig(args.expiry, args.payout, args.stake).check(timeframe)
    except (GridError, BacktestError) as exc:
        raise InputError(str(exc)) from None
    series, _ = load_series(args, timeframe)
    settings = SweepSettings(args.payout, args.folds, args.pbo_blocks)
    try:
        settings.check(len(series))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    payouts, problems = payouts_in(args.data, args.asset)
    for problem in problems[:5]:
        print(f"warning: {problem.file}:{problem.line}: {problem.reason}", file=sys.stderr)
    source = payout_source(payouts)
    print(describe_payouts(payouts, args.asset, args.payout, args.data), file=sys.stderr)
    task = SweepTask(
        Columns.of(series),
        timeframe,
        args.strategy,
        strategies_path(args),
        BacktestConfig(args.expiry, args.payout, args.stake),
        payouts,
    )
    print(
        f"sweeping {grid.tried} combinations of {args.strategy} over {len(series)} candles "
        f"({grid.skipped} invalid combinations skipped)",
        file=sys.stderr,
    )
    try:
        if args.dask:
            scan = run_dask(task, settings, grid.combinations, args.dask, _progress)
        else:
            workers = args.workers if args.workers is not None else os.cpu_count() or 1
            if workers < 1:
                raise InputError(f"--workers must be at least 1, got {workers}")
            keep_freed_memory()
            scan = run_local(
                task, settings, grid.combinations, workers, _progress, start=command_line_start()
            )
    except BacktestError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {args.dask}: {exc}") from None
    return analyse(scan, grid, len(series), settings, source)
