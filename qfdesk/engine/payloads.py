"""Platform event payloads (already JSON-decoded) -> typed events.

Each converter takes ``(name, payload, received)`` and returns the events of one platform
event. A payload that cannot be used at all raises :class:`Malformed` (or a plain
``LookupError``/``TypeError``/``ValueError`` on a wrong shape, which the decoder counts as
``bad_payload``); parts that can be skipped on their own (one tick of several, one history
candle, one asset row, one chart) are counted in the shared ``malformed`` counter and skipped.
A list of deals is taken whole or not at all: a half list of open trades would mislead.

History ticks carry the receive time of the frame that brought them, like live ticks.

Validity: prices are finite numbers > 0, times are numbers between 2000-01-01 and
2100-01-01 in epoch seconds, booleans are never taken for numbers. The shapes public clients
of the platform document are read too: a number may come as its JSON text (``"10.0"``), a
time in milliseconds (told by magnitude: 2000-01-01 to 2100-01-01 in ms), an ``updateStream``
as one flat ``[asset, time, price]``, a candle with a sixth element (volume, ignored), a
history tick as ``[t, price, null]``, ``"candles": null``, a ``loadHistoryPeriod*`` page of
ticks (``"period": 0``) and a balance without ``isDemo`` (account type unknown). The ``auth``
payload's session token is never read, so it never reaches an event.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from qfdesk.engine.events import (
    AssetInfo,
    AssetTable,
    AuthAccepted,
    AuthRejected,
    AuthSent,
    Balance,
    Candle,
    ChartSettings,
    Deal,
    DealsClosed,
    DealsOpened,
    Direction,
    Event,
    Favourites,
    HistoryCandles,
    HistoryTicks,
    OrderClosed,
    OrderFailed,
    OrderOpened,
    OrderRequested,
    SubscribeRequested,
    SymbolChangeRequested,
    Tick,
    UnsubscribeRequested,
)

TIME_MIN = 946_684_800.0  # 2000-01-01T00:00:00Z
TIME_MAX = 4_102_444_800.0  # 2100-01-01T00:00:00Z
_MS_MIN = TIME_MIN * 1000
_MS_MAX = TIME_MAX * 1000
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INF = math.inf
_FLOAT_MAX = sys.float_info.max  # a bound that also keeps huge integers (float() overflows) out
_NUMBER = frozenset((int, float))
_FLAG = {0: False, 1: True}
_DIRECTION_BY_COMMAND = {0: Direction.CALL, 1: Direction.PUT}
_DIRECTION_BY_ACTION = {"call": Direction.CALL, "put": Direction.PUT}
_MAX_PERIOD = 30 * 86_400

Converter = Callable[[str, Any, float], list[Event]]


class Malformed(Exception):
    """A payload that cannot be used; ``kind`` names why. Carries no payload content."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _finite(value: Any) -> float | None:
    """A finite number, or its JSON text (``"10.0"``); None for anything else."""
    if type(value) in _NUMBER:
        try:
            result = float(value)
        except OverflowError:
            return None
    elif type(value) is str and _JSON_NUMBER.fullmatch(value):
        result = float(value)
    else:
        return None
    return result if -_INF < result < _INF else None


def price(value: Any, kind: str = "bad_price") -> float:
    if type(value) in _NUMBER and 0.0 < value <= _FLOAT_MAX:
        return float(value)
    result = _finite(value)
    if result is not None and result > 0.0:
        return result
    raise Malformed(kind)


def epoch(value: Any, kind: str = "bad_time") -> float:
    """Epoch seconds; also as text, or in milliseconds (told by magnitude)."""
    if type(value) in _NUMBER and TIME_MIN <= value < TIME_MAX:
        return float(value)
    result = _finite(value)
    if result is not None:
        if TIME_MIN <= result < TIME_MAX:
            return result
        if _MS_MIN <= result < _MS_MAX:
            return result / 1000
    raise Malformed(kind)


def number(value: Any, kind: str = "bad_payload") -> float:
    """Any finite number (profits may be negative, amounts zero), also as text."""
    if type(value) in _NUMBER and -_FLOAT_MAX <= value <= _FLOAT_MAX:
        return float(value)
    result = _finite(value)
    if result is not None:
        return result
    raise Malformed(kind)


def text(value: Any, kind: str = "bad_payload") -> str:
    if type(value) is str and value:
        return value
    raise Malformed(kind)


def flag(value: Any, kind: str = "bad_payload") -> bool:
    """``0``/``1``/``false``/``true`` as the platform sends them."""
    if type(value) is bool:
        return value
    if type(value) is int and value in _FLAG:
        return _FLAG[value]
    raise Malformed(kind)


def period(value: Any, kind: str = "bad_payload") -> int:
    """A candle period or expiry in whole seconds."""
    if type(value) in _NUMBER and 0 < value <= _MAX_PERIOD and value == int(value):
        return int(value)
    raise Malformed(kind)


def _mapping(value: Any) -> dict[str, Any]:
    if type(value) is dict:
        return value
    raise Malformed("bad_payload")


def _sequence(value: Any) -> list[Any]:
    if type(value) is list:
        return value
    raise Malformed("bad_payload")


def _optional_sequence(value: Any) -> list[Any]:
    """A list, with a missing or null one taken as empty."""
    return [] if value is None else _sequence(value)


def _tick_rows(rows: list[Any]) -> bool:
    """Rows of a page of ticks: each has a ``price`` and no ``open``."""
    return bool(rows) and all(type(r) is dict and "price" in r and "open" not in r for r in rows)


def _candle(asset: str, timeframe: int, t: Any, o: Any, c: Any, h: Any, lo: Any) -> Candle:
    start = epoch(t, "bad_candle")
    if start != int(start):
        raise Malformed("bad_candle")
    op, cl, hi, low = (price(v, "bad_candle") for v in (o, c, h, lo))
    if not low <= min(op, cl) <= max(op, cl) <= hi:
        raise Malformed("bad_candle")
    return Candle(asset, timeframe, int(start), op, hi, low, cl)


def _ascending_unique(candles: list[Candle], malformed: Counter[str]) -> tuple[Candle, ...]:
    """Sorted by start; of two candles with one start the later one in the payload wins."""
    by_start = {candle.start: candle for candle in candles}
    if len(by_start) != len(candles):
        malformed["duplicate_candle"] += len(candles) - len(by_start)
    return tuple(sorted(by_start.values(), key=lambda candle: candle.start))


def _deal(value: Any) -> Deal:
    if type(value) is not dict:
        raise Malformed("bad_deal")
    try:
        return Deal(
            id=text(value["id"], "bad_deal"),
            asset=text(value["asset"], "bad_deal"),
            direction=_DIRECTION_BY_COMMAND[value["command"]],
            amount=number(value["amount"], "bad_deal"),
            profit=number(value["profit"], "bad_deal"),
            percent_profit=number(value["percentProfit"], "bad_deal"),
            open_price=price(value["openPrice"], "bad_deal"),
            close_price=_close_price(value["closePrice"]),
            open_ts=epoch(value["openTimestamp"], "bad_deal"),
            close_ts=epoch(value["closeTimestamp"], "bad_deal"),
            is_demo=flag(value["isDemo"], "bad_deal"),
            currency=text(value["currency"], "bad_deal"),
        )
    except (LookupError, TypeError):
        raise Malformed("bad_deal") from None


def _close_price(value: Any) -> float:
    """0 while the trade is open, else a price."""
    return 0.0 if type(value) is int and value == 0 else price(value, "bad_deal")


def _deals(value: Any) -> tuple[Deal, ...]:
    return tuple(_deal(item) for item in _sequence(value))


def _asset(row: Any) -> AssetInfo:
    if type(row) is not list or len(row) < 16:
        raise Malformed("bad_asset")
    expirations = row[15]
    if type(expirations) is not list:
        raise Malformed("bad_asset")
    try:
        return AssetInfo(
            id=_integer(row[0]),
            symbol=text(row[1], "bad_asset"),
            name=text(row[2], "bad_asset"),
            type=text(row[3], "bad_asset"),
            payout=_payout(row[5]),
            is_otc=flag(row[9], "bad_asset"),
            is_active=flag(row[14], "bad_asset"),
            expirations=tuple(period(item["time"], "bad_asset") for item in expirations),
        )
    except (LookupError, TypeError):
        raise Malformed("bad_asset") from None


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    raise Malformed("bad_asset")


def _payout(value: Any) -> float:
    if type(value) in _NUMBER and 0 <= value <= 1000:
        return float(value)
    raise Malformed("bad_asset")


def _optional_number(value: Any) -> float | None:
    return float(value) if type(value) in _NUMBER and -_FLOAT_MAX <= value <= _FLOAT_MAX else None


class PayloadDecoder:
    """Converters for received and sent platform events, and the little state they need.

    ``received`` and ``sent`` map event names to converters. The only state is each asset's
    last known candle period, used when a ``loadHistoryPeriod*`` payload has no ``period``.
    """

    def __init__(self, malformed: Counter[str]) -> None:
        self._malformed = malformed
        self._periods: dict[str, int] = {}
        self.received: dict[str, Converter] = {
            "updateStream": self.stream,
            "updateHistoryNewFast": self.history_new,
            "updateHistoryNew": self.history_new,
            "loadHistoryPeriodFast": self.history_period,
            "loadHistoryPeriod": self.history_period,
            "updateAssets": self.assets,
            "successupdateBalance": self.balance,
            "updateOpenedDeals": self.deals_opened,
            "updateClosedDeals": self.deals_closed,
            "successopenOrder": self.order_opened,
            "failopenOrder": self.order_failed,
            "successcloseOrder": self.order_closed,
            "successauth": self.auth_accepted,
            "NotAuthorized": self.auth_rejected,
            "updateCharts": self.charts,
            "successfavorite/change": self.favourites,
        }
        self.sent: dict[str, Converter] = {
            "auth": self.auth_sent,
            "changeSymbol": self.symbol_change,
            "subfor": self.subscribe,
            "unsubfor": self.unsubscribe,
            "openOrder": self.order_requested,
        }

    # --- received -------------------------------------------------------------------------

    def stream(self, name: str, payload: Any, received: float) -> list[Event]:
        """``[[asset, time, price], ...]`` or one flat ``[asset, time, price]``; a bad triple
        costs only itself."""
        if type(payload) is not list:
            raise Malformed("bad_payload")
        if payload and type(payload[0]) is str:
            payload = [payload]
        ticks: list[Event] = []
        number_types = _NUMBER
        for item in payload:
            if type(item) is not list or len(item) != 3:
                self._malformed["bad_tick"] += 1
                continue
            asset, t, p = item
            if (
                type(t) in number_types
                and TIME_MIN <= t < TIME_MAX
                and type(p) in number_types
                and 0.0 < p <= _FLOAT_MAX
                and type(asset) is str
                and asset
            ):
                ticks.append(Tick(asset, float(t), float(p), received))
            else:
                self._odd_tick(asset, t, p, received, ticks)
        return ticks

    def _odd_tick(self, asset: Any, t: Any, p: Any, received: float, ticks: list[Event]) -> None:
        """A triple off the common shape: text numbers or milliseconds, else counted."""
        if type(asset) is not str or not asset:
            self._malformed["bad_tick"] += 1
            return
        try:
            ticks.append(Tick(asset, epoch(t), price(p), received))
        except Malformed as error:
            self._malformed[error.kind] += 1

    def history_new(self, name: str, payload: Any, received: float) -> list[Event]:
        """Candles ``[t, open, close, high, low(, volume)]`` descending -> ascending OHLC
        candles; history ``[t, price(, null)]``. A missing or null list is an empty one."""
        body = _mapping(payload)
        asset = text(body["asset"])
        timeframe = period(body["period"])
        candles: list[Candle] = []
        for row in _optional_sequence(body.get("candles")):
            try:
                if type(row) is not list or not 5 <= len(row) <= 6:
                    raise Malformed("bad_candle")
                candles.append(_candle(asset, timeframe, *row[:5]))
            except Malformed as error:
                self._malformed[error.kind] += 1
        ticks: list[Tick] = []
        for row in _optional_sequence(body.get("history")):
            try:
                if type(row) is not list or not 2 <= len(row) <= 3:
                    raise Malformed("bad_tick")
                ticks.append(Tick(asset, epoch(row[0]), price(row[1]), received))
            except Malformed as error:
                self._malformed[error.kind] += 1
        self._periods[asset] = timeframe
        ticks.sort(key=lambda tick: tick.time)
        return [
            HistoryCandles(asset, timeframe, _ascending_unique(candles, self._malformed), name),
            HistoryTicks(asset, tuple(ticks)),
        ]

    def history_period(self, name: str, payload: Any, received: float) -> list[Event]:
        """A page of history, ascending: candle objects, or tick objects ``{"asset", "time",
        "price"}`` when ``period`` is 0 (or absent and every row is a tick). Without
        ``period`` the candle period is the greatest common divisor of the time steps (gaps
        are whole periods), else the asset's last known period; with neither the batch is
        counted ``unknown_period``."""
        body = _mapping(payload)
        rows = _sequence(body["data"])
        sent = body.get("period")
        if (type(sent) in _NUMBER and sent == 0) or (sent is None and _tick_rows(rows)):
            return self._tick_page(body.get("asset"), rows, received)
        asset = text(body["asset"])
        candles: list[tuple[float, Any, Any, Any, Any]] = []
        for row in rows:
            try:
                if type(row) is not dict:
                    raise Malformed("bad_candle")
                start = epoch(row["time"], "bad_candle")
                candles.append((start, row["open"], row["close"], row["high"], row["low"]))
            except KeyError:
                self._malformed["bad_candle"] += 1
            except Malformed as error:
                self._malformed[error.kind] += 1
        timeframe = self._batch_period(asset, sent, candles)
        good: list[Candle] = []
        for values in candles:
            try:
                good.append(_candle(asset, timeframe, *values))
            except Malformed as error:
                self._malformed[error.kind] += 1
        self._periods[asset] = timeframe
        return [HistoryCandles(asset, timeframe, _ascending_unique(good, self._malformed), name)]

    def _tick_page(self, asset: Any, rows: list[Any], received: float) -> list[Event]:
        """History ticks, one event per asset (a row's own ``asset`` or the page's)."""
        by_asset: dict[str, list[Tick]] = {}
        for row in rows:
            try:
                if type(row) is not dict:
                    raise Malformed("bad_tick")
                symbol = text(row.get("asset", asset), "bad_tick")
                tick = Tick(symbol, epoch(row["time"]), price(row["price"]), received)
            except KeyError:
                self._malformed["bad_tick"] += 1
                continue
            except Malformed as error:
                self._malformed[error.kind] += 1
                continue
            by_asset.setdefault(symbol, []).append(tick)
        return [
            HistoryTicks(symbol, tuple(sorted(ticks, key=lambda tick: tick.time)))
            for symbol, ticks in by_asset.items()
        ]

    def _batch_period(self, asset: str, sent: Any, candles: list[tuple[Any, ...]]) -> int:
        if sent is not None:
            return period(sent)
        starts = sorted({int(t) for t, *_ in candles})
        step = 0
        for earlier, later in itertools.pairwise(starts):
            step = math.gcd(step, later - earlier)
        if step:
            return period(step)
        if asset in self._periods:
            return self._periods[asset]
        raise Malformed("unknown_period")

    def assets(self, name: str, payload: Any, received: float) -> list[Event]:
        table: list[AssetInfo] = []
        for row in _sequence(payload):
            try:
                table.append(_asset(row))
            except Malformed as error:
                self._malformed[error.kind] += 1
        return [AssetTable(tuple(table), received)]

    def balance(self, name: str, payload: Any, received: float) -> list[Event]:
        """``isDemo`` missing (some clients' shape) leaves the account type unknown (None)."""
        body = _mapping(payload)
        is_demo = body.get("isDemo")
        return [Balance(number(body["balance"]), None if is_demo is None else flag(is_demo))]

    def deals_opened(self, name: str, payload: Any, received: float) -> list[Event]:
        return [DealsOpened(_deals(payload))]

    def deals_closed(self, name: str, payload: Any, received: float) -> list[Event]:
        return [DealsClosed(_deals(payload))]

    def order_opened(self, name: str, payload: Any, received: float) -> list[Event]:
        return [OrderOpened(_deal(payload))]

    def order_failed(self, name: str, payload: Any, received: float) -> list[Event]:
        body = _mapping(payload)
        return [OrderFailed(str(body["error"]), number(body["amount"]), text(body["asset"]))]

    def order_closed(self, name: str, payload: Any, received: float) -> list[Event]:
        body = _mapping(payload)
        return [OrderClosed(number(body["profit"]), _deals(body["deals"]))]

    def auth_accepted(self, name: str, payload: Any, received: float) -> list[Event]:
        return [AuthAccepted()]

    def auth_rejected(self, name: str, payload: Any, received: float) -> list[Event]:
        return [AuthRejected()]

    def charts(self, name: str, payload: Any, received: float) -> list[Event]:
        """``[{"chart_id", "settings": "<JSON text>"}, ...]``; a bad chart costs itself."""
        charts: list[Event] = []
        for item in _sequence(payload):
            try:
                charts.append(_chart(item))
            except (Malformed, LookupError, TypeError, ValueError, RecursionError):
                self._malformed["bad_chart"] += 1
        return charts

    def favourites(self, name: str, payload: Any, received: float) -> list[Event]:
        return [Favourites(tuple(text(symbol) for symbol in _sequence(payload)))]

    # --- sent by the page -----------------------------------------------------------------

    def auth_sent(self, name: str, payload: Any, received: float) -> list[Event]:
        """Only ``isDemo`` is read: the session token is never touched."""
        return [AuthSent(is_demo=flag(_mapping(payload)["isDemo"]))]

    def symbol_change(self, name: str, payload: Any, received: float) -> list[Event]:
        body = _mapping(payload)
        return [SymbolChangeRequested(text(body["asset"]), period(body["period"]))]

    def subscribe(self, name: str, payload: Any, received: float) -> list[Event]:
        return [SubscribeRequested(text(payload))]

    def unsubscribe(self, name: str, payload: Any, received: float) -> list[Event]:
        return [UnsubscribeRequested(text(payload))]

    def order_requested(self, name: str, payload: Any, received: float) -> list[Event]:
        body = _mapping(payload)
        request_id = body["requestId"]
        if type(request_id) not in (int, str):
            raise Malformed("bad_payload")
        return [
            OrderRequested(
                asset=text(body["asset"]),
                amount=price(body["amount"], "bad_payload"),
                direction=_DIRECTION_BY_ACTION[body["action"]],
                is_demo=flag(body["isDemo"]),
                request_id=str(request_id),
                expiry=period(body["time"]),
            )
        ]


def _chart(item: Any) -> ChartSettings:
    body = _mapping(item)
    settings = json.loads(body["settings"])
    if type(settings) is not dict:
        raise Malformed("bad_chart")
    chart_period = settings.get("chartPeriod")
    return ChartSettings(
        chart_id=text(body["chart_id"]),
        symbol=text(settings["symbol"]),
        chart_period=chart_period if type(chart_period) is int else None,
        deal_amount_demo=_optional_number(settings.get("demoDealAmount")),
        deal_amount_live=_optional_number(settings.get("liveDealAmount")),
    )
