"""Runs the auto-trader in the window: closed candles in, orders placed (live) or booked (paper).

Live orders go to the order desk (:class:`OrderDesk`, the manual trades' way: asset,
amount, expiry, one trade click carrying the order's intent id) and show in the trade tables;
paper orders go into a :class:`PaperBook` settled from the following ticks, apart from the
real trades. The auto-trader checked the order's risk itself; the desk never asks consent for
it: the page's account must be DEMO, or REAL with consent given in this session (an UNKNOWN
account is a failed placement), and just before the page is touched (on the executor) the
auto-trader must still be on and the trading alarm not tripped; else nothing is clicked.
When the trading alarm trips, the auto-trader stops at once. Signals and paper trades show as
chart markers; when the auto-trader stops itself the switch goes off and ``stopped`` carries
the reason for the trader to see.

Strategies never run on the GUI thread: each session has a :class:`StrategyHost` that makes
the runners, warms them up and evaluates every batch of closed candles on its own thread (a
trader's own strategies in its worker process, within ``budget``); what they found comes
back through Qt signals and is acted on here. The switch goes on once the strategies are
warm; candles that close meanwhile wait for them. Stopping, or closing the window, closes
the host (its worker process is killed).

The strategies file is read in the background at startup (:class:`StrategyFiles`, as is a
file added in the dialog): a Start meanwhile waits for it, saying so, and then starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets

from qfdesk.desk.order_desk import Checks, OrderDesk
from qfdesk.desk.orders import OrderIntent
from qfdesk.desk.page import UNKNOWN_ACCOUNT
from qfdesk.engine.autotrader import AutoTrader, Evaluation, Order, Stop, StopReason
from qfdesk.engine.backtest_stats import LOSS, WIN
from qfdesk.engine.events import Candle, CandleClosed, Event, Tick
from qfdesk.engine.paper import PaperBook, PaperTrade
from qfdesk.engine.paths import config_dir
from qfdesk.engine.risk import AccountState, RiskManager
from qfdesk.engine.strategies import Signal, StrategyError, StrategyRegistry
from qfdesk.engine.strategies.host import Outcome, StrategyHost, TimeBudget
from qfdesk.engine.trading_halt import Alarm
from qfdesk.ui.autotrade_action import AutoTradeSwitch
from qfdesk.ui.autotrade_panel import AutoTradeDialog, AutoTradeSetup
from qfdesk.ui.chart import ChartWidget, SignalMarker, TradeMarker, TradeResult
from qfdesk.ui.consent import RealConsent
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.strategy_files import StrategyFiles
from qfdesk.ui.toolbar import MainToolbar
from qfdesk.ui.trade_book import TradeBook, TradeRecord

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 1000
PAPER_START_BALANCE = 1000.0
_PAPER_RESULTS = {WIN: TradeResult.WON, LOSS: TradeResult.LOST}


def history_candles(market: MarketModel, asset: str, timeframe: int) -> list[Candle]:
    """The closed candles of ``asset`` the window's copy of the engine's market holds (to warm
    strategies up): the same candles the engine closes and the CSVs get."""
    return market.candles.closed_candles(asset, timeframe)


class AutoTradeController(QtCore.QObject):
    stopped = QtCore.Signal(str)  # why the auto-trader stopped itself
    message = QtCore.Signal(str, str)  # text, kind (info / warning / error)
    halted = QtCore.Signal(object)  # the trading alarm tripped (Alarm), from any thread
    # From the strategy host's thread: (host, Outcome of making and warming up the trader)
    # and (trader, Outcome of an evaluation).
    _made = QtCore.Signal(object, object)
    _evaluated = QtCore.Signal(object, object)

    def __init__(
        self,
        *,
        bridge: LiveBridge,
        market: MarketModel,
        desk: OrderDesk,
        book: TradeBook,
        consent: RealConsent,
        chart: ChartWidget,
        switch: AutoTradeSwitch,
        risk: RiskManager,
        current_asset: Callable[[], str],
        current_timeframe: Callable[[], int],
        registry: StrategyRegistry | None = None,
        window: QtWidgets.QWidget | None = None,
        budget: TimeBudget | None = None,
    ) -> None:
        super().__init__(window)
        self.bridge = bridge
        self.market = market
        self.desk = desk
        self.book = book
        self.consent = consent
        self.chart = chart
        self.switch = switch
        self.registry = registry or StrategyRegistry()
        self.files = StrategyFiles(self.registry, self)
        self._after_files: AutoTradeSetup | None = None  # a Start waiting for the files
        self.budget = budget or TimeBudget()
        self.host: StrategyHost | None = None
        self._waiting: list[CandleClosed] | None = None  # a list while starting
        self.window = window
        self.risk = risk
        self._current_asset = current_asset
        self._current_timeframe = current_timeframe
        self.trader: AutoTrader | None = None
        self.paper: PaperBook | None = None
        self.setup: AutoTradeSetup | None = None
        self.dialog: AutoTradeDialog | None = None
        self.last_stop: Stop | None = None
        self.stop_box: QtWidgets.QMessageBox | None = None
        self.signal_markers: dict[str, list[SignalMarker]] = defaultdict(list)
        self.tasks: set[asyncio.Task[None]] = set()
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        switch.toggled.connect(self._toggled)
        self.files.configRead.connect(self._on_strategies_read)
        self._made.connect(self._on_made, queued)
        self._evaluated.connect(self._on_evaluated, queued)
        bridge.eventsReady.connect(self._on_events, queued)
        bridge.tailStateChanged.connect(self._on_tail_state, queued)
        book.closed.connect(self._on_closed)
        self.halted.connect(self._on_halt, queued)
        bridge.halt.add_listener(self.halted.emit)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    @property
    def running(self) -> bool:
        return self.trader is not None and self.trader.running

    @property
    def starting(self) -> bool:
        """Started, the strategies file still being read or the strategies being made and
        warmed up."""
        return self._waiting is not None or self._after_files is not None

    def load_strategies(self, path: Path) -> None:
        """Read the strategies file at ``path`` (and its strategy files) in the background."""
        self.files.read_config(path)

    def _on_strategies_read(self, problems: list[str]) -> None:
        for problem in problems:
            log.warning("strategies file: %s", problem)
        setup, self._after_files = self._after_files, None
        if setup is not None:
            self.start(setup)

    # ----- switching ----------------------------------------------------------------------

    def _toggled(self, checked: bool) -> None:
        if not checked:
            self.switch_off()
            return
        self.switch.show_state(False, True)  # on only once it really runs
        self.configure()

    def configure(self) -> AutoTradeDialog | None:
        """Open the settings dialog (window-modal, not blocking); Start starts."""
        if self.running:
            self.message.emit("Switch the auto-trader off to change its settings.", "warning")
            return None
        if self.starting:
            self.message.emit("The auto-trader is starting: its strategies warm up.", "info")
            return None
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = AutoTradeDialog(
            self.registry,
            list(self.market.assets),
            self.risk.limits,
            current_asset=self._current_asset(),
            timeframe=self._current_timeframe(),
            previous=self.setup,
            parent=self.window,
            files=self.files,
        )
        dialog.accepted.connect(lambda: self.start(dialog.setup))
        dialog.finished.connect(lambda _: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, setup: AutoTradeSetup | None) -> bool:
        """Start with ``setup``; False (and a message) if it may not start now. On a REAL
        account, live mode first asks the trader's consent for the session; on an account
        not known yet it does not start."""
        if setup is None or self.running or self.starting:
            return False
        self.setup = setup
        if self.files.config_loading:
            self._after_files = setup
            self.message.emit(
                "Auto-trader starting: the strategies file is still being read\u2026", "info"
            )
            return True
        alarm = self.bridge.halt.alarm
        if alarm is not None and not setup.config.paper:
            self._say(f"Auto-trader not started: {alarm.text}")
            return False
        if not setup.config.paper:
            if not self.bridge.connected:
                self._say("Auto-trader not started: connect to the platform's Chrome first.")
                return False
            if self.market.is_demo is None:
                self._say(f"Auto-trader not started: {UNKNOWN_ACCOUNT}.")
                return False
            if self.market.is_demo is False and not self.consent.granted:
                self._spawn(self._consent_then_start(setup))
                return False
        return self._start(setup)

    async def _consent_then_start(self, setup: AutoTradeSetup) -> None:
        balance = self.market.balance
        detail = (
            f"Balance {balance:,.2f}. " if balance is not None else ""
        ) + "The auto-trader would place trades by itself."
        if await self.consent.ask(detail):
            self.start(setup)  # checked again: the dialog may have been open for a while
        else:
            self._say("Auto-trader not started: the account is REAL and consent was refused.")

    def _start(self, setup: AutoTradeSetup) -> bool:
        """Make and warm up the strategies on a new host; :meth:`_on_made` switches on."""
        config = setup.config
        if config.paper and self.paper is None:
            self.paper = PaperBook(PAPER_START_BALANCE)
        # Live trades share the one risk manager of all trading, under the auto-trader's own
        # limits; paper trades have a manager of their own, apart from real results.
        risk = RiskManager(setup.limits) if config.paper else self.risk
        history = {
            asset: history_candles(self.market, asset, config.timeframe) for asset in config.assets
        }
        host = StrategyHost(self.registry, self.budget)

        def make() -> tuple[AutoTrader, Evaluation]:
            trader = AutoTrader(
                config,
                self.registry,
                risk,
                self._send,
                limits=setup.limits,
                payout_of=self.market.payout,
                account=self._account,
                consent=lambda: self.consent.granted,
                on_signal=self._on_signal,
                on_stop=self._on_stop,
                make_runner=host.runner,
                journal=self.desk.journal,
                stake_plan=setup.stake_plan,
            )
            return trader, trader.warm_up(lambda asset, tf: history.get(asset, []))

        self._close_host()
        self.host = host
        self._waiting = []
        host.submit(make, lambda outcome: self._made.emit(host, outcome))
        self.message.emit("Auto-trader starting: its strategies warm up\u2026", "info")
        return True

    def _on_made(self, host: StrategyHost, outcome: Outcome[tuple[AutoTrader, Evaluation]]) -> None:
        if host is not self.host:
            return  # switched off meanwhile
        waiting, self._waiting = self._waiting or [], None
        if outcome.error is not None or outcome.value is None:
            self._close_host()
            error = outcome.error
            said = str(error)
            if not isinstance(error, StrategyError | ValueError):
                log.error("auto-trader: starting failed", exc_info=error)
                said = f"unexpected error ({type(error).__name__}: {error}); see the log"
            self._say(f"Auto-trader not started: {said}")
            return
        trader, warmed = outcome.value
        config = trader.config
        self.trader = trader
        self.last_stop = None
        self.switch.show_state(True, config.paper)
        self.message.emit(
            f"Auto-trader ON ({'paper' if config.paper else 'LIVE'}): "
            f"{', '.join(c.name for c in config.strategies)} on {', '.join(config.assets)}",
            "warning" if not config.paper else "info",
        )
        trader.act(warmed, self._now())
        if not config.paper and not self.bridge.connected:
            trader.disconnected("the platform's Chrome went away while the strategies warmed up")
        alarm = self.bridge.halt.alarm
        if not config.paper and alarm is not None and trader.running:
            trader.stop(StopReason.TRADING_ALARM, alarm.text)  # tripped during the warm-up
        if waiting:
            self._evaluate(trader, waiting)

    def _evaluate(self, trader: AutoTrader, candles: list[CandleClosed]) -> None:
        """Have the host run the strategies on ``candles``; :meth:`_on_evaluated` acts."""
        host = self.host
        if host is None or not trader.running:
            return
        now = self._now()
        host.submit(
            lambda: trader.evaluate(candles, now),
            lambda outcome: self._evaluated.emit(trader, outcome),
        )

    def _on_evaluated(self, trader: AutoTrader, outcome: Outcome[Evaluation]) -> None:
        if trader is not self.trader:
            return
        if outcome.error is not None or outcome.value is None:
            log.error("auto-trader: evaluating the strategies failed", exc_info=outcome.error)
            trader.stop(
                StopReason.STRATEGIES_FAILED,
                f"evaluating the strategies failed ({outcome.error}); see the log",
            )
            return
        trader.act(outcome.value, self._now())

    def _close_host(self) -> None:
        if self.host is not None:
            self.host.close()
            self.host = None

    def shutdown(self) -> None:
        """The window closes: the auto-trader stops and its strategies' worker ends."""
        self._waiting = None
        self.switch_off()
        self._close_host()

    def switch_off(self) -> None:
        self._after_files = None
        if self.trader is not None:
            self.trader.stop(StopReason.SWITCHED_OFF, "switched off by the trader")
        if self.starting:
            self._waiting = None
            self._close_host()
        self.switch.show_state(False, self.switch.paper)

    def _on_halt(self, alarm: Alarm) -> None:
        trader = self.trader
        if trader is not None and trader.running and not trader.config.paper:
            trader.stop(StopReason.TRADING_ALARM, alarm.text)

    def _on_stop(self, stop: Stop) -> None:
        self.last_stop = stop
        self._close_host()
        self.switch.show_state(False, self.switch.paper)
        if stop.reason is StopReason.SWITCHED_OFF:
            self.message.emit("Auto-trader OFF.", "info")
            return
        text = f"Auto-trader stopped itself ({stop.reason.value}): {stop.text}"
        self.message.emit(text, "error")
        self.stopped.emit(text)

    def _say(self, text: str) -> None:
        log.warning("%s", text)
        self.switch.show_state(False, self.switch.paper)
        self.message.emit(text, "error")

    # ----- market ------------------------------------------------------------------------------

    def _now(self) -> float:
        """Platform time (the strategies' and risk's clock); the local clock before any tick."""
        now = self.market.platform_now()
        return time.time() if now is None else now

    def _account(self) -> AccountState | None:
        if self.paper is not None and self.trader is not None and self.trader.config.paper:
            return AccountState(self.paper.balance, is_demo=True)
        return self.market.account_state()

    def _on_events(self, events: list[Event]) -> None:
        closed = [event for event in events if type(event) is CandleClosed]
        trader = self.trader
        if closed and self._waiting is not None:
            self._waiting += closed
        elif closed and trader is not None and trader.running:
            self._evaluate(trader, closed)
        if self.paper is not None and self.paper.open_trades:
            self._paper_settled(self.paper.on_ticks([e for e in events if type(e) is Tick]))

    def _on_tail_state(self, state: str) -> None:
        if state != "connected" and self.trader is not None:
            self.trader.disconnected(f"the connection to the platform's Chrome is {state}")

    def _check(self) -> None:
        trader = self.trader
        live = trader is not None and trader.running and not trader.config.paper
        if trader is not None and live and not self.bridge.connected:
            trader.disconnected("the platform's Chrome is not connected")
        if self.paper is not None and self.paper.open_trades:
            self._paper_settled(self.paper.on_clock(self._now()))

    def _on_signal(self, signal: Signal, candle: Candle) -> None:
        markers = self.signal_markers[signal.asset]
        markers.append(SignalMarker(float(candle.start), candle.close, signal.direction))
        self.show_markers()
        QtCore.QTimer.singleShot(0, self.show_activity)

    def show_activity(self) -> None:
        """Signals, orders and (paper) profit so far, in the status badge."""
        trader = self.trader
        if trader is None:
            return
        text = f"{len(trader.signals)} signals, {len(trader.orders)} orders"
        if trader.config.paper and self.paper is not None:
            text += f", paper P/L {self.paper.balance - self.paper.start_balance:+.2f}"
        self.switch.show_activity(text)

    def show_markers(self) -> None:
        """The current asset's signals and paper trades on the chart (it shows another
        series: the window put the book's trades back, these are the auto-trader's)."""
        self.chart.set_signal_markers(self.signal_markers.get(self._current_asset(), []))
        if self.paper is not None:
            for trade in (*self.paper.settled, *self.paper.open_trades):
                self._paper_marker(trade)

    # ----- orders --------------------------------------------------------------------------------

    def _send(self, order: Order) -> None:
        trader = self.trader
        assert trader is not None
        if order.paper:
            assert self.paper is not None
            trade = self.paper.open(
                order.intent_id,
                order.asset,
                order.direction,
                order.stake,
                order.payout,
                order.entry_time,
                order.entry_price,
                order.signal.expiry,
            )
            trader.placed(order.intent_id, True)
            self._paper_marker(trade)
            return
        self._spawn(self._place_live(trader, order))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task kept in ``tasks`` until it ends."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _paper_settled(self, trades: list[PaperTrade]) -> None:
        for trade in trades:
            if self.trader is not None:
                self.trader.settled(trade.id, trade.profit or 0.0)
            self._paper_marker(trade)
            self.show_activity()
            balance = self.paper.balance if self.paper is not None else 0.0
            self.message.emit(
                f"Paper {trade.asset}: {trade.profit or 0.0:+.2f} (paper balance {balance:,.2f})",
                "info",
            )

    def _paper_marker(self, trade: PaperTrade) -> None:
        if trade.asset != self._current_asset():
            return
        result = TradeResult.PENDING
        if trade.settled and trade.outcome is not None:
            result = _PAPER_RESULTS.get(trade.outcome, TradeResult.REFUND)
        elif trade.settled:
            result = TradeResult.REFUND
        self.chart.upsert_trade_marker(
            TradeMarker(
                id=f"paper-{trade.id}",
                entry_time=trade.entry_time,
                entry_price=trade.entry_price,
                expiry_time=trade.expiry_time,
                direction=trade.direction,
                result=result,
                paper=True,
            )
        )

    async def _place_live(self, trader: AutoTrader, order: Order) -> None:
        record = self.book.add(
            TradeRecord(
                key=order.intent_id,
                asset=order.asset,
                direction=order.direction,
                amount=order.stake,
                expiry=order.signal.expiry,
                payout=order.payout,
                reason=f"auto: {order.signal.strategy}: {order.signal.reason}",
                source="auto",
            )
        )
        intent = OrderIntent(
            order.asset, order.direction, order.stake, order.signal.expiry, order.intent_id
        )

        def still_wanted() -> str | None:
            return None if trader.running else "the auto-trader stopped before placing it"

        checks = Checks("auto", risk=False, ask_consent=False, still_wanted=still_wanted)
        outcome = await self.desk.place(intent, checks)
        self.book.record_outcome(record, outcome)
        if outcome.real_without_consent:
            trader.real_without_consent()
        if outcome.placed:
            trader.placed(order.intent_id, True)
        else:
            error = outcome.reason or "refused"
            trader.placed(order.intent_id, False, error, clicked=outcome.clicked)

    def _on_closed(self, record: TradeRecord) -> None:
        trader = self.trader
        if trader is not None and record.key in trader.orders:
            trader.settled(record.key, record.profit or 0.0)


def install_autotrade(
    *,
    bridge: LiveBridge,
    market: MarketModel,
    registry: StrategyRegistry,
    series_shown: QtCore.SignalInstance,
    desk: OrderDesk,
    book: TradeBook,
    consent: RealConsent,
    chart: ChartWidget,
    risk: RiskManager,
    toolbar: MainToolbar,
    status: QtWidgets.QStatusBar,
    show_message: Callable[[str, str], None],
    current_asset: Callable[[], str],
    current_timeframe: Callable[[], int],
    window: QtWidgets.QWidget,
) -> AutoTradeController:
    """Put the switch in ``toolbar``'s slot and its badge in ``status``, and run the
    auto-trader under ``window`` (its dialogs' parent; closing it shuts the auto-trader
    down). Installed after the window's market model subscribed to ``bridge``, so that the
    model has applied each batch of events before the auto-trader sees it; its signals and
    paper trades are put back on the chart each time ``series_shown`` says it shows another
    series. The strategies file is read in the background (a Start waits for it)."""
    switch = AutoTradeSwitch(window)
    toolbar.add_autotrade_action(switch)
    status.addPermanentWidget(switch.badge)
    switch.show_state(False, True)
    controller = AutoTradeController(
        bridge=bridge,
        market=market,
        desk=desk,
        book=book,
        consent=consent,
        chart=chart,
        switch=switch,
        risk=risk,
        current_asset=current_asset,
        current_timeframe=current_timeframe,
        registry=registry,
        window=window,
    )
    controller.load_strategies(config_dir() / "strategies.json")
    series_shown.connect(controller.show_markers)
    controller.message.connect(show_message)
    controller.stopped.connect(lambda text: _tell_stop(window, status, controller, text))
    window.installEventFilter(_ShutdownOnClose(controller))
    return controller


class _ShutdownOnClose(QtCore.QObject):
    """Shuts the controller down when its window closes."""

    def __init__(self, controller: AutoTradeController) -> None:
        super().__init__(controller)
        self.controller = controller

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Close:
            self.controller.shutdown()
        return False


def _tell_stop(
    window: QtWidgets.QWidget,
    status: QtWidgets.QStatusBar,
    controller: AutoTradeController,
    text: str,
) -> None:
    status.showMessage(text, 60_000)
    box = QtWidgets.QMessageBox(
        QtWidgets.QMessageBox.Icon.Warning, "Auto-trader stopped", text, parent=window
    )
    box.setObjectName("autoTradeStopped")
    box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    controller.stop_box = box
    box.open()
