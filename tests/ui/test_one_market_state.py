"""One market state, owned by the engine, with the app on the simulator and real Chromium.

Every live tick is aggregated once, by the pipeline's book (no other candle book in the
process sees a tick) and the window's copy holds the same candles. The auto-trader trading
paper on two assets signals on exactly the candles a backtest of the same strategy finds in
the CSVs the app wrote during that session, one for one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, wait_until
from PySide6 import QtCore

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import CandleClosed, Direction, Event
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.engine.strategies.base import CALL
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

TF = 5
RUN_SECONDS = 120.0
PARAMS = {"fast": 1, "slow": 2, "expiry": 5}


@pytest.fixture
def sim():
    with SimulatedPlatform(assets=4, seed=11) as platform:
        yield platform


def live_desk(tmp_path: Path, qloop, sim: SimulatedPlatform, *, save_candles: bool) -> Desk:
    desk = Desk(tmp_path)
    desk.window.toolbar.save_candles.setChecked(save_candles)  # before any frame: all written
    desk.connect(qloop, sim)
    assert wait_until(qloop, lambda: desk.window.source_state is SourceState.LIVE, 30)
    assert wait_until(qloop, lambda: desk.window.market.payout(desk.window.asset), 10)
    return desk


def test_each_live_tick_is_aggregated_once_and_the_window_holds_the_engines_candles(
    sim, qloop, tmp_path, monkeypatch
):
    updates: Counter[tuple[int, str]] = Counter()  # (book, method) -> calls

    def counting(name: str):
        method = getattr(CandleBook, name)

        def counted(self, *args):
            updates[id(self), name] += 1
            return method(self, *args)

        return counted

    for name in ("on_tick", "on_clock", "on_history_candles", "on_history_ticks"):
        monkeypatch.setattr(CandleBook, name, counting(name))
    desk = live_desk(tmp_path, qloop, sim, save_candles=False)
    try:
        pipeline = desk.bridge.pipeline
        sim.control("set_tick_rate", rate=40)
        pause(qloop, 6)
        streamed = sim.state()["streamed"]  # (none while paused)
        sim.control("pause_stream")
        pause(qloop, 2)  # the last frames reach the pipeline, the last updates the window
        ticks = sum(pipeline.ticks_by_asset.values())
        assert ticks > 150, f"the stream ran ({ticks} ticks)"
        books = {book for book, _ in updates}
        assert books == {id(pipeline.book)}, "no other candle book is fed"
        assert updates[id(pipeline.book), "on_tick"] == ticks, "each tick aggregated once"

        copy, book = desk.window.market.candles, pipeline.book
        assert desk.window.chart.series is copy.series(desk.window.asset, desk.window.timeframe)
        assert len(streamed) >= 2 and set(streamed) <= set(book.assets())
        for asset in streamed:
            for tf in book.timeframes:
                mine, engine = copy.series(asset, tf), book.series(asset, tf)
                assert len(mine) == len(engine) > 0, (asset, tf)
                for a, b in zip(
                    (mine.start, mine.open, mine.high, mine.low, mine.close),
                    (engine.start, engine.open, engine.high, engine.low, engine.close),
                    strict=True,
                ):
                    np.testing.assert_array_equal(a, b, err_msg=f"{asset} {tf}")
    finally:
        sim.control("resume_stream")
        desk.close()


class LiveCandles(QtCore.QObject):
    """Whole candles of ``timeframe`` closed live (by tick or clock) while ``on`` is set:
    the candles the running auto-trader evaluates."""

    def __init__(self, bridge, timeframe: int) -> None:
        super().__init__()
        self.timeframe = timeframe
        self.on = False
        self.starts: set[tuple[str, int]] = set()
        bridge.eventsReady.connect(self.seen, QtCore.Qt.ConnectionType.QueuedConnection)

    def seen(self, events: list[Event]) -> None:
        if not self.on:
            return
        for event in events:
            if type(event) is CandleClosed and event.by in ("tick", "clock"):
                candle = event.candle
                if candle.timeframe == self.timeframe and not event.partial:
                    self.starts.add((candle.asset, candle.start))


def backtest_signals(root: Path, assets: list[str]) -> list[tuple[str, int, Direction]]:
    """The signals of the same strategy over the candles the app wrote under ``root``."""
    history = load_history(root)
    assert history.problems == []
    strategy = StrategyRegistry().create("sma-cross", PARAMS)
    found = []
    for asset in assets:
        series = history.series[(asset, TF)]
        signals = strategy.signals(series)
        for i, d in zip(signals.index.tolist(), signals.direction.tolist(), strict=True):
            direction = Direction.CALL if d == CALL else Direction.PUT
            found.append((asset, int(series.start[i]), direction))
    return sorted(found)


def test_the_paper_auto_trader_signals_what_a_backtest_of_the_saved_candles_finds(
    sim, qloop, tmp_path
):
    desk = live_desk(tmp_path, qloop, sim, save_candles=True)
    window = desk.window
    controller = window.autotrade
    assets = sim.state()["streamed"][:2]
    sim.control("set_tick_rate", rate=20)
    live = LiveCandles(desk.bridge, TF)
    try:
        controller.switch.trigger()
        dialog = controller.dialog
        text = " ".join(f"{k}={v}" for k, v in PARAMS.items())
        dialog.choose_strategy("sma-cross", text)
        dialog.choose_assets(assets)
        dialog.choose_timeframe(TF)
        dialog.start_button.click()
        assert wait_until(qloop, lambda: controller.running, 30), "warm and on"
        trader = controller.trader
        assert trader.config.paper and sorted(trader.config.assets) == sorted(assets)
        live.on = True
        pause(qloop, RUN_SECONDS)
        sim.control("pause_stream")
        pause(qloop, TF)  # the forming candles close by the clock and are evaluated
        live.on = False
        pause(qloop, 1)
        assert controller.running, controller.last_stop
        controller.switch.trigger()
    finally:
        sim.control("resume_stream")
        desk.close()

    window_starts = live.starts
    per_asset = Counter(asset for asset, _ in window_starts)
    assert min(per_asset[a] for a in assets) >= RUN_SECONDS / TF * 0.8, per_asset
    traded = sorted(
        (s.asset, s.candle_start, s.direction)
        for s in trader.signals
        if (s.asset, s.candle_start) in window_starts
    )
    tested = sorted(
        s for s in backtest_signals(desk.data_root, assets) if (s[0], s[1]) in window_starts
    )
    assert len(traded) >= 10, f"the strategy signalled ({len(traded)} signals)"
    assert {a for a, _, _ in traded} == set(assets)
    assert traded == tested, "live equals backtest, one for one"
