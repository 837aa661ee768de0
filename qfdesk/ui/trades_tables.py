"""The open-trades and history tables, kept in step with the TradeBook."""

from __future__ import annotations

import time
from typing import cast

from PySide6 import QtGui, QtWidgets

from qfdesk.ui.dark_theme import BUY, SELL, TEXT, WARN
from qfdesk.ui.trade_book import TradeBook, TradeRecord, TradeStatus, side_name

OPEN_COLUMNS = ("Time", "Asset", "Side", "Amount", "Expiry", "Open price", "Status")
HISTORY_COLUMNS = ("Time", "Asset", "Side", "Amount", "Open", "Close", "Result", "Profit")
_STATUS_COLORS = {
    TradeStatus.WON: BUY,
    TradeStatus.LOST: SELL,
    TradeStatus.REFUND: TEXT,
    TradeStatus.PENDING: WARN,
    TradeStatus.UNCONFIRMED: SELL,
}


def _price(value: float | None) -> str:
    return "" if not value else f"{value:.5f}"


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


class _TradesTable(QtWidgets.QTableWidget):
    columns: tuple[str, ...] = ()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(0, len(self.columns), parent)
        self.setHorizontalHeaderLabels(list(self.columns))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setDefaultSectionSize(22)
        self._rows: dict[str, int] = {}

    def row_texts(self) -> list[list[str]]:
        return [
            [item.text() if (item := self.item(r, c)) else "" for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]

    def _put(self, key: str, cells: list[str], color: str | None, top: bool) -> None:
        row = self._rows.get(key)
        if row is None:
            row = 0 if top else self.rowCount()
            self.insertRow(row)
            self._rows = {k: (r + 1 if top else r) for k, r in self._rows.items()}
            self._rows[key] = row
        for column, text in enumerate(cells):
            item = QtWidgets.QTableWidgetItem(text)
            if color and column == len(cells) - 1:
                item.setForeground(QtGui.QColor(color))
            if column == 2:
                item.setForeground(QtGui.QColor(BUY if text == "BUY" else SELL))
            self.setItem(row, column, item)

    def _drop(self, key: str) -> None:
        row = self._rows.pop(key, None)
        if row is None:
            return
        self.removeRow(row)
        self._rows = {k: (r - 1 if r > row else r) for k, r in self._rows.items()}


class OpenTradesTable(_TradesTable):
    columns = OPEN_COLUMNS

    def show_record(self, record: TradeRecord) -> None:
        if not record.status.open:
            self._drop(record.key)
            return
        cells = [
            _clock(record.created),
            record.asset,
            side_name(record.direction),
            f"{record.amount:g}",
            f"{record.expiry} s",
            _price(record.open_price),
            record.status.value,
        ]
        self._put(record.key, cells, _STATUS_COLORS.get(record.status), top=False)


class HistoryTable(_TradesTable):
    columns = HISTORY_COLUMNS

    def show_record(self, record: TradeRecord) -> None:
        if not record.status.finished:
            return
        profit = record.profit or 0.0
        cells = [
            _clock(record.created),
            record.asset,
            side_name(record.direction),
            f"{record.amount:g}",
            _price(record.open_price),
            _price(record.close_price),
            record.status.value,
            f"{profit:+.2f}",
        ]
        self._put(record.key, cells, None, top=True)
        color = QtGui.QColor(_STATUS_COLORS[record.status])
        row = self._rows[record.key]
        for column in (6, 7):
            cast(QtWidgets.QTableWidgetItem, self.item(row, column)).setForeground(color)


def connect_tables(book: TradeBook, open_table: OpenTradesTable, history: HistoryTable) -> None:
    book.changed.connect(open_table.show_record)
    book.changed.connect(history.show_record)
