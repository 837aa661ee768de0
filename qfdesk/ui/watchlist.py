"""The Watchlist dock: every asset of the platform's asset table, favourites first.

Each row shows the asset's payout, whether it is OTC and open, and, while it streams, its
last price and its change over the last hour (the close of the candle starting an hour
before the newest one, in the market copy's 1m series). Sorted by payout (highest first)
or by name; a minimum payout hides the rest. A payout that changed shows its direction for
a few seconds (the asset table is the platform's; each new table is shown as it arrives).
Double-click an asset to open it on the chart. Reads only the window's market copy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.events import AssetInfo
from qfdesk.ui.dark_theme import BUY, SELL
from qfdesk.ui.market_model import MarketModel

COLUMNS = ("\u2605", "Asset", "Payout", "OTC", "Open", "Last", "1h change")
CHANGE_SHOWN_FOR = 10.0  # seconds a payout change keeps its arrow
REFRESH_MS = 1000
HOUR = 3600


@dataclass(frozen=True, slots=True)
class WatchRow:
    symbol: str
    name: str
    favourite: bool
    payout: float
    otc: bool
    open: bool
    last: float | None
    change: float | None
    """Relative change over the last hour, or None when it is not streaming."""
    payout_moved: int
    """+1 / -1 while a recent payout change shows, else 0."""


class Watchlist(QtWidgets.QWidget):
    assetChosen = QtCore.Signal(str)

    def __init__(self, market: MarketModel, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.market = market
        self._payouts: dict[str, float] = {}
        self._moved: dict[str, tuple[int, float]] = {}
        self.rows: list[WatchRow] = []
        self.by_payout = QtWidgets.QCheckBox("Sort by payout", self)
        self.by_payout.setChecked(True)
        self.by_payout.toggled.connect(self.refresh)
        self.min_payout = QtWidgets.QSpinBox(self)
        self.min_payout.setRange(0, 100)
        self.min_payout.setSuffix("%")
        self.min_payout.setPrefix("min ")
        self.min_payout.setToolTip("Hide assets paying less than this")
        self.min_payout.valueChanged.connect(self.refresh)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.by_payout)
        bar.addStretch(1)
        bar.addWidget(self.min_payout)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        market.assetsChanged.connect(self._assets_changed)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._assets_changed()

    def _assets_changed(self) -> None:
        now = time.monotonic()
        for symbol, info in self.market.assets.items():
            before = self._payouts.get(symbol)
            if before is not None and info.payout != before:
                self._moved[symbol] = (1 if info.payout > before else -1, now)
            self._payouts[symbol] = info.payout
        self.refresh()
        self.table.resizeColumnsToContents()

    def _row(self, info: AssetInfo, favourites: set[str], now: float) -> WatchRow:
        last = self.market.last_price.get(info.symbol)
        change = None
        if last is not None and self.market.tick_age(info.symbol) is not None:
            series = self.market.candles.series(info.symbol, 60)
            if len(series):
                back = max(0, len(series) - 1 - HOUR // 60)
                base = float(series.close[back])
                change = (last - base) / base if base else None
        moved, at = self._moved.get(info.symbol, (0, 0.0))
        return WatchRow(
            info.symbol,
            info.name,
            info.symbol in favourites,
            info.payout,
            info.is_otc,
            info.is_active,
            last,
            change,
            moved if now - at < CHANGE_SHOWN_FOR else 0,
        )

    def refresh(self) -> None:
        now = time.monotonic()
        favourites = set(self.market.favourites)
        minimum = self.min_payout.value()
        rows = [
            self._row(info, favourites, now)
            for info in self.market.assets.values()
            if info.payout >= minimum
        ]
        if self.by_payout.isChecked():
            rows.sort(key=lambda r: (not r.favourite, -r.payout, r.name))
        else:
            rows.sort(key=lambda r: (not r.favourite, r.name))
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            decimals = self.market.price_decimals(row.symbol)
            arrow = {1: " \u25b2", -1: " \u25bc"}.get(row.payout_moved, "")
            cells = [
                "\u2605" if row.favourite else "",
                row.name,
                f"{row.payout:g}%{arrow}",
                "OTC" if row.otc else "",
                "open" if row.open else "closed",
                "" if row.last is None else f"{row.last:.{decimals}f}",
                "" if row.change is None else f"{row.change:+.2%}",
            ]
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 1:
                    item.setData(QtCore.Qt.ItemDataRole.UserRole, row.symbol)
                    item.setToolTip(row.symbol)
                color = None
                if c == 2 and row.payout_moved:
                    color = BUY if row.payout_moved > 0 else SELL
                elif c == 6 and row.change:
                    color = BUY if row.change > 0 else SELL
                if color is not None:
                    item.setForeground(QtGui.QColor(color))
                self.table.setItem(r, c, item)

    def _double_clicked(self, row: int, _column: int) -> None:
        item = self.table.item(row, 1)
        if item is not None:
            self.assetChosen.emit(str(item.data(QtCore.Qt.ItemDataRole.UserRole)))

    def row_texts(self) -> list[list[str]]:
        return [
            [
                item.text() if (item := self.table.item(r, c)) else ""
                for c in range(self.table.columnCount())
            ]
            for r in range(self.table.rowCount())
        ]
