"""Indicators: batch against TA-Lib (the oracle), incremental against batch."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.indicators import batch, incremental

RTOL = 1e-9


def _prices(n: int, seed: int, scale: float = 100.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = scale * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    high = close * (1.0 + rng.uniform(0.0, 0.01, n))
    low = close * (1.0 - rng.uniform(0.0, 0.01, n))
    return high, low, close


def assert_same(ours: np.ndarray, oracle: np.ndarray, atol: float = 0.0) -> None:
    """Same NaN warm-up, then equal to RTOL relative (plus ``atol`` for values that cross 0)."""
    ours, oracle = np.asarray(ours, dtype=float), np.asarray(oracle, dtype=float)
    assert ours.shape == oracle.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(oracle))
    assert (~np.isnan(oracle)).any()
    np.testing.assert_allclose(ours, oracle, rtol=RTOL, atol=atol, equal_nan=True)


SERIES = [_prices(20_000, seed) for seed in (1, 2)] + [
    _prices(3_000, 3, scale=0.0037),
    _prices(2_000, 4, scale=1e-6),
]


@pytest.mark.parametrize("high, low, close", SERIES)
@pytest.mark.parametrize("period", [1, 2, 5, 14, 20, 200, 300])
def test_sma_and_ema_equal_talib(high, low, close, period):
    assert_same(batch.sma(close, period), talib.SMA(close, period))
    assert_same(batch.ema(close, period), talib.EMA(close, period))


@pytest.mark.parametrize("high, low, close", SERIES)
@pytest.mark.parametrize("period", [2, 7, 14, 30])
def test_rsi_equals_talib(high, low, close, period):
    assert_same(batch.rsi(close, period), talib.RSI(close, period))


@pytest.mark.parametrize("high, low, close", SERIES)
@pytest.mark.parametrize("periods", [(12, 26, 9), (5, 35, 5), (3, 10, 16)])
def test_macd_equals_talib(high, low, close, periods):
    # The MACD line crosses zero, so its tolerance is relative to the price level.
    atol = RTOL * float(np.mean(close))
    for ours, oracle in zip(batch.macd(close, *periods), talib.MACD(close, *periods)):
        assert_same(ours, oracle, atol=atol)


@pytest.mark.parametrize("high, low, close", SERIES)
@pytest.mark.parametrize("period, k_up, k_down", [(20, 2.0, 2.0), (10, 1.5, 2.5), (2, 2.0, 2.0)])
def test_bollinger_equals_talib(high, low, close, period, k_up, k_down):
    oracle = talib.BBANDS(close, period, k_up, k_down, 0)
    for ours, expected in zip(batch.bollinger(close, period, k_up, k_down), oracle):
        assert_same(ours, expected)


@pytest.mark.parametrize("high, low, close", SERIES)
@pytest.mark.parametrize("periods", [(5, 3, 3), (14, 3, 3), (9, 1, 4), (1, 1, 1)])
def test_stochastic_equals_talib(high, low, close, periods):
    fastk, slowk, slowd = periods
    oracle = talib.STOCH(high, low, close, fastk, slowk, 0, slowd, 0)
    for ours, expected in zip(batch.stochastic(high, low, close, *periods), oracle):
        assert_same(ours, expected, atol=1e-9)


def test_stochastic_flat_range_is_zero_like_talib():
    flat = np.full(30, 1.25)
    k, d = batch.stochastic(flat, flat, flat)
    ok, od = talib.STOCH(flat, flat, flat)
    assert_same(k, ok)
    assert_same(d, od)
    assert np.nanmax(k) == 0.0


def test_rsi_of_a_flat_series_is_zero_like_talib():
    flat = np.full(40, 3.0)
    assert_same(batch.rsi(flat, 14), talib.RSI(flat, 14))


@pytest.mark.parametrize("n", [0, 1, 5])
def test_short_inputs_are_all_nan(n):
    x = np.linspace(1.0, 2.0, n)
    outputs = (batch.sma(x, 20), batch.ema(x, 20), batch.rsi(x, 14), *batch.macd(x))
    for out in (*outputs, *batch.bollinger(x), *batch.stochastic(x, x, x)):
        assert out.shape == (n,) and np.isnan(out).all()


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError, match="period"):
        batch.sma(np.ones(10), bad)
    with pytest.raises(ValueError, match="period"):
        incremental.EMA(bad)


def test_linear_recurrence_matches_a_plain_loop_over_many_blocks():
    rng = np.random.default_rng(9)
    u = rng.normal(0.0, 1.0, 5_000)
    for a in (0.0, 0.3, 0.9, 0.999):
        expected, y = [], 2.5
        for value in u:
            y = a * y + value
            expected.append(y)
        np.testing.assert_allclose(
            batch.linear_recurrence(2.5, u, a), expected, rtol=1e-9, atol=1e-9
        )
        in_place = u * 1.0
        batch.linear_recurrence(5.0, in_place, a, gain=2.0, out=in_place)
        np.testing.assert_allclose(in_place, 2.0 * np.array(expected), rtol=1e-9, atol=1e-9)


def test_std_of_a_nearly_flat_window_among_big_moves_is_exact():
    _, _, close = _prices(3_000, 2)
    close[1500], close[1501] = 52.77818894410061, 52.77832066022636
    exact = float(abs(Fraction(close[1500]) - Fraction(close[1501])) / 2)
    assert batch.rolling_std(close, 2)[1501] == pytest.approx(exact, rel=1e-9)
    bands = batch.bollinger(close, 2)
    assert bands.upper[1501] - bands.middle[1501] == pytest.approx(2 * exact, rel=1e-6)
    live = incremental.Bollinger(2)
    for value in close[:1502]:
        upper, middle, _ = live.update(float(value))
    assert upper - middle == pytest.approx(2 * exact, rel=1e-6)


# ---- incremental == batch, and peek == the value the candle gets once closed ----


def _run_incremental(indicator, columns, peek_every: int = 5):
    """Update over every row; peek before some updates with the same row's values."""
    n = len(columns[0])
    values, peeks = [], []
    for i in range(n):
        row = tuple(float(col[i]) for col in columns)
        if i % peek_every == 0:
            first = indicator.peek(*row)
            again = indicator.peek(*row)
            assert _same_value(first, again)
            peeks.append((i, first))
        values.append(indicator.update(*row))
    return np.array(values, dtype=float).reshape(n, -1), peeks


def _same_value(a, b) -> bool:
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    return bool(np.array_equal(a, b, equal_nan=True))


INCREMENTAL_CASES = [
    ("sma", lambda: incremental.SMA(20), lambda h, l, c: [batch.sma(c, 20)], "c"),
    ("sma1", lambda: incremental.SMA(1), lambda h, l, c: [batch.sma(c, 1)], "c"),
    ("ema", lambda: incremental.EMA(12), lambda h, l, c: [batch.ema(c, 12)], "c"),
    ("rsi", lambda: incremental.RSI(14), lambda h, l, c: [batch.rsi(c, 14)], "c"),
    ("rsi2", lambda: incremental.RSI(2), lambda h, l, c: [batch.rsi(c, 2)], "c"),
    ("macd", lambda: incremental.MACD(), lambda h, l, c: list(batch.macd(c)), "c"),
    ("macd-swap", lambda: incremental.MACD(26, 12, 9), lambda h, l, c: list(batch.macd(c)), "c"),
    ("bollinger", lambda: incremental.Bollinger(), lambda h, l, c: list(batch.bollinger(c)), "c"),
    (
        "stochastic",
        lambda: incremental.Stochastic(),
        lambda h, l, c: list(batch.stochastic(h, l, c)),
        "hlc",
    ),
    (
        "stochastic14",
        lambda: incremental.Stochastic(14, 3, 3),
        lambda h, l, c: list(batch.stochastic(h, l, c, 14, 3, 3)),
        "hlc",
    ),
]


@pytest.mark.parametrize("name, make, compute, inputs", INCREMENTAL_CASES, ids=lambda v: v)
def test_incremental_equals_batch_and_peek_matches_the_close(name, make, compute, inputs):
    high, low, close = _prices(12_000, 7)
    columns = [close] if inputs == "c" else [high, low, close]
    expected = compute(high, low, close)
    values, peeks = _run_incremental(make(), columns)
    atol = 1e-9 if name.startswith(("macd", "stochastic")) else 0.0
    for j, column in enumerate(expected):
        np.testing.assert_array_equal(np.isnan(values[:, j]), np.isnan(column))
        np.testing.assert_allclose(values[:, j], column, rtol=RTOL, atol=atol, equal_nan=True)
    for i, peeked in peeks:
        peeked = np.atleast_1d(np.asarray(peeked, float))
        for j, column in enumerate(expected):
            if math.isnan(column[i]):
                assert math.isnan(peeked[j]), (name, i)
            else:
                assert peeked[j] == pytest.approx(column[i], rel=RTOL, abs=atol), (name, i)


def test_peek_does_not_change_state():
    high, low, close = _prices(300, 11)
    plain, peeked = incremental.Stochastic(), incremental.Stochastic()
    for h, l, c in zip(high, low, close):
        for _ in range(3):
            peeked.peek(h * 1.01, l * 0.99, c * 1.005)
        assert _same_value(plain.update(h, l, c), peeked.update(h, l, c))


# ---- property: any short series, any periods, with flat stretches ----


_prices_st = st.lists(
    st.sampled_from([1.0, 1.0001, 1.0002, 0.9999, 1.5, 0.5, 1.00005]), min_size=0, max_size=80
)


@settings(max_examples=150, deadline=None)
@given(values=_prices_st, period=st.integers(2, 12), other=st.integers(2, 6))
def test_property_incremental_equals_batch_and_talib(values, period, other):
    close = np.array(values, dtype=float)
    high, low = close * 1.001, close * 0.999
    cases = [
        (incremental.SMA(period), [batch.sma(close, period)], [talib.SMA(close, period)], "c"),
        (incremental.EMA(period), [batch.ema(close, period)], [talib.EMA(close, period)], "c"),
        (incremental.RSI(period), [batch.rsi(close, period)], [talib.RSI(close, period)], "c"),
        (
            incremental.MACD(other, other + period, other),
            list(batch.macd(close, other, other + period, other)),
            list(talib.MACD(close, other, other + period, other)),
            "c",
        ),
        (
            incremental.Bollinger(period),
            list(batch.bollinger(close, period)),
            list(talib.BBANDS(close, period, 2, 2, 0)),
            "c",
        ),
        (
            incremental.Stochastic(period, other, other),
            list(batch.stochastic(high, low, close, period, other, other)),
            list(talib.STOCH(high, low, close, period, other, 0, other, 0)),
            "hlc",
        ),
    ]
    for indicator, ours, oracle, inputs in cases:
        columns = [close] if inputs == "c" else [high, low, close]
        if len(close):
            values_live, _ = _run_incremental(indicator, columns, peek_every=3)
        for j, (mine, expected) in enumerate(zip(ours, oracle)):
            np.testing.assert_array_equal(np.isnan(mine), np.isnan(expected))
            np.testing.assert_allclose(mine, expected, rtol=1e-9, atol=1e-9, equal_nan=True)
            if len(close):
                np.testing.assert_allclose(
                    values_live[:, j], mine, rtol=1e-9, atol=1e-9, equal_nan=True
                )


def _exact_std(values) -> float:
    exact = [Fraction(v) for v in values]
    mean = sum(exact) / len(exact)
    return float(sum((v - mean) ** 2 for v in exact) / len(exact)) ** 0.5


def test_std_stays_exact_deep_into_a_long_series():
    # A sliding update (pandas' rolling std) drifts to ~1e-6 here; this must not.
    rng = np.random.default_rng(1)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0.0, 0.0004, 500_000)))
    std = batch.rolling_std(close, 20)
    for i in rng.integers(19, close.size, 40).tolist() + [420_053]:
        assert std[i] == pytest.approx(_exact_std(close[i - 19 : i + 1]), rel=1e-9), i


def test_std_of_flat_windows_is_exactly_zero():
    close = np.repeat([1.1, 1.10002, 1.09999, 1.1], [30, 25, 3, 40])
    std = batch.rolling_std(close, 20)
    flat = [i for i in range(19, close.size) if len(set(close[i - 19 : i + 1])) == 1]
    assert len(flat) == 38 and all(std[i] == 0.0 for i in flat)
    others = [i for i in range(19, close.size) if i not in flat]
    for i in others:
        assert std[i] == pytest.approx(_exact_std(close[i - 19 : i + 1]), rel=1e-9)
