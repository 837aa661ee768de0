"""The auto-trader switch in a real main window (offscreen): off at every start, on and off,
a state nobody can miss, paper trades from signals, and a visible reason when it stops."""

from __future__ import annotations

import os
import time

import pytest
from desk_helpers import Desk, ini_store, pause, read_strategy_file, wait_until
from PySide6 import QtWidgets

from qfdesk.engine.events import AssetInfo, AssetTable, Candle, CandleClosed, MarketUpdate, Tick
from qfdesk.engine.stake_plan import PlanKind
from qfdesk.ui.autotrade_action import OFF_TEXT
from qfdesk.ui.dark_theme import WARN

pytestmark = pytest.mark.gui

ASSET = "EURUSD_otc"
TF = 5
ZIGZAG = [1.0, 0.9, 1.0, 0.9, 1.0, 0.9]


@pytest.fixture
def desk(tmp_path, qloop):
    store = ini_store(tmp_path / "settings.ini")
    store.set_last_asset(ASSET)
    # Whatever a settings file says, the auto-trader never starts on by itself.
    for key in ("autotrade/on", "autotrade/enabled", "toolbar/autotrade"):
        store.settings.setValue(key, True)
    store.sync()
    desk = Desk(tmp_path)
    info = AssetInfo(1, ASSET, "EUR/USD OTC", "currency", 92.0, True, True, (15, 60))
    desk.window.market.apply([AssetTable((info,))])
    yield desk
    desk.close()


def zigzag_candles(closes: list[float], closed_now: int) -> list[CandleClosed]:
    """Candles of ASSET; the first ``closed_now`` have just closed by the local clock (the
    window's clock offline), the others close later."""
    begin = int(time.time()) // TF * TF - TF * closed_now
    return [
        CandleClosed(Candle(ASSET, TF, begin + TF * i, c, c, c, c), "tick")
        for i, c in enumerate(closes)
    ]


def start_paper(desk: Desk, qloop, params: str = "fast=1 slow=2 expiry=15"):
    window = desk.window
    switch = window.autotrade.switch
    switch.trigger()
    dialog = window.autotrade.dialog
    assert dialog is not None and dialog.isVisible(), "switching on asks what to run"
    assert not switch.isChecked() and switch.text() == OFF_TEXT, "not on before Start"
    dialog.choose_strategy("sma-cross", params)
    dialog.choose_timeframe(TF)
    dialog.start_button.click()
    if dialog.result() == QtWidgets.QDialog.DialogCode.Accepted:
        assert wait_until(qloop, lambda: window.autotrade.running, 30), "warm and on"
    return dialog


def test_off_at_every_start_even_if_settings_say_on(desk):
    switch = desk.window.autotrade.switch
    assert desk.window.toolbar.autotrade_action is switch
    assert desk.window.toolbar.widgetForAction(switch).isVisible(), "in sight, not overflowed"
    assert not switch.isChecked() and switch.text() == OFF_TEXT
    assert not switch.badge.isVisible()
    assert not desk.window.autotrade.running
    assert "#787b86" in switch.button_style(desk.window.toolbar), "grey when off"


def test_on_paper_trades_signals_then_off_nothing_more(desk, qloop):
    window = desk.window
    controller = window.autotrade
    switch = controller.switch
    start_paper(desk, qloop)
    assert controller.running and switch.isChecked()
    assert switch.text() == "AUTO ON \u00b7 PAPER"
    assert switch.badge.isVisible() and "PAPER" in switch.badge.text()
    assert WARN in switch.button_style(window.toolbar), "a bright background when on"
    assert controller.configure() is None, "settings change only while off"
    assert "Switch the auto-trader off" in window.trade_panel.message.text()

    candles = zigzag_candles(ZIGZAG, closed_now=4)
    window.bridge.eventsReady.emit(candles[:4])
    assert wait_until(qloop, lambda: len(controller.paper.open_trades) == 2, 5)
    signals = window.chart.markers.signals
    assert [s.direction.value for s in signals] == ["call", "put"], "each signal on the chart"
    assert {t.id for t in window.chart.markers.trades} == {
        f"paper-{t.id}" for t in controller.paper.open_trades
    }
    assert window.book.records == [], "paper trades stay apart from the real ones"
    assert "2 signals, 2 orders, paper P/L +0.00" in switch.badge.text()

    switch.trigger()
    assert not controller.running and not switch.isChecked() and switch.text() == OFF_TEXT
    assert not switch.badge.isVisible()
    # The platform clock moves on: the later candles have closed, and would give signals.
    window.market.apply([MarketUpdate((), (), (), clock_offset=2 * TF + 1)])
    window.bridge.eventsReady.emit(candles[4:])
    pause(qloop, 0.3)
    assert len(controller.trader.orders) == 2, "off: nothing more"

    entry_end = max(t.expiry_time for t in controller.paper.open_trades)
    window.bridge.eventsReady.emit([Tick(ASSET, entry_end + 1, 2.0)])
    assert wait_until(qloop, lambda: not controller.paper.open_trades, 5)
    assert len(controller.paper.settled) == 2, "paper trades open when it stopped still settle"


def test_when_it_stops_itself_a_message_says_why(desk, qloop):
    window = desk.window
    controller = window.autotrade
    start_paper(desk, qloop)
    window.bridge.tailStateChanged.emit("reconnecting")
    assert wait_until(qloop, lambda: not controller.running, 5)
    assert not controller.switch.isChecked() and controller.switch.text() == OFF_TEXT
    box = controller.stop_box
    assert box is not None and box.isVisible()
    assert "disconnected" in box.text() and "reconnecting" in box.text()
    assert "reconnecting" in window.statusBar().currentMessage()
    assert "stopped itself" in window.trade_panel.message.text()
    box.close()


def test_bad_settings_are_explained_and_do_not_start(desk, qloop):
    window = desk.window
    start_paper(desk, qloop, params="fast=3 slow=2")
    dialog = window.autotrade.dialog
    assert dialog is not None and dialog.isVisible()
    assert "fast must be shorter than slow" in dialog.error.text()
    window.autotrade.switch.trigger()
    assert window.autotrade.dialog is dialog, "one settings dialog at a time"
    assert not window.autotrade.running and not window.autotrade.switch.isChecked()
    dialog.choose_strategy("sma-cross", "fast=1 slow=2")
    dialog.choose_assets([])
    dialog.start_button.click()
    assert "choose at least one asset" in dialog.error.text()
    dialog.reject()
    assert window.autotrade.switch.text() == OFF_TEXT


def test_a_stake_plan_past_the_maximum_stake_does_not_start_and_a_usable_one_trades(desk, qloop):
    window = desk.window
    controller = window.autotrade
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2 expiry=15")
    dialog.choose_timeframe(TF)
    dialog.stake.setValue(2)
    box = dialog.stake_plan
    box.kind.setCurrentIndex(box.kind.findData(PlanKind.MARTINGALE.value))
    box.steps.setValue(10)
    assert box.problem.isVisibleTo(dialog), "explained before Start"
    dialog.start_button.click()
    assert "the stake plan: step 10 would stake 2048" in dialog.error.text()
    assert not controller.running

    box.steps.setValue(2)
    assert box.worst.text().startswith("worst case: step 2 stakes 8; 14 at risk")
    dialog.start_button.click()
    assert wait_until(qloop, lambda: controller.running, 30)
    trader = controller.trader
    assert trader.stakes is not None and trader.stakes.plan.max_steps == 2
    window.bridge.eventsReady.emit(zigzag_candles(ZIGZAG, closed_now=4)[:4])
    assert wait_until(qloop, lambda: controller.paper.open_trades, 5)
    assert controller.paper.open_trades[0].stake == 2, "the plan's base first"
    controller.switch.trigger()
    assert controller.setup.stake_plan == trader.stakes.plan, "kept for the next start"


def test_live_needs_a_connection(desk, qloop):
    window = desk.window
    switch = window.autotrade.switch
    switch.trigger()
    dialog = window.autotrade.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2")
    dialog.live.setChecked(True)
    dialog.start_button.click()
    assert not window.autotrade.running and not switch.isChecked()
    assert "connect to the platform" in window.trade_panel.message.text()
    assert isinstance(dialog, QtWidgets.QDialog)


STRATEGY_FILE = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class EveryOther(Strategy):
    name = "every-other"
    description = "CALL on every second candle"
    PARAMS = {"every": Param(2, "fire on every n-th candle", int, minimum=1)}

    def reset(self):
        self.seen = 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen % self.params["every"] == 0:
            return Vote(Direction.CALL, 0.9, f"candle {self.seen}")
        return None
"""


def test_a_strategy_of_the_traders_own_from_a_file(desk, qloop, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(STRATEGY_FILE)
    window = desk.window
    controller = window.autotrade
    controller.switch.trigger()
    dialog = controller.dialog
    assert read_strategy_file(qloop, dialog, tmp_path / "missing.py") == []
    assert "does not exist" in dialog.error.text()
    assert read_strategy_file(qloop, dialog, path) == ["every-other"]
    dialog.choose_strategy("every-other", "every=3 expiry=15")
    dialog.choose_timeframe(TF)
    assert (
        "fire on every n-th candle"
        in dialog.strategies.item(dialog._row("every-other"), 1).toolTip()
    )
    dialog.start_button.click()
    assert controller.starting and not controller.running, "on once its strategies are warm"
    assert wait_until(qloop, lambda: controller.running, 30), window.trade_panel.message.text()
    window.bridge.eventsReady.emit(zigzag_candles(ZIGZAG, closed_now=len(ZIGZAG)))
    assert wait_until(qloop, lambda: len(controller.trader.orders) == 1, 5)
    (order,) = controller.trader.orders.values()
    assert order.signal.strategy == "every-other" and order.signal.expiry == 15
    assert order.signal.reason == "candle 6", "candle 3 was too old to trade: it only warmed up"
    worker = controller.host.process
    assert worker is not None and worker.alive and worker.pid != os.getpid(), "in its worker"
    controller.switch.trigger()
    assert controller.host is None
    assert wait_until(qloop, lambda: worker.process.poll() is not None, 10), "worker ended"
