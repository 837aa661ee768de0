"""The sweep's runner: indicators computed once per distinct setting, and worker processes
that send back each combination's stats and only the chosen combinations' trades, equal to
the run in this process."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qfdesk.engine.backtest import BacktestConfig
from qfdesk.engine.indicators import batch
from qfdesk.engine.indicators.memo import IndicatorMemo
from qfdesk.engine.payout_history import PayoutSchedule
from qfdesk.engine.research.grid import build_grid
from qfdesk.engine.research.runner import SweepTask, run_local
from qfdesk.engine.research.scan import needed, scan_of
from qfdesk.engine.research.settings import SweepSettings
from qfdesk.engine.research.trades import Columns
from qfdesk.engine.strategies import StrategyRegistry
from tests.research_data import START, ar1_closes

REGISTRY = StrategyRegistry()
SETTINGS = SweepSettings(92.0, folds=4)


@pytest.fixture(scope="module")
def candles() -> Columns:
    close = ar1_closes(20_000, 0.2, 5)
    open_ = np.concatenate(([close[0]], close[:-1]))
    start = START + 60 * np.arange(close.size, dtype=np.int64)
    return Columns(start, open_, np.maximum(open_, close), np.minimum(open_, close), close)


def memo_of(candles: Columns) -> IndicatorMemo:
    return IndicatorMemo([candles.start, candles.open, candles.high, candles.low, candles.close])


def sma_grid(fast: str, slow: str):
    return build_grid(
        lambda p: REGISTRY.create("sma-cross", p), [f"fast={fast}", f"slow={slow}"], {"expiry": 60}
    )


def test_a_sweep_computes_each_distinct_indicator_setting_once_and_signals_the_same(candles):
    grid = sma_grid("2..5", "6..15:3")
    memo = memo_of(candles)
    with memo.active():
        remembered = [REGISTRY.create("sma-cross", p).signals(candles) for p in grid.combinations]
    assert memo.computed == 4 + 4  # SMA(2..5) and SMA(6, 9, 12, 15), not 2 per combination
    for params, found in zip(grid.combinations, remembered, strict=True):
        fresh = REGISTRY.create("sma-cross", params).signals(candles)
        for got, expected in zip(found, fresh, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_the_memo_knows_a_view_of_a_column_and_computes_any_other_array_afresh(candles):
    memo = memo_of(candles)
    with memo.active():
        first = batch.sma(candles.close, 7)
        again = batch.sma(candles.close.view(), 7)
        other = batch.sma(candles.close.copy(), 7)
        keyword = batch.rsi(candles.close, period=9)
    assert again is first and other is not first
    assert memo.computed == 2  # sma 7 once, rsi 9 once; the copy is not remembered
    np.testing.assert_array_equal(other, first)
    assert not first.flags.writeable and not keyword.flags.writeable
    assert other.flags.writeable


def test_a_memo_serves_only_the_thread_that_entered_it(candles):
    memo = memo_of(candles)
    elsewhere: list[np.ndarray] = []
    with memo.active():
        mine = batch.ema(candles.close, 5)
        thread = threading.Thread(target=lambda: elsewhere.append(batch.ema(candles.close, 5)))
        thread.start()
        thread.join()
    assert elsewhere[0] is not mine and elsewhere[0].flags.writeable
    assert memo.computed == 1


def test_the_memo_forgets_the_least_recently_used_answers_past_its_budget(candles):
    one = candles.close.nbytes
    memo = IndicatorMemo([candles.close], budget=2 * one)
    with memo.active():
        five, six = batch.sma(candles.close, 5), batch.sma(candles.close, 6)
        assert batch.sma(candles.close, 5) is five  # 5 is now the most recently used
        batch.sma(candles.close, 7)  # over budget: 6 goes
        assert batch.sma(candles.close, 5) is five
        assert batch.sma(candles.close, 6) is not six
    assert memo.computed == 4


def payouts_over(candles: Columns) -> PayoutSchedule:
    """Payouts changing every 500 candles, the asset closed for a while."""
    times = candles.start[::500].astype(np.float64)
    payout = 80.0 + (np.arange(times.size) % 4) * 5.0
    active = np.arange(times.size) % 7 != 3
    return PayoutSchedule("EURUSD_otc", times, payout, active)


@pytest.mark.parametrize("start", ["spawn", "fork"])
@pytest.mark.parametrize("paid", ["fixed", "history"])
def test_worker_processes_send_every_combinations_stats_and_only_the_chosen_trades(
    candles, start, paid
):
    grid = sma_grid("2..6", "8..20:4")
    payouts = payouts_over(candles) if paid == "history" else None
    task = SweepTask(candles, 60, "sma-cross", None, BacktestConfig(60, 92.0), payouts)
    alone = run_local(task, SETTINGS, grid.combinations, 1)
    pooled = run_local(task, SETTINGS, grid.combinations, 2, start=start)
    every = [task.evaluate(p) for p in grid.combinations]
    direct = scan_of(every, len(candles), SETTINGS)
    wanted = needed(direct.stats)
    assert 1 <= len(wanted) <= SETTINGS.folds
    for scan in (alone, pooled):
        assert sorted(scan.kept) == wanted
        assert len(scan.stats) == grid.tried
        for got, expected in zip(scan.stats, direct.stats, strict=True):
            assert (got.params, got.whole, got.late) == (
                expected.params,
                expected.whole,
                expected.late,
            )
            np.testing.assert_array_equal(got.in_sample, expected.in_sample)
            np.testing.assert_array_equal(got.blocks, expected.blocks)
        for i in wanted:
            np.testing.assert_array_equal(scan.kept[i].profit, every[i].profit)
            np.testing.assert_array_equal(scan.kept[i].signal_index, every[i].signal_index)
            np.testing.assert_array_equal(scan.kept[i].payout, every[i].payout)
    if payouts is not None:
        assert any(c.closed for c in every) and len({*every[0].payout}) > 1
