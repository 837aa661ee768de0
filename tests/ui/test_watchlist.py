"""The Watchlist dock on the window's market copy: favourites first, sorted by payout, a
minimum payout, payout changes as they happen, the last price and its hour's change while
an asset streams, and a double-click that opens the asset."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore
from PySide6.QtTest import QTest

from qfdesk.engine.candles import CandleBook
from qfdesk.engine.events import AssetInfo, AssetTable, Favourites, Tick
from qfdesk.engine.market_state import MarketPublisher
from qfdesk.ui.market_model import MarketModel
from qfdesk.ui.watchlist import Watchlist

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
T0 = 1_761_000_000


def info(symbol: str, payout: float, otc: bool = True, active: bool = True) -> AssetInfo:
    return AssetInfo(
        1, symbol, symbol.replace("_otc", " OTC"), "currency", payout, otc, active, (60,)
    )


TABLE = AssetTable(
    (
        info("EURUSD_otc", 92),
        info("GBPUSD_otc", 85),
        info("AUDCAD", 78, otc=False, active=False),
        info("USDJPY_otc", 88),
    )
)


def rows_of(watchlist: Watchlist) -> list[tuple[str, str]]:
    return [(r[1], r[2]) for r in watchlist.row_texts()]


def test_favourites_come_first_then_the_highest_payout_and_a_minimum_hides_the_rest(qtbot):
    market = MarketModel()
    watchlist = Watchlist(market)
    qtbot.addWidget(watchlist)
    market.apply([TABLE, Favourites(("GBPUSD_otc",))])

    assert [r[0] for r in rows_of(watchlist)] == [
        "GBPUSD OTC",
        "EURUSD OTC",
        "USDJPY OTC",
        "AUDCAD",
    ]
    assert watchlist.row_texts()[0][0] == "\u2605"
    assert watchlist.row_texts()[3][3:5] == ["", "closed"]
    watchlist.min_payout.setValue(86)
    assert [r[0] for r in rows_of(watchlist)] == ["EURUSD OTC", "USDJPY OTC"]
    watchlist.min_payout.setValue(0)
    watchlist.by_payout.setChecked(False)
    assert [r[0] for r in rows_of(watchlist)] == [
        "GBPUSD OTC",
        "AUDCAD",
        "EURUSD OTC",
        "USDJPY OTC",
    ]


def test_a_payout_change_shows_as_it_happens(qtbot):
    market = MarketModel()
    watchlist = Watchlist(market)
    qtbot.addWidget(watchlist)
    market.apply([TABLE])
    changed = AssetTable(
        tuple(
            info(a.symbol, 80 if a.symbol == "EURUSD_otc" else a.payout, a.is_otc, a.is_active)
            for a in TABLE.assets
        )
    )
    market.apply([changed])
    payouts = dict(rows_of(watchlist))
    assert payouts["EURUSD OTC"] == "80% \u25bc"
    assert payouts["USDJPY OTC"] == "88%"
    assert rows_of(watchlist)[0][0] == "USDJPY OTC", "re-sorted by the new payout"


def test_a_streaming_asset_shows_its_last_price_and_hour_change_and_opens_on_double_click(
    qtbot,
):
    market = MarketModel()
    watchlist = Watchlist(market)
    qtbot.addWidget(watchlist)
    watchlist.resize(700, 300)
    watchlist.show()
    qtbot.waitExposed(watchlist)
    book = CandleBook((60,))
    publisher = MarketPublisher(book)
    ticks = [Tick("EURUSD_otc", T0 + 60 * i + 1, round(1.1 + 0.0001 * i, 4)) for i in range(90)]
    closed = [event for tick in ticks for event in book.on_tick(tick)]
    market.apply([TABLE, *ticks, publisher.update(["EURUSD_otc"], closed, 7200.0)])
    watchlist.refresh()

    row = next(r for r in watchlist.row_texts() if r[1] == "EURUSD OTC")
    assert row[5] == "1.1089"
    base = 1.1029  # the close an hour before the newest candle
    assert row[6] == f"{(1.1089 - base) / base:+.2%}"
    assert next(r for r in watchlist.row_texts() if r[1] == "GBPUSD OTC")[5:] == ["", ""]
    ARTIFACTS.mkdir(exist_ok=True)
    assert watchlist.grab().save(str(ARTIFACTS / "watchlist.png"))

    r = [x[1] for x in watchlist.row_texts()].index("EURUSD OTC")
    cell = watchlist.table.visualItemRect(watchlist.table.item(r, 1)).center()
    viewport = watchlist.table.viewport()
    QTest.mouseClick(
        viewport, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, cell
    )
    with qtbot.waitSignal(watchlist.assetChosen) as chosen:
        QTest.mouseDClick(
            viewport, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, cell
        )
    assert chosen.args == ["EURUSD_otc"]
