"""Chart indicators: specs as plain dicts, values equal the engine's, panes x-linked."""

from __future__ import annotations

import json

import numpy as np
import pytest
import talib
from chart_helpers import TIMEFRAME, random_series, shown_chart

from qfdesk.engine.indicators import batch
from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import ChartWidget

pytestmark = pytest.mark.gui

ALL = [
    {"kind": "sma", "params": {"period": 20}},
    {"kind": "ema", "params": {"period": 50}},
    {"kind": "bollinger", "params": {"period": 20, "k_up": 2.0, "k_down": 2.0}},
    {"kind": "rsi", "params": {"period": 14}},
    {"kind": "macd", "params": {"fast": 12, "slow": 26, "signal": 9}},
]


def make_chart(qtbot) -> ChartWidget:
    return shown_chart(qtbot, 1000, 700)


@pytest.fixture
def chart(qtbot):
    return make_chart(qtbot)


def test_specs_round_trip_as_plain_dicts(chart, qtbot):
    chart.set_series(random_series(3000), closed_len=2999)
    with qtbot.waitSignal(chart.indicatorsChanged):
        ids = [chart.add_indicator(spec) for spec in ALL]
    specs = chart.indicator_specs()
    assert [s["id"] for s in specs] == ids
    assert [{"kind": s["kind"], "params": s["params"]} for s in specs] == ALL
    assert len({s["color"] for s in specs}) == len(ALL)
    stored = json.loads(json.dumps(specs))  # what QSettings keeps
    other = make_chart(qtbot)
    other.set_series(random_series(3000), closed_len=2999)
    assert other.set_indicator_specs(stored) == []
    assert other.indicator_specs() == specs
    assert len(other.panes) == 2


def test_overlay_and_pane_values_equal_the_engine(chart):
    series = random_series(4000)
    closed = 3999
    chart.set_series(series, closed_len=closed)
    ids = {spec["kind"]: chart.add_indicator(spec) for spec in ALL}
    close = series.close[:closed]
    values = chart.indicators.values
    np.testing.assert_array_equal(values(ids["sma"]).output("sma"), batch.sma(close, 20))
    np.testing.assert_array_equal(values(ids["ema"]).output("ema"), batch.ema(close, 50))
    np.testing.assert_allclose(
        values(ids["rsi"]).output("rsi"), talib.RSI(close, 14), rtol=1e-9, equal_nan=True
    )
    macd = batch.macd(close, 12, 26, 9)
    for name in ("macd", "signal", "hist"):
        np.testing.assert_array_equal(values(ids["macd"]).output(name), getattr(macd, name))
    # What the line draws is what was computed, for the visible range only.
    chart.price_plot.vb.setXRange(3000, 3200, padding=0)
    chart.grab()
    line = chart.indicators.view(ids["sma"]).lines["sma"]
    lo, hi, k = line.built_range
    assert k == 1 and lo <= 3000 and 3200 < hi < closed
    np.testing.assert_array_equal(line.drawn_x, np.arange(lo, hi))
    np.testing.assert_array_equal(line.drawn_y, batch.sma(close, 20)[lo:hi])
    # RSI and MACD sit in their own panes; SMA, EMA and Bollinger on the price plot.
    assert chart.indicators.pane(ids["sma"]) is None
    assert chart.indicators.pane(ids["rsi"]) in chart.panes
    assert chart.indicators.pane(ids["macd"]) in chart.panes


def test_closing_candles_extend_values_from_a_tail(chart):
    source = random_series(19_200)
    series = CandleSeries(source.asset, source.timeframe)

    def add(i: int) -> None:
        series.append(
            int(source.start[i]), source.open[i], source.high[i], source.low[i], source.close[i]
        )

    for i in range(19_001):
        add(i)
    chart.set_series(series, closed_len=19_000)  # the last candle is forming
    ids = {spec["kind"]: chart.add_indicator(spec) for spec in ALL}
    computed = {i: chart.indicators.values(i).computed for i in ids.values()}
    chart.grab()
    for i in range(19_001, 19_110):  # a candle closes and the next one starts forming
        add(i)
        chart.series_changed(closed_len=i)
        chart.flush()
        if i % 10 == 0:
            chart.grab()
    line = chart.indicators.view(ids["ema"]).lines["ema"]
    assert line.appends > 0 and line.path_builds == 1  # appended to the drawing, not rebuilt
    lo, hi, k = line.built_range
    assert k == 1 and hi == 19_109
    stored = chart.indicators.values(ids["ema"]).output("ema")
    np.testing.assert_array_equal(line.drawn_y, stored[lo:hi])  # drawn = held (held = engine below)
    close = series.close[:19_109]
    for kind, spec_id in ids.items():
        values = chart.indicators.values(spec_id)
        assert values.count == 19_109
        assert values.computed - computed[spec_id] <= 109 * (values.spec.warmup + 1)
        full = {
            "sma": lambda: (batch.sma(close, 20),),
            "ema": lambda: (batch.ema(close, 50),),
            "bollinger": lambda: tuple(batch.bollinger(close, 20, 2.0, 2.0)),
            "rsi": lambda: (batch.rsi(close, 14),),
            "macd": lambda: tuple(batch.macd(close, 12, 26, 9)),
        }[kind]()
        for got, want in zip(values.outputs().values(), full):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_panes_are_x_linked_and_fitted(chart):
    series = random_series(3000)
    chart.set_series(series)
    rsi = chart.add_indicator({"kind": "rsi"})
    macd = chart.add_indicator({"kind": "macd"})
    chart.price_plot.vb.setXRange(500, 800, padding=0)
    for pane in chart.panes:
        assert pane.vb.viewRange()[0] == pytest.approx([500, 800])
    assert chart.indicators.pane(rsi).vb.viewRange()[1] == pytest.approx([-2, 102])
    hist = chart.indicators.values(macd).output("hist")
    line = chart.indicators.values(macd).output("macd")
    lo, hi = chart.visible_range()
    y0, y1 = chart.indicators.pane(macd).vb.viewRange()[1]
    assert y0 <= min(0, np.nanmin(hist[lo:hi]), np.nanmin(line[lo:hi]))
    assert y1 >= max(0, np.nanmax(hist[lo:hi]), np.nanmax(line[lo:hi]))
    # Only the lowest plot shows the time axis.
    assert not chart.price_plot.getAxis("bottom").isVisible()
    assert chart.panes[-1].getAxis("bottom").isVisible()


def test_y_range_includes_visible_bollinger_bands(chart):
    series = random_series(3000)
    chart.set_series(series)
    bands = chart.add_indicator({"kind": "bollinger", "params": {"period": 20, "k_up": 4.0}})
    chart.price_plot.vb.setXRange(1000, 1100, padding=0)
    lo, hi = chart.visible_range()
    upper = chart.indicators.values(bands).output("upper")[lo:hi]
    lower = chart.indicators.values(bands).output("lower")[lo:hi]
    y0, y1 = chart.price_plot.vb.viewRange()[1]
    assert y0 <= lower.min() and y1 >= upper.max()


def test_remove_and_configure(chart):
    series = random_series(2000)
    chart.set_series(series)
    sma = chart.add_indicator({"kind": "sma"})
    rsi = chart.add_indicator({"kind": "rsi"})
    macd = chart.add_indicator({"kind": "macd"})
    assert len(chart.panes) == 2
    line = chart.indicators.view(sma).lines["sma"]
    chart.configure_indicator(sma, {"kind": "sma", "params": {"period": 5}, "color": "#ffffff"})
    assert line not in chart.price_plot.items
    assert [s["id"] for s in chart.indicator_specs()] == [sma, rsi, macd]
    assert chart.indicator_specs()[0]["params"] == {"period": 5}
    np.testing.assert_array_equal(
        chart.indicators.values(sma).output("sma"), batch.sma(series.close, 5)
    )
    rsi_pane = chart.indicators.pane(rsi)
    chart.remove_indicator(rsi)
    assert rsi_pane not in chart.panes and len(chart.panes) == 1
    assert rsi_pane.scene() is None
    chart.remove_indicator(sma)
    assert not any(
        isinstance(item, type(line)) for item in chart.price_plot.items if item is not line
    )
    assert [s["kind"] for s in chart.indicator_specs()] == ["macd"]
    with pytest.raises(KeyError):
        chart.remove_indicator(sma)


def test_bad_specs_are_refused_with_a_reason(chart):
    chart.set_series(random_series(100))
    with pytest.raises(ValueError, match="unknown indicator kind 'vwap'"):
        chart.add_indicator({"kind": "vwap"})
    with pytest.raises(ValueError, match="sma period must be a whole number >= 1"):
        chart.add_indicator({"kind": "sma", "params": {"period": 0}})
    with pytest.raises(ValueError, match="rsi has no parameter length"):
        chart.add_indicator({"kind": "rsi", "params": {"length": 3}})
    problems = chart.set_indicator_specs(
        [{"kind": "ema"}, "garbage", {"kind": "macd", "color": "not a colour"}]
    )
    assert len(problems) == 2
    assert [s["kind"] for s in chart.indicator_specs()] == ["ema"]
    assert chart.set_indicator_specs({"not": "a list"}) != []
    assert chart.indicator_specs() == []


def test_readout_lists_indicator_values(chart):
    series = random_series(500)
    chart.set_series(series, closed_len=499)
    chart.add_indicator({"kind": "sma", "params": {"period": 10}})
    chart.add_indicator({"kind": "rsi", "params": {"period": 14}})
    chart.add_indicator({"kind": "bollinger"})
    text = chart.readout_text(300)
    sma = batch.sma(series.close[:499], 10)[300]
    rsi = batch.rsi(series.close[:499], 14)[300]
    bands = batch.bollinger(series.close[:499], 20, 2.0, 2.0)
    assert f"SMA(10) {sma:.5f}" in text
    assert f"RSI(14) {rsi:.2f}" in text
    assert (
        f"BB(20,2,2) {bands.upper[300]:.5f} / {bands.middle[300]:.5f} / {bands.lower[300]:.5f}"
        in text
    )
    assert "SMA(10) -" in chart.readout_text(3)  # still warming up


def test_macd_histogram_drawn_from_visible_values(chart):
    series = random_series(3000, timeframe=TIMEFRAME)
    chart.set_series(series)
    macd = chart.add_indicator({"kind": "macd"})
    chart.price_plot.vb.setXRange(2000, 2100, padding=0)
    chart.grab()
    item = chart.indicators.view(macd).histogram
    lo, hi, k = item.built_range
    assert k == 1 and lo <= 2000 and hi >= 2101
    hist = chart.indicators.values(macd).output("hist")[lo:hi]
    positive, negative = (r.values() for r in item.rects)
    np.testing.assert_array_equal(positive[:, 1] + positive[:, 3], hist[hist > 0])
    np.testing.assert_array_equal(negative[:, 1], hist[hist < 0])
    np.testing.assert_allclose(positive[:, 0] + 0.3, np.arange(lo, hi)[hist > 0])
    # Zoomed out, merged groups keep their extremes.
    chart.price_plot.vb.setXRange(0, 3000, padding=0)
    chart.grab()
    lo, hi, k = item.built_range
    assert k >= 4
    all_hist = chart.indicators.values(macd).output("hist")
    tops = item.segments[0].values()[:, 3]
    assert tops.max() == np.nanmax(all_hist[lo:hi])


def test_stochastic_pane_uses_high_low_close(chart):
    series = random_series(1500)
    chart.set_series(series)
    stoch = chart.add_indicator({"kind": "stochastic", "params": {"fastk": 14}})
    want = batch.stochastic(series.high, series.low, series.close, 14, 3, 3)
    got = chart.indicators.values(stoch)
    np.testing.assert_array_equal(got.output("k"), want.k)
    np.testing.assert_array_equal(got.output("d"), want.d)
    assert chart.indicators.pane(stoch).vb.viewRange()[1] == pytest.approx([-2, 102])
    assert f"STOCH(14,3,3) {want.k[1000]:.2f} / {want.d[1000]:.2f}" in chart.readout_text(1000)
