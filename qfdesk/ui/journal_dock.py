"""The Journal dock: the trade journal's rows of a period, their figures, CSV export and the
strategy report card.

Everything that touches the database or the candles runs on a worker thread of the dock's
own; results come back through a signal, and a result older than the latest request is
dropped. The journal's writer says when it wrote (:meth:`JournalView.journal_written`, safe
from any thread), and the view reloads a moment later.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.journal import JournalError, Outcome, Source
from qfdesk.engine.journal.export import write_csv
from qfdesk.engine.journal.figures import JournalFigures, journal_figures
from qfdesk.engine.journal.reader import JournalRow, RowFilter, read_rows
from qfdesk.ui.dark_theme import BUY, SELL, TEXT
from qfdesk.ui.trade_book import side_name

log = logging.getLogger(__name__)

COLUMNS = (
    "Time",
    "Asset",
    "Side",
    "Amount",
    "Expiry",
    "Payout",
    "Source",
    "Strategy",
    "Risk",
    "Placed",
    "Result",
    "Profit",
    "Intent\u2192click ms",
    "Click\u2192proof ms",
    "Deal",
)
RELOAD_AFTER_MS = 300
_RESULT_COLORS = {Outcome.WON: BUY, Outcome.LOST: SELL, Outcome.REFUND: TEXT}
ReportCard = Callable[[Sequence[JournalRow]], list[str]]


@dataclass(frozen=True, slots=True)
class Loaded:
    generation: int
    rows: tuple[JournalRow, ...]
    figures: JournalFigures
    today: JournalFigures
    error: str | None = None


def _day_start(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time()).astimezone().timestamp()


def _figures_text(label: str, f: JournalFigures) -> str:
    if f.win_rate is None or f.interval is None:
        rate = "no decided trade"
    else:
        bar = "?" if f.break_even is None else f"{f.break_even:.1%}"
        rate = (
            f"win rate {f.win_rate:.1%} ({f.interval[0]:.0%}\u2013{f.interval[1]:.0%}) "
            f"vs break-even {bar}"
        )
    latency = "-" if f.intent_to_click_ms is None else f"{f.intent_to_click_ms:.0f} ms"
    return (
        f"<b>{label}</b>: {f.trades} trades, {rate}; net {f.net:+.2f}; longest losing streak "
        f"{f.longest_losing_streak}; average intent\u2192click {latency}"
    )


class JournalView(QtWidgets.QWidget):
    loaded = QtCore.Signal(object)
    written = QtCore.Signal()
    cardReady = QtCore.Signal(object)

    def __init__(
        self,
        path: Path,
        report_card: ReportCard | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.report_card = report_card
        self.rows: tuple[JournalRow, ...] = ()
        self._generation = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="journal-view")
        today = QtCore.QDate.currentDate()
        self.start = QtWidgets.QDateEdit(today, self)
        self.end = QtWidgets.QDateEdit(today, self)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.reload)
        self.asset = QtWidgets.QComboBox(self)
        self.asset.addItem("All assets", None)
        self.asset.currentIndexChanged.connect(self.reload)
        self.source = QtWidgets.QComboBox(self)
        self.source.addItem("All sources", None)
        for source in Source:
            self.source.addItem(source.value, source.value)
        self.source.currentIndexChanged.connect(self.reload)
        self.export_button = QtWidgets.QPushButton("Export CSV\u2026", self)
        self.export_button.clicked.connect(self._ask_export)
        self.card_button = QtWidgets.QPushButton("Report card", self)
        self.card_button.setToolTip(
            "Each strategy's journaled results beside a backtest of the same period's candles"
        )
        self.card_button.clicked.connect(self.show_report_card)
        self.card_button.setEnabled(report_card is not None)
        self.figures = QtWidgets.QLabel(self)
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.card = QtWidgets.QLabel(self)
        self.card.setWordWrap(True)
        self.card.hide()
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)

        bar = QtWidgets.QHBoxLayout()
        for label, widget in (("From", self.start), ("to", self.end)):
            bar.addWidget(QtWidgets.QLabel(label, self))
            bar.addWidget(widget)
        bar.addWidget(self.asset)
        bar.addWidget(self.source)
        bar.addStretch(1)
        bar.addWidget(self.card_button)
        bar.addWidget(self.export_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.figures)
        layout.addWidget(self.card)
        layout.addWidget(self.table, 1)

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RELOAD_AFTER_MS)
        self._timer.timeout.connect(self.reload)
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.written.connect(self._timer.start, queued)
        self.loaded.connect(self._show, queued)
        self.cardReady.connect(self._show_card, queued)
        self.destroyed.connect(lambda: self._pool.shutdown(wait=False, cancel_futures=True))
        self.reload()

    def journal_written(self, _entry: object = None) -> None:
        """The journal wrote something (any thread): reload shortly."""
        self.written.emit()

    def filter(self) -> RowFilter:
        start = self.start.date().toPython()
        end = self.end.date().toPython()
        assert isinstance(start, dt.date) and isinstance(end, dt.date)
        return RowFilter(
            start=_day_start(start),
            end=_day_start(end + dt.timedelta(days=1)),
            asset=self.asset.currentData(),
            source=Source(source) if (source := self.source.currentData()) else None,
        )

    def reload(self) -> None:
        self._generation += 1
        generation, where, path = self._generation, self.filter(), self.path

        def work() -> Loaded:
            today_start = _day_start(dt.date.today())
            try:
                rows = tuple(read_rows(path, where))
                today = read_rows(path, RowFilter(start=today_start))
            except JournalError as error:
                empty = journal_figures(())
                return Loaded(generation, (), empty, empty, str(error))
            return Loaded(generation, rows, journal_figures(rows), journal_figures(today))

        self._submit(work, self.loaded.emit)

    def _submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def finished(future: Future[Any]) -> None:
            error = future.exception()
            if error is not None:
                log.error("journal view: %s", error)
                return
            done(future.result())

        try:
            self._pool.submit(work).add_done_callback(finished)
        except RuntimeError:  # the dock is closing
            pass

    def _show(self, loaded: Loaded) -> None:
        if loaded.generation != self._generation:
            return
        self.rows = loaded.rows
        if loaded.error is not None and not loaded.rows:
            self.figures.setText(f"No journal yet ({loaded.error}).")
        else:
            self.figures.setText(
                _figures_text("Today", loaded.today)
                + "<br>"
                + _figures_text("Selected", loaded.figures)
            )
        self._fill_assets(loaded.rows)
        self.table.setRowCount(len(loaded.rows))
        for r, row in enumerate(reversed(loaded.rows)):
            for c, text in enumerate(_cells(row)):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 10 and row.outcome is not None:
                    item.setForeground(QtGui.QColor(_RESULT_COLORS[row.outcome]))
                if c == 8 and row.reasons:
                    item.setToolTip("\n".join(row.reasons))
                if c == 9 and row.message:
                    item.setToolTip(row.message)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _fill_assets(self, rows: Sequence[JournalRow]) -> None:
        known = {self.asset.itemData(i) for i in range(1, self.asset.count())}
        for asset in sorted({r.asset for r in rows} - known):
            self.asset.addItem(asset, asset)

    def row_texts(self) -> list[list[str]]:
        return [
            [
                item.text() if (item := self.table.item(r, c)) else ""
                for c in range(self.table.columnCount())
            ]
            for r in range(self.table.rowCount())
        ]

    def _ask_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the journal", "journal.csv", "CSV files (*.csv)"
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> None:
        """Write the rows shown to ``path`` (worker thread); the figures line says how it went."""
        rows = self.rows

        def work() -> str:
            try:
                count = write_csv(rows, path)
            except OSError as error:
                return f"Could not export to {path}: {error.strerror or error}"
            return f"Exported {count} rows to {path}"

        self._submit(work, lambda text: self.cardReady.emit([text]))

    def show_report_card(self) -> None:
        card = self.report_card
        if card is None:
            return
        rows = self.rows
        self.card.setText("Backtesting the strategies that traded\u2026")
        self.card.show()
        self._submit(
            lambda: card(rows) or ["No strategy traded in this period."], self.cardReady.emit
        )

    def _show_card(self, lines: list[str]) -> None:
        self.card.setText("\n".join(lines))
        self.card.show()


def _number(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _cells(row: JournalRow) -> list[str]:
    strategy = "" if row.strategy is None else f"{row.strategy} {row.params or ''}".strip()
    risk = "" if row.allowed is None else ("allowed" if row.allowed else "refused")
    return [
        time.strftime("%m-%d %H:%M:%S", time.localtime(row.created)),
        row.asset,
        side_name(row.direction),
        f"{row.amount:g}",
        f"{row.expiry} s",
        _number(row.payout, ".0f"),
        row.source.value,
        strategy,
        risk,
        row.placement or "",
        row.outcome.value if row.outcome else "",
        _number(row.profit, "+.2f"),
        _number(row.intent_to_click_ms, ".0f"),
        _number(row.click_to_confirm_ms, ".0f"),
        row.deal_id or "",
    ]
