"""``qfdesk backtest``: run a strategy over history CSVs and print its statistics."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qfdesk.engine.risk import RiskLimits
    from qfdesk.engine.series import CandleSeries
    from qfdesk.engine.strategies import StrategyRegistry

# Any field of qfdesk.engine.risk.RiskLimits may be set in the --risk-limits file; --risk
# alone uses the defaults with --stake as the fixed stake.
RISK_FILE_HELP = (
    "JSON object of risk limits (implies --risk), e.g. "
    '{"max_open_trades": 1, "daily_loss_limit": 20, "stake_percent": 2}'
)


class InputError(Exception):
    """Bad input from the person at the command line: exit code 2 with this message."""


def finite_number(text: str) -> float:
    """An option's number; inf, nan and numbers too large for a float (1e400) are refused."""
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return number


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="a candle CSV or a folder tree")
    parser.add_argument("--asset", required=True, help="asset symbol, e.g. EURUSD_otc")
    parser.add_argument("--timeframe", default="1m", help="candle timeframe (default 1m)")
    parser.add_argument("--strategy", required=True, help="strategy name, e.g. sma-cross")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="strategy parameter"
    )
    parser.add_argument("--expiry", type=int, help="trade duration in seconds (default 60)")
    parser.add_argument(
        "--payout",
        type=finite_number,
        required=True,
        help="payout in percent, e.g. 92: for every trade, or, when the data folder holds a "
        "recorded payout history, for the trades before its first record",
    )
    parser.add_argument(
        "--stake", type=finite_number, default=1.0, help="stake per trade (default 1)"
    )
    parser.add_argument(
        "--balance",
        type=finite_number,
        default=1000.0,
        help="start balance for drawdown %% and risk",
    )
    parser.add_argument("--risk", action="store_true", help="pass every trade through risk")
    parser.add_argument("--risk-limits", type=Path, metavar="FILE", help=RISK_FILE_HELP)
    parser.add_argument(
        "--strategies",
        type=Path,
        metavar="FILE",
        help="strategies file (default: strategies.json in the config folder)",
    )
    parser.add_argument("--compare", metavar="NAME", help="A/B: a second strategy on the same data")
    parser.add_argument(
        "--compare-param", action="append", default=[], metavar="K=V", help="its parameters"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the statistics as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        report = _backtest(args)
    except InputError as exc:
        print(f"qfdesk backtest: {exc}", file=sys.stderr)
        return 2
    return write_report(args.json, report, "backtest")


def write_report(path: Path | None, report: dict[str, Any], command: str) -> int:
    """``report`` as JSON at ``path`` (if given): 0, or 2 with the reason if it cannot be."""
    if path is None:
        return 0
    try:
        path.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    except OSError as exc:
        print(f"qfdesk {command}: cannot write {path}: {exc}", file=sys.stderr)
        return 2
    return 0


def _parse_params(items: list[str], expiry: int | None) -> dict[str, str]:
    """``K=V`` items as strategy parameters; ``--expiry``, when given, sets ``expiry``."""
    from qfdesk.engine.strategies import StrategyError
    from qfdesk.engine.strategies.params import parse_params

    try:
        params = parse_params(items, "--param")
    except StrategyError as exc:
        raise InputError(str(exc)) from None
    if expiry is not None:
        params["expiry"] = str(expiry)
    return params


def _risk_limits(args: argparse.Namespace) -> RiskLimits | None:
    """The limits every trade goes through (``--risk`` / ``--risk-limits``), or None."""
    from dataclasses import fields

    from qfdesk.engine.risk import RiskLimits

    if not (args.risk or args.risk_limits):
        return None
    settings: dict[str, Any] = {"stake": args.stake}
    if args.risk_limits is not None:
        try:
            loaded = json.loads(args.risk_limits.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read the risk limits in {args.risk_limits}: {exc}") from None
        known = {f.name for f in fields(RiskLimits)}
        if not isinstance(loaded, dict) or set(loaded) - known:
            raise InputError(
                f"{args.risk_limits} must be a JSON object with keys among: {', '.join(sorted(known))}"
            )
        settings.update(loaded)
    try:
        limits = RiskLimits(**settings)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc)) from None
    problems = limits.problems()
    if problems:
        raise InputError("risk limits make no sense: " + "; ".join(problems))
    return limits


def strategies_path(args: argparse.Namespace) -> Path:
    """``--strategies``, or strategies.json in the config folder."""
    from qfdesk.engine.paths import config_dir

    if args.strategies is None:
        return config_dir() / "strategies.json"
    if not args.strategies.is_file():
        raise InputError(f"strategies file {args.strategies} does not exist")
    return Path(args.strategies)


def strategy_registry(args: argparse.Namespace) -> StrategyRegistry:
    from qfdesk.engine.strategies import StrategyRegistry

    registry = StrategyRegistry(import_files=True)  # the trader's own command: their code
    for problem in registry.load_config(strategies_path(args)):
        print(f"warning: {problem}", file=sys.stderr)
    return registry


def load_series(args: argparse.Namespace, timeframe: int) -> tuple[CandleSeries, int]:
    """The series of ``--asset`` at ``timeframe`` in ``--data``, and the rows skipped."""
    from qfdesk.engine.asset_names import same_asset
    from qfdesk.engine.history_loader import load_history
    from qfdesk.engine.timeframes import timeframe_label

    if not args.data.exists():
        raise InputError(f"{args.data} does not exist; give a candle CSV file or a folder")
    loaded = load_history(args.data, asset=args.asset, timeframe=timeframe)
    if loaded.problems:
        print(
            f"warning: {len(loaded.problems)} rows or files skipped while loading:",
            file=sys.stderr,
        )
        for problem in loaded.problems[:5]:
            print(f"  {problem.file}:{problem.line}: {problem.reason}", file=sys.stderr)
    for (asset, seconds), series in loaded.series.items():
        if seconds == timeframe and same_asset(asset, args.asset) and len(series):
            return series, len(loaded.problems)
    everything = [(a, tf) for (a, tf), s in load_history(args.data).series.items() if len(s)]
    others = sorted(timeframe_label(tf) for a, tf in everything if same_asset(a, args.asset))
    if others:
        hint = f"{args.asset} has {', '.join(others)} candles there"
    else:
        assets = sorted({a for a, tf in everything if tf == timeframe})
        shown = ", ".join(assets[:12]) + (
            f" and {len(assets) - 12} more" if len(assets) > 12 else ""
        )
        hint = f"assets with {timeframe_label(timeframe)} candles there: {shown or 'none'}"
    raise InputError(
        f"no {timeframe_label(timeframe)} candles for {args.asset} in {args.data}; {hint}"
    )


def _backtest(args: argparse.Namespace) -> dict[str, Any]:
    from qfdesk.engine.backtest import BacktestError
    from qfdesk.engine.backtest_ab import run_ab
    from qfdesk.engine.payout_history import describe_payouts, payouts_in
    from qfdesk.engine.strategies import StrategyError
    from qfdesk.engine.timeframes import parse_timeframe, timeframe_label

    try:
        timeframe = parse_timeframe(args.timeframe)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    registry = strategy_registry(args)
    overrides = _parse_params(args.param, args.expiry)
    try:
        strategy = registry.create(args.strategy, overrides)
        other = None
        if args.compare:
            other_params = _parse_params(args.compare_param, args.expiry)
            other = registry.create(args.compare, other_params)
    except StrategyError as exc:
        raise InputError(str(exc)) from None
    series, problems = load_series(args, timeframe)
    payouts, payout_problems = payouts_in(args.data, args.asset)
    for problem in payout_problems[:5]:
        print(f"warning: {problem.file}:{problem.line}: {problem.reason}", file=sys.stderr)
    limits = _risk_limits(args)
    strategies = [one for one in (strategy, other) if one is not None]
    try:
        run = run_ab(
            series,
            timeframe,
            strategies,
            payout=args.payout,
            stake=args.stake,
            start_balance=args.balance,
            asset=args.asset,
            limits=limits,
            payouts=payouts,
        )
    except BacktestError as exc:
        raise InputError(str(exc)) from None
    first = run.results[0]
    report = _report(first, series, args, problems)
    print(describe_payouts(payouts, args.asset, args.payout, args.data))
    print(_describe(first, series, timeframe_label(timeframe)))
    if run.comparison is not None:
        second, comparison = run.results[1], run.comparison
        print()
        print(_describe(second, series, timeframe_label(timeframe)))
        print()
        print(f"A/B: {comparison.describe()}")
        report["compare"] = {
            **_report(second, series, args, problems),
            "z": comparison.z,
            "p_value": comparison.p_value,
            "significant": comparison.significant,
        }
    return report


def _report(result: Any, series: Any, args: argparse.Namespace, problems: int) -> dict[str, Any]:
    from qfdesk.engine.payout_history import payout_source
    from qfdesk.engine.timeframes import timeframe_label

    return {
        **result.stats.to_dict(),
        "strategy": result.strategy,
        "params": result.params,
        "asset": args.asset,
        "timeframe": timeframe_label(result.timeframe),
        "expiry": result.config.expiry,
        "payout": result.config.payout,
        "payout_source": payout_source(result.payouts),
        "payout_changes": 0 if result.payouts is None else len(result.payouts),
        "closed_skipped": result.closed,
        "stake": result.config.stake,
        "risk": bool(args.risk or args.risk_limits),
        "denied_by": result.denied_reasons,
        "candles": len(series),
        "first_candle": int(series.start[0]),
        "last_candle": int(series.start[-1]),
        "rows_skipped_loading": problems,
        "data": str(args.data),
    }


def _describe(result: Any, series: Any, timeframe: str) -> str:
    from qfdesk.engine.backtest_stats import stat_rows

    stats = result.stats
    rows = [
        ("strategy", f"{result.strategy} on {result.asset} {timeframe}, {len(series)} candles"),
        ("signals", f"{stats.signals} ({stats.skipped} skipped: exit candle missing)"),
        *(
            [("asset closed", f"{result.closed} signals: no trade")]
            if result.payouts is not None
            else []
        ),
        *stat_rows(stats),
    ]
    if result.denied_reasons:
        denied = ", ".join(f"{k} {v}" for k, v in sorted(result.denied_reasons.items()))
        rows.append(("denied by", denied))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
