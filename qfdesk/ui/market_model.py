"""The GUI thread's view of the market: a copy of the engine's candles, the asset table and
the account.

Fed only with events forwarded by the live bridge, always on the GUI thread. Candles are
never built here: the pipeline's market updates are applied to a :class:`MarketCopy`, so the
chart, the trade panel and the auto-trader read arrays nobody else writes, holding what the
engine holds. The pipeline's own arrays belong to the tail thread and are never read here.
"""

from __future__ import annotations

import logging
import time

from PySide6 import QtCore

from qfdesk.engine.events import (
    AssetInfo,
    AssetTable,
    AuthSent,
    Balance,
    DealsClosed,
    DealsOpened,
    Event,
    Favourites,
    MarketUpdate,
    OrderClosed,
    OrderFailed,
    OrderOpened,
    SymbolChangeRequested,
    Tick,
)
from qfdesk.engine.market_state import MarketCopy
from qfdesk.engine.risk import AccountState

log = logging.getLogger(__name__)

DEAL_EVENTS = (DealsOpened, DealsClosed, OrderOpened, OrderClosed, OrderFailed)
MIN_DECIMALS, DEFAULT_DECIMALS, MAX_DECIMALS = 2, 5, 6


class MarketModel(QtCore.QObject):
    candlesChanged = QtCore.Signal(str, bool)  # asset, rebuilt (history inserted, not only grown)
    assetsChanged = QtCore.Signal()
    accountChanged = QtCore.Signal()
    dealEvent = QtCore.Signal(object)  # DealsOpened | DealsClosed | OrderOpened | ...
    pageAssetChanged = QtCore.Signal(str)  # the page asked for another symbol

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.candles = MarketCopy()
        self.assets: dict[str, AssetInfo] = {}
        self.favourites: tuple[str, ...] = ()
        self.balance: float | None = None
        self.is_demo: bool | None = None
        self.currency = ""
        self.page_asset: str | None = None
        self.last_tick_at: dict[str, float] = {}  # local monotonic time of the last live tick
        self.last_price: dict[str, float] = {}
        self.decimals: dict[str, int] = {}  # digits after the point the platform quotes

    # ----- input ---------------------------------------------------------------------------

    def apply(self, events: list[Event]) -> None:
        """One batch of decoded events (GUI thread)."""
        touched: dict[str, bool] = {}
        now = time.monotonic()
        for event in events:
            if type(event) is Tick:
                self.last_tick_at[event.asset] = now
                self.last_price[event.asset] = event.price
                self._note_decimals(event.asset, event.price)
            elif type(event) is MarketUpdate:
                for asset, rebuilt in self.candles.apply(event).items():
                    touched[asset] = touched.get(asset, False) or rebuilt
            elif type(event) is AssetTable:
                self.assets = {a.symbol: a for a in event.assets}
                self.assetsChanged.emit()
            elif type(event) is Favourites:
                self.favourites = event.symbols
                self.assetsChanged.emit()
            elif type(event) is Balance:
                self.balance = event.balance
                if event.is_demo is not None:  # a balance that does not say keeps what is known
                    self.is_demo = event.is_demo
                self.accountChanged.emit()
            elif type(event) is AuthSent:
                self.is_demo = event.is_demo
                self.accountChanged.emit()
            elif type(event) is SymbolChangeRequested:
                self.page_asset = event.asset
                self.pageAssetChanged.emit(event.asset)
            elif isinstance(event, DEAL_EVENTS):
                self._note_currency(event)
                self.dealEvent.emit(event)
        for asset, rebuilt in touched.items():
            self.candlesChanged.emit(asset, rebuilt)

    def _note_decimals(self, asset: str, price: float) -> None:
        text = repr(price)
        digits = len(text) - text.index(".") - 1 if "." in text and "e" not in text else 0
        if digits > self.decimals.get(asset, 0):
            self.decimals[asset] = min(digits, MAX_DECIMALS)

    def price_decimals(self, asset: str) -> int:
        """Decimals to show for ``asset``: as many as its ticks carried (at least 2)."""
        return max(MIN_DECIMALS, self.decimals.get(asset, DEFAULT_DECIMALS))

    def _note_currency(self, event: Event) -> None:
        deals = (event.deal,) if isinstance(event, OrderOpened) else getattr(event, "deals", ())
        for deal in deals:
            if deal.currency and deal.currency != self.currency:
                self.currency = deal.currency
                self.accountChanged.emit()

    # ----- queries ---------------------------------------------------------------------------

    def platform_now(self) -> float | None:
        """Platform time now, by the engine's clock; None before it is measured."""
        return self.candles.platform_now(time.time())

    def tick_age(self, asset: str) -> float | None:
        """Seconds since the last live tick of ``asset``, None if none came."""
        at = self.last_tick_at.get(asset)
        return None if at is None else time.monotonic() - at

    def account_state(self) -> AccountState | None:
        if self.balance is None:
            return None
        return AccountState(balance=self.balance, is_demo=bool(self.is_demo))

    def payout(self, asset: str) -> float | None:
        info = self.assets.get(asset)
        return None if info is None else info.payout

    def display_name(self, asset: str) -> str:
        info = self.assets.get(asset)
        return info.name if info is not None else asset
