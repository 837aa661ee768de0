"""The main window: chart, asset and timeframe selectors, trade panel, tables, log, status."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.events import Direction
from qfdesk.engine.journal.reader import JournalRow
from qfdesk.engine.journal.report_card import candles_on_disk, describe_line, report_card
from qfdesk.engine.journal.schema import journal_path
from qfdesk.engine.timeframes import TIMEFRAMES, timeframe_label
from qfdesk.ui.alerts import AlertsDock
from qfdesk.ui.autotrade_controller import install_autotrade
from qfdesk.ui.backtest_dialog import open_backtest
from qfdesk.ui.chart import ChartWidget
from qfdesk.ui.chart_grid import install_chart_grid
from qfdesk.ui.connect_panel import ConnectPanel
from qfdesk.ui.dark_theme import REAL, WARN, account_badge, badge_style, money_text
from qfdesk.ui.drawing_keeper import DrawingKeeper
from qfdesk.ui.halt_banner import HaltBanner
from qfdesk.ui.hotkeys import Hotkeys
from qfdesk.ui.indicators_menu import IndicatorsMenu
from qfdesk.ui.journal_dock import JournalView
from qfdesk.ui.log_panel import LogPanel, QtLogHandler
from qfdesk.ui.older_history import install_older_history
from qfdesk.ui.page_check_banner import install_page_check
from qfdesk.ui.record_traffic import install_record_traffic
from qfdesk.ui.report_problem import install_report_problem
from qfdesk.ui.services import DeskServices
from qfdesk.ui.source_state import LIVE_WINDOW, SourceState, age_text, sense
from qfdesk.ui.status_bar import StatusBar
from qfdesk.ui.toolbar import MainToolbar
from qfdesk.ui.trade_book import TradeRecord, trade_marker
from qfdesk.ui.trade_panel import TradePanel
from qfdesk.ui.trades_tables import HistoryTable, OpenTradesTable, connect_tables
from qfdesk.ui.watchlist import Watchlist

log = logging.getLogger(__name__)

TITLE = "QuantumFlux Desk"
STATUS_EVERY_MS = 250
HISTORY_RETRY = 60.0
RELOAD_HINT_AFTER = 8.0
DEFAULT_TIMEFRAME = 60
DEFAULT_INDICATORS = [
    {"kind": "ema", "params": {"period": 20}},
    {"kind": "bollinger", "params": {"period": 20}},
    {"kind": "rsi", "params": {"period": 14}},
]


class MainWindow(QtWidgets.QMainWindow):
    """The terminal's widgets over the services it is handed (``ui.services``)."""

    seriesShown = QtCore.Signal()  # the chart shows another series (asset or timeframe)

    def __init__(
        self,
        services: DeskServices,
        *,
        browser_settings: BrowserSettings,
        log_handler: QtLogHandler,
        simulated: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle(f"{TITLE} \u2014 SIMULATED platform" if simulated else TITLE)
        self.resize(1500, 920)
        services.owner.setParent(self)
        services.consent.parent = self
        self.services = services
        self.bridge = bridge = services.bridge
        self.store = store = services.store
        self.simulated = simulated
        self.asset = ""
        self.timeframe = DEFAULT_TIMEFRAME
        self.source_state = SourceState.DISCONNECTED
        self.tail_state = "disconnected"
        self.live_window = LIVE_WINDOW
        self._history_at: dict[str, float] = {}
        self._history_files: dict[str, int] = {}
        self._offset: float | None = None
        self._frames_per_s = 0.0
        self._decimals = 5
        self._connected_at: float | None = None
        self._told_reload = False
        self.reload_hint_after = RELOAD_HINT_AFTER

        self.market = services.market
        self.book = services.book
        self.history = services.history
        self.page_sync = services.page_sync
        self.risk = services.risk
        self.desk = services.desk
        self.trading = services.trading
        self.alerts = services.alerts
        self.consent = services.consent

        self.chart = ChartWidget(self)
        self.indicators_menu = IndicatorsMenu(self.chart, self)
        self.toolbar = MainToolbar(self.indicators_menu, self)
        self.addToolBar(self.toolbar)
        self.connect_panel = ConnectPanel(browser_settings, self)
        self.connect_panel.hide()
        central = QtWidgets.QWidget(self)
        layout = self.central_layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.halt_banner = HaltBanner(bridge.halt, self)
        layout.addWidget(self.halt_banner)
        layout.addWidget(self.connect_panel, 0, QtCore.Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.chart, 1)
        self.setCentralWidget(central)

        self.trade_panel = TradePanel(self)
        self.open_table = OpenTradesTable(self)
        self.history_table = HistoryTable(self)
        self.log_panel = LogPanel(log_handler, self)
        self.trade_dock = self._dock("Trade", "tradeDock", self.trade_panel, right=True)
        self.open_dock = self._dock("Open trades", "openTradesDock", self.open_table)
        self.history_dock = self._dock("History", "historyDock", self.history_table)
        self.log_dock = self._dock("Log", "logDock", self.log_panel)
        self.journal_view = JournalView(journal_path(services.data_root), self._report_card, self)
        services.journal.on_written = self.journal_view.journal_written
        self.journal_dock = self._dock("Journal", "journalDock", self.journal_view)
        self.alerts_view = AlertsDock(
            services.alerts, lambda: self.asset, lambda: self.timeframe, self
        )
        self.alerts_dock = self._dock("Alerts", "alertsDock", self.alerts_view)
        self.watchlist = Watchlist(self.market, self)
        self.watchlist_dock = self._dock("Watchlist", "watchlistDock", self.watchlist, right=True)
        for before, dock in (
            (self.open_dock, self.history_dock),
            (self.history_dock, self.journal_dock),
            (self.journal_dock, self.alerts_dock),
            (self.alerts_dock, self.log_dock),
        ):
            self.tabifyDockWidget(before, dock)
        self.open_dock.raise_()
        self.drawings = DrawingKeeper(self.chart, store, services.alerts, self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._badges()
        self.hotkeys = Hotkeys(
            self, store, lambda: self.trade(Direction.CALL), lambda: self.trade(Direction.PUT)
        )
        self._wire()
        # After _wire: the market model applies each batch before the auto-trader sees it.
        self.autotrade = install_autotrade(
            bridge=bridge,
            market=self.market,
            registry=services.registry,
            series_shown=self.seriesShown,
            desk=self.desk,
            book=self.book,
            consent=self.consent,
            chart=self.chart,
            risk=self.risk,
            toolbar=self.toolbar,
            status=self.status,
            show_message=self.trade_panel.show_message,
            current_asset=lambda: self.asset,
            current_timeframe=lambda: self.timeframe,
            window=self,
        )
        self.older_history = install_older_history(
            bridge=bridge,
            market=self.market,
            chart=self.chart,
            status=self.status,
            show_message=self.trade_panel.show_message,
            current_asset=lambda: self.asset,
            current_timeframe=lambda: self.timeframe,
            parent=self,
        )
        self._menus()
        self.page_check = install_page_check(
            bridge=bridge,
            layout=layout,
            below=self.halt_banner,
            help_menu=self.help_menu,
            parent=self,
        )
        self.grid = install_chart_grid(
            market=self.market,
            chart=self.chart,
            store=store,
            bridge=bridge,
            history=self.history,
            book=self.book,
            page_sync=self.page_sync,
            trade_panel=self.trade_panel,
            central=self.central_layout,
            view_menu=self.view_menu,
            main=lambda: (self.asset, self.timeframe),
            choose_main_asset=self.choose_asset,
            choose_main_timeframe=self.choose_timeframe,
            live_window=self.live_window,
        )
        self._restore()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(STATUS_EVERY_MS)
        self._timer.timeout.connect(self.refresh_status)
        self._timer.start()

    # ----- building ---------------------------------------------------------------------

    def _dock(
        self, title: str, name: str, widget: QtWidgets.QWidget, right: bool = False
    ) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        area = QtCore.Qt.DockWidgetArea
        self.addDockWidget(area.RightDockWidgetArea if right else area.BottomDockWidgetArea, dock)
        return dock

    def _badges(self) -> None:
        """Account type and balance above the BUY/SELL buttons (and in the status bar); the
        SIMULATED badge there and at the left of the status bar."""
        self.sim_badge = _sim_badge()
        self.sim_badge.setVisible(self.simulated)
        status_sim_badge = _sim_badge()
        status_sim_badge.setVisible(self.simulated)
        self.status.insertWidget(0, status_sim_badge)
        self.account_badge = QtWidgets.QLabel("ACCOUNT ?")
        self.account_badge.setObjectName("badge")
        self.balance_label = QtWidgets.QLabel("-")
        self.balance_label.setObjectName("bigValue")
        self.trade_panel.set_header([self.sim_badge, self.account_badge], self.balance_label)

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        show = self.trade_panel.show_message
        self.record_traffic = install_record_traffic(file_menu, self.bridge, show, self)
        file_menu.addAction("&Quit", QtGui.QKeySequence.StandardKey.Quit, self.close)
        view = self.view_menu = bar.addMenu("&View")
        for dock in (
            self.trade_dock,
            self.watchlist_dock,
            self.open_dock,
            self.history_dock,
            self.journal_dock,
            self.alerts_dock,
            self.log_dock,
        ):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.older_history.action)
        bar.addMenu(self.indicators_menu)
        self.drawings.fill_menu(bar.addMenu("&Draw"))
        trading = bar.addMenu("&Trading")
        trading.addAction("BUY", lambda: self.trade(Direction.CALL))
        trading.addAction("SELL", lambda: self.trade(Direction.PUT))
        trading.addSeparator()
        trading.addAction("Hotkeys\u2026", lambda: self.hotkeys.edit(self))
        trading.addAction("Reload the platform page", self.reload_page)
        trading.addSeparator()
        trading.addAction("Auto-trader\u2026", self.autotrade.configure)
        trading.addAction(
            "Backtest\u2026",
            lambda: open_backtest(
                self.services.registry, self.history.root, self.risk.limits, self
            ),
        )
        self.help_menu = bar.addMenu("&Help")
        self.report_problem = install_report_problem(
            self.help_menu, self.bridge, self.store.settings, self, simulated=self.simulated
        )

    def _wire(self) -> None:
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.bridge.tailStateChanged.connect(self._on_tail_state, queued)
        self.bridge.healthChanged.connect(self._on_health, queued)
        self.bridge.connectFinished.connect(self._on_connected, queued)
        self.history.loaded.connect(self._on_history, queued)
        self.history.failed.connect(lambda _a, text: self.trade_panel.show_message(text, "error"))
        self.market.candlesChanged.connect(self._on_candles)
        self.market.assetsChanged.connect(self._on_assets)
        self.market.accountChanged.connect(self._on_account)
        self.market.pageAssetChanged.connect(self._on_page_asset)
        connect_tables(self.book, self.open_table, self.history_table)
        self.book.changed.connect(self._on_trade)
        self.trading.busyChanged.connect(self.trade_panel.set_busy)
        self.trading.message.connect(self.trade_panel.show_message)
        self.trade_panel.buyClicked.connect(lambda: self.trade(Direction.CALL))
        self.trade_panel.sellClicked.connect(lambda: self.trade(Direction.PUT))
        self.toolbar.assets.assetChosen.connect(self.choose_asset)
        self.watchlist.assetChosen.connect(self.choose_asset)
        self.trade_panel.stake_plan.changed.connect(self._stake_plan_changed)
        self.trade_panel.amount.valueChanged.connect(self._stake_plan_changed)
        self.toolbar.timeframes.timeframeChosen.connect(self.choose_timeframe)
        self.toolbar.saveCandlesToggled.connect(lambda on: self.bridge.set_persist(candles=on))
        self.toolbar.saveTicksToggled.connect(lambda on: self.bridge.set_persist(ticks=on))
        self.chart.indicatorsChanged.connect(
            lambda: self.store.set_indicators(self.chart.indicator_specs())
        )
        self.hotkeys.changed.connect(self.trade_panel.set_hotkeys)
        self.trade_panel.set_hotkeys(*self.hotkeys.keys())
        self.connect_panel.launchRequested.connect(lambda s: self.connect_chrome(s, launch=True))
        self.connect_panel.attachRequested.connect(lambda s: self.connect_chrome(s, launch=False))

    def _restore(self) -> None:
        geometry, state = self.store.window_geometry(), self.store.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        else:
            vertical = QtCore.Qt.Orientation.Vertical
            self.resizeDocks([self.open_dock], [170], vertical)
            self.resizeDocks([self.trade_dock], [230], QtCore.Qt.Orientation.Horizontal)
        specs = self.store.indicators()
        problems = self.chart.set_indicator_specs(DEFAULT_INDICATORS if specs is None else specs)
        for problem in problems:
            log.warning("indicator not restored: %s", problem)
        self.trade_panel.amount.setValue(self.store.number("trade/amount", 1.0))
        self.trade_panel.set_expiry(self.store.whole("trade/expiry", 60))
        # Until this session measures it, times are labelled with the last measured offset.
        self.chart.set_platform_offset(self.store.number("clock/offset", 0.0))
        timeframe = self.store.timeframe(DEFAULT_TIMEFRAME)
        self.timeframe = timeframe if timeframe in TIMEFRAMES.values() else DEFAULT_TIMEFRAME
        self.toolbar.timeframes.show_timeframe(self.timeframe)
        asset = self.store.last_asset()
        if asset:
            self.choose_asset(asset, sync_page=False)

    def save_layout(self) -> None:
        self.store.save_window(self.saveGeometry(), self.saveState())
        self.store.set_timeframe(self.timeframe)
        if self.asset:
            self.store.set_last_asset(self.asset)
        self.store.set_indicators(self.chart.indicator_specs())
        self.store.settings.setValue("trade/amount", self.trade_panel.amount_value())
        self.store.settings.setValue("trade/expiry", self.trade_panel.expiry_seconds())
        self.store.sync()

    # ----- connecting -------------------------------------------------------------------

    def connect_chrome(
        self, settings: BrowserSettings, *, launch: bool, navigate_to: str | None = None
    ) -> None:
        self.status.show_connection(f"connecting to {settings.address}\u2026")
        self.bridge.start(settings, launch=launch, navigate_to=navigate_to)

    def _on_connected(self, ok: bool, text: str) -> None:
        if ok:
            self._connected_at = time.monotonic()
            self.connect_panel.hide()
            self.status.show_connection(f"{text}: {self.tail_state}")
            log.info("connected: %s", text)
            if self.grid.trade_asset():
                self.page_sync.request(self.grid.trade_asset())
        else:
            self.connect_panel.show()
            self.connect_panel.show_error(text)
            self.status.show_connection("not connected")

    def _on_tail_state(self, state: str) -> None:
        self.tail_state = state
        if self.bridge.settings is not None:
            self.status.show_connection(f"Chrome {self.bridge.settings.address}: {state}")

    def _on_health(self, health: object, offset: float | None) -> None:
        self._frames_per_s = getattr(health, "frames_per_s", 0.0) or 0.0
        if offset is not None and (self._offset is None or abs(offset - self._offset) > 0.5):
            self._offset = offset
            self.chart.set_platform_offset(offset)
            self.store.settings.setValue("clock/offset", offset)
        self.status.show_health(self._frames_per_s, self._offset)

    # ----- data -------------------------------------------------------------------------

    def _on_candles(self, asset: str, rebuilt: bool) -> None:
        if asset != self.asset:
            return
        candles = self.market.candles
        series = candles.series(asset, self.timeframe)
        closed = candles.closed_len(asset, self.timeframe)
        if rebuilt or self.chart.series is not series:
            self._show_series()
        else:
            self.chart.series_changed(closed)

    def _show_series(self) -> None:
        if not self.asset:
            self.chart.set_series(None)
            return
        candles = self.market.candles
        series = candles.series(self.asset, self.timeframe)
        self._set_decimals()
        # The same series rebuilt (history arrived): keep the trader's view unless it follows
        # the newest candle. Another asset or timeframe starts at the newest candle.
        keep_view = self.chart.series is series and not self.chart.is_following()
        (x0, x1), _ = self.chart.price_plot.vb.viewRange()
        self.chart.set_series(series, candles.closed_len(self.asset, self.timeframe))
        if keep_view:
            self.chart.price_plot.vb.setXRange(x0, x1, padding=0)
        self.chart.set_trade_markers(
            [m for r in self.book.records if r.asset == self.asset and (m := trade_marker(r))]
        )
        self.seriesShown.emit()

    def _set_decimals(self) -> None:
        decimals = self.market.price_decimals(self.asset)
        if decimals != self._decimals:
            self._decimals = decimals
            self.chart.set_price_decimals(decimals)

    def _on_history(self, asset: str, _closed: int, files: int) -> None:
        self._history_files[asset] = files

    def _on_assets(self) -> None:
        self.toolbar.assets.set_assets(self.market.assets.values(), self.market.favourites)
        if not self.asset:
            first = self.market.page_asset or next(iter(self.market.favourites), None)
            if first:
                self.choose_asset(first, sync_page=False)
        self._update_trade_panel()

    def _on_account(self) -> None:
        market = self.market
        self.status.show_account(market.is_demo, market.balance, market.currency)
        text, background = account_badge(market.is_demo)
        self.account_badge.setText(text)
        self.account_badge.setStyleSheet(badge_style(background))
        self.balance_label.setText(money_text(market.balance, market.currency))
        self.balance_label.setStyleSheet(f"color: {REAL};" if market.is_demo is False else "")

    def _on_page_asset(self, symbol: str) -> None:
        sync = self.page_sync
        if not self.asset:
            self.choose_asset(symbol, sync_page=False)
        elif (
            sync.synced
            and sync.in_flight is None
            and sync.wanted is None
            and symbol != self.grid.trade_asset()
        ):
            log.info("the trader chose %s on the platform page; following it", symbol)
            self.grid.follow_page(symbol)

    # ----- asset and timeframe ------------------------------------------------------------

    def choose_asset(self, symbol: str, sync_page: bool = True) -> None:
        """Show ``symbol``'s candles (only its own) and, by default, select it on the page."""
        if not symbol:
            return
        changed = symbol != self.asset
        self.asset = symbol
        self.toolbar.assets.show_asset(symbol)
        self.store.set_last_asset(symbol)
        if changed:
            log.info("asset %s", symbol)
            self.drawings.show(symbol)
            self._show_series()
            self._load_history(symbol)
        self._update_trade_panel()
        if sync_page:
            self.page_sync.request(self.grid.trade_asset())
        self.refresh_status()

    def choose_timeframe(self, seconds: int) -> None:
        """Rebuild the chart from the store at ``seconds`` per candle."""
        self.timeframe = seconds
        self.toolbar.timeframes.show_timeframe(seconds)
        self.store.set_timeframe(seconds)
        log.info("timeframe %s", timeframe_label(seconds))
        self._show_series()

    def _load_history(self, symbol: str) -> None:
        last = self._history_at.get(symbol)
        if last is not None and time.monotonic() - last < HISTORY_RETRY:
            return
        self._history_at[symbol] = time.monotonic()
        self.history.request(symbol)

    def _update_trade_panel(self) -> None:
        asset = self.grid.trade_asset()
        self.trade_panel.set_asset(
            self.market.display_name(asset) if asset else "", self.market.payout(asset)
        )

    def reload_page(self) -> None:
        """Ask the page to send everything again (off the GUI thread)."""
        if not self.bridge.connected:
            self.trade_panel.show_message("Not connected to the platform's Chrome.", "warning")
            return
        loop = asyncio.get_event_loop()
        future = loop.run_in_executor(self.bridge.executor, self.bridge.reload_page)
        future.add_done_callback(_log_failure("reloading the platform page"))

    def _missing_page_state(self) -> None:
        """Attached to a page that had loaded before: its asset table and balance are sent
        only when it loads, so say how to get them."""
        if self._told_reload or self._connected_at is None:
            return
        if time.monotonic() - self._connected_at < self.reload_hint_after:
            return
        if self.market.assets and self.market.balance is not None:
            return
        self._told_reload = True
        text = (
            "The platform page loaded before qfdesk attached, so its asset list and balance "
            "are unknown (trading is off until they are). Use Trading > Reload the platform "
            "page, or press F5 in the platform tab."
        )
        log.warning(text)
        self.trade_panel.show_message(text, "warning")

    # ----- state ----------------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Source sensing and the always-visible status (every STATUS_EVERY_MS)."""
        if self.asset:
            self._set_decimals()
        self._missing_page_state()
        age = self.market.tick_age(self.asset) if self.asset else None
        connected = self.bridge.connected
        state = sense(connected, age, self.live_window)
        if state is not SourceState.LIVE and self.asset:
            self._load_history(self.asset)
        if state is not self.source_state:
            log.info("source of %s: %s", self.asset or "-", state.value)
            self.source_state = state
        if state is SourceState.LIVE and self.bridge.settings is not None:
            source = f"Chrome {self.bridge.settings.address}"
        elif self._history_files.get(self.asset):
            source = f"CSV files in {self.history.root}"
        elif self.chart.series is not None and len(self.chart.series):
            source = "this session's data (no CSV files for this asset)"
        else:
            source = "no data for this asset" if self.asset else "-"
        self.status.show_state(state, source, age_text(age))
        self.status.show_health(self._frames_per_s, self._offset)

    # ----- trading --------------------------------------------------------------------------

    def _stake_plan_changed(self) -> None:
        box = self.trade_panel.stake_plan
        plan = box.check(self.trade_panel.amount_value(), self.risk.limits)
        current = self.trading.stakes
        if plan != (None if current is None else current.plan):
            self.trading.set_stake_plan(plan, self.risk.limits)

    def _report_card(self, rows: Sequence[JournalRow]) -> list[str]:
        """Each strategy that traded in ``rows`` beside a backtest of the same period (the
        journal dock's worker thread)."""
        lines = report_card(rows, candles_on_disk(self.history.root), self.services.registry.create)
        return [describe_line(line) for line in lines]

    def trade(self, direction: Direction) -> bool:
        asset = self.grid.trade_asset()
        if not asset:
            self.trade_panel.show_message("Choose an asset first.", "warning")
            return False
        return self.trading.request(
            asset,
            direction,
            self.trade_panel.amount_value(),
            self.trade_panel.expiry_seconds(),
        )

    def _on_trade(self, record: TradeRecord) -> None:
        if record.asset == self.asset:
            marker = trade_marker(record)
            if marker is not None:
                self.chart.upsert_trade_marker(marker)
        if record.status.finished:
            self.history_dock.raise_()

    # ----- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_layout()
        self._timer.stop()
        self.services.close()
        super().closeEvent(event)


def _sim_badge() -> QtWidgets.QLabel:
    badge = QtWidgets.QLabel("SIMULATED")
    badge.setObjectName("badge")
    badge.setStyleSheet(badge_style(WARN, "#131722"))
    badge.setToolTip("Connected to the built-in simulated platform: no real market, no money")
    return badge


def _log_failure(what: str) -> Callable[[asyncio.Future[Any]], None]:
    def done(future: asyncio.Future[Any]) -> None:
        error = future.exception()
        if error is not None:
            log.error("%s failed: %s", what, error)

    return done
