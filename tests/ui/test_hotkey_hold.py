"""One press, one intent: a held BUY hotkey trades once, real widgets and real key events."""

from __future__ import annotations

import pytest
from desk_helpers import offline_window, pause, wait_until
from key_events import PRESS, RELEASE, HeldKey, send_key
from PySide6 import QtCore, QtWidgets

from qfdesk.engine.events import AssetInfo, AssetTable, Direction
from qfdesk.ui.hotkeys import Hotkeys
from qfdesk.ui.key_hold import REPEAT_PAIR_MS, KeyHold
from qfdesk.ui.trade_book import TradeStatus

pytestmark = pytest.mark.gui

EURUSD = AssetInfo(1, "EURUSD_otc", "EUR/USD OTC", "currency", 90, True, True, (60,))


def test_a_press_starts_a_hold_and_only_a_release_ends_it():
    hold = KeyHold()
    assert hold.press(25, 1000, False)
    assert not hold.press(25, 1040, True), "flagged auto-repeat"
    assert not hold.press(25, 1080, False), "a press while held, no release seen"
    hold.release(25, 1120, True)
    assert not hold.press(25, 1160, False), "an auto-repeated release does not end the hold"
    hold.release(25, 1200, False)
    assert not hold.press(25, 1200 + REPEAT_PAIR_MS, False), "same-time pair: a repeat"
    hold.release(25, 1300, False)
    assert hold.press(25, 1450, False), "released, then pressed again"
    assert hold.press(39, 1460, False), "another key has its own hold"


def test_events_without_timestamps_are_never_taken_for_a_repeat_pair():
    hold = KeyHold()
    assert hold.press(87, 0, False)
    hold.release(87, 0, False)
    assert hold.press(87, 0, False)


@pytest.fixture
def counted(qtbot, store):
    """A real window with the hotkeys, counting the intents each side makes."""
    window = QtWidgets.QMainWindow()
    window.setCentralWidget(QtWidgets.QWidget())
    qtbot.addWidget(window)
    intents: list[str] = []
    window.hotkeys = Hotkeys(
        window, store, lambda: intents.append("buy"), lambda: intents.append("sell")
    )
    window.show()
    qtbot.waitExposed(window)
    return window, intents


def test_auto_repeated_presses_never_make_an_intent(counted):
    window, intents = counted
    key = HeldKey(window)
    key.press()
    assert intents == ["buy"]
    key.repeats(50)
    assert intents == ["buy"], "a 2 s hold is one intent"
    key.release()
    key.pause(150)
    key.press()
    assert intents == ["buy", "buy"], "released and pressed again: a new intent"
    key.release()


def test_a_key_still_held_when_the_window_was_left_does_not_block_the_next_press(counted):
    window, intents = counted
    key = HeldKey(window)
    key.press()
    QtWidgets.QApplication.sendEvent(window, QtCore.QEvent(QtCore.QEvent.Type.WindowDeactivate))
    key.pause(500)  # released in another window: this one never saw it
    key.press()
    assert intents == ["buy", "buy"]


def test_a_key_typed_twice_by_qtbot_makes_two_intents(counted, qtbot):
    window, intents = counted
    for _ in range(2):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_W, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert intents == ["buy", "buy"]


def test_a_text_field_with_the_focus_keeps_its_keys(counted, qtbot):
    window, intents = counted
    field = QtWidgets.QLineEdit(window.centralWidget())
    field.show()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    send_key(field, PRESS, 5000)
    send_key(field, RELEASE, 5050)
    assert field.text() == "W" and intents == []
    field.clearFocus()
    send_key(window, PRESS, 5300)
    assert intents == ["buy"]


@pytest.fixture
def window(tmp_path, qtbot, qloop):
    window = offline_window(tmp_path, qtbot)
    window.market.apply([AssetTable((EURUSD,))])
    window.choose_asset(EURUSD.symbol, sync_page=False)
    return window


def test_a_key_held_past_the_end_of_a_trade_makes_no_second_trade(window, qloop):
    """Without Chrome each trade is refused at once: the hold outlives it many times over."""
    assert window.asset == "EURUSD_otc"
    key = HeldKey(window)
    key.press()
    assert wait_until(qloop, lambda: window.book.records and not window.trading.busy, 5)
    for _ in range(10):
        key.repeats(5)
        pause(qloop, 0.05)
    assert len(window.book.records) == 1, "the trade ended, the key went on repeating: one"
    record = window.book.records[0]
    assert record.direction is Direction.CALL and record.status is TradeStatus.REFUSED
    key.release()
    key.pause(200)
    key.press()
    assert wait_until(qloop, lambda: len(window.book.records) == 2, 5)
    key.release()


def test_a_key_held_in_the_floating_trade_panel_trades_once(window, qloop, qtbot):
    window.trade_dock.setFloating(True)
    qtbot.waitExposed(window.trade_dock)
    key = HeldKey(window.trade_panel)
    key.press()
    assert wait_until(qloop, lambda: window.book.records and not window.trading.busy, 5)
    key.repeats(20)
    pause(qloop, 0.2)
    assert len(window.book.records) == 1
    key.release()
