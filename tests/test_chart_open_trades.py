"""On the chart: the last price line with its value, and each open trade's side, countdown
and whether it is in the money, following every tick until its result replaces it."""

from __future__ import annotations

import pytest
from chart_helpers import OFFSET, random_series, shown_chart

from qfdesk.engine.events import Direction
from qfdesk.ui.chart import TradeMarker, TradeResult, theme
from qfdesk.ui.chart.open_trades import EVEN, LOSING, WINNING

pytestmark = pytest.mark.gui


@pytest.fixture
def chart(qtbot):
    return shown_chart(qtbot, 900, 600)


def tick(chart, series, price: float) -> None:
    i = len(series) - 1
    series.update_last(max(price, series.high[i]), min(price, series.low[i]), price)
    chart.series_changed(len(series) - 1)
    chart.flush()


def test_the_last_price_line_follows_the_newest_price_with_its_value(chart):
    series = random_series(300)
    chart.set_series(series, 299)
    assert chart.last_price.price == pytest.approx(series.close[-1])
    assert chart.last_price.line.isVisible()

    open_ = float(series.open[-1])
    tick(chart, series, open_ + 0.001)
    assert chart.last_price.price == pytest.approx(open_ + 0.001)
    assert chart.last_price.up and chart.last_price.label.toPlainText() == f"{open_ + 0.001:.5f}"
    tick(chart, series, open_ - 0.001)
    assert not chart.last_price.up
    chart.set_price_decimals(3)
    assert chart.last_price.label.toPlainText() == f"{open_ - 0.001:.3f}"

    chart.set_series(None)
    assert chart.last_price.price is None and not chart.last_price.line.isVisible()


def test_an_open_trade_shows_side_countdown_and_moneyness_until_its_result(chart):
    series = random_series(300)
    chart.set_series(series, 299)
    now = float(series.start[-1]) + 10  # platform time, 10 s into the forming candle
    chart.clock = lambda: now - OFFSET
    entry = float(series.close[-1])
    trade = TradeMarker("t1", now - 18, entry, now + 42, Direction.CALL)
    paper = TradeMarker("p1", now - 5, entry, now + 125, Direction.PUT, paper=True)
    chart.upsert_trade_marker(trade)
    chart.upsert_trade_marker(paper)

    assert chart.open_trades.states["t1"].text == "BUY \u25b2 0:42"
    assert chart.open_trades.states["p1"].text == "SELL \u25bc 2:05 PAPER"
    assert chart.open_trades.states["t1"].money == EVEN

    tick(chart, series, entry + 0.0005)
    assert chart.open_trades.states["t1"].money == WINNING
    assert chart.open_trades.states["p1"].money == LOSING
    tick(chart, series, entry - 0.0005)
    assert chart.open_trades.states["t1"].money == LOSING
    assert chart.open_trades.states["p1"].money == WINNING
    assert theme.DOWN in chart.open_trades._items["t1"].toHtml()

    now += 30
    chart._refresh_open_trades()
    assert chart.open_trades.states["t1"].text == "BUY \u25b2 0:12"
    assert chart._countdown.isActive(), "a second's timer runs while trades are open"

    chart.upsert_trade_marker(
        TradeMarker("t1", now - 48, entry, now + 12, Direction.CALL, TradeResult.LOST)
    )
    assert set(chart.open_trades.states) == {"p1"}, "a result replaces the open trade's label"
    chart.remove_trade_marker("p1")
    assert chart.open_trades.count == 0 and not chart._countdown.isActive()
