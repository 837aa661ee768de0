"""The asset selector: the platform's asset table, favourites first, type to search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.events import AssetInfo

SYMBOL_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
CLOSED_COLOR = "#5d606b"
FAVOURITE_MARK = "\u2605"


def asset_label(info: AssetInfo, favourite: bool) -> str:
    """``★ EUR/USD OTC · 92% · OTC`` (closed assets say so)."""
    parts = [f"{FAVOURITE_MARK} {info.name}" if favourite else info.name, f"{info.payout:g}%"]
    if info.is_otc:
        parts.append("OTC")
    if not info.is_active:
        parts.append("closed")
    return " \u00b7 ".join(parts)


def ordered_assets(assets: Iterable[AssetInfo], favourites: Iterable[str]) -> list[AssetInfo]:
    """Favourites first (in the bar's order), then open assets by payout, closed ones last."""
    rank = {symbol: i for i, symbol in enumerate(favourites)}
    return sorted(
        assets,
        key=lambda a: (
            a.symbol not in rank,
            rank.get(a.symbol, 0),
            not a.is_active,
            -a.payout,
            a.name.lower(),
        ),
    )


class AssetSelector(QtWidgets.QComboBox):
    """Emits ``assetChosen(symbol)`` when the trader picks an asset (not when filled)."""

    assetChosen = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(260)
        self.setMaxVisibleItems(25)
        cast(QtWidgets.QLineEdit, self.lineEdit()).setPlaceholderText("Search assets")
        self._model = QtGui.QStandardItemModel(self)
        self.setModel(self._model)
        completer = QtWidgets.QCompleter(self._model, self)
        completer.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        # the stubs do not know a signal's overloads by index
        completer.activated[QtCore.QModelIndex].connect(self._completed)  # type: ignore[index]
        self.activated.connect(self._activated)
        self._current = ""

    def set_assets(self, assets: Iterable[AssetInfo], favourites: Iterable[str]) -> None:
        """Refill from the asset table, keeping the current choice."""
        favourites = tuple(favourites)
        self.blockSignals(True)
        self._model.clear()
        for info in ordered_assets(assets, favourites):
            item = QtGui.QStandardItem(asset_label(info, info.symbol in favourites))
            item.setData(info.symbol, SYMBOL_ROLE)
            item.setToolTip(f"{info.symbol} ({info.type})")
            if not info.is_active:
                item.setForeground(QtGui.QColor(CLOSED_COLOR))
            self._model.appendRow(item)
        self.blockSignals(False)
        self.show_asset(self._current)

    def symbols(self) -> list[str]:
        return [self._model.item(row).data(SYMBOL_ROLE) for row in range(self._model.rowCount())]

    def show_asset(self, symbol: str) -> None:
        """Show ``symbol`` as chosen without emitting ``assetChosen``."""
        self._current = symbol
        row = self._row_of(symbol)
        self.blockSignals(True)
        if row >= 0:
            self.setCurrentIndex(row)
        else:
            self.setEditText(symbol)
        self.blockSignals(False)

    def current_symbol(self) -> str:
        return self._current

    def choose(self, symbol: str) -> None:
        """Pick ``symbol`` as the trader would."""
        self.show_asset(symbol)
        self.assetChosen.emit(symbol)

    def search(self, text: str) -> list[str]:
        """The symbols whose label contains ``text`` (what typing shows)."""
        completer = cast(QtWidgets.QCompleter, self.completer())
        completer.setCompletionPrefix(text)
        completion = completer.completionModel()
        return [completion.index(row, 0).data(SYMBOL_ROLE) for row in range(completion.rowCount())]

    def _row_of(self, symbol: str) -> int:
        for row in range(self._model.rowCount()):
            if self._model.item(row).data(SYMBOL_ROLE) == symbol:
                return row
        return -1

    def _activated(self, row: int) -> None:
        item = self._model.item(row)
        if item is not None:
            self.choose(item.data(SYMBOL_ROLE))

    def _completed(self, index: QtCore.QModelIndex) -> None:
        symbol = index.data(SYMBOL_ROLE)
        if symbol:
            self.choose(symbol)
