"""Immutable events decoded from the platform's WebSocket traffic.

Times named ``time``/``start``/``*_ts`` are platform epoch seconds exactly as the platform
sent them (its clock runs about +7200 s ahead of UTC); ``received`` is the local wall-clock
time (UTC epoch seconds) at which Chrome logged the frame. Nothing here ever holds the
session token of the ``auth`` frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np


class Direction(str, Enum):
    CALL = "call"
    PUT = "put"


@dataclass(frozen=True, slots=True)
class Tick:
    asset: str
    time: float
    price: float
    received: float = field(default=0.0, compare=False)


@dataclass(frozen=True, slots=True)
class Candle:
    asset: str
    timeframe: int
    start: int
    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True, slots=True)
class HistoryCandles:
    """Platform history candles, always ascending by ``start``."""

    asset: str
    timeframe: int
    candles: tuple[Candle, ...]
    source: str


@dataclass(frozen=True, slots=True)
class HistoryTicks:
    asset: str
    ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class AssetInfo:
    id: int
    symbol: str
    name: str
    type: str
    payout: float
    is_otc: bool
    is_active: bool
    expirations: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AssetTable:
    assets: tuple[AssetInfo, ...]
    received: float = field(default=0.0, compare=False)


@dataclass(frozen=True, slots=True)
class PayoutChange:
    """An asset's payout (percent) or open/closed state as of ``time`` (platform seconds):
    one row of the payout history, written by the sink, never decoded from a frame."""

    asset: str
    time: float
    payout: float
    active: bool


@dataclass(frozen=True, slots=True)
class Balance:
    """``is_demo`` is None when the payload did not say (unknown, never a guess)."""

    balance: float
    is_demo: bool | None


@dataclass(frozen=True, slots=True)
class Deal:
    id: str
    asset: str
    direction: Direction
    amount: float
    profit: float
    percent_profit: float
    open_price: float
    close_price: float
    open_ts: float
    close_ts: float
    is_demo: bool
    currency: str


@dataclass(frozen=True, slots=True)
class DealsOpened:
    """``updateOpenedDeals``: the full list of trades open now."""

    deals: tuple[Deal, ...]


@dataclass(frozen=True, slots=True)
class DealsClosed:
    """``updateClosedDeals``: recently closed trades with their results."""

    deals: tuple[Deal, ...]


@dataclass(frozen=True, slots=True)
class OrderOpened:
    """``successopenOrder``: the platform accepted an order."""

    deal: Deal


@dataclass(frozen=True, slots=True)
class OrderClosed:
    """``successcloseOrder``: trades that expired, with their total profit."""

    profit: float
    deals: tuple[Deal, ...]


@dataclass(frozen=True, slots=True)
class OrderFailed:
    """``failopenOrder``: carries no request id; match it by asset and amount."""

    error: str
    amount: float
    asset: str


@dataclass(frozen=True, slots=True)
class ChartSettings:
    chart_id: str
    symbol: str
    chart_period: int | None
    deal_amount_demo: float | None
    deal_amount_live: float | None


@dataclass(frozen=True, slots=True)
class Favourites:
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthAccepted:
    pass


@dataclass(frozen=True, slots=True)
class AuthRejected:
    pass


@dataclass(frozen=True, slots=True)
class SocketOpened:
    socket_id: str
    url: str


@dataclass(frozen=True, slots=True)
class SocketClosed:
    socket_id: str


@dataclass(frozen=True, slots=True)
class AuthSent:
    """The page authenticated; the token itself is dropped by the decoder."""

    is_demo: bool


@dataclass(frozen=True, slots=True)
class SymbolChangeRequested:
    asset: str
    timeframe: int


@dataclass(frozen=True, slots=True)
class SubscribeRequested:
    asset: str


@dataclass(frozen=True, slots=True)
class UnsubscribeRequested:
    asset: str


@dataclass(frozen=True, slots=True)
class OrderRequested:
    asset: str
    amount: float
    direction: Direction
    is_demo: bool
    request_id: str
    expiry: int


@dataclass(frozen=True, slots=True)
class CandleClosed:
    """A candle is final. ``by`` says what closed it: ``tick`` (the first tick of a later
    period), ``clock`` (the period ended while the stream was quiet), ``history``
    (it came closed from the platform's history) or ``disk`` (read back from the CSVs: it is
    stored already and is never traded on). ``partial``: its period's start was not
    seen (the first live candle after attaching mid-period), so its open, high and low may
    be wrong: drawn, never stored. History that covers it later announces it again, whole."""

    candle: Candle
    by: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class SeriesHistory:
    """One series whole, as it stands after history went into it (candles inserted before
    its end, a closed one rewritten, a forming one dropped): what a copy kept by appending
    cannot follow, so it takes this instead. ``start`` and ``ohlc`` (shape (4, n)) are
    read-only copies; candles from ``closed`` on are forming."""

    asset: str
    timeframe: int
    start: np.ndarray
    ohlc: np.ndarray
    closed: int


FormingRow = tuple[int, int, float, float, float, float]
"""``(timeframe, start, open, high, low, close)`` of a forming candle."""


class FormingCandles(NamedTuple):
    """How ``asset``'s forming candles changed: ``rows`` for each whose start, open, high or
    low did (a new one included), and ``close``, the close of every other forming one (None:
    unchanged). Each live tick reaches every timeframe, so most ticks change little more
    than the shared close. A named tuple, immutable like the dataclasses here and cheaper
    to make: one is made per asset in every batch."""

    asset: str
    rows: tuple[FormingRow, ...]
    close: float | None


class MarketUpdate(NamedTuple):
    """What one batch did to the engine's market state (the last event of the batch): the
    candles it closed (in order; ``by="disk"`` for candles read back from the CSVs), the
    forming candles of each asset it touched, the series history rebuilt, and the platform
    clock's offset from UTC (None until measured). A named tuple like
    :class:`FormingCandles`: one is made for every batch."""

    closed: tuple[CandleClosed, ...]
    forming: tuple[FormingCandles, ...]
    history: tuple[SeriesHistory, ...]
    clock_offset: float | None


Event = (
    Tick
    | HistoryCandles
    | HistoryTicks
    | AssetTable
    | Balance
    | DealsOpened
    | DealsClosed
    | OrderOpened
    | OrderClosed
    | OrderFailed
    | ChartSettings
    | Favourites
    | AuthAccepted
    | AuthRejected
    | SocketOpened
    | SocketClosed
    | AuthSent
    | SymbolChangeRequested
    | SubscribeRequested
    | UnsubscribeRequested
    | OrderRequested
    | CandleClosed
    | MarketUpdate
)
