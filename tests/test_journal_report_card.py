"""The strategy report card: a strategy traded as its backtest said is "trading as
tested"; one that lost where the backtest won is "worse than tested", with its p-value."""

from __future__ import annotations

import json

import numpy as np

from qfdesk.cli import main
from qfdesk.engine.backtest import BacktestConfig, run_backtest
from qfdesk.engine.events import Direction
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.journal import Attempt, Outcome, Settled, Source, StrategyOrigin, journal_path
from qfdesk.engine.journal.reader import JournalRow
from qfdesk.engine.journal.report_card import describe_line, report_card
from qfdesk.engine.journal.writer import JournalWriter
from qfdesk.engine.strategies import StrategyRegistry
from tests.research_data import ar1_closes, write_candles

PARAMS = {"fast": 3, "slow": 12}


def journaled(trades, outcomes: list[Outcome]) -> list[JournalRow]:
    rows = []
    for i, outcome in enumerate(outcomes):
        rows.append(
            JournalRow(
                intent_id=f"p-{i}",
                created=float(trades.entry_time[i]),
                asset="EURUSD_otc",
                direction=Direction.CALL if trades.direction[i] > 0 else Direction.PUT,
                amount=1.0,
                expiry=60,
                payout=92.0,
                account="PAPER",
                source=Source.PAPER,
                strategy="sma-cross",
                params=json.dumps(PARAMS, sort_keys=True),
                timeframe=60,
                allowed=True,
                reasons=(),
                placement="placed",
                stage="page",
                message="",
                intent_to_click_ms=None,
                click_to_confirm_ms=None,
                deal_id=None,
                outcome=outcome,
                profit=0.92 if outcome is Outcome.WON else -1.0,
                open_price=float(trades.entry_price[i]),
                close_price=float(trades.exit_price[i]),
                opened=float(trades.entry_time[i]),
                closed=float(trades.exit_time[i]),
                artifacts=(),
            )
        )
    return rows


def setup(tmp_path):
    data = tmp_path / "data"
    write_candles(data / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(3000, 0.3, 5))
    series = load_history(data).series[("EURUSD_otc", 60)]
    registry = StrategyRegistry()
    strategy = registry.create("sma-cross", PARAMS)
    tested = run_backtest(series, 60, strategy, BacktestConfig(60, 92.0)).trades
    return series, registry, tested


def outcome_of(code: int) -> Outcome:
    return {1: Outcome.WON, -1: Outcome.LOST, 0: Outcome.REFUND}[int(code)]


def test_a_strategy_traded_as_its_backtest_says_is_trading_as_tested(tmp_path):
    series, registry, tested = setup(tmp_path)
    n = 200
    rows = journaled(tested, [outcome_of(c) for c in tested.outcome[:n]])

    [line] = report_card(rows, lambda a, tf: series, registry.create)

    decided = tested.outcome[:n] != 0
    assert line.traded_decided == int(decided.sum())
    assert line.tested_decided is not None and line.tested_decided >= line.traded_decided
    assert line.verdict.startswith("trading as tested")
    assert "sma-cross" in describe_line(line)


def test_a_strategy_that_lost_what_its_backtest_won_is_worse_than_tested(tmp_path):
    series, registry, tested = setup(tmp_path)
    n = 200
    rows = journaled(tested, [Outcome.LOST if i % 4 else Outcome.WON for i in range(n)])

    [line] = report_card(rows, lambda a, tf: series, registry.create)

    assert line.comparison is not None and line.comparison.significant
    assert line.verdict.startswith("worse than tested (p = ")
    assert line.traded_wins == n // 4


def test_a_strategy_without_candles_on_disk_says_it_cannot_compare(tmp_path):
    _, registry, tested = setup(tmp_path)
    rows = journaled(tested, [Outcome.WON] * 5)

    [line] = report_card(rows, lambda a, tf: None, registry.create)

    assert line.comparison is None and "cannot compare" in line.verdict
    assert np.isclose(line.traded_wins, 5)


def test_qfdesk_journal_prints_the_report_card_of_a_paper_session(tmp_path, capsys):
    _, _, tested = setup(tmp_path)
    writer = JournalWriter(journal_path(tmp_path / "data"))
    origin = StrategyOrigin("sma-cross", PARAMS, 60)
    for i in range(100):
        intent = f"p-{i}"
        direction = Direction.CALL if tested.direction[i] > 0 else Direction.PUT
        writer.write(
            Attempt(
                intent,
                "EURUSD_otc",
                direction,
                1.0,
                60,
                Source.PAPER,
                payout=92.0,
                account="PAPER",
                strategy=origin,
            )
        )
        writer.write(
            Settled(
                outcome_of(tested.outcome[i]),
                float(tested.profit[i]),
                intent_id=intent,
                opened=float(tested.entry_time[i]),
                closed=float(tested.exit_time[i]),
            )
        )
    assert writer.flush(10)
    writer.close()

    strategies = tmp_path / "strategies.json"
    strategies.write_text("{}")
    code = main(["journal", "--data-dir", str(tmp_path / "data"), "--strategies", str(strategies)])

    out = capsys.readouterr().out
    assert code == 0
    assert "Strategy report card" in out
    assert "sma-cross" in out and "trading as tested" in out
