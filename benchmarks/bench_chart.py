"""Benchmark the chart: live tick, repaint, pan step and memory at 10k, 100k and 1M candles.

Offscreen. Each size runs in its own process so memory figures are not mixed. Times are the
process's CPU time (time.process_time), so other work on a shared machine does not inflate
them; on an idle machine wall time is the same (rendering runs on the calling thread). The baseline is
pyqtgraph's candlestick example approach (examples/customGraphicsItem.py: every bar drawn once
into one QPicture, replayed on every paint, rebuilt when data changes), measured in the same
run on the same data, view and image size.

    python benchmarks/bench_chart.py                 # 10k, 100k, 1M
    python benchmarks/bench_chart.py --sizes 10000   # one size
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

WIDTH, HEIGHT = 1600, 900
VISIBLE = 2000
PAN_STEPS = 200
BASELINE_MAX = 200_000  # the QPicture approach is rebuilt per tick: too slow beyond this
INDICATORS = [
    {"kind": "sma", "params": {"period": 20}},
    {"kind": "ema", "params": {"period": 50}},
    {"kind": "bollinger"},
    {"kind": "rsi"},
    {"kind": "macd"},
]


def live_rss_mb() -> float:
    """RSS after returning freed heap to the system (glibc keeps freed temporaries mapped)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_series(n: int):
    from qfdesk.engine.series import CandleSeries

    rng = np.random.default_rng(1)
    close = 1.1 + np.cumsum(rng.normal(0, 2e-4, n))
    open_ = np.concatenate(([1.1], close[:-1]))
    high = np.maximum(open_, close) + np.abs(rng.normal(0, 1e-4, n))
    low = np.minimum(open_, close) - np.abs(rng.normal(0, 1e-4, n))
    series = CandleSeries("EURUSD_otc", 60)
    append = series.append
    for lo in range(0, n, 10_000):  # in chunks: no million-element lists left in the heap
        hi = min(n, lo + 10_000)
        rows = zip(
            open_[lo:hi].tolist(), high[lo:hi].tolist(), low[lo:hi].tolist(), close[lo:hi].tolist()
        )
        for i, row in enumerate(rows, start=lo):
            append(1_700_000_000 + 60 * i, *row)
    return series


class PictureCandles(pg.GraphicsObject):
    """The baseline: pyqtgraph's example approach, all bars recorded into one QPicture."""

    def __init__(self, series, count: int) -> None:
        super().__init__()
        self.series = series
        self.count = count
        self.picture = QtGui.QPicture()
        self.rebuild()

    def rebuild(self) -> None:
        s = self.series
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        up_pen, down_pen = pg.mkPen("#26a69a"), pg.mkPen("#ef5350")
        up_brush, down_brush = pg.mkBrush("#26a69a"), pg.mkBrush("#ef5350")
        rows = zip(s.open.tolist(), s.high.tolist(), s.low.tolist(), s.close.tolist())
        for i, (o, h, low, c) in enumerate(rows):
            up = c >= o
            painter.setPen(up_pen if up else down_pen)
            painter.drawLine(QtCore.QPointF(i, low), QtCore.QPointF(i, h))
            painter.setBrush(up_brush if up else down_brush)
            painter.drawRect(QtCore.QRectF(i - 0.4, o, 0.8, c - o))
        painter.end()
        self.prepareGeometryChange()
        self.picture = picture

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        painter.drawPicture(0, 0, self.picture)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self.picture.boundingRect())


class Renderer:
    """Renders a graphics view into an offscreen image, as a repaint would."""

    def __init__(self, view: pg.GraphicsView) -> None:
        self.view = view
        self.image = QtGui.QImage(
            view.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied
        )

    def __call__(self) -> None:
        self.image.fill(0)
        painter = QtGui.QPainter(self.image)
        self.view.render(painter)
        painter.end()


def item_painter(item: pg.GraphicsObject, view: pg.GraphicsView):
    """A function painting only ``item`` into an image, as the view would place it."""
    image = QtGui.QImage(view.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)

    def paint() -> None:
        image.fill(0)
        painter = QtGui.QPainter(image)
        painter.setTransform(item.deviceTransform(view.viewportTransform()))
        item.paint(painter)
        painter.end()

    return paint


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile milliseconds of ``fn()``."""
    samples = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        samples.append((time.process_time() - t0) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 95))


def pan_ms(
    vb: pg.ViewBox, render: Renderer, width: float, right: float, count: int = PAN_STEPS
) -> tuple[float, float]:
    """Median and 95th percentile ms of a pan step of 1% of the view width followed by a repaint.

    Path rebuilds (when the view leaves the built margin) fall inside the steps measured."""
    step = width / 100
    steps = iter(range(1, count + 1))

    def pan() -> None:
        x1 = right - next(steps) * step
        vb.setXRange(x1 - width, x1, padding=0)
        render()

    return timed(pan, count)


def bench_chart(series, n: int) -> dict[str, float]:
    from qfdesk.ui.chart import ChartWidget

    result: dict[str, float] = {}
    chart = ChartWidget(initial_bars=VISIBLE)
    chart.resize(WIDTH, HEIGHT)
    chart.show()
    t0 = time.process_time()
    chart.set_series(series, closed_len=n - 1)
    result["set_series_ms"] = ((time.process_time() - t0) * 1000,) * 2
    render = Renderer(chart.graphics)
    render()
    vb = chart.price_plot.vb
    last = n - 1
    prices = iter(np.tile(1.1 + np.linspace(-1e-3, 1e-3, 50), 1000).tolist())

    def tick() -> None:
        price = next(prices)
        series.update_last(max(series.high[last], price), min(series.low[last], price), price)
        chart.series_changed(closed_len=last)
        chart.flush()

    builds = chart.candle_item.path_builds
    result["tick_ms"] = timed(tick, 300)
    assert chart.candle_item.path_builds == builds, "a tick rebuilt history"

    def repaint_rebuild() -> None:
        chart.candle_item.invalidate()
        render()

    paint_item = item_painter(chart.candle_item, chart.graphics)

    def item_rebuild() -> None:
        chart.candle_item.invalidate()
        paint_item()

    result["item_repaint_ms"] = timed(item_rebuild, 50)
    result["repaint_ms"] = timed(repaint_rebuild, 50)
    result["repaint_cached_ms"] = timed(render, 50)
    (x0, x1), _ = vb.viewRange()
    result["pan_ms"] = pan_ms(vb, render, x1 - x0, x1)
    vb.setXRange(-5, n + 5, padding=0)
    render()
    result["pan_all_ms"] = pan_ms(vb, render, n + 10, n + 5)
    result["rss_candles_mb"] = rss_mb()

    vb.setXRange(n - VISIBLE, n + 5, padding=0)  # back to 2000 candles at the right edge
    t0 = time.process_time()
    chart.set_indicator_specs(INDICATORS)
    result["indicators_add_ms"] = ((time.process_time() - t0) * 1000,) * 2
    render()
    assert chart.is_following()
    result["tick_ind_ms"] = timed(tick, 300)

    def close_bar() -> None:
        i = len(series)
        series.append(int(series.start[-1]) + 60, 1.1, 1.1, 1.1, 1.1)
        chart.series_changed(closed_len=i)
        chart.flush()
        render()

    result["bar_close_ind_ms"] = timed(close_bar, 20)
    (x0, x1), _ = vb.viewRange()
    result["pan_ind_ms"] = pan_ms(vb, render, x1 - x0, x1)
    vb.setXRange(-5, len(series) + 5, padding=0)
    render()
    result["bar_close_all_ms"] = timed(close_bar, 10)
    result["rss_ind_mb"] = rss_mb()
    result["live_ind_mb"] = live_rss_mb()
    result["series_mb"] = series.nbytes / 2**20
    result["indicators_mb"] = chart.indicators.nbytes / 2**20
    chart.close()
    return result


def bench_baseline(series, n: int) -> dict[str, float]:
    result: dict[str, float] = {}
    plot = pg.PlotWidget()
    plot.resize(WIDTH, HEIGHT)
    plot.show()
    t0 = time.process_time()
    item = PictureCandles(series, n)
    result["set_series_ms"] = ((time.process_time() - t0) * 1000,) * 2
    plot.addItem(item)
    vb = plot.getPlotItem().vb
    vb.setXRange(n - VISIBLE, n, padding=0)
    vb.setYRange(series.low[-VISIBLE:].min(), series.high[-VISIBLE:].max())
    render = Renderer(plot)
    render()
    last = n - 1

    def tick() -> None:
        series.update_last(series.high[last], series.low[last], series.close[last] + 1e-6)
        item.rebuild()
        item.update()

    result["tick_ms"] = timed(tick, 5 if n > 20_000 else 30)
    result["item_repaint_ms"] = timed(item_painter(item, plot), 10)
    result["repaint_ms"] = timed(render, 10)
    result["repaint_cached_ms"] = result["repaint_ms"]
    result["pan_ms"] = pan_ms(vb, render, VISIBLE, n, count=20)
    result["rss_candles_mb"] = rss_mb()
    result["item_mb"] = item.picture.size() / 2**20
    plot.close()
    return result


def run_one(n: int, which: str) -> dict[str, float]:
    pg.mkQApp()
    before = rss_mb()
    series = make_series(n)
    result = (bench_chart if which == "chart" else bench_baseline)(series, n)
    result["rss_start_mb"] = before
    return result


def fmt(value: float | list[float] | None, unit: str = "") -> str:
    """A figure, or ``median (p95)`` for timings."""
    if value is None:
        return "-"
    if isinstance(value, list):
        median, best = value
        if median == best:
            return fmt(median, unit)
        return f"{fmt(median)} ({fmt(best)}){unit}"
    return f"{value:.2f}{unit}" if value < 100 else f"{value:.0f}{unit}"


def table(results: dict[int, dict]) -> str:
    rows = [
        ("live tick (store + forming item + y fit)", "tick_ms", " ms"),
        ("live tick with 5 indicators", "tick_ind_ms", " ms"),
        (f"candle item repaint, {VISIBLE} visible (build + paint)", "item_repaint_ms", " ms"),
        (f"whole chart repaint, {VISIBLE} visible, rebuilt", "repaint_ms", " ms"),
        (f"whole chart repaint, {VISIBLE} visible, cached", "repaint_cached_ms", " ms"),
        ("pan step + repaint (2000 visible)", "pan_ms", " ms"),
        ("pan step + repaint, all candles visible", "pan_all_ms", " ms"),
        ("pan step + repaint with 5 indicators", "pan_ind_ms", " ms"),
        ("candle closes, 5 indicators (extend+repaint)", "bar_close_ind_ms", " ms"),
        ("  the same with every candle in view (merged)", "bar_close_all_ms", " ms"),
        ("set_series", "set_series_ms", " ms"),
        ("add 5 indicators (batch over all)", "indicators_add_ms", " ms"),
        ("process RSS, candles", "rss_candles_mb", " MB"),
        ("process RSS, candles + 5 indicators", "rss_ind_mb", " MB"),
        ("  the same after malloc_trim (memory in use)", "live_ind_mb", " MB"),
        ("process RSS before the series", "rss_start_mb", " MB"),
        ("candle store (CandleSeries arrays)", "series_mb", " MB"),
        ("indicator values (5 indicators, 9 outputs)", "indicators_mb", " MB"),
        ("QPicture of all bars", "item_mb", " MB"),
    ]
    sizes = sorted(results)
    head = "| measure | " + " | ".join(f"{n:,} ours | {n:,} QPicture" for n in sizes) + " |"
    lines = [head, "|" + " --- |" * (1 + 2 * len(sizes))]
    for label, key, unit in rows:
        cells = []
        for n in sizes:
            ours = results[n]["chart"].get(key)
            base = results[n].get("baseline", {}).get(key)
            cells += [fmt(ours, unit), fmt(base, unit)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--which", choices=("chart", "baseline"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.which)))
        return 0
    results: dict[int, dict] = {}
    for n in args.sizes:
        results[n] = {}
        for which in ("chart", "baseline") if n <= BASELINE_MAX else ("chart",):
            command = [sys.executable, __file__, "--one", str(n), "--which", which]
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            lines = done.stdout.strip().splitlines()
            if not lines or not lines[-1].startswith("{"):
                print(f"{n:,} {which} failed (exit {done.returncode}):\n{done.stderr}")
                return done.returncode or 1
            results[n][which] = json.loads(lines[-1])
        print(f"{n:,} candles done", file=sys.stderr)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(table(results))
    for n in sorted(results):
        chart = results[n]["chart"]
        base = results[n].get("baseline")
        line = (
            f"{n:,}: pan {1000 / chart['pan_ms'][0]:.0f} fps, "
            f"{1000 / chart['pan_ind_ms'][0]:.0f} fps with 5 indicators (medians)"
        )
        if base:
            line += (
                f"; tick {base['tick_ms'][0] / chart['tick_ms'][0]:.0f}x and candle repaint "
                f"{base['item_repaint_ms'][0] / chart['item_repaint_ms'][0]:.0f}x faster than "
                "the QPicture item"
            )
        else:
            line += f"; QPicture item not run above {BASELINE_MAX:,} candles (rebuilt per tick)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
