"""Runs the desktop app: ``qfdesk`` (attach to the trader's Chrome) and ``qfdesk --demo``."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path

from PySide6 import QtCore

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.paths import default_data_root
from qfdesk.ui.app import ErrorReporter, create_event_loop, create_qapp, run_until_closed
from qfdesk.ui.demo import DemoSession, want_headless
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.main_window import MainWindow

log = logging.getLogger(__name__)

LIVE_MARK = "qfdesk: live"
"""Logged once live data reaches the window (tests and scripts wait for it)."""


def history_root(data_root: Path) -> Path:
    """Where the window looks for CSV history: the whole data root (ours and old files)."""
    return data_root


def run_desktop(args: argparse.Namespace) -> int:
    from qfdesk.browser.live import parse_address

    app = create_qapp()
    reporter = ErrorReporter(app)
    reporter.install()
    handler = QtLogHandler()
    logging.getLogger().addHandler(handler)
    loop = create_event_loop(app, reporter)
    data_root = getattr(args, "data_dir", None) or default_data_root()
    bridge = LiveBridge(data_root, data_root / "artifacts")
    if getattr(args, "attach", None):
        host, port = parse_address(args.attach)
        settings = BrowserSettings(host=host, port=port)
    else:
        settings = BrowserSettings()
    demo = DemoSession(headless=want_headless(args.headless)) if args.demo else None
    if demo is not None:
        settings = demo.start()
    window = MainWindow(
        bridge=bridge,
        store=LayoutStore(),
        history_root=history_root(data_root),
        browser_settings=settings,
        log_handler=handler,
        simulated=demo is not None,
    )
    _announce_live(window)
    _close_on_sigterm(window)
    window.show()
    if demo is not None:
        window.connect_chrome(settings, launch=True, navigate_to=demo.url)
    else:
        window.connect_chrome(settings, launch=False)

    def shutdown() -> None:
        bridge.stop(close_chrome=bridge.launched_chrome)
        if demo is not None:
            demo.stop()
        logging.getLogger().removeHandler(handler)
        reporter.uninstall()
        log.info("qfdesk: closed")

    return run_until_closed(loop, window, shutdown)


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
