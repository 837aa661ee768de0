"""Indicator values of the closed candles, in numpy buffers with room to grow (by half).

Computing is one call into ``qfdesk.engine.indicators.batch`` per indicator: over all closed
candles when the series is set, and over a warm-up tail when new candles close (exact for the
windowed ones, converged far below float precision for the exponential ones), so a closing
candle costs O(warm-up), not O(N).
"""

from __future__ import annotations

import numpy as np

from qfdesk.engine.indicators import batch
from qfdesk.engine.series import CandleSeries
from qfdesk.ui.chart.indicator_spec import IndicatorSpec


def compute(
    spec: IndicatorSpec, high: np.ndarray, low: np.ndarray, close: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The spec's outputs (in ``spec.info.outputs`` order) over the given candles."""
    p = spec.params

    def n(name: str) -> int:
        """A period: a whole number (``parse_spec`` makes those ints)."""
        return int(p[name])

    if spec.kind == "sma":
        return (batch.sma(close, n("period")),)
    if spec.kind == "ema":
        return (batch.ema(close, n("period")),)
    if spec.kind == "rsi":
        return (batch.rsi(close, n("period")),)
    if spec.kind == "bollinger":
        return tuple(batch.bollinger(close, n("period"), p["k_up"], p["k_down"]))
    if spec.kind == "macd":
        return tuple(batch.macd(close, n("fast"), n("slow"), n("signal")))
    if spec.kind == "stochastic":
        return tuple(batch.stochastic(high, low, close, n("fastk"), n("slowk"), n("slowd")))
    raise ValueError(f"no computation for indicator kind {spec.kind!r}")


class IndicatorValues:
    """Outputs of one indicator for candles [0, count) of a series."""

    def __init__(self, spec: IndicatorSpec) -> None:
        self.spec = spec
        self._buffers = np.empty((len(spec.info.outputs), 0))
        self._count = 0
        self.computed = 0  # candles passed to the engine so far (for tests and benchmarks)

    @property
    def count(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        return self._buffers.nbytes

    def output(self, name: str) -> np.ndarray:
        """Values of output ``name`` for candles [0, count) (a view)."""
        return self._buffers[self.spec.info.outputs.index(name), : self._count]

    def outputs(self) -> dict[str, np.ndarray]:
        return {name: self.output(name) for name in self.spec.info.outputs}

    def at(self, index: int) -> dict[str, float]:
        if not 0 <= index < self._count:
            return {}
        return {
            name: float(self._buffers[i, index]) for i, name in enumerate(self.spec.info.outputs)
        }

    def reset(self, series: CandleSeries, count: int) -> None:
        """Compute over candles [0, count) from scratch."""
        values = compute(self.spec, series.high[:count], series.low[:count], series.close[:count])
        self._buffers = np.empty((len(values), count + 4096 + count // 32))
        self._buffers[:, :count] = values
        self._count = count
        self.computed += count

    def clear(self) -> None:
        self._buffers = np.empty((len(self.spec.info.outputs), 0))
        self._count = 0

    def extend(self, series: CandleSeries, count: int) -> None:
        """Candles up to ``count`` closed: compute the new ones from a warm-up tail."""
        old = self._count
        if count <= old:
            if count < old:
                self.reset(series, count)
            return
        lo = max(0, old - self.spec.warmup)
        if lo == 0:
            self.reset(series, count)
            return
        values = compute(
            self.spec, series.high[lo:count], series.low[lo:count], series.close[lo:count]
        )
        if count > self._buffers.shape[1]:
            capacity = max(count, self._buffers.shape[1] + self._buffers.shape[1] // 2)
            grown = np.empty((self._buffers.shape[0], capacity))
            grown[:, :old] = self._buffers[:, :old]
            self._buffers = grown
        for i, column in enumerate(values):
            self._buffers[i, old:count] = column[old - lo :]
        self._count = count
        self.computed += count - lo
