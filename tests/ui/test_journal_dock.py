"""The Journal dock on a real SQLite journal: the period's rows and figures beside
break-even, filters, a reload when the writer writes, CSV export and the report card."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from qfdesk.engine.events import Direction
from qfdesk.engine.journal import (
    Attempt,
    Decision,
    Outcome,
    Placed,
    Settled,
    Source,
    StrategyOrigin,
    journal_path,
)
from qfdesk.engine.journal.writer import JournalWriter
from qfdesk.ui.journal_dock import JournalView

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def trade(writer: JournalWriter, n: int, asset: str, outcome: Outcome, source=Source.MANUAL):
    intent = f"i-{n}"
    origin = StrategyOrigin("sma-cross", {"fast": 3, "slow": 12}, 60)
    writer.write(
        Attempt(
            intent,
            asset,
            Direction.CALL if n % 2 else Direction.PUT,
            1.0,
            60,
            source,
            payout=92.0,
            account="DEMO",
            strategy=origin if source is not Source.MANUAL else None,
            created=time.time() - 60 * n,
        )
    )
    writer.write(Decision(intent, True, ("all limits passed",)))
    writer.write(
        Placed(
            intent,
            "placed",
            "page",
            deal_id=f"d-{n}",
            intent_to_click_ms=300.0 + n,
            click_to_confirm_ms=80.0,
        )
    )
    profit = {Outcome.WON: 0.92, Outcome.LOST: -1.0, Outcome.REFUND: 0.0}[outcome]
    writer.write(Settled(outcome, profit, deal_id=f"d-{n}"))


def test_the_journal_dock_shows_todays_trades_beside_break_even(qtbot, tmp_path):
    path = journal_path(tmp_path)
    writer = JournalWriter(path)
    for n, (asset, outcome) in enumerate(
        [("EURUSD_otc", Outcome.WON), ("EURUSD_otc", Outcome.LOST), ("GBPUSD", Outcome.WON)],
        start=1,
    ):
        trade(writer, n, asset, outcome)
    trade(writer, 4, "EURUSD_otc", Outcome.LOST, Source.PAPER)
    assert writer.flush(10)

    view = JournalView(path)
    qtbot.addWidget(view)
    view.resize(1200, 400)
    view.show()
    qtbot.waitUntil(lambda: view.table.rowCount() == 4, timeout=10_000)

    texts = view.figures.text()
    assert "4 trades" in texts and "vs break-even 52.1%" in texts
    assert "win rate 50.0%" in texts
    rows = view.row_texts()
    assert {r[1] for r in rows} == {"EURUSD_otc", "GBPUSD"}
    assert any(r[10] == "won" and r[11] == "+0.92" and r[14] == "d-3" for r in rows)
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / "journal_dock.png"))

    view.asset.setCurrentIndex(view.asset.findData("GBPUSD"))
    qtbot.waitUntil(lambda: [r[1] for r in view.row_texts()] == ["GBPUSD"], timeout=10_000)
    view.asset.setCurrentIndex(0)
    view.source.setCurrentIndex(view.source.findData(Source.PAPER.value))
    qtbot.waitUntil(lambda: [r[6] for r in view.row_texts()] == ["paper"], timeout=10_000)
    writer.close()


def test_a_new_attempt_shows_once_the_writer_has_written_it(qtbot, tmp_path):
    path = journal_path(tmp_path)
    view_box: list[JournalView] = []
    writer = JournalWriter(path, on_written=lambda e: view_box and view_box[0].journal_written(e))
    trade(writer, 1, "EURUSD_otc", Outcome.WON)
    assert writer.flush(10)
    view = JournalView(path)
    qtbot.addWidget(view)
    view_box.append(view)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)

    trade(writer, 2, "EURUSD_otc", Outcome.LOST)

    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10_000)
    writer.close()


def test_the_shown_rows_export_to_csv_and_the_report_card_is_asked_off_the_gui_thread(
    qtbot, tmp_path
):
    path = journal_path(tmp_path)
    writer = JournalWriter(path)
    trade(writer, 1, "EURUSD_otc", Outcome.WON, Source.AUTO)
    trade(writer, 2, "EURUSD_otc", Outcome.REFUND, Source.AUTO)
    assert writer.flush(10)
    writer.close()
    asked = []

    def card(rows):
        asked.append([r.intent_id for r in rows])
        return ["sma-cross: trading as tested (p = 0.80)"]

    view = JournalView(path, report_card=card)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10_000)

    out = tmp_path / "export.csv"
    view.export(out)
    qtbot.waitUntil(lambda: "Exported 2 rows" in view.card.text(), timeout=10_000)
    with out.open() as handle:
        exported = list(csv.DictReader(handle))
    assert [(r["intent_id"], r["outcome"]) for r in exported] == [("i-2", "refund"), ("i-1", "won")]

    view.show_report_card()
    qtbot.waitUntil(lambda: "trading as tested" in view.card.text(), timeout=10_000)
    assert sorted(asked[0]) == ["i-1", "i-2"]


def test_without_a_journal_the_dock_says_so(qtbot, tmp_path):
    view = JournalView(journal_path(tmp_path))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: "No journal yet" in view.figures.text(), timeout=10_000)
    assert view.table.rowCount() == 0
