"""*Load older history* and scrolling past the oldest candle, in the real window on the
simulator through headless Chromium: older candles arrive through the page and the pipeline
and are inserted on the chart, equal to the platform's history."""

from __future__ import annotations

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, wait_until

from qfdesk.engine.backfill import Outcome
from qfdesk.sim.assets import build_catalogue
from qfdesk.sim.deep_history import DeepHistory
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

ASSET = "EURUSD_otc"


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=3, seed=4) as platform:
        yield platform


@pytest.fixture
def desk(sim, qloop, tmp_path):
    desk = Desk(tmp_path)
    try:
        desk.connect(qloop, sim)
        window = desk.window
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 30)
        window.toolbar.assets.choose(ASSET)
        assert wait_until(qloop, lambda: len(window.chart.series or ()) >= 90, 20)
        yield desk
    finally:
        desk.close()


def platform_history(start: int) -> tuple[float, float, float, float]:
    """The simulator's candle at ``start`` (before it started: the same in every run)."""
    asset = next(a for a in build_catalogue(3) if a.symbol == ASSET)
    bar = DeepHistory(asset).bar(start)
    assert bar is not None
    o, c, h, lo = bar
    return o, h, lo, c


def test_load_older_history_inserts_a_day_of_older_candles_on_the_chart(desk, qloop, sim):
    window = desk.window
    chart = window.chart
    oldest = int(chart.series.start[0])
    count = len(chart.series)
    action = window.older_history.action
    assert action in chart.actions()  # the chart's right-click menu
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()
    action.trigger()
    assert window.older_history.busy
    assert not window.older_history.bar.isHidden()  # the progress bar shows while it pages
    assert wait_until(qloop, lambda: not window.older_history.busy, 60)
    assert window.older_history.last.outcome is Outcome.DONE, window.older_history.last
    assert window.older_history.bar.isHidden()
    series = chart.series
    assert int(series.start[0]) == oldest - 86400
    assert len(series) >= count + 1440
    starts = series.start[: 1440 + 1]
    assert (starts[1:] - starts[:-1] == 60).all()  # in order, none twice, none missing
    i = 17
    ohlc = (series.open[i], series.high[i], series.low[i], series.close[i])
    assert ohlc == platform_history(int(series.start[i]))
    asked = [e.payload for e in sim.received_events() if e.event == "loadHistoryPeriod"]
    assert asked[0]["time"] == oldest and {a["asset"] for a in asked} == {ASSET}
    assert "1440 older EURUSD_otc candles loaded" in window.trade_panel.message.text()


def test_scrolling_past_the_oldest_candle_loads_an_older_page(desk, qloop):
    window = desk.window
    chart = window.chart
    oldest = int(chart.series.start[0])
    shown_oldest = chart.series.start[0]
    chart.price_plot.vb.setXRange(-4, 60, padding=0)  # the trader drags past the oldest candle
    assert wait_until(qloop, lambda: int(chart.series.start[0]) < oldest, 30)
    assert wait_until(qloop, lambda: not window.older_history.busy, 30)
    assert int(chart.series.start[0]) == oldest - 500 * 60
    # the candles the trader was looking at stay in view, now 500 bars further right
    (x0, _x1), _ = chart.price_plot.vb.viewRange()
    assert chart.series.start[round(x0) + 4] == shown_oldest and 495 <= x0 <= 497
