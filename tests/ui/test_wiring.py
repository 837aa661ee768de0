"""The wiring (the composition root, ``ui/services.py``): every consumer hears a batch of
events after what it depends on, and the window takes its services as given."""

from __future__ import annotations

import time

import pytest
from desk_helpers import Desk, ini_store, offline_window, wait_until
from PySide6 import QtCore

from qfdesk.engine.events import (
    AssetInfo,
    AssetTable,
    Candle,
    CandleClosed,
    MarketUpdate,
    Tick,
)
from qfdesk.ui.main_window import MainWindow
from qfdesk.ui.services import build_services

pytestmark = pytest.mark.gui

ASSET = "EURUSD_otc"
TF = 5
ZIGZAG = [1.0, 0.9, 1.0, 0.9, 1.0, 0.9]
LAG = 600.0  # the platform's clock behind this machine's


@pytest.fixture
def desk(tmp_path, qloop):
    store = ini_store(tmp_path / "settings.ini")
    store.set_last_asset(ASSET)
    store.sync()
    desk = Desk(tmp_path)
    info = AssetInfo(1, ASSET, "EUR/USD OTC", "currency", 92.0, True, True, (15, 60))
    desk.window.market.apply([AssetTable((info,))])
    yield desk
    desk.close()


def test_the_auto_trader_sees_a_batch_after_the_market_model_applied_it(desk, qloop):
    window = desk.window
    controller = window.autotrade
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.choose_strategy("sma-cross", "fast=1 slow=2 expiry=15")
    dialog.choose_timeframe(TF)
    dialog.start_button.click()
    assert wait_until(qloop, lambda: controller.running, 30), "warm and on"
    assert window.market.platform_now() is None, "no platform time yet"

    # One batch, as the pipeline publishes it: the first tick, the candles just closed by it
    # and the market update carrying the platform's clock. Only a trader that sees the batch
    # after the model took the clock from it finds the candles fresh.
    platform_now = time.time() - LAG
    begin = int(platform_now) // TF * TF - TF * len(ZIGZAG)
    candles = [
        CandleClosed(Candle(ASSET, TF, begin + TF * i, c, c, c, c), "tick")
        for i, c in enumerate(ZIGZAG)
    ]
    tick = Tick(ASSET, platform_now, ZIGZAG[-1], received=time.time())
    update = MarketUpdate(tuple(candles), (), (), -LAG)
    window.bridge.eventsReady.emit([tick, *candles, update])

    assert wait_until(qloop, lambda: controller.trader.orders, 5), "fresh candles trade"


TABLE_INFO = AssetInfo(1, ASSET, "EUR/USD OTC", "currency", 92.0, True, True, (60,))


def test_a_consumer_subscribed_after_the_services_sees_the_batch_already_applied(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    services = window.services
    seen: list[float | None] = []
    services.bridge.eventsReady.connect(
        lambda _: seen.append(services.market.payout(TABLE_INFO.symbol)),
        QtCore.Qt.ConnectionType.QueuedConnection,  # as the tail thread's signals arrive
    )
    services.bridge.eventsReady.emit([AssetTable((TABLE_INFO,))])
    qtbot.waitUntil(lambda: seen == [92.0], timeout=5000)
    assert window.watchlist.row_texts()[0][1] == "EUR/USD OTC"


def test_the_window_is_built_over_the_services_it_is_handed(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    services = window.services
    assert window.market is services.market and window.desk is services.desk
    assert window.desk.journal is services.journal
    assert window.autotrade.registry is services.registry
    assert services.owner.parent() is window
    assert services.consent.parent is window


def test_building_the_services_needs_no_window(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    services = build_services(
        bridge=window.bridge,
        store=window.store,
        data_root=tmp_path / "other",
        risk_limits=window.risk.limits,
    )
    assert not isinstance(services.owner.parent(), MainWindow)
    assert services.desk.risk is services.risk and services.trading.desk is services.desk
    services.close()
