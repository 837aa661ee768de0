"""Helpers for the chart tests: a random-walk candle series and offscreen rendering."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import numpy as np

from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart import ChartWidget

T0 = 1_756_900_800  # 2025-09-03 12:00:00 on the platform clock
TIMEFRAME = 60
OFFSET = 7200.0


def random_series(n: int, seed: int = 7, timeframe: int = TIMEFRAME) -> CandleSeries:
    """``n`` candles of a random walk starting at T0, with a few gaps in time."""
    rng = np.random.default_rng(seed)
    close = 1.1 + np.cumsum(rng.normal(0, 2e-4, n))
    open_ = np.concatenate(([1.1], close[:-1]))
    high = np.maximum(open_, close) + np.abs(rng.normal(0, 1e-4, n))
    low = np.minimum(open_, close) - np.abs(rng.normal(0, 1e-4, n))
    steps = np.where(rng.random(n) < 0.01, 5, 1) * timeframe
    starts = T0 + np.concatenate(([0], np.cumsum(steps[1:])))
    series = CandleSeries("EURUSD_otc", timeframe, capacity=n)
    for i in range(n):
        series.append(int(starts[i]), open_[i], high[i], low[i], close[i])
    return series


def shown_chart(qtbot, width: int, height: int, **options: Any) -> ChartWidget:
    """A ChartWidget (platform offset OFFSET unless given) shown at ``width`` x ``height``."""
    widget = ChartWidget(**{"platform_offset": OFFSET, **options})
    widget.resize(width, height)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
