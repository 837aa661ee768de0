"""The strategy report card: is each strategy trading as its backtest said it would?

For each strategy that traded (live or paper), by asset, timeframe, parameters and expiry,
its journaled results are set beside a backtest of the same strategy with the same
parameters on the same period's candles: the backtest's trades whose entry falls within the
first and last journaled entry (a candle either side), at the mean payout the journal's
trades were taken at. A two-proportion z-test of the two win rates says "trading as
tested", or "worse than tested (p = ...)" (or "better") when the difference is significant at
5%. Refunds decide nothing on either side. A group whose candles are not on disk says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qfdesk.engine.backtest import BacktestConfig, BacktestError, run_backtest
from qfdesk.engine.backtest_stats import WinRateComparison, compare_win_rates
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.journal.entries import Outcome
from qfdesk.engine.journal.reader import JournalRow
from qfdesk.engine.strategies.base import CandleArrays, Strategy, StrategyError

CandlesFor = Callable[[str, int], CandleArrays | None]
"""The candles on disk of (asset, timeframe), or None."""
MakeStrategy = Callable[[str, Mapping[str, object]], Strategy]


@dataclass(frozen=True, slots=True)
class CardLine:
    strategy: str
    params: str
    asset: str
    timeframe: int
    expiry: int
    traded_wins: int
    traded_decided: int
    tested_wins: int | None
    tested_decided: int | None
    comparison: WinRateComparison | None
    verdict: str


def report_card(
    rows: Sequence[JournalRow], candles_for: CandlesFor, make_strategy: MakeStrategy
) -> list[CardLine]:
    groups: dict[tuple[str, str, str, int, int], list[JournalRow]] = {}
    for row in rows:
        if row.strategy is None or row.timeframe is None or row.outcome is None:
            continue
        if row.opened is None:
            continue
        key = (row.strategy, row.params or "{}", row.asset, row.timeframe, row.expiry)
        groups.setdefault(key, []).append(row)
    return [_line(key, group, candles_for, make_strategy) for key, group in groups.items()]


def _line(
    key: tuple[str, str, str, int, int],
    group: list[JournalRow],
    candles_for: CandlesFor,
    make_strategy: MakeStrategy,
) -> CardLine:
    name, params, asset, timeframe, expiry = key
    decided = [r for r in group if r.outcome is not Outcome.REFUND]
    wins = sum(1 for r in decided if r.outcome is Outcome.WON)

    def line(tested: tuple[int, int] | None, verdict: str) -> CardLine:
        comparison = None
        if tested is not None:
            comparison = compare_win_rates(wins, len(decided), tested[0], tested[1])
        return CardLine(
            name,
            params,
            asset,
            timeframe,
            expiry,
            wins,
            len(decided),
            None if tested is None else tested[0],
            None if tested is None else tested[1],
            comparison,
            verdict if comparison is None else _verdict(comparison),
        )

    candles = candles_for(asset, timeframe)
    if candles is None or not len(candles.start):
        return line(None, f"no {asset} candles on disk for this period: cannot compare")
    payouts = [r.payout for r in group if r.payout is not None]
    payout = float(np.mean(payouts)) if payouts else 0.0
    if payout <= 0:
        return line(None, "no payout journaled: cannot compare")
    try:
        strategy = make_strategy(name, json.loads(params))
        result = run_backtest(
            candles, timeframe, strategy, BacktestConfig(expiry, payout), asset=asset
        )
    except (BacktestError, StrategyError, TypeError) as error:
        return line(None, f"cannot backtest {name}: {error}")
    opened = [r.opened for r in group if r.opened is not None]
    first, last = min(opened) - timeframe, max(opened) + timeframe
    entry = result.trades.entry_time
    outcome = result.trades.outcome[(entry >= first) & (entry <= last)]
    tested = (int(np.sum(outcome > 0)), int(np.sum(outcome != 0)))
    return line(tested, "")


def _verdict(comparison: WinRateComparison) -> str:
    if comparison.rate_a is None or comparison.rate_b is None:
        return "too few decided trades to compare"
    if not comparison.significant:
        return f"trading as tested (p = {comparison.p_value:.2f})"
    side = "worse" if comparison.rate_a < comparison.rate_b else "better"
    return f"{side} than tested (p = {comparison.p_value:.3f})"


def describe_line(line: CardLine) -> str:
    traded = f"{line.traded_wins}/{line.traded_decided}"
    tested = f"{line.tested_wins}/{line.tested_decided}" if line.tested_decided is not None else "-"
    return (
        f"{line.strategy} {line.params} on {line.asset} ({line.timeframe} s, expiry "
        f"{line.expiry} s): traded {traded} won, tested {tested}: {line.verdict}"
    )


def candles_on_disk(data_root: Path) -> CandlesFor:
    """The candles of (asset, timeframe) under ``data_root``, read when asked."""

    def candles_for(asset: str, timeframe: int) -> CandleArrays | None:
        try:
            loaded = load_history(data_root, asset, timeframe)
        except FileNotFoundError:
            return None
        return next(iter(loaded.series.values()), None)

    return candles_for
