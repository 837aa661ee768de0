"""The terminal put together: its services (``ui.services``), then the window over them."""

from __future__ import annotations

from pathlib import Path

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.risk import RiskLimits
from qfdesk.settings.model import MANUAL_LIMITS
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.main_window import MainWindow
from qfdesk.ui.services import build_services


def compose_desk(
    *,
    bridge: LiveBridge,
    store: LayoutStore,
    data_root: Path,
    browser_settings: BrowserSettings,
    log_handler: QtLogHandler,
    risk_limits: RiskLimits = MANUAL_LIMITS,
    simulated: bool = False,
) -> MainWindow:
    """The window of a terminal on ``bridge``, with the data (CSVs, journal) in ``data_root``."""
    services = build_services(
        bridge=bridge, store=store, data_root=data_root, risk_limits=risk_limits
    )
    return MainWindow(
        services, browser_settings=browser_settings, log_handler=log_handler, simulated=simulated
    )
