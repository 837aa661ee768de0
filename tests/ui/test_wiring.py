"""The window's wiring: every consumer hears a batch of events after what it depends on."""

from __future__ import annotations

import time

import pytest
from desk_helpers import Desk, ini_store, wait_until

from qfdesk.engine.events import (
    AssetInfo,
    AssetTable,
    Candle,
    CandleClosed,
    MarketUpdate,
    Tick,
)

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
