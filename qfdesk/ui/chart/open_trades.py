"""Open trades where they live: just above the start of each open trade's line (its open
time and price; the line runs to its expiry), its side, the time left to expiry, PAPER for a
paper trade, and whether it is in the money at the last price (green winning, red losing,
neutral when even). Updated with every tick and every second; a trade with a result is no
longer open (its marker shows the result)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyqtgraph as pg

from qfdesk.engine.events import Direction
from qfdesk.ui.chart import theme
from qfdesk.ui.chart.markers import TradeMarker, TradeResult

WINNING, LOSING, EVEN = 1, -1, 0
_FILL = {WINNING: theme.UP, LOSING: theme.DOWN, EVEN: theme.RESULT_COLORS["pending"]}


def moneyness(direction: Direction, entry: float, last: float) -> int:
    """WINNING, LOSING or EVEN for a trade opened at ``entry`` when the price is ``last``."""
    if last == entry:
        return EVEN
    return WINNING if (last > entry) == (direction is Direction.CALL) else LOSING


def countdown(seconds: float) -> str:
    if seconds <= 0:
        return "expiring"
    whole = int(seconds + 0.999)
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True, slots=True)
class OpenTradeState:
    text: str
    money: int


class OpenTradeLabels:
    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._items: dict[str, pg.TextItem] = {}
        self.states: dict[str, OpenTradeState] = {}

    def update(
        self,
        trades: Iterable[TradeMarker],
        x_of: Callable[[float], float],
        last_price: float | None,
        now: float,
    ) -> None:
        """Label every open trade in ``trades`` (the others lose theirs); ``now`` in
        platform time."""
        open_trades = {t.id: t for t in trades if t.result is TradeResult.PENDING}
        for gone in set(self._items) - set(open_trades):
            self._plot.removeItem(self._items.pop(gone))
            self.states.pop(gone, None)
        for trade in open_trades.values():
            money = (
                EVEN
                if last_price is None
                else moneyness(trade.direction, trade.entry_price, last_price)
            )
            side = "BUY \u25b2" if trade.direction is Direction.CALL else "SELL \u25bc"
            paper = " PAPER" if trade.paper else ""
            text = f"{side} {countdown(trade.expiry_time - now)}{paper}"
            state = OpenTradeState(text, money)
            item = self._items.get(trade.id)
            if item is None:
                item = pg.TextItem(anchor=(1, 1))
                item.setZValue(51)
                self._plot.addItem(item, ignoreBounds=True)
                self._items[trade.id] = item
            if self.states.get(trade.id) != state:
                item.setHtml(
                    f'<span style="background:{_FILL[money]}; color:{theme.BACKGROUND}; '
                    f'padding:1px 3px;">{text}</span>'
                )
                self.states[trade.id] = state
            item.setPos(x_of(trade.entry_time), trade.entry_price)

    @property
    def count(self) -> int:
        return len(self._items)
