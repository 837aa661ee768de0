"""Recorded payouts: read with their bad rows reported, and used per trade by the sweep."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qfdesk.cli import main
from qfdesk.engine.payout_history import PAYOUT_COLUMNS, load_payouts, payout_dir
from tests.research_data import START, ar1_closes, write_candles


def write_payouts(root: Path, rows: list[str], name: str = "EURUSD_otc_payouts.csv") -> Path:
    path = payout_dir(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(PAYOUT_COLUMNS) + "\n" + "".join(f"{row}\n" for row in rows))
    return path


def test_the_payout_in_force_is_the_last_change_before_the_time(tmp_path):
    write_payouts(
        tmp_path,
        [
            "2025-10-23T01:00:00Z,EURUSD_otc,92,1",
            "2025-10-23T01:10:00Z,GBPUSD_otc,50,1",
            "2025-10-23T01:20:00.500Z,EURUSD_otc,85,1",
            "2025-10-23T01:30:00Z,EURUSD_OTC,85,0",
        ],
    )
    schedule, problems = load_payouts(tmp_path, "EURUSD_otc")
    assert problems == [] and len(schedule) == 3
    t0 = 1761181200.0  # 2025-10-23T01:00:00Z
    payout, active = schedule.at(np.array([t0 - 1, t0, t0 + 1200.4, t0 + 1200.5, t0 + 1800]))
    assert np.isnan(payout[0]) and not active[0]
    assert payout[1:].tolist() == [92, 92, 85, 85]
    assert active[1:].tolist() == [True, True, True, False]


def test_bad_payout_rows_are_reported_with_file_and_line_and_skipped(tmp_path):
    path = write_payouts(
        tmp_path,
        [
            "2025-10-23T01:00:00Z,EURUSD_otc,92,1",
            "2025-10-23 01:05:00+02:00,EURUSD_otc,90,1",
            "2025-10-23T01:06:00Z,EURUSD_otc,lots,1",
            "2025-10-23T01:07:00Z,EURUSD_otc,80,maybe",
            "2025-10-23T01:08:00Z,EURUSD_otc",
            "2025-10-23T01:09:00Z,EURUSD_otc,88,1",
        ],
    )
    (path.parent / "other.csv").write_text("time,asset,payout\n2025-10-23T01:00:00Z,EURUSD_otc,1\n")
    schedule, problems = load_payouts(tmp_path, "EURUSD_otc")
    assert schedule.payout.tolist() == [92, 88]
    assert [(p.file, p.line) for p in problems if p.file == path] == [
        (path, 3),
        (path, 4),
        (path, 5),
        (path, 6),
    ]
    assert any("header" in p.reason and p.file.name == "other.csv" for p in problems)


def sweep_report(root: Path, capsys) -> tuple[dict, str]:
    write_candles(root / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(20_000, 0.3, 11))
    out = root / "report.json"
    argv = ["sweep", "--data", str(root), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    grid = ["--grid", "fast=2..4", "--grid", "slow=6..12:3", "--workers", "1"]
    assert main([*argv, *grid, "--payout", "92", "--json", str(out)]) == 0
    return json.loads(out.read_text()), capsys.readouterr().err


def stamp(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_sweep_takes_each_trades_payout_from_the_recorded_history(tmp_path, capsys):
    fixed, said = sweep_report(tmp_path / "fixed", capsys)
    assert fixed["payout_source"] == "fixed" and "for every trade" in said
    assert fixed["verdict"] == "edge"
    # The same candles when the platform paid 40% all along: break-even 71.4%, no edge.
    root = tmp_path / "history"
    write_payouts(root, [f"{stamp(START - 60)},EURUSD_otc,40,1"])
    paid, said = sweep_report(root, capsys)
    assert paid["payout_source"] == "history" and "recorded payout history" in said
    assert paid["break_even_win_rate"] == pytest.approx(1 / 1.4)
    assert paid["verdict"] == "no edge"
    assert paid["best_in_sample"]["break_even_win_rate"] == pytest.approx(1 / 1.4)


def test_no_trade_is_taken_while_the_asset_was_closed(tmp_path, capsys):
    root = tmp_path / "closed"
    write_payouts(
        root,
        [f"{stamp(START - 60)},EURUSD_otc,92,1", f"{stamp(START + 60 * 10_000)},EURUSD_otc,92,0"],
    )
    closed, _ = sweep_report(root, capsys)
    open_, _ = sweep_report(tmp_path / "open", capsys)
    kept = closed["best_in_sample"]["trades"]
    assert 0 < kept < open_["best_in_sample"]["trades"]


def backtest_report(root: Path, capsys, *extra: str) -> tuple[dict, str]:
    """``qfdesk backtest`` on a planted trend in ``root``: its JSON report and what it said."""
    candles = root / "EURUSD_otc_1m_2025_10_23_01_00_00.csv"
    if not candles.exists():
        write_candles(candles, ar1_closes(3_000, 0.3, 11))
    out = root / "backtest.json"
    argv = ["backtest", "--data", str(root), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    assert main([*argv, "--payout", "92", "--json", str(out), *extra]) == 0
    return json.loads(out.read_text()), capsys.readouterr().out


def fixed_trades(root: Path):
    """The same backtest's trades at one payout, from the engine, to pay by hand."""
    from qfdesk.engine.backtest import BacktestConfig, run_backtest
    from qfdesk.engine.history_loader import load_history
    from qfdesk.engine.strategies import StrategyRegistry

    series = load_history(root, asset="EURUSD_otc", timeframe=60).series[("EURUSD_otc", 60)]
    strategy = StrategyRegistry().create("sma-cross", {})
    config = BacktestConfig(strategy.expiry, 92.0)
    return run_backtest(series, 60, strategy, config).trades


def test_the_backtest_pays_each_trade_the_payout_in_force_at_its_entry(tmp_path, capsys):
    fixed, said = backtest_report(tmp_path / "fixed", capsys)
    assert fixed["payout_source"] == "fixed" and fixed["payout_changes"] == 0
    assert "payout: 92% for every trade (no payout history in" in said

    root = tmp_path / "history"
    change = START + 60 * 1_500
    write_payouts(
        root, [f"{stamp(START - 60)},EURUSD_otc,80,1", f"{stamp(change)},EURUSD_otc,40,1"]
    )
    paid, said = backtest_report(root, capsys)
    assert paid["payout_source"] == "history" and paid["payout_changes"] == 2
    assert "payout: the recorded payout history of EURUSD_otc (2 changes)" in said
    # Every trade the fixed run made, paid 80% before the change and 40% from it on.
    trades = fixed_trades(root)
    rate = np.where(trades.entry_time < change, 0.80, 0.40)
    wins, losses = trades.outcome == 1, trades.outcome == -1
    expected = float((rate * wins).sum() - losses.sum())
    assert paid["trades"] == fixed["trades"] == len(trades) > 100
    assert paid["net_profit"] == pytest.approx(expected)
    assert fixed["net_profit"] == pytest.approx(0.92 * wins.sum() - losses.sum())
    assert paid["net_profit"] < fixed["net_profit"]


def test_the_backtest_takes_no_trade_while_the_asset_was_closed(tmp_path, capsys):
    root = tmp_path / "closed"
    closes, reopens = START + 60 * 1_000, START + 60 * 2_000
    write_payouts(
        root,
        [
            f"{stamp(START - 60)},EURUSD_otc,92,1",
            f"{stamp(closes)},EURUSD_otc,92,0",
            f"{stamp(reopens)},EURUSD_otc,92,1",
        ],
    )
    closed, said = backtest_report(root, capsys)
    trades = fixed_trades(root)
    shut = (trades.entry_time >= closes) & (trades.entry_time < reopens)
    assert closed["closed_skipped"] == int(shut.sum()) > 0
    assert closed["trades"] == len(trades) - int(shut.sum())
    assert f"{int(shut.sum())} signals: no trade" in said


def test_a_candle_file_alone_is_backtested_at_the_fixed_payout(tmp_path, capsys):
    root = tmp_path / "one"
    write_payouts(root, [f"{stamp(START - 60)},EURUSD_otc,40,1"])
    candles = root / "EURUSD_otc_1m_2025_10_23_01_00_00.csv"
    write_candles(candles, ar1_closes(500, 0.3, 11))
    out = tmp_path / "one.json"
    argv = ["backtest", "--data", str(candles), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    assert main([*argv, "--payout", "92", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["payout_source"] == "fixed"
    assert "92% for every trade" in capsys.readouterr().out
