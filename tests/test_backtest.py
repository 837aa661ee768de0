"""Backtests: outcomes on hand-made candles, the real QuantumFlux candles checked by an
explicit loop, the risk filter, the statistics and the A/B test."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from qfdesk.engine.backtest import BacktestConfig, BacktestError, run_backtest
from qfdesk.engine.backtest_stats import compare_win_rates, compute_stats, longest_run
from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.risk import RiskLimits, RiskManager
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import Strategy, StrategyRegistry, Vote

TF = 60


class Scripted(Strategy):
    """Votes as scripted by candle start time: {start: direction}."""

    name = "scripted"
    script: ClassVar[dict[int, Direction]] = {}

    def reset(self) -> None:
        pass

    def on_candle(self, candle: Candle) -> Vote | None:
        assert (candle.asset, candle.timeframe) == ("TEST", TF)
        direction = self.script.get(candle.start)
        return None if direction is None else Vote(direction, 0.7, "scripted")


def scripted(script: dict[int, Direction]) -> Strategy:
    cls = type("ScriptedNow", (Scripted,), {"script": script})
    return cls()


def hand_series() -> CandleSeries:
    series = CandleSeries("TEST", TF)
    # starts 0..240, then a missing candle at 300, then 360 and 420.
    for start, close in [(0, 1.00), (60, 1.10), (120, 1.05), (180, 1.05), (240, 1.20),
                         (360, 1.10), (420, 1.00)]:  # fmt: skip
        series.append(start, close, close, close, close)
    return series


C, P = Direction.CALL, Direction.PUT
HAND_SCRIPT = {0: C, 60: P, 120: C, 180: P, 240: C, 360: C, 420: P}


def test_outcomes_on_hand_made_candles():
    config = BacktestConfig(expiry=60, payout=80.0, stake=2.0, start_balance=100.0)
    result = run_backtest(hand_series(), TF, scripted(HAND_SCRIPT), config, asset="TEST")
    t = result.trades
    # CALL 1.00->1.10 win, PUT 1.10->1.05 win, CALL 1.05->1.05 refund, PUT 1.05->1.20 loss,
    # CALL at 240 has no exit candle (300 missing), CALL 1.10->1.00 loss, PUT at 420 has none.
    assert t.signal_index.tolist() == [0, 1, 2, 3, 5]
    assert t.entry_time.tolist() == [60, 120, 180, 240, 420]
    assert t.exit_time.tolist() == [120, 180, 240, 300, 480]
    assert t.entry_price.tolist() == [1.00, 1.10, 1.05, 1.05, 1.10]
    assert t.exit_price.tolist() == [1.10, 1.05, 1.05, 1.20, 1.00]
    assert t.outcome.tolist() == [1, 1, 0, -1, -1]
    assert t.profit.tolist() == pytest.approx([1.6, 1.6, 0.0, -2.0, -2.0])
    s = result.stats
    assert (s.trades, s.wins, s.losses, s.refunds, s.skipped, s.signals) == (5, 2, 2, 1, 2, 7)
    assert s.win_rate == 0.5
    assert s.net_profit == pytest.approx(-0.8)
    assert s.gross_profit == pytest.approx(3.2) and s.gross_loss == pytest.approx(4.0)
    assert s.profit_factor == pytest.approx(0.8)
    assert s.max_drawdown == pytest.approx(4.0)
    assert s.max_drawdown_pct == pytest.approx(4.0 / 103.2 * 100)
    assert s.longest_losing_streak == 2
    assert s.expectancy == pytest.approx(-0.16)
    assert s.end_balance == pytest.approx(99.2)
    assert result.equity.tolist() == pytest.approx([101.6, 103.2, 103.2, 101.2, 99.2])


def test_longer_expiry_exits_at_the_candle_ending_expiry_later():
    config = BacktestConfig(expiry=120, payout=80.0)
    result = run_backtest(hand_series(), TF, scripted(HAND_SCRIPT), config)
    t = result.trades
    assert t.signal_index.tolist() == [0, 1, 2, 4]
    assert t.exit_price.tolist() == [1.05, 1.05, 1.20, 1.10]
    assert t.outcome.tolist() == [1, 1, 1, -1]
    assert result.stats.skipped == 3


def test_risk_filter_only_when_asked():
    limits = RiskLimits(stake=2.0, min_payout=0.0, max_open_trades=1, max_trades_per_hour=None)
    config = BacktestConfig(expiry=120, payout=80.0)
    free = run_backtest(hand_series(), TF, scripted(HAND_SCRIPT), config)
    risky = run_backtest(hand_series(), TF, scripted(HAND_SCRIPT), config, risk=RiskManager(limits))
    assert len(free.trades) == 4 and free.stats.denied == 0
    # The trade entered at 60 is open until 180, so the signal entering at 120 is denied;
    # the one entering at 180 passes (the first has just closed), and so does 300.
    assert risky.trades.signal_index.tolist() == [0, 2, 4]
    assert risky.denied_reasons == {"max_open_trades": 1} and risky.stats.denied == 1
    assert risky.trades.stake.tolist() == [2.0, 2.0, 2.0]
    assert risky.stats.net_profit == pytest.approx(1.6 + 1.6 - 2.0)


def test_risk_daily_loss_limit_stops_the_backtest_day():
    series = CandleSeries("TEST", TF)
    for i in range(40):
        series.append(i * TF, 1.0, 1.0, 1.0, 1.0 - 0.001 * i)  # always falling
    always_call = scripted({i * TF: C for i in range(40)})
    limits = RiskLimits(min_payout=0.0, max_open_trades=None, max_trades_per_hour=None,
                        daily_loss_limit=5.0)  # fmt: skip
    result = run_backtest(
        series, TF, always_call, BacktestConfig(60, 92.0), risk=RiskManager(limits)
    )
    assert result.stats.losses == 5 and result.stats.net_profit == pytest.approx(-5.0)
    assert result.denied_reasons == {"daily_loss_limit": 34}


@pytest.mark.parametrize("expiry", [0, 30, 90])
def test_expiry_must_be_a_multiple_of_the_timeframe(expiry):
    with pytest.raises(BacktestError, match="multiple of the timeframe"):
        run_backtest(hand_series(), TF, scripted({}), BacktestConfig(expiry, 92.0))


class Failing(Strategy):
    name = "failing"

    def reset(self) -> None:
        pass

    def on_candle(self, candle: Candle) -> Vote | None:
        raise RuntimeError("my bug")


def test_a_failing_strategy_fails_the_backtest_with_its_reason():
    with pytest.raises(BacktestError, match="strategy failing failed: RuntimeError: my bug"):
        run_backtest(hand_series(), TF, Failing(), BacktestConfig(60, 92.0))


def test_no_signals_gives_empty_statistics():
    result = run_backtest(hand_series(), TF, scripted({}), BacktestConfig(60, 92.0))
    s = result.stats
    assert (s.trades, s.win_rate, s.profit_factor, s.expectancy, s.max_drawdown) == (
        0,
        None,
        None,
        None,
        0.0,
    )


def test_streaks_ignore_refunds_and_profit_factor_without_losses():
    outcome = np.array([-1, 0, -1, 1, -1, -1, -1, 0, 1], dtype=np.int8)
    profit = np.where(outcome == 1, 0.9, np.where(outcome == -1, -1.0, 0.0))
    s = compute_stats(outcome, profit, skipped=0, start_balance=10.0, signals=9)
    assert s.longest_losing_streak == 3
    assert longest_run(np.array([True, True, False, True])) == 2
    wins_only = compute_stats(
        np.ones(3, np.int8), np.full(3, 0.9), skipped=0, start_balance=10.0, signals=3
    )
    assert wins_only.profit_factor is None and wins_only.max_drawdown == 0.0


def test_two_proportion_z_test():
    # 60/100 vs 45/100: pooled 0.525, se = sqrt(.525 * .475 * .02) = 0.070622, z = 2.1240
    result = compare_win_rates(60, 100, 45, 100)
    assert result.z == pytest.approx(0.15 / (0.525 * 0.475 * 0.02) ** 0.5)
    assert result.p_value == pytest.approx(0.03367, abs=1e-4)
    assert result.significant and "significant at 5%" in result.describe()
    close_call = compare_win_rates(52, 100, 50, 100)
    assert not close_call.significant and close_call.p_value > 0.7
    assert not compare_win_rates(0, 0, 5, 10).significant
    assert not compare_win_rates(10, 10, 10, 10).significant


# ---- the real QuantumFlux candles, checked by an explicit loop in exact arithmetic ----


def read_candles_by_hand(folder: Path) -> list[tuple[int, Fraction]]:
    """(start, close) of every row of every CSV in the folder, in time order."""
    rows: dict[int, Fraction] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                when = datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%SZ")
                start = int((when - datetime(1970, 1, 1)).total_seconds())
                rows[start] = Fraction(row["close"])
    return sorted(rows.items())


def expected_by_hand(candles, fast: int, slow: int, expiry: int, payout: int) -> dict:
    closes = [c for _, c in candles]
    starts = [s for s, _ in candles]
    by_start = dict(candles)
    profits, outcomes, skipped = [], [], 0
    prev_diff = None
    for i in range(len(closes)):
        if i + 1 < slow:
            continue
        diff = sum(closes[i + 1 - fast : i + 1]) / fast - sum(closes[i + 1 - slow : i + 1]) / slow
        direction = None
        if prev_diff is not None and prev_diff <= 0 < diff:
            direction = "call"
        elif prev_diff is not None and prev_diff >= 0 > diff:
            direction = "put"
        prev_diff = diff
        if direction is None:
            continue
        exit_close = by_start.get(starts[i] + expiry)
        if exit_close is None:
            skipped += 1
            continue
        move = exit_close - closes[i]
        if move == 0:
            outcomes.append("refund")
            profits.append(Fraction(0))
        elif (move > 0) == (direction == "call"):
            outcomes.append("win")
            profits.append(Fraction(payout, 100))
        else:
            outcomes.append("loss")
            profits.append(Fraction(-1))
    balance, peak, max_dd, streak, longest = Fraction(1000), Fraction(1000), Fraction(0), 0, 0
    for outcome, profit in zip(outcomes, profits):
        balance += profit
        peak = max(peak, balance)
        max_dd = max(max_dd, peak - balance)
        if outcome == "loss":
            streak += 1
            longest = max(longest, streak)
        elif outcome == "win":
            streak = 0
    wins, losses = outcomes.count("win"), outcomes.count("loss")
    gross_loss = -sum(p for p in profits if p < 0)
    return {
        "trades": len(outcomes),
        "wins": wins,
        "losses": losses,
        "refunds": outcomes.count("refund"),
        "skipped": skipped,
        "win_rate": wins / (wins + losses),
        "net_profit": float(sum(profits)),
        "max_drawdown": float(max_dd),
        "profit_factor": float(sum(p for p in profits if p > 0) / gross_loss),
        "longest_losing_streak": longest,
        "expectancy": float(sum(profits) / len(outcomes)),
    }


REAL_FOLDER = "realtime_stream/1M_candle_data"  # ZARUSD_otc 1m, two parts with gaps


@pytest.fixture(scope="module")
def real_candles(quflx_csv_dir) -> list[tuple[int, Fraction]]:
    return read_candles_by_hand(quflx_csv_dir / REAL_FOLDER)


def series_from(candles) -> CandleSeries:
    series = CandleSeries("ZARUSD_otc", TF)
    for start, close in candles:
        series.append(start, float(close), float(close), float(close), float(close))
    return series


@pytest.mark.parametrize("fast, slow, expiry", [(3, 8, 60), (2, 5, 180), (5, 13, 300)])
def test_real_candles_match_the_explicit_loop(real_candles, fast, slow, expiry):
    expected = expected_by_hand(real_candles, fast, slow, expiry, 92)
    assert expected["trades"] >= 8 and expected["skipped"] >= 0
    strategy = StrategyRegistry().create("sma-cross", {"fast": fast, "slow": slow})
    result = run_backtest(
        series_from(real_candles), TF, strategy, BacktestConfig(expiry, 92.0), asset="ZARUSD_otc"
    )
    got = result.stats.to_dict()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key


def test_real_candles_have_gaps_that_skip_signals(real_candles):
    expected = expected_by_hand(real_candles, 2, 5, 300, 92)
    assert expected["skipped"] > 0  # the exit candle falls in a gap of the stream


# ---- the command line ----


def run_cli(*argv: str) -> int:
    from qfdesk.cli import main

    return main(["backtest", *argv])


def test_cli_on_real_candles_matches_the_explicit_loop(
    quflx_csv_dir, real_candles, tmp_path, capsys
):
    out = tmp_path / "stats.json"
    code = run_cli(
        "--data", str(quflx_csv_dir / "realtime_stream"), "--asset", "ZARUSD_otc",
        "--timeframe", "1m", "--strategy", "sma-cross", "--param", "fast=3", "--param", "slow=8",
        "--expiry", "60", "--payout", "92", "--stake", "1", "--json", str(out),
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "win rate" in printed and "profit factor" in printed
    report = json.loads(out.read_text())
    expected = expected_by_hand(real_candles, 3, 8, 60, 92)
    for key in ("trades", "wins", "losses", "refunds", "skipped", "win_rate", "net_profit",
                "max_drawdown", "profit_factor"):  # fmt: skip
        assert report[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-9), key
    assert report["longest_losing_streak"] == expected["longest_losing_streak"]
    assert report["candles"] == len(real_candles)
    assert report["params"]["fast"] == 3 and report["strategy"] == "sma-cross"
    for label in ("trades", "wins", "losses"):
        assert re.search(rf"^{label} +{expected[label]}$", printed, re.MULTILINE), label


def test_cli_risk_limits_and_a_b_comparison(quflx_csv_dir, tmp_path, capsys):
    limits = tmp_path / "limits.json"
    limits.write_text(json.dumps({"max_open_trades": 1, "asset_cooldown_seconds": 300,
                                  "min_payout": 80}))  # fmt: skip
    out = tmp_path / "ab.json"
    code = run_cli(
        "--data", str(quflx_csv_dir / "realtime_stream"), "--asset", "zarusd_otc",
        "--strategy", "sma-cross", "--param", "fast=2", "--param", "slow=5", "--payout", "92",
        "--risk-limits", str(limits), "--compare", "rsi-reversal", "--compare-param", "period=5",
        "--json", str(out),
    )  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert report["risk"] is True
    assert report["denied"] > 0 and report["denied_by"]["asset_cooldown"] > 0
    assert report["trades"] + report["denied"] + report["skipped"] == report["signals"]
    assert report["compare"]["strategy"] == "rsi-reversal"
    assert 0.0 <= report["compare"]["p_value"] <= 1.0
    assert "A/B: win rate" in capsys.readouterr().out


def test_cli_strategies_file_preset(quflx_csv_dir, tmp_path):
    strategies = tmp_path / "strategies.json"
    strategies.write_text(json.dumps({"strategies": {"quick": {"base": "sma-cross", "fast": 2,
                                                                "slow": 4, "expiry": 120}}}))  # fmt: skip
    out = tmp_path / "q.json"
    code = run_cli(
        "--data", str(quflx_csv_dir / "realtime_stream"), "--asset", "ZARUSD_otc",
        "--strategy", "quick", "--strategies", str(strategies), "--payout", "90",
        "--json", str(out),
    )  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert (report["strategy"], report["expiry"], report["params"]["slow"]) == ("quick", 120, 4)


@pytest.mark.parametrize("option", ["--stake", "--payout", "--balance"])
@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "-inf"])
def test_cli_numbers_that_are_not_finite_are_refused_by_the_option(
    quflx_csv_dir, capsys, option, value
):
    args = {
        "--data": str(quflx_csv_dir / "realtime_stream"),
        "--asset": "ZARUSD_otc",
        "--strategy": "sma-cross",
        "--payout": "92",
        option: value,
    }
    with pytest.raises(SystemExit) as exited:  # --option=value: "-inf" is a value, not a flag
        run_cli(*[f"{name}={given}" for name, given in args.items()])
    assert exited.value.code == 2
    assert f"argument {option}: expected a finite number, got '{value}'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "limits, message",
    [
        ('{"daily_loss_limit": 1e400}', "daily_loss_limit must be a finite number"),
        ('{"max_open_trades": 1.5}', "max_open_trades must be a whole number"),
        ('{"stake_percent": "two"}', "stake_percent must be a number, not 'two'"),
        ('{"min_stake": NaN}', "min_stake must be a finite number"),
    ],
)
def test_cli_risk_limits_of_wrong_values_are_refused_with_the_reason(
    quflx_csv_dir, tmp_path, capsys, limits, message
):
    path = tmp_path / "limits.json"
    path.write_text(limits)
    code = run_cli(
        "--data", str(quflx_csv_dir / "realtime_stream"), "--asset", "ZARUSD_otc",
        "--strategy", "sma-cross", "--payout", "92", "--risk-limits", str(path),
    )  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--asset": "NOPE_otc"}, "no 1m candles for NOPE_otc"),
        ({"--timeframe": "30m"}, "ZARUSD_otc has 1m candles there"),
        ({"--timeframe": "2m"}, "unknown timeframe '2m'"),
        ({"--strategy": "magic"}, "unknown strategy 'magic'"),
        ({"--param": "fast=x"}, "fast must be a number"),
        ({"--param": "fast"}, "must look like name=value"),
        ({"--param": "speed=3"}, "unknown parameter speed"),
        ({"--param": "fast=inf"}, "fast must be a finite number, got 'inf'"),
        ({"--param": "fast=1e400"}, "fast must be a finite number, got '1e400'"),
        ({"--param": "confidence=nan"}, "confidence must be a finite number, got 'nan'"),
        ({"--param": "slow=1e12"}, "slow must be at most 1,000,000,000"),
        ({"--expiry": "90"}, "multiple of the timeframe"),
        ({"--payout": "-5"}, "payout -5% must be above 0"),
        ({"--data": "/no/such/folder"}, "does not exist"),
        ({"--strategies": "/no/such.json"}, "strategies file /no/such.json does not exist"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(quflx_csv_dir, capsys, change, message):
    args = {
        "--data": str(quflx_csv_dir / "realtime_stream"),
        "--asset": "ZARUSD_otc",
        "--strategy": "sma-cross",
        "--payout": "92",
        **change,
    }
    assert run_cli(*[item for pair in args.items() for item in pair]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("n", [0, 1, 2, 30])
@pytest.mark.parametrize("name", ["sma-cross", "rsi-reversal", "macd-cross", "confluence"])
def test_builtins_backtest_short_series_without_error(name, n):
    series = CandleSeries("TEST", TF)
    for i in range(n):
        series.append(i * TF, 1.0, 1.0 + 0.001 * (i % 3), 1.0, 1.0 + 0.0005 * (i % 3))
    result = run_backtest(series, TF, StrategyRegistry().create(name), BacktestConfig(60, 92.0))
    assert result.stats.trades + result.stats.skipped == result.stats.signals
