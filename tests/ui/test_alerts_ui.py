"""Alerts in the window: a drawn line's alert firing once per crossing (a notification and
a log line), switched off in the Alerts dock, and kept across a restart."""

from __future__ import annotations

import logging

from PySide6 import QtCore

from qfdesk.engine.alerts import Alert, AlertKind
from qfdesk.engine.events import Tick
from qfdesk.ui.alerts import LINE_PREFIX, AlertCenter, AlertsDock
from qfdesk.ui.chart.drawings import Drawing, DrawKind

A = "EURUSD_otc"


def ticks(*prices: float) -> list[Tick]:
    return [Tick(A, 1000.0 + i, p) for i, p in enumerate(prices)]


def test_a_drawn_lines_alert_fires_once_per_crossing_and_says_so_in_the_log(qtbot, store, caplog):
    center = AlertCenter(store)
    line = Drawing("d1", DrawKind.HLINE, ((1000.0, 1.1),))
    center.sync_lines(A, [line])
    assert [(a.id, a.kind, a.level) for a in center.alerts] == [
        (LINE_PREFIX + "d1", AlertKind.PRICE, 1.1)
    ]
    caplog.set_level(logging.WARNING)

    center.on_events(ticks(1.09, 1.095, 1.105, 1.11, 1.102))
    qtbot.waitUntil(lambda: len(center.notified) == 1, timeout=5000)
    center.on_events(ticks(1.101, 1.099))
    qtbot.waitUntil(lambda: len(center.notified) == 2, timeout=5000)
    qtbot.wait(100)

    assert [f.text for f in center.notified] == [
        "EURUSD_otc crossed 1.1 up at 1.105",
        "EURUSD_otc crossed 1.1 down at 1.099",
    ]
    assert "ALERT: EURUSD_otc crossed 1.1 up at 1.105" in caplog.text
    center.close()


def test_a_moved_line_moves_its_alert_and_a_deleted_one_removes_it(store):
    center = AlertCenter(store)
    center.sync_lines(A, [Drawing("d1", DrawKind.HLINE, ((1000.0, 1.1),))])
    center.sync_lines(A, [Drawing("d1", DrawKind.HLINE, ((1000.0, 1.2),))])
    assert [a.level for a in center.alerts] == [1.2]
    center.sync_lines(A, [Drawing("t", DrawKind.TREND, ((1.0, 1.0), (2.0, 2.0)))])
    assert center.alerts == [], "only horizontal lines alert"
    center.close()


def test_an_alert_switched_off_in_the_dock_is_silent_and_the_list_survives_a_restart(qtbot, store):
    center = AlertCenter(store)
    dock = AlertsDock(center, lambda: A, lambda: 60)
    qtbot.addWidget(dock)
    dock.kind.setCurrentIndex(dock.kind.findData(AlertKind.PRICE.value))
    dock.value.setText("1.1")
    dock.add_from_fields()
    dock.kind.setCurrentIndex(dock.kind.findData(AlertKind.PAYOUT.value))
    dock.value.setText("90")
    dock.add_from_fields()
    dock.value.setText("ninety")
    dock.add_from_fields()
    assert "is not a number" in dock.message.text()
    assert dock.table.rowCount() == 2

    dock.table.item(0, 0).setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert [a.enabled for a in center.alerts] == [False, True]
    center.on_events(ticks(1.0, 1.2))
    qtbot.wait(300)
    assert center.notified == [], "switched off"
    center.close()

    again = AlertCenter(store)
    assert [(a.kind, a.level, a.enabled) for a in again.alerts] == [
        (AlertKind.PRICE, 1.1, False),
        (AlertKind.PAYOUT, 90.0, True),
    ]
    again.close()


def test_a_signal_alert_needs_a_strategy_name(qtbot, store):
    center = AlertCenter(store)
    dock = AlertsDock(center, lambda: A, lambda: 300)
    qtbot.addWidget(dock)
    dock.kind.setCurrentIndex(dock.kind.findData(AlertKind.SIGNAL.value))
    dock.add_from_fields()
    assert "strategy's name" in dock.message.text()
    dock.value.setText("sma-cross")
    dock.add_from_fields()
    assert center.alerts == [
        Alert(center.alerts[0].id, AlertKind.SIGNAL, A, strategy="sma-cross", timeframe=300)
    ]
    center.close()
