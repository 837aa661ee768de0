"""Strategies: built-ins on hand-made candles, live == vectorised, no look-ahead, loading."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.events import Candle, Direction
from qfdesk.engine.series import CandleSeries
from qfdesk.engine.strategies import (
    Signal,
    Strategy,
    StrategyError,
    StrategyRegistry,
    StrategyRunner,
    Vote,
    crossovers,
)

ASSET, TF = "EURUSD_otc", 60


def series_of(closes, starts=None, spread: float = 0.0) -> CandleSeries:
    closes = np.asarray(closes, dtype=float)
    starts = np.arange(len(closes)) * TF if starts is None else np.asarray(starts)
    series = CandleSeries(ASSET, TF)
    opens = np.concatenate(([closes[0]], closes[:-1]))
    for start, open_, close in zip(starts.tolist(), opens.tolist(), closes.tolist()):
        series.append(start, open_, max(open_, close) + spread, min(open_, close) - spread, close)
    return series


def candle(series: CandleSeries, i: int) -> Candle:
    return Candle(
        ASSET,
        TF,
        int(series.start[i]),
        float(series.open[i]),
        float(series.high[i]),
        float(series.low[i]),
        float(series.close[i]),
    )


def run_live(strategy: Strategy, series: CandleSeries) -> list[tuple[int, Signal]]:
    """Feed the runner every candle as it closes; (index, signal) for each signal."""
    runner = StrategyRunner(strategy, ASSET, TF)
    found = []
    for i in range(len(series)):
        closed = candle(series, i)
        signal = runner.on_candle(closed, now=closed.start + TF)
        if signal is not None:
            found.append((i, signal))
    assert not runner.stopped, runner.error
    return found


def batch_list(strategy: Strategy, series: CandleSeries) -> list[tuple[int, Direction, float]]:
    found = strategy.signals(series)
    return [
        (int(i), Direction.CALL if d == 1 else Direction.PUT, float(c))
        for i, d, c in zip(found.index, found.direction, found.confidence)
    ]


def random_series(n: int, seed: int, decimals: int = 3) -> CandleSeries:
    """A random walk rounded to few decimals, so flat stretches and exact ties happen."""
    rng = np.random.default_rng(seed)
    closes = np.round(1.2 * np.exp(np.cumsum(rng.normal(0.0, 0.0015, n))), decimals)
    return series_of(closes, spread=10.0**-decimals)


REGISTRY = StrategyRegistry()

# ---- each built-in on hand-made candles ----


def test_sma_cross_hand_made():
    # SMA(2) - SMA(3) from candle 2: 0, 0, +1/6, +1/2, +1/6, -2/3, -5/6
    series = series_of([5, 5, 5, 5, 6, 7, 6, 4, 3])
    strategy = REGISTRY.create("sma-cross", {"fast": 2, "slow": 3})
    live = run_live(strategy, series)
    assert [(i, s.direction) for i, s in live] == [(4, Direction.CALL), (7, Direction.PUT)]
    call = live[0][1]
    assert call.candle_start == 4 * TF and call.asset == ASSET and call.expiry == 60
    assert call.confidence == 0.6 and "crossed above" in call.reason
    assert "SMA(2)" in call.reason and "SMA(3)" in call.reason


def test_rsi_reversal_hand_made_period_1():
    # RSI(1) is 100 after a rise and 0 after a fall or a flat candle.
    series = series_of([1, 2, 3, 2, 2, 3])
    live = run_live(REGISTRY.create("rsi-reversal", {"period": 1}), series)
    assert [(i, s.direction) for i, s in live] == [(3, Direction.PUT), (5, Direction.CALL)]
    assert [s.confidence for _, s in live] == pytest.approx([0.9, 0.9])


def test_rsi_reversal_hand_made_period_2():
    # changes +2 -1 -2 -1 +2: Wilder averages give RSI 66.67, 28.57, 18.18, 66.67.
    series = series_of([10, 12, 11, 9, 8, 10])
    live = run_live(REGISTRY.create("rsi-reversal", {"period": 2}), series)
    assert [(i, s.direction) for i, s in live] == [(5, Direction.CALL)]
    assert live[0][1].confidence == pytest.approx(0.6 + (30 - 100 * 0.25 / 1.375) / 100)
    assert "18.18" in live[0][1].reason


@pytest.mark.parametrize(
    "name, params, line",
    [
        ("sma-cross", {"fast": 4, "slow": 11}, "sma"),
        ("macd-cross", {"fast": 5, "slow": 13, "signal": 4}, "macd"),
        ("rsi-reversal", {"period": 9, "low": 35, "high": 65}, "rsi"),
    ],
)
def test_builtins_equal_an_explicit_loop_over_talib(name, params, line):
    series = random_series(3000, 4, decimals=5)
    close = series.close.copy()
    if line == "sma":
        a, b = talib.SMA(close, params["fast"]), talib.SMA(close, params["slow"])
        up, down = a - b, b - a
    elif line == "macd":
        macd, signal, _ = talib.MACD(close, params["fast"], params["slow"], params["signal"])
        up, down = macd - signal, signal - macd
    else:
        r = talib.RSI(close, params["period"])
        up, down = r - params["low"], params["high"] - r
    expected = []
    for i in range(1, len(close)):
        if np.isnan(up[i - 1]) or np.isnan(up[i]):
            continue
        if up[i - 1] <= 0 < up[i]:
            expected.append((i, Direction.CALL))
        elif down[i - 1] <= 0 < down[i]:
            expected.append((i, Direction.PUT))
    assert len(expected) > 20
    strategy = REGISTRY.create(name, params)
    assert [(i, s.direction) for i, s in run_live(strategy, series)] == expected
    assert [(i, d) for i, d, _ in batch_list(strategy, series)] == expected


def test_confluence_weighs_components_within_the_window():
    series = random_series(4000, 8, decimals=5)
    params = {"window": 4, "threshold": 0.0, "weight_sma": 2.0, "weight_macd": 1.0}
    strategy = REGISTRY.create("confluence", params)
    parts = {
        "sma": batch_list(REGISTRY.create("sma-cross"), series),
        "rsi": batch_list(REGISTRY.create("rsi-reversal"), series),
        "macd": batch_list(REGISTRY.create("macd-cross"), series),
    }
    weights = {"sma": 2.0, "rsi": 1.0, "macd": 1.0}
    expected = []
    latest: dict[str, tuple[int, Direction, float]] = {}
    by_index = {k: {i: (i, d, c) for i, d, c in v} for k, v in parts.items()}
    for i in range(len(series)):
        fired = [by_index[k][i] for k in weights if i in by_index[k]]
        for k in weights:
            if i in by_index[k]:
                latest[k] = by_index[k][i]
        if not fired:
            continue
        score = 0.0
        for k, w in weights.items():
            if k in latest and i - latest[k][0] < 4:
                score += w * (1 if latest[k][1] is Direction.CALL else -1) * latest[k][2]
        if score == 0:
            continue
        direction = Direction.CALL if score > 0 else Direction.PUT
        if any(d is direction for _, d, _ in fired):
            expected.append((i, direction, abs(score) / 4.0))
    assert len(expected) > 30
    assert any(c > 0.6 / 4 * 2 + 1e-9 for _, _, c in expected)  # some agreements happened
    live = [(i, s.direction, s.confidence) for i, s in run_live(strategy, series)]
    for got in (live, batch_list(strategy, series)):
        assert [(i, d) for i, d, _ in got] == [(i, d) for i, d, _ in expected]
        np.testing.assert_allclose([c for *_, c in got], [c for *_, c in expected], rtol=1e-12)


def test_confluence_threshold_and_single_component():
    series = random_series(3000, 9)
    only_sma = {"weight_rsi": 0.0, "weight_macd": 0.0, "threshold": 0.6}
    got = batch_list(REGISTRY.create("confluence", only_sma), series)
    sma = batch_list(REGISTRY.create("sma-cross"), series)
    assert [(i, d) for i, d, _ in got] == [(i, d) for i, d, _ in sma]
    assert not batch_list(REGISTRY.create("confluence", {**only_sma, "threshold": 0.61}), series)


# ---- the same code live and in backtests ----

PARAM_SETS = [
    ("sma-cross", {}),
    ("sma-cross", {"fast": 1, "slow": 2}),
    ("rsi-reversal", {}),
    ("rsi-reversal", {"period": 3, "low": 20, "high": 80}),
    ("macd-cross", {}),
    ("macd-cross", {"fast": 3, "slow": 7, "signal": 2}),
    ("confluence", {}),
    ("confluence", {"window": 1, "threshold": 0.1, "sma_fast": 3, "sma_slow": 9}),
]


@pytest.mark.parametrize("name, params", PARAM_SETS)
@pytest.mark.parametrize("decimals", [2, 5])
def test_vectorised_signals_equal_the_live_runner(name, params, decimals):
    series = random_series(6000, 21 + decimals, decimals)
    strategy = REGISTRY.create(name, params)
    live = [(i, s.direction, s.confidence) for i, s in run_live(strategy.fresh(), series)]
    batch = batch_list(strategy, series)
    assert len(live) > 10
    assert [(i, d) for i, d, _ in batch] == [(i, d) for i, d, _ in live]
    np.testing.assert_allclose([c for *_, c in batch], [c for *_, c in live], rtol=1e-12)
    # The base class's candle-by-candle loop (what a trader's own strategy gets) agrees too.
    looped = Strategy.signals(strategy, series)
    np.testing.assert_array_equal(looped.index, [i for i, *_ in batch])


@pytest.mark.parametrize("chunk", [1, 2, 7, 500])
@pytest.mark.parametrize("params", [{"fast": 1, "slow": 2}, {"fast": 4, "slow": 9}])
def test_sma_cross_worked_in_chunks_signals_as_over_the_whole_series(monkeypatch, chunk, params):
    series = random_series(3000, 5, 3)  # flat stretches too: ties inside the dead band
    strategy = REGISTRY.create("sma-cross", params)
    live = [(i, s.direction) for i, s in run_live(strategy.fresh(), series)]
    monkeypatch.setattr(crossovers, "SIGNAL_CHUNK", chunk)
    assert [(i, d) for i, d, _ in batch_list(strategy, series)] == live
    assert len(live) > 50


@pytest.mark.parametrize("name", ["sma-cross", "rsi-reversal", "macd-cross", "confluence"])
def test_a_gap_in_time_does_not_reset_indicators(name):
    series = random_series(800, 31)
    starts = series.start.copy()
    starts[400:] += 7 * 86_400  # a week without candles
    gapped = series_of(series.close.copy(), starts)
    plain = series_of(series.close.copy())
    strategy = REGISTRY.create(name)
    assert batch_list(strategy, gapped) == batch_list(strategy, plain)
    assert [i for i, _ in run_live(strategy.fresh(), gapped)] == [
        i for i, _ in run_live(strategy.fresh(), plain)
    ]


def test_warm_up_on_history_then_live_gives_the_remaining_signals():
    series = random_series(1500, 51)
    strategy = REGISTRY.create("macd-cross")
    runner = StrategyRunner(strategy.fresh(), ASSET, TF)
    runner.warm_up(candle(series, i) for i in range(1000))
    live = [i for i in range(1000, 1500) if runner.on_candle(candle(series, i)) is not None]
    assert live == [i for i, _, _ in batch_list(strategy, series) if i >= 1000]
    assert len(live) > 5


# ---- no look-ahead ----


@pytest.mark.parametrize("name", ["sma-cross", "rsi-reversal", "macd-cross", "confluence"])
def test_signals_never_depend_on_later_candles(name):
    series = random_series(2000, 41)
    strategy = REGISTRY.create(name)
    full = batch_list(strategy, series)
    for cut in (500, 1234, 1999):
        closes = series.close.copy()
        closes[cut:] = closes[cut:] * 3.0  # the future changes wildly
        changed = batch_list(strategy, series_of(closes, spread=0.001))
        assert [s for s in changed if s[0] < cut] == [s for s in full if s[0] < cut]


class Spy(Strategy):
    """Remembers every candle it is shown."""

    name = "spy"

    def reset(self) -> None:
        self.seen: list[int] = []

    def on_candle(self, candle: Candle) -> Vote | None:
        self.seen.append(candle.start)
        return None


def test_the_runner_never_shows_a_candle_that_has_not_closed():
    spy = Spy()
    runner = StrategyRunner(spy, ASSET, TF)
    forming = Candle(ASSET, TF, 600, 1.0, 1.1, 0.9, 1.05)
    assert runner.on_candle(forming, now=600 + 59.9) is None  # still forming
    assert spy.seen == [] and runner.refused == 1
    assert runner.on_candle(forming, now=660) is None
    assert spy.seen == [600]
    # An update of the same candle, an older one, or another asset's never reaches it.
    runner.on_candle(Candle(ASSET, TF, 600, 1.0, 1.2, 0.9, 1.15), now=700)
    runner.on_candle(Candle(ASSET, TF, 540, 1.0, 1.2, 0.9, 1.15), now=700)
    runner.on_candle(Candle("GBPUSD_otc", TF, 660, 1.0, 1.2, 0.9, 1.15), now=800)
    runner.on_candle(Candle(ASSET, 300, 900, 1.0, 1.2, 0.9, 1.15), now=1800)
    assert spy.seen == [600] and runner.refused == 5
    assert not runner.stopped


# ---- a strategy that fails is stopped, not the app ----


class Broken(Strategy):
    name = "broken"

    def reset(self) -> None:
        self.count = 0

    def on_candle(self, candle: Candle) -> Vote | None:
        self.count += 1
        if self.count == 3:
            raise ZeroDivisionError("division by zero")
        return Vote(Direction.CALL, 0.5, "always")


class Overconfident(Strategy):
    name = "overconfident"

    def reset(self) -> None:
        pass

    def on_candle(self, candle: Candle) -> Vote | None:
        return Vote(Direction.PUT, 1.5, "sure")


def test_a_raising_strategy_is_stopped_and_reported(caplog):
    series = random_series(10, 1)
    runner = StrategyRunner(Broken(), ASSET, TF)
    with caplog.at_level(logging.ERROR):
        results = [runner.on_candle(candle(series, i)) for i in range(10)]
    assert [r is not None for r in results] == [True, True] + [False] * 8
    assert runner.stopped
    assert "broken" in runner.error and "ZeroDivisionError" in runner.error
    assert "stopped at candle 120" in runner.error
    assert "ZeroDivisionError" in caplog.text
    assert runner.strategy.count == 3  # never called again after failing


def test_a_strategy_answering_nonsense_is_stopped():
    runner = StrategyRunner(Overconfident(), ASSET, TF)
    assert runner.on_candle(candle(random_series(3, 1), 0)) is None
    assert runner.stopped and "confidence 1.5" in runner.error


# ---- registry, parameters, strategies file, a trader's own strategy ----


def test_unknown_strategy_names_the_known_ones():
    with pytest.raises(StrategyError, match="unknown strategy 'nope'.*sma-cross"):
        REGISTRY.create("nope")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"fast": "abc"}, "fast must be a number"),
        ({"fast": "2.5"}, "fast must be a whole number"),
        ({"fast": 0}, "fast must be >= 1"),
        ({"fast": 20, "slow": 10}, "fast must be shorter than slow"),
        ({"speed": 3}, "unknown parameter speed"),
        ({"expiry": 0}, "expiry must be >= 1"),
        ({"confidence": 2}, "confidence must be <= 1"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(params, message):
    with pytest.raises(StrategyError, match=message):
        REGISTRY.create("sma-cross", params)


def test_parameters_from_strings_as_the_command_line_gives_them():
    strategy = REGISTRY.create("rsi-reversal", {"period": "7", "low": "25.5", "expiry": "120"})
    assert strategy.params["period"] == 7 and strategy.params["low"] == 25.5
    assert strategy.expiry == 120


USER_STRATEGY = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class EveryNth(Strategy):
    name = "every-nth"
    description = "CALL on every n-th candle"
    PARAMS = {"n": Param(3, "how often", int, minimum=1)}

    def reset(self):
        self.count = 0

    def on_candle(self, candle):
        self.count += 1
        if self.count % self.params["n"] == 0:
            return Vote(Direction.CALL, 0.7, f"candle {self.count}")
        return None
"""


def test_strategies_file_sets_defaults_presets_and_loads_user_files(tmp_path):
    (tmp_path / "mine.py").write_text(USER_STRATEGY)
    config = tmp_path / "strategies.json"
    config.write_text(
        json.dumps(
            {
                "files": ["mine.py", "missing.py"],
                "strategies": {
                    "sma-cross": {"fast": 8, "slow": 21},
                    "quick-sma": {"base": "sma-cross", "fast": 3, "slow": 9, "expiry": 120},
                    "every-2nd": {"base": "every-nth", "n": 2},
                    "bad-one": {"base": "sma-cross", "fast": "x"},
                    "ghost": {"base": "no-such"},
                },
            }
        )
    )
    registry = StrategyRegistry(import_files=True)  # as the command line reads it
    problems = registry.load_config(config)
    assert len(problems) == 3
    assert any("missing.py does not exist" in p for p in problems)
    assert any("fast must be a number" in p for p in problems)
    assert any("unknown strategy 'no-such'" in p for p in problems)
    assert registry.create("sma-cross").params["fast"] == 8
    assert registry.create("sma-cross", {"fast": 2}).params == {
        **registry.create("sma-cross").params,
        "fast": 2,
    }
    quick = registry.create("quick-sma")
    assert (quick.name, quick.params["fast"], quick.expiry) == ("quick-sma", 3, 120)
    assert quick.fresh().name == "quick-sma"
    every = registry.create("every-2nd")
    live = run_live(every, random_series(7, 1))
    assert [i for i, _ in live] == [1, 3, 5]
    assert live[0][1].strategy == "every-2nd" and live[0][1].reason == "candle 2"
    assert {"every-nth", "every-2nd", "quick-sma", "confluence"} <= set(registry.names())
    app = StrategyRegistry()  # as the app reads it: the file described in a worker process
    assert app.load_config(config) == problems
    assert app.names() == registry.names()
    assert app.check("every-2nd") == {"expiry": 60, "n": 2}
    assert app.describe("every-2nd")[0] == "CALL on every n-th candle"
    with pytest.raises(StrategyError, match="every-2nd from .*mine.py runs only in a worker"):
        app.create("every-2nd")


@pytest.mark.parametrize("import_files", [False, True], ids=["described", "imported"])
def test_reading_a_strategies_file_changes_nothing_until_it_is_applied(tmp_path, import_files):
    (tmp_path / "mine.py").write_text(USER_STRATEGY)
    config = tmp_path / "strategies.json"
    entries = {"sma-cross": {"fast": 8}, "every-2nd": {"base": "every-nth", "n": 2}}
    config.write_text(json.dumps({"files": ["mine.py"], "strategies": entries}))
    registry = StrategyRegistry(import_files=import_files)
    before = registry.names()
    read = registry.read_config(config)  # the slow part, which the app runs off its GUI thread
    found = registry.find_in_file(tmp_path / "mine.py")
    assert registry.names() == before and registry.check("sma-cross")["fast"] == 5
    assert found.names == ("every-nth",) and read.found[0].names == ("every-nth",)
    assert registry.apply_config(read) == []
    assert {"every-nth", "every-2nd"} <= set(registry.names())
    assert registry.check("sma-cross")["fast"] == 8 and registry.check("every-2nd")["n"] == 2


@pytest.mark.parametrize("import_files", [False, True], ids=["described", "imported"])
@pytest.mark.parametrize(
    "content, message",
    [
        (
            "import no_such_module_anywhere\n",
            (
                "bad.py: ModuleNotFoundError at line 1: No module named "
                "'no_such_module_anywhere'; the strategy file .*bad.py failed to load"
            ),
        ),
        ("x = 1\n", "defines no Strategy subclass"),
        ("x = 1\n\ndef broken(:\n", "bad.py: SyntaxError at line 3: invalid syntax"),
    ],
)
def test_a_bad_user_file_is_reported(tmp_path, content, message, import_files):
    path = tmp_path / "bad.py"
    path.write_text(content)
    with pytest.raises(StrategyError, match=message):
        StrategyRegistry(import_files=import_files).load_file(path)


def test_unreadable_strategies_file_is_a_problem_not_a_crash(tmp_path):
    config = tmp_path / "strategies.json"
    config.write_text("{not json")
    problems = StrategyRegistry().load_config(config)
    assert len(problems) == 1 and "is not valid JSON" in problems[0]
    kept = list(tmp_path.glob("strategies.unreadable-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json" and str(kept[0]) in problems[0]
    assert StrategyRegistry().load_config(tmp_path / "absent.json") == []


@settings(max_examples=120, deadline=None)
@given(
    closes=st.lists(st.sampled_from([1.0, 1.0001, 1.0002, 0.9999, 1.001, 0.999]), max_size=120),
    name=st.sampled_from(["sma-cross", "rsi-reversal", "macd-cross", "confluence"]),
    small=st.integers(1, 4),
)
def test_property_vectorised_equals_live_on_any_series(closes, name, small):
    params = {
        "sma-cross": {"fast": small, "slow": small + 3},
        "rsi-reversal": {"period": small + 1, "low": 40, "high": 60},
        "macd-cross": {"fast": small, "slow": small + 4, "signal": small},
        "confluence": {"sma_fast": small, "sma_slow": small + 2, "window": small, "threshold": 0},
    }[name]
    strategy = REGISTRY.create(name, params)
    series = series_of(closes) if closes else CandleSeries(ASSET, TF)
    live = [(i, s.direction, s.confidence) for i, s in run_live(strategy.fresh(), series)]
    batch = batch_list(strategy, series)
    assert [(i, d) for i, d, _ in batch] == [(i, d) for i, d, _ in live]
    np.testing.assert_allclose([c for *_, c in batch], [c for *_, c in live], rtol=1e-12)
