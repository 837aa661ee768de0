"""The composition root: the desk's services, built once and wired in dependency order.

:func:`build_services` makes every non-widget part of the terminal (the GUI's copy of the
engine's market, the trade book, the journal, the order desk, the alerts...) and connects
the subscriptions between them, each consumer after what it depends on: the market copy
applies a batch of events before anything else hears of it (the alerts, the auto-trader and
the window subscribe later), and the trade book is fed the deals the copy saw. The window
is handed these services and builds only its widgets; nothing reads a service off the
window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from qfdesk.desk.order_desk import OrderDesk
from qfdesk.engine.events import Event
from qfdesk.engine.journal.schema import journal_path
from qfdesk.engine.journal.writer import JournalWriter
from qfdesk.engine.risk import RiskLimits, RiskManager
from qfdesk.engine.strategies.host import StrategyHost
from qfdesk.engine.strategies.registry import StrategyRegistry
from qfdesk.ui.alerts import AlertCenter
from qfdesk.ui.consent import RealConsent
from qfdesk.ui.history_worker import HistoryWorker
from qfdesk.ui.journal_feed import journal_settlements
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.page_sync import PageSync
from qfdesk.ui.trade_book import TradeBook
from qfdesk.ui.trading import TradeController


@dataclass(frozen=True, slots=True)
class DeskServices:
    owner: QtCore.QObject
    """Parent of the services' Qt objects; the window adopts it, so they live as long."""
    bridge: LiveBridge
    store: LayoutStore
    data_root: Path
    market: MarketModel
    book: TradeBook
    history: HistoryWorker
    page_sync: PageSync
    consent: RealConsent
    risk: RiskManager
    journal: JournalWriter
    desk: OrderDesk
    trading: TradeController
    registry: StrategyRegistry
    """The strategies the auto-trader, the backtest, the alerts and the report card know."""
    alert_strategies: StrategyHost
    """Runs signal alerts' strategies (a trader's own file in a worker process)."""
    alerts: AlertCenter

    def close(self) -> None:
        """The window closes: no alert runs any more; the journal commits what it holds."""
        self.alerts.close()
        self.alert_strategies.close()
        self.journal.close()


def build_services(
    *, bridge: LiveBridge, store: LayoutStore, data_root: Path, risk_limits: RiskLimits
) -> DeskServices:
    owner = QtCore.QObject()
    market = MarketModel(owner)
    book = TradeBook(owner)
    consent = RealConsent()
    risk = RiskManager(risk_limits)
    journal = JournalWriter(journal_path(data_root))
    desk = OrderDesk(bridge, market, risk, consent, journal=journal, page_check=bridge.page_check)
    registry = StrategyRegistry()
    alert_strategies = StrategyHost(registry)
    alerts = AlertCenter(store, alert_strategies.runner, owner)
    services = DeskServices(
        owner=owner,
        bridge=bridge,
        store=store,
        data_root=data_root,
        market=market,
        book=book,
        history=HistoryWorker(data_root, bridge.pipeline, owner),
        page_sync=PageSync(bridge, owner),
        consent=consent,
        risk=risk,
        journal=journal,
        desk=desk,
        trading=TradeController(
            desk, book, market.payout, owner, balance_of=lambda: market.balance
        ),
        registry=registry,
        alert_strategies=alert_strategies,
        alerts=alerts,
    )
    _wire(services)
    return services


def _wire(s: DeskServices) -> None:
    queued = QtCore.Qt.ConnectionType.QueuedConnection
    s.bridge.eventsReady.connect(s.market.apply, queued)  # first: everyone reads the copy
    s.market.dealEvent.connect(s.book.apply)
    journal_settlements(s.book, s.journal)

    def watch(events: list[Event]) -> None:
        s.alerts.on_events(events, s.market.platform_now())

    s.bridge.eventsReady.connect(watch, queued)
