"""The research desk's statistics: grids, break-even, Holm, walk-forward folds and PBO."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qfdesk.engine.research.grid import GridError, build_grid, parse_spec
from qfdesk.engine.research.pbo import probability_of_overfitting
from qfdesk.engine.research.significance import break_even, holm, p_above, p_above_each
from qfdesk.engine.research.trades import ComboTrades
from qfdesk.engine.research.walk_forward import block_bounds, in_sample_nets, walk_forward
from qfdesk.engine.strategies import StrategyRegistry

REGISTRY = StrategyRegistry()


def sma(params):
    return REGISTRY.create("sma-cross", params)


@pytest.mark.parametrize(
    ("item", "values"),
    [
        ("fast=3..6", (3, 4, 5, 6)),
        ("slow=15..30:5", (15, 20, 25, 30)),
        ("fast=3,5,8", (3, 5, 8)),
        ("fast=5", (5,)),
        ("confidence=0.5..0.7:0.1", (0.5, 0.6, 0.7)),
        ("fast=3,3,5", (3, 5)),
    ],
)
def test_a_grid_spec_reads_as_its_values(item, values):
    assert parse_spec(item) == (item.partition("=")[0], values)


@pytest.mark.parametrize(
    "item", ["fast", "fast=", "=3..5", "fast=a..b", "fast=5..3", "fast=3..9:0", "fast=inf,3"]
)
def test_a_grid_spec_that_cannot_be_read_says_so(item):
    with pytest.raises(GridError, match="--grid"):
        parse_spec(item)


def test_invalid_combinations_are_skipped_and_counted_not_an_error():
    grid = build_grid(sma, ["fast=3..12", "slow=5..15:5"], {"expiry": 60})
    pairs = {(p["fast"], p["slow"]) for p in grid.combinations}
    assert all(fast < slow for fast, slow in pairs)
    assert grid.tried == len(pairs) == 2 + 7 + 10
    assert grid.skipped == 30 - grid.tried
    assert "fast must be shorter than slow" in grid.skip_reasons[0]
    assert all(p["expiry"] == 60 for p in grid.combinations)


def test_a_parameter_the_strategy_does_not_declare_is_refused_by_name():
    with pytest.raises(GridError, match="no parameter speed"):
        build_grid(sma, ["speed=1..3"])


def test_a_grid_with_no_valid_combination_is_an_error_with_the_reason():
    with pytest.raises(GridError, match="fast must be shorter than slow"):
        build_grid(sma, ["fast=30", "slow=10"])


def test_break_even_of_a_92_percent_payout_is_52_1_percent():
    assert break_even(92) == pytest.approx(1 / 1.92)
    assert round(break_even(92) * 100, 1) == 52.1


def test_the_binomial_p_value_is_the_exact_upper_tail():
    wins, n, p = 60, 100, 0.52
    tail = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(wins, n + 1))
    assert p_above(wins, n, p) == pytest.approx(tail, rel=1e-9)
    assert p_above(0, 0, p) == 1.0


def test_p_values_of_many_at_once_are_scipys_binomial_tests_one_by_one():
    from scipy import stats

    rng = np.random.default_rng(8)
    decided = rng.integers(0, 5000, 300)
    decided[:10] = 0
    wins = (decided * rng.uniform(0.3, 0.7, decided.size)).astype(np.int64)
    wins[10:20] = decided[10:20]
    rates = rng.uniform(0.45, 0.6, decided.size)
    expected = [
        float(stats.binomtest(int(k), int(n), float(p), "greater").pvalue) if n else 1.0
        for k, n, p in zip(wins, decided, rates, strict=True)
    ]
    assert p_above_each(wins, decided, rates).tolist() == expected


def test_holm_multiplies_by_the_remaining_count_and_keeps_the_order():
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> 0.06 (monotone)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([0.9, 0.8])).tolist() == [1.0, 1.0]  # 0.8 * 2 caps at 1


def trades(signal, exit_, profit):
    profit = np.asarray(profit, dtype=float)
    return ComboTrades(
        params={},
        signal_index=np.asarray(signal, dtype=np.int64),
        exit_index=np.asarray(exit_, dtype=np.int64),
        outcome=np.sign(profit).astype(np.int8),
        profit=profit,
        payout=np.full(profit.shape, 92.0),
        signals=len(profit),
        skipped=0,
    )


def test_folds_cut_the_candles_into_consecutive_blocks():
    assert block_bounds(60, 6).tolist() == [0, 10, 20, 30, 40, 50, 60]


def test_the_in_sample_choice_never_sees_a_trade_that_closes_after_the_cut():
    # 30 candles, 2 folds: blocks [0, 10), [10, 20), [20, 30); fold 1 chooses at row 10.
    peeking = trades([8, 12], [11, 14], [100.0, -1.0])  # its big win closes after the cut
    honest = trades([2, 12], [3, 14], [1.0, 1.0])
    combos = [peeking, honest]
    nets = [in_sample_nets(combo, 30, 2) for combo in combos]
    folds = walk_forward(nets, dict(enumerate(combos)), 30, 2)
    assert folds[0].chosen == 1
    assert folds[0].in_sample_net == 1.0
    assert folds[0].profit.tolist() == [1.0]  # honest's trade entered in [10, 20)
    # fold 2 chooses at row 20: now the peeking trade is known (99 net) and wins.
    assert folds[1].chosen == 0
    assert folds[1].out_of_sample_rows == (20, 30)


def test_pbo_is_zero_when_the_best_in_sample_is_best_everywhere():
    rng = np.random.default_rng(3)
    performance = rng.normal(0, 1, (16, 20))
    performance[:, 7] += 10
    assert probability_of_overfitting(performance) == 0.0


def test_pbo_is_near_one_when_the_best_in_sample_is_the_worst_out_of_sample():
    # Each combination is good in half the blocks and bad in the rest: whatever half looks
    # best in sample is, by construction, where the rest is worst.
    blocks, combos = 8, 6
    rng = np.random.default_rng(4)
    performance = rng.normal(0, 0.01, (blocks, combos))
    for c in range(combos):
        good = rng.permutation(blocks)[: blocks // 2]
        performance[good, c] += 1.0
        performance[np.setdiff1d(np.arange(blocks), good), c] -= 1.0
    assert probability_of_overfitting(performance) > 0.7


def test_pbo_of_pure_noise_is_about_one_half():
    performance = np.random.default_rng(5).normal(0, 1, (16, 50))
    assert 0.3 < probability_of_overfitting(performance) < 0.7


def test_pbo_cannot_be_told_for_one_combination_or_odd_blocks():
    assert probability_of_overfitting(np.zeros((16, 1))) is None
    assert probability_of_overfitting(np.zeros((15, 4))) is None
