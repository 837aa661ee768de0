"""Layout, last asset, timeframe, indicators, hotkeys and trade settings come back next start."""

from __future__ import annotations

import pytest
from desk_helpers import offline_window

from qfdesk.engine.events import AssetInfo, AssetTable, Favourites
from qfdesk.ui.main_window import DEFAULT_INDICATORS

pytestmark = pytest.mark.gui


def test_first_start_has_defaults(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    assert window.timeframe == 60
    kinds = [spec["kind"] for spec in window.chart.indicator_specs()]
    assert kinds == [spec["kind"] for spec in DEFAULT_INDICATORS]
    assert window.hotkeys.keys() == ("Shift+W", "Shift+S")
    assert not window.toolbar.save_candles.isChecked()


def test_layout_and_choices_restored_on_next_start(tmp_path, qtbot):
    window = offline_window(tmp_path, qtbot)
    window.market.apply(
        [
            AssetTable(
                (
                    AssetInfo(1, "EURUSD_otc", "EUR/USD OTC", "currency", 92, True, True, (60,)),
                    AssetInfo(2, "GBPUSD_otc", "GBP/USD OTC", "currency", 88, True, True, (60,)),
                )
            ),
            Favourites(("EURUSD_otc",)),
        ]
    )
    window.toolbar.assets.choose("GBPUSD_otc")
    window.toolbar.timeframes.choose(300)
    sma = window.chart.add_indicator({"kind": "sma", "params": {"period": 7}})
    window.chart.remove_indicator(window.chart.indicator_specs()[0]["id"])
    specs = window.chart.indicator_specs()
    window.log_dock.hide()
    window.history_dock.setFloating(True)
    window.resize(600, 520)  # the offscreen screen is 800x800; width is held at the minimum
    size = window.size()
    window.hotkeys.apply("Ctrl+B", "Ctrl+S")
    window.trade_panel.amount.setValue(7.5)
    window.trade_panel.set_expiry(300)
    window.close()

    again = offline_window(tmp_path, qtbot)
    assert again.asset == "GBPUSD_otc"
    assert again.timeframe == 300 and again.toolbar.timeframes.timeframe() == 300
    assert again.chart.indicator_specs() == specs
    assert any(spec["id"] == sma for spec in again.chart.indicator_specs())
    assert abs(again.height() - size.height()) <= 4
    assert again.width() <= max(size.width(), 800)
    assert not again.log_dock.isVisible()
    assert again.history_dock.isFloating()
    assert again.hotkeys.keys() == ("Ctrl+B", "Ctrl+S")
    assert again.trade_panel.amount_value() == 7.5 and again.trade_panel.expiry_seconds() == 300
    assert not again.consent.granted, "REAL consent is never remembered"
    assert not again.store.settings.contains("consent")
