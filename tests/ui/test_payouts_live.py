"""The app on the simulator in real Chromium records the payout history while saving candles
is on (the toolbar switch): the state in force when saving starts, then each change once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, pause, wait_until

from qfdesk.engine.csv_sink import PAYOUT_COLUMNS, payout_dir
from qfdesk.engine.payout_history import load_payouts
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]


def payout_rows(data: Path) -> list[list[str]]:
    rows = []
    for path in sorted(payout_dir(data).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == PAYOUT_COLUMNS
        rows += lines[1:]
    return rows


def test_the_app_records_payout_changes_while_saving_candles_is_on(qloop, tmp_path):
    with SimulatedPlatform(assets=3, seed=8) as sim:
        catalogue = {a["symbol"]: a for a in sim.assets}
        desk = Desk(tmp_path)
        try:
            desk.connect(qloop, sim)
            window = desk.window
            assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 30)
            assert wait_until(qloop, lambda: window.market.payout(window.asset), 10)
            sim.control("set_payout", asset="AUDCAD_otc", payout=61)  # saving is off
            pause(qloop, 1)
            assert not window.toolbar.save_candles.isChecked()
            assert payout_rows(desk.data_root) == []

            window.toolbar.save_candles.trigger()
            count = len(catalogue)
            assert wait_until(qloop, lambda: len(payout_rows(desk.data_root)) == count, 10)
            now = {row[1]: int(row[2]) for row in payout_rows(desk.data_root)}
            assert now == {**{s: a["payout"] for s, a in catalogue.items()}, "AUDCAD_otc": 61}

            sim.control("set_payout", asset="EURUSD_otc", payout=66)
            assert wait_until(qloop, lambda: len(payout_rows(desk.data_root)) == count + 1, 10)
            window.toolbar.save_candles.trigger()  # off again: nothing more is written
            sim.control("set_payout", asset="EURUSD_otc", payout=67)
            pause(qloop, 2)
        finally:
            desk.close()
    assert len(payout_rows(desk.data_root)) == len(catalogue) + 1
    schedule, problems = load_payouts(desk.data_root, "EURUSD_otc")
    assert problems == [] and schedule.payout.tolist() == [catalogue["EURUSD_otc"]["payout"], 66]
