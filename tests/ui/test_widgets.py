"""The window's parts on their own: asset selector, indicators menu, trade book, status."""

from __future__ import annotations

import pytest
from desk_helpers import offline_window, wait_until
from PySide6 import QtCore, QtWidgets

from qfdesk.engine.events import (
    AssetInfo,
    AssetTable,
    Balance,
    Deal,
    DealsClosed,
    Direction,
    Favourites,
    OrderOpened,
)
from qfdesk.ui.asset_selector import AssetSelector, asset_label
from qfdesk.ui.source_state import SourceState, sense
from qfdesk.ui.trade_book import TradeBook, TradeRecord, TradeStatus

pytestmark = pytest.mark.gui

ASSETS = (
    AssetInfo(1, "EURUSD", "EUR/USD", "currency", 40, False, False, (60,)),
    AssetInfo(2, "GBPUSD_otc", "GBP/USD OTC", "currency", 85, True, True, (60,)),
    AssetInfo(3, "#AAPL_otc", "Apple OTC", "stock", 90, True, True, (60,)),
    AssetInfo(4, "AUDCAD_otc", "AUD/CAD OTC", "currency", 80, True, True, (60,)),
)


def test_asset_selector_favourites_first_then_payout_closed_last_and_search(qtbot):
    selector = AssetSelector()
    qtbot.addWidget(selector)
    selector.set_assets(ASSETS, ("AUDCAD_otc",))
    assert selector.symbols() == ["AUDCAD_otc", "#AAPL_otc", "GBPUSD_otc", "EURUSD"]
    assert selector.itemText(0) == "\u2605 AUD/CAD OTC \u00b7 80% \u00b7 OTC"
    assert selector.itemText(3) == "EUR/USD \u00b7 40% \u00b7 closed"
    assert asset_label(ASSETS[2], False) == "Apple OTC \u00b7 90% \u00b7 OTC"
    assert selector.search("usd") == ["GBPUSD_otc", "EURUSD"]
    assert selector.search("APP") == ["#AAPL_otc"]
    chosen: list[str] = []
    selector.assetChosen.connect(chosen.append)
    selector.show_asset("GBPUSD_otc")
    assert chosen == [] and selector.currentIndex() == 2
    selector.activated.emit(1)
    assert chosen == ["#AAPL_otc"]
    selector.set_assets(ASSETS, ())
    assert selector.current_symbol() == "#AAPL_otc"
    assert selector.symbols()[selector.currentIndex()] == "#AAPL_otc"


def test_source_sensing():
    assert sense(True, 0.5) is SourceState.LIVE
    assert sense(True, 9.0) is SourceState.HISTORICAL
    assert sense(True, None) is SourceState.HISTORICAL
    assert sense(False, 0.5) is SourceState.DISCONNECTED
    assert sense(False, None) is SourceState.DISCONNECTED


def deal(deal_id: str, profit: float, close_price: float = 1.2) -> Deal:
    return Deal(
        deal_id,
        "EURUSD_otc",
        Direction.CALL,
        5,
        profit,
        92,
        1.1,
        close_price,
        1000.0,
        1003.0,
        True,
        "USD",
    )


def test_trade_book_joins_attempts_and_deals_in_any_order(qapp):
    book = TradeBook()
    record = book.add(TradeRecord("intent-1", "EURUSD_otc", Direction.CALL, 5, 3, 92))
    book.apply(OrderOpened(deal("d1", 0, 0)))  # arrives before the capability returns
    assert [r.key for r in book.records] == ["intent-1"], "no duplicate for our own trade"
    book.apply(DealsClosed((deal("d1", 4.6),)))
    book.update(record, status=TradeStatus.PENDING, deal_id="d1")
    assert record.status is TradeStatus.WON and record.profit == 4.6
    assert record.open_price == 1.1 and record.close_ts == 1003.0
    book.apply(DealsClosed((deal("d2", -5),)))  # a trade made on the page itself
    other = book.records[-1]
    assert other.source == "platform" and other.status is TradeStatus.LOST
    book.apply(DealsClosed((deal("d3", 0, 1.1),)))
    assert book.records[-1].status is TradeStatus.REFUND
    assert len(book.finished_trades()) == 3 and not book.open_trades()
    late = book.add(TradeRecord("intent-2", "EURUSD_otc", Direction.CALL, 5, 3, 92))
    book.update(late, status=TradeStatus.UNCONFIRMED)
    book.apply(OrderOpened(deal("d4", 0, 0)))  # the confirmation came after the timeout
    assert late.deal_id == "d4" and late.status is TradeStatus.PENDING
    assert book.records[-1] is late, "adopted, not shown twice"


@pytest.fixture
def window(tmp_path, qtbot, qloop):
    window = offline_window(tmp_path, qtbot)
    window.market.apply([AssetTable(ASSETS), Favourites(("AUDCAD_otc",))])
    return window


def test_real_account_in_red_everywhere(window):
    window.market.apply([Balance(1234.5, is_demo=False)])
    assert window.account_badge.text() == "REAL" and "#ff1744" in window.account_badge.styleSheet()
    assert window.status.account.text() == "REAL"
    assert "#ff1744" in window.status.balance.styleSheet()
    assert "1,234.50" in window.balance_label.text()
    window.market.apply([Balance(99.0, is_demo=True)])
    assert (
        window.account_badge.text() == "DEMO"
        and "#ff1744" not in window.status.balance.styleSheet()
    )


def test_hotkey_trades_and_is_refused_without_chrome(window, qtbot, qloop):
    assert window.asset == "AUDCAD_otc", "the first favourite when nothing was chosen before"
    qtbot.keyClick(window, QtCore.Qt.Key.Key_W, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert wait_until(qloop, lambda: window.book.records, 5)
    assert wait_until(qloop, lambda: not window.trading.busy, 5)
    record = window.book.records[-1]
    assert record.direction is Direction.CALL and record.status is TradeStatus.REFUSED
    assert "not connected" in window.trade_panel.message.text()


def test_indicators_menu_adds_configures_and_removes(window, qtbot):
    menu = window.indicators_menu
    menu.rebuild()
    add_macd = next(a for a in menu.actions() if a.text() == "Add MACD")
    add_macd.trigger()
    macd = window.chart.indicator_specs()[-1]
    assert macd["kind"] == "macd" and len(window.chart.panes) == 2
    dialog = menu.configure(macd["id"])
    dialog.fields["fast"].setValue(5)
    dialog.accept()
    assert window.chart.indicator_specs()[-1]["params"]["fast"] == 5
    assert window.store.indicators()[-1]["params"]["fast"] == 5, "remembered"
    menu.rebuild()
    sub = next(a.menu() for a in menu.actions() if a.menu() and a.text().startswith("MACD"))
    next(a for a in sub.actions() if a.text() == "Remove").trigger()
    assert all(spec["kind"] != "macd" for spec in window.chart.indicator_specs())
    assert len(window.chart.panes) == 1


def test_autotrade_slot_is_reserved_in_the_toolbar(window):
    from PySide6 import QtGui

    assert window.toolbar.autotrade_action is window.autotrade.switch, "the switch is installed"
    action = QtGui.QAction("Auto-trading", window)
    action.setCheckable(True)
    window.toolbar.add_autotrade_action(action)
    actions = window.toolbar.actions()
    assert action in actions and window.autotrade.switch not in actions
    assert actions.index(action) == actions.index(window.toolbar.spacer_action) - 1


def test_price_decimals_follow_the_quotes(qapp):
    from qfdesk.engine.events import Tick
    from qfdesk.ui.market_model import MarketModel

    market = MarketModel()
    assert market.price_decimals("USDJPY_otc") == 5
    market.apply([Tick("USDJPY_otc", 1000.0, 151.25), Tick("USDJPY_otc", 1001.0, 151.257)])
    assert market.price_decimals("USDJPY_otc") == 3
    market.apply([Tick("#AAPL_otc", 1000.0, 201.5)])
    assert market.price_decimals("#AAPL_otc") == 2


def test_hotkeys_dialog_changes_and_stores_the_keys(window, qtbot):
    from PySide6 import QtGui

    dialog = window.hotkeys.edit(window)
    assert dialog.isVisible()  # opened with open(): the event loop goes on
    buy_edit, sell_edit = dialog.findChildren(QtWidgets.QKeySequenceEdit)
    buy_edit.setKeySequence(QtGui.QKeySequence("Ctrl+Up"))
    sell_edit.setKeySequence(QtGui.QKeySequence("Ctrl+Down"))
    dialog.accept()
    assert window.hotkeys.keys() == ("Ctrl+Up", "Ctrl+Down")
    assert window.store.text("hotkeys/buy") == "Ctrl+Up"
    assert "Ctrl+Up" in window.trade_panel.hotkeys_label.text()
