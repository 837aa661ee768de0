"""Runs the desktop app: ``qfdesk`` (attach to the trader's Chrome) and ``qfdesk --demo``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
from pathlib import Path

from PySide6 import QtCore

from qfdesk.engine.paths import artifacts_dir
from qfdesk.settings import AppSettings
from qfdesk.ui.app import ErrorReporter, create_event_loop, create_qapp, run_until_closed
from qfdesk.ui.backtest_dialog import stop_jobs
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.demo import DemoSession, want_headless
from qfdesk.ui.front import raise_when_page_is_up
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.main_window import MainWindow
from qfdesk.ui.preferences import DeskPreferences, SettingsTargets
from qfdesk.ui.self_test import SelfTest, SelfTestFolder, use_offscreen_qt
from qfdesk.ui.welcome import WelcomeChoice

log = logging.getLogger(__name__)

LIVE_MARK = "qfdesk: live"
"""Logged once live data reaches the window (tests and scripts wait for it)."""


def run_desktop(args: argparse.Namespace) -> int:
    from qfdesk.browser.live import parse_address
    from qfdesk.browser.owned import sweep

    sweep()  # what an earlier run that was killed left: its Chrome, chromedrivers, profile
    self_test = SelfTestFolder() if args.self_test else None
    if self_test is not None:
        use_offscreen_qt()
    app = create_qapp()
    reporter = ErrorReporter(app)
    reporter.install()
    handler = QtLogHandler()
    logging.getLogger().addHandler(handler)
    loop = create_event_loop(app, reporter)
    # The self-test never reads or changes the trader's settings, layout or data.
    prefs = DeskPreferences(AppSettings()) if self_test else DeskPreferences.load()
    choice = None if args.demo or args.attach or self_test else prefs.first_run_choice()
    launch = choice is WelcomeChoice.LAUNCH_CHROME
    demo_mode = args.demo or self_test is not None or choice is WelcomeChoice.SIMULATED
    data_root = args.data_dir or (self_test.data_root if self_test else prefs.settings.data_root())
    bridge = LiveBridge(data_root, artifacts_dir())
    settings = prefs.settings.browser_settings()
    if getattr(args, "attach", None):
        host, port = parse_address(args.attach)
        settings = dataclasses.replace(settings, host=host, port=port)
    headless = self_test is not None or want_headless(args.headless)
    demo = DemoSession(headless=headless) if demo_mode else None
    if demo is not None:
        settings = demo.start()
    window = compose_desk(
        bridge=bridge,
        store=self_test.layout_store() if self_test else LayoutStore(),
        data_root=data_root,  # the whole data root: our CSVs and older files alike
        browser_settings=settings,
        log_handler=handler,
        risk_limits=prefs.settings.risk_limits(),
        simulated=demo is not None,
    )
    prefs.attach(settings_targets(window, bridge, data_root))
    check = SelfTest(window, bridge, args.self_test_timeout) if self_test else None
    _announce_live(window)
    _close_on_sigterm(window)
    window.show()
    if demo is not None or launch:
        raise_when_page_is_up(window, bridge)
    if demo is not None:
        window.connect_chrome(settings, launch=True, navigate_to=demo.url)
    else:
        window.connect_chrome(settings, launch=launch)

    def shutdown() -> None:
        stop_jobs()
        bridge.stop(close_chrome=bridge.launched_chrome)
        if demo is not None:
            demo.stop()
        logging.getLogger().removeHandler(handler)
        reporter.uninstall()
        if self_test is not None:
            self_test.remove()
        log.info("qfdesk: closed")

    run_until_closed(loop, window, shutdown)
    return check.exit_code if check is not None else 0


def settings_targets(window: MainWindow, bridge: LiveBridge, data_root: Path) -> SettingsTargets:
    """The window's parts the settings apply to (the simulated platform's Chrome settings
    are the simulator's: no connect panel)."""
    return SettingsTargets(
        window=window,
        save_candles=window.toolbar.save_candles,
        save_ticks=window.toolbar.save_ticks,
        hotkeys=window.hotkeys,
        risk=window.services.risk,
        connect_panel=None if window.simulated else window.connect_panel,
        bridge=bridge,
        data_root=data_root,
    )


def _announce_live(window: MainWindow) -> None:
    def check() -> None:
        if window.source_state.value == "LIVE":
            log.info("%s (%s)", LIVE_MARK, window.asset)
            timer.stop()

    timer = QtCore.QTimer(window)
    timer.setInterval(250)
    timer.timeout.connect(check)
    timer.start()


def _close_on_sigterm(window: MainWindow) -> None:
    """SIGTERM (and Ctrl-C) close the window, which ends every child we started."""

    def handler(*_: object) -> None:
        log.info("qfdesk: signal received, closing")
        QtCore.QTimer.singleShot(0, window.close)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    # Python runs signal handlers only when it gets control: wake it up now and then.
    keepalive = QtCore.QTimer(window)
    keepalive.setInterval(200)
    keepalive.timeout.connect(lambda: None)
    keepalive.start()
