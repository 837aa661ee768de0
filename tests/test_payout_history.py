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
