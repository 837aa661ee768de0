"""No Chrome: the window says so, offers to launch or attach, and shows the CSV history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from browser_helpers import ChromeRig, free_port, needs_browser, rig_settings
from desk_helpers import ini_store, wait_until
from PySide6 import QtCore

from qfdesk.engine.history_loader import load_history
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.source_state import SourceState

pytestmark = pytest.mark.gui

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def offline(tmp_path, qtbot, qloop, quflx_csv_dir):
    store = ini_store(tmp_path / "settings.ini")
    store.set_last_asset("EURUSD_otc")
    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    window = compose_desk(
        bridge=bridge,
        store=store,
        data_root=quflx_csv_dir,
        browser_settings=rig_settings(tmp_path / "profile", free_port()),
        log_handler=QtLogHandler(),
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    bridge.stop(close_chrome=True)


def test_without_chrome_the_window_offers_to_connect_and_shows_csv_history(
    offline, qloop, quflx_csv_dir
):
    window = offline
    window.connect_chrome(window.connect_panel.settings, launch=False)
    assert wait_until(qloop, lambda: window.connect_panel.isVisible(), 15)
    assert "No Chrome listens on" in window.connect_panel.error.text()
    assert window.connect_panel.launch_button.isEnabled()
    loaded = load_history(quflx_csv_dir, asset="EURUSD_otc").series[("EURUSD_otc", 60)]
    assert wait_until(qloop, lambda: len(window.chart.series or ()) >= len(loaded), 10)
    assert wait_until(qloop, lambda: "CSV files" in window.status.source.text(), 5)
    assert window.source_state is SourceState.DISCONNECTED
    assert window.status.state.text() == "DISCONNECTED"
    series = window.chart.series
    assert series.asset == "EURUSD_otc" and series.timeframe == 60
    n = len(loaded)
    np.testing.assert_array_equal(series.start[:n], loaded.start[:n])
    for name in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(series, name)[:n], getattr(loaded, name)[:n])
    window.chart.grab()
    built = window.chart.candle_item.built
    np.testing.assert_array_equal(built.close, series.close[built.lo : built.hi])
    window.toolbar.timeframes.choose(3600)
    assert window.chart.series.timeframe == 3600 and len(window.chart.series) > 50
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "offline_window.png"))


@pytest.mark.browser
@needs_browser
def test_connect_panel_launches_chrome_on_the_platform(offline, qloop, qtbot):
    window = offline
    window.connect_chrome(window.connect_panel.settings, launch=False)
    assert wait_until(qloop, lambda: window.connect_panel.isVisible(), 15)
    with SimulatedPlatform(assets=3, seed=5) as sim:
        window.connect_panel.url.setText(sim.url)
        qtbot.mouseClick(window.connect_panel.launch_button, QtCore.Qt.MouseButton.LeftButton)
        assert wait_until(
            qloop, lambda: window.bridge.connected and not window.connect_panel.isVisible(), 30
        )
        assert wait_until(qloop, lambda: window.market.assets, 15)
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 20)
        window.bridge.source.endpoint.process.kill()  # Chrome crashes
        assert wait_until(qloop, lambda: window.source_state is SourceState.DISCONNECTED, 10)
        assert window.status.state.text() == "DISCONNECTED"
        assert "connected" in window.status.connection.text()  # disconnected / reconnecting
        assert len(window.chart.series) > 0, "what was shown stays on the chart"
        window.bridge.stop(close_chrome=True)


@pytest.mark.browser
@needs_browser
def test_attaching_to_a_page_already_open_says_to_reload_and_reload_brings_it(
    offline, qloop, tmp_path
):
    window = offline
    window.reload_hint_after = 1.0
    with SimulatedPlatform(assets=3, seed=6) as sim:
        rig = ChromeRig(tmp_path / "trader-profile")
        try:
            rig.launch()
            rig.open_page(sim.url)
            rig.wait_ready()  # the trader's page is up before the app attaches
            window.connect_chrome(rig.settings, launch=False)
            assert wait_until(qloop, lambda: window.bridge.connected, 30)
            assert wait_until(qloop, lambda: "Reload" in window.trade_panel.message.text(), 15)
            assert not window.market.assets
            window.reload_page()
            assert wait_until(qloop, lambda: window.market.assets, 20)
            assert wait_until(qloop, lambda: window.market.balance is not None, 10)
            assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 20)
        finally:
            window.bridge.stop()
            rig.close()


@pytest.mark.browser
@needs_browser
def test_closing_while_chrome_is_starting_ends_that_chrome(tmp_path, qapp):
    from proc_helpers import with_marker

    bridge = LiveBridge(tmp_path / "data", tmp_path / "artifacts")
    profile = tmp_path / "starting-profile"
    bridge.start(rig_settings(profile, free_port()), launch=True)
    bridge.stop(close_chrome=True)  # the window closed at once
    assert with_marker(str(profile)) == [], "no Chrome outlives the app"
