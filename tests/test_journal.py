"""The trade journal in a real SQLite file: every attempt once with its updates, a file
that always opens (damaged, newer, killed mid-write), honest figures and ``qfdesk journal``."""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from scipy import stats

from qfdesk.cli import main
from qfdesk.engine.events import Direction
from qfdesk.engine.journal import (
    Attempt,
    Decision,
    JournalError,
    Outcome,
    Placed,
    Settled,
    Source,
    StrategyOrigin,
    journal_path,
    schema,
)
from qfdesk.engine.journal.figures import journal_figures
from qfdesk.engine.journal.reader import RowFilter, read_rows
from qfdesk.engine.journal.writer import JournalWriter

REPO = Path(__file__).resolve().parents[1]


def attempt(intent_id: str, created: float = 1_700_000_000.0, **changes: object) -> Attempt:
    fields: dict[str, object] = {
        "intent_id": intent_id,
        "asset": "EURUSD_otc",
        "direction": Direction.CALL,
        "amount": 1.0,
        "expiry": 60,
        "source": Source.MANUAL,
        "payout": 92.0,
        "account": "DEMO",
        "created": created,
    }
    fields.update(changes)
    return Attempt(**fields)  # type: ignore[arg-type]


def written(path: Path, *entries: object) -> None:
    writer = JournalWriter(path)
    for entry in entries:
        writer.write(entry)  # type: ignore[arg-type]
    assert writer.flush(10)
    writer.close()
    assert writer.failures == 0


def test_an_attempt_and_its_updates_make_one_row_with_every_fact(tmp_path):
    path = journal_path(tmp_path)
    written(
        path,
        attempt(
            "i-1",
            strategy=StrategyOrigin("sma-cross", {"fast": 5, "slow": 20}, 60),
            source=Source.AUTO,
        ),
        Decision("i-1", True, ("payout 92% >= 80%", "stake 1 <= 5")),
        Placed(
            "i-1",
            "placed",
            "page",
            deal_id="d-7",
            intent_to_click_ms=412.0,
            click_to_confirm_ms=88.5,
            artifacts=("/tmp/a.png",),
        ),
        Settled(
            Outcome.WON,
            0.92,
            deal_id="d-7",
            open_price=1.1,
            close_price=1.2,
            opened=1_700_000_001.0,
            closed=1_700_000_061.0,
        ),
    )
    [row] = read_rows(path)
    assert row.timeframe == 60
    assert (row.asset, row.direction, row.source, row.strategy) == (
        "EURUSD_otc",
        Direction.CALL,
        Source.AUTO,
        "sma-cross",
    )
    assert row.params == '{"fast": 5, "slow": 20}'
    assert row.allowed is True and row.reasons == ("payout 92% >= 80%", "stake 1 <= 5")
    assert (row.placement, row.deal_id, row.intent_to_click_ms, row.click_to_confirm_ms) == (
        "placed",
        "d-7",
        412.0,
        88.5,
    )
    assert (row.outcome, row.profit, row.close_price) == (Outcome.WON, 0.92, 1.2)
    assert row.artifacts == ("/tmp/a.png",)


def test_a_settlement_faster_than_its_placement_is_kept_until_the_deal_is_known(tmp_path):
    path = journal_path(tmp_path)
    written(
        path,
        attempt("i-1"),
        Settled(Outcome.LOST, -1.0, deal_id="d-1"),
        Placed("i-1", "placed", "page", deal_id="d-1"),
    )
    [row] = read_rows(path)
    assert (row.deal_id, row.outcome, row.profit) == ("d-1", Outcome.LOST, -1.0)


def test_one_intent_is_one_row_however_often_it_is_told(tmp_path):
    path = journal_path(tmp_path)
    written(path, attempt("i-1"), attempt("i-1", amount=5.0), attempt("i-2"))
    rows = read_rows(path)
    assert [(r.intent_id, r.amount) for r in rows] == [("i-1", 1.0), ("i-2", 1.0)]


def test_a_paper_trade_settles_by_its_intent(tmp_path):
    path = journal_path(tmp_path)
    written(
        path,
        attempt("p-1", source=Source.PAPER, account="PAPER"),
        Settled(Outcome.REFUND, 0.0, intent_id="p-1"),
    )
    [row] = read_rows(path)
    assert (row.source, row.outcome, row.deal_id) == (Source.PAPER, Outcome.REFUND, None)


def test_a_file_that_is_not_a_database_is_kept_aside_and_a_new_journal_opens(tmp_path):
    path = journal_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite " * 100)
    written(path, attempt("i-1"))
    assert [r.intent_id for r in read_rows(path)] == ["i-1"]
    kept = [p for p in path.parent.iterdir() if ".unreadable-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not SQLite")


def test_a_journal_from_a_newer_qfdesk_is_refused_with_what_to_do(tmp_path):
    path = journal_path(tmp_path)
    written(path, attempt("i-1"))
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    with pytest.raises(JournalError, match="newer qfdesk.*update qfdesk"):
        schema.connect(path)
    writer = JournalWriter(path)
    writer.write(attempt("i-2"))
    writer.flush(10)
    writer.close()
    assert writer.error is not None and "newer qfdesk" in writer.error
    assert writer.failures == 1


def test_a_migration_that_fails_leaves_the_previous_version_whole(tmp_path, monkeypatch):
    path = journal_path(tmp_path)
    written(path, attempt("i-1"))
    broken = ("ALTER TABLE attempts ADD COLUMN note TEXT", "THIS IS NOT SQL")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "VERSION", len(schema.MIGRATIONS))
    with pytest.raises(JournalError, match="left as it was"):
        schema.connect(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [c[1] for c in connection.execute("PRAGMA table_info(attempts)")]
    assert "note" not in columns
    monkeypatch.undo()
    assert [r.intent_id for r in read_rows(path)] == ["i-1"]


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from qfdesk.engine.events import Direction
    from qfdesk.engine.journal import Attempt, Source
    from qfdesk.engine.journal.writer import JournalWriter

    writer = JournalWriter(Path(sys.argv[1]))
    n = 0
    while True:
        for _ in range(20):
            n += 1
            writer.write(Attempt(f"i-{n}", "EURUSD_otc", Direction.PUT, 1.0, 60, Source.MANUAL))
        writer.flush()
        print(n, flush=True)
    """
)


def test_a_writer_killed_mid_write_loses_nothing_it_committed_and_the_file_opens(tmp_path):
    path = journal_path(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 200 and time.monotonic() < deadline:
        committed = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert committed >= 200
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {r.intent_id for r in read_rows(path)}
    assert {f"i-{n}" for n in range(1, committed + 1)} <= ids


def settled(intent_id: str, outcome: Outcome, profit: float, payout: float, **changes: object):
    return (
        attempt(intent_id, payout=payout, **changes),
        Placed(
            intent_id,
            "placed",
            "page",
            deal_id=f"d-{intent_id}",
            intent_to_click_ms=100.0,
            click_to_confirm_ms=50.0,
        ),
        Settled(outcome, profit, deal_id=f"d-{intent_id}"),
    )


def test_the_figures_put_the_win_rate_beside_its_interval_and_break_even(tmp_path):
    path = journal_path(tmp_path)
    plan = [
        ("a", Outcome.WON, 0.92, 92.0),
        ("b", Outcome.LOST, -1.0, 80.0),
        ("c", Outcome.LOST, -1.0, 80.0),
        ("d", Outcome.REFUND, 0.0, 92.0),
        ("e", Outcome.WON, 0.8, 80.0),
    ]
    entries = [e for args in plan for e in settled(*args)]
    entries += [attempt("f"), Placed("f", "refused", "risk", "daily loss limit")]
    written(path, *entries)
    figures = journal_figures(read_rows(path))
    assert (figures.attempts, figures.refused, figures.trades) == (6, 1, 5)
    assert (figures.wins, figures.losses, figures.refunds) == (2, 2, 1)
    assert figures.win_rate == 0.5
    ci = stats.binomtest(2, 4).proportion_ci(0.95, method="wilson")
    assert figures.interval == pytest.approx((ci.low, ci.high))
    expected = (1 / 1.92 + 3 / 1.8) / 4
    assert figures.break_even == pytest.approx(expected)
    assert figures.net == pytest.approx(0.92 - 2 + 0.8)
    assert figures.longest_losing_streak == 2
    assert (figures.intent_to_click_ms, figures.click_to_confirm_ms) == (100.0, 50.0)


def local_time(day: str, hour: int) -> float:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)).astimezone().timestamp()


def test_qfdesk_journal_prints_a_period_and_exports_its_rows(tmp_path, capsys):
    path = journal_path(tmp_path)
    written(
        path,
        *settled("a", Outcome.WON, 0.92, 92.0, created=local_time("2026-12-01", 10)),
        *settled("b", Outcome.LOST, -1.0, 92.0, created=local_time("2026-12-02", 23)),
        *settled("c", Outcome.WON, 0.92, 92.0, created=local_time("2026-12-03", 0)),
    )
    out = tmp_path / "out.csv"
    code = main(
        [
            "journal",
            "--data-dir",
            str(tmp_path),
            "--from",
            "2026-12-02",
            "--to",
            "2026-12-02",
            "--csv",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "1 attempts: 1 trades settled" in text and "won 0, lost 1" in text
    assert "against break-even 52.1%" in text
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["intent_id"], r["outcome"], r["profit"]) for r in rows] == [("b", "lost", "-1.0")]
    assert main(["journal", "--data-dir", str(tmp_path)]) == 0
    assert "3 attempts" in capsys.readouterr().out


def test_qfdesk_journal_without_a_journal_says_so_with_exit_code_2(tmp_path, capsys):
    assert main(["journal", "--data-dir", str(tmp_path)]) == 2
    assert "no trade has been journaled there yet" in capsys.readouterr().err
    assert main(["journal", "--from", "2026-12-05", "--to", "2026-12-01"]) == 2


def test_rows_filter_by_asset_and_source(tmp_path):
    path = journal_path(tmp_path)
    written(
        path,
        attempt("a"),
        attempt("b", asset="GBPUSD"),
        attempt("c", source=Source.PAPER),
    )
    assert [r.intent_id for r in read_rows(path, RowFilter(asset="GBPUSD"))] == ["b"]
    assert [r.intent_id for r in read_rows(path, RowFilter(source=Source.PAPER))] == ["c"]


def test_a_writer_that_was_given_nothing_leaves_no_journal_behind(tmp_path):
    writer = JournalWriter(journal_path(tmp_path))
    assert writer.flush(10)
    writer.close()
    assert not journal_path(tmp_path).exists()
