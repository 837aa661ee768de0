"""Alerts in the window: the watch run off the GUI thread, a notification for each alert
that fires, and the Alerts dock where they are added and switched off one by one.

The :class:`AlertCenter` hands each batch of events to an :class:`AlertWatch` on a thread of
its own (a signal alert's strategy may run in the strategy worker, which may take its time
budget); what fires comes back through a signal and is shown as the system tray's message
(when the desktop has a tray), a beep and a warning line in the log dock. Every horizontal
line drawn on a chart is a price alert of its own (``line-<drawing id>``), kept in step with
the line; the others are added in the dock. All are kept in the layout store.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.alerts import (
    Alert,
    AlertKind,
    AlertWatch,
    Fired,
    MakeRunner,
    alerts_from_json,
    alerts_to_json,
)
from qfdesk.engine.events import Event
from qfdesk.engine.paths import resource_path
from qfdesk.ui.chart.drawings import Drawing, DrawKind
from qfdesk.ui.layout_store import LayoutStore

log = logging.getLogger(__name__)

LINE_PREFIX = "line-"
STORE_KEY = "alerts/list"


class AlertCenter(QtCore.QObject):
    fired = QtCore.Signal(object)  # Fired, on the GUI thread
    alertsChanged = QtCore.Signal()

    def __init__(
        self,
        store: LayoutStore,
        make_runner: MakeRunner | None = None,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        saved, problems = alerts_from_json(store.text(STORE_KEY, "[]"))
        for problem in problems:
            log.warning("alerts: %s", problem)
        self._alerts = saved
        """The list as the trader sees it; the watch gets each change in order."""
        self.watch = AlertWatch(saved, make_runner)
        self.notified: list[Fired] = []
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="alerts")
        self.tray: QtWidgets.QSystemTrayIcon | None = None
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            icon = QtGui.QIcon(str(resource_path("icons", "qfdesk-64.png")))
            self.tray = QtWidgets.QSystemTrayIcon(icon, self)
            self.tray.show()
        self.fired.connect(self._notify, QtCore.Qt.ConnectionType.QueuedConnection)

    @property
    def alerts(self) -> list[Alert]:
        return list(self._alerts)

    def on_events(self, events: Sequence[Event], now: float | None = None) -> None:
        """A batch of market events (GUI thread): watched on the alerts thread."""
        if not any(a.enabled for a in self._alerts):
            return
        batch = list(events)

        def work() -> None:
            for fired in self.watch.on_events(batch, now):
                self.fired.emit(fired)

        try:
            self._pool.submit(work)
        except RuntimeError:  # closing
            pass

    def _notify(self, fired: Fired) -> None:
        self.notified.append(fired)
        log.warning("ALERT: %s", fired.text)
        if self.tray is not None:
            self.tray.showMessage("QuantumFlux Desk alert", fired.text)
        QtWidgets.QApplication.beep()

    # ----- the list -----------------------------------------------------------------------

    def _set(self, alerts: Sequence[Alert]) -> None:
        self._alerts = list(alerts)
        try:
            self._pool.submit(self.watch.set_alerts, list(alerts))
        except RuntimeError:  # closing
            return
        self.store.set_text(STORE_KEY, alerts_to_json(self._alerts))
        self.alertsChanged.emit()

    def add(self, alert: Alert) -> None:
        self._set([*self._alerts, alert])

    def remove(self, alert_id: str) -> None:
        self._set([a for a in self._alerts if a.id != alert_id])

    def set_enabled(self, alert_id: str, enabled: bool) -> None:
        self._set([replace(a, enabled=enabled) if a.id == alert_id else a for a in self.alerts])

    def sync_lines(self, asset: str, drawings: Sequence[Drawing]) -> None:
        """``asset``'s horizontal lines are its line alerts: new lines get one (on), moved
        ones move it, deleted ones lose it; a line's alert keeps being on or off."""
        lines = {LINE_PREFIX + d.id: d for d in drawings if d.kind is DrawKind.HLINE}
        kept: list[Alert] = []
        for alert in self._alerts:
            if alert.asset == asset and alert.id.startswith(LINE_PREFIX):
                line = lines.pop(alert.id, None)
                if line is None:
                    continue
                alert = replace(alert, level=line.price)
            kept.append(alert)
        kept += [Alert(i, AlertKind.PRICE, asset, level=d.price) for i, d in lines.items()]
        if kept != self._alerts:
            self._set(kept)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.tray is not None:
            self.tray.hide()


class AlertsDock(QtWidgets.QWidget):
    """The alerts, each with its switch; add a price, payout or signal alert; remove one."""

    def __init__(
        self,
        center: AlertCenter,
        current_asset: Callable[[], str],
        current_timeframe: Callable[[], int],
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.center = center
        self.current_asset = current_asset
        self.current_timeframe = current_timeframe
        self.table = QtWidgets.QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["On", "Alert", "Kind"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._item_changed)
        self.kind = QtWidgets.QComboBox(self)
        for kind, label in (
            (AlertKind.PRICE, "Price crosses"),
            (AlertKind.PAYOUT, "Payout at or above %"),
            (AlertKind.SIGNAL, "Strategy signals"),
        ):
            self.kind.addItem(label, kind.value)
        self.value = QtWidgets.QLineEdit(self)
        self.value.setPlaceholderText("level, or strategy name")
        add = QtWidgets.QPushButton("Add", self)
        add.clicked.connect(self.add_from_fields)
        remove = QtWidgets.QPushButton("Remove", self)
        remove.clicked.connect(self.remove_selected)
        self.message = QtWidgets.QLabel(self)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.kind)
        bar.addWidget(self.value, 1)
        bar.addWidget(add)
        bar.addWidget(remove)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        center.alertsChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.table.blockSignals(True)
        alerts = self.center.alerts
        self.table.setRowCount(len(alerts))
        for row, alert in enumerate(alerts):
            switch = QtWidgets.QTableWidgetItem()
            switch.setFlags(
                QtCore.Qt.ItemFlag.ItemIsUserCheckable | QtCore.Qt.ItemFlag.ItemIsEnabled
            )
            switch.setCheckState(
                QtCore.Qt.CheckState.Checked if alert.enabled else QtCore.Qt.CheckState.Unchecked
            )
            switch.setData(QtCore.Qt.ItemDataRole.UserRole, alert.id)
            self.table.setItem(row, 0, switch)
            problem = self.center.watch.errors.get(alert.id)
            text = alert.describe() + (f" (not running: {problem})" if problem else "")
            self.table.setItem(row, 1, QtWidgets.QTableWidgetItem(text))
            line = " (drawn line)" if alert.id.startswith(LINE_PREFIX) else ""
            self.table.setItem(row, 2, QtWidgets.QTableWidgetItem(alert.kind.value + line))
        self.table.blockSignals(False)

    def _item_changed(self, item: QtWidgets.QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        alert_id = str(item.data(QtCore.Qt.ItemDataRole.UserRole))
        self.center.set_enabled(alert_id, item.checkState() == QtCore.Qt.CheckState.Checked)

    def add_from_fields(self) -> None:
        asset = self.current_asset()
        if not asset:
            self.message.setText("Choose an asset on the chart first.")
            return
        kind = AlertKind(self.kind.currentData())
        text = self.value.text().strip()
        alert_id = uuid.uuid4().hex[:10]
        if kind is AlertKind.SIGNAL:
            if not text:
                self.message.setText("Type the strategy's name (e.g. sma-cross).")
                return
            alert = Alert(alert_id, kind, asset, strategy=text, timeframe=self.current_timeframe())
        else:
            try:
                level = float(text)
            except ValueError:
                self.message.setText(f"{text!r} is not a number: type the level.")
                return
            alert = Alert(alert_id, kind, asset, level=level)
        self.center.add(alert)
        self.message.setText(f"Alert added: {alert.describe()}.")

    def remove_selected(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        for row in rows:
            item = self.table.item(row, 0)
            if item is not None:
                self.center.remove(str(item.data(QtCore.Qt.ItemDataRole.UserRole)))
