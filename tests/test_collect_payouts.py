"""``qfdesk collect`` in real Chromium on the simulated platform records its payout history:
every asset once when first seen, then one row when the platform changes a payout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from browser_helpers import needs_browser
from collect_helpers import collecting, interrupt
from proc_helpers import poll

from qfdesk.engine.csv_sink import PAYOUT_COLUMNS, payout_dir
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.payout_history import load_payouts
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]


def payout_rows(data: Path) -> list[list[str]]:
    rows = []
    for path in sorted(payout_dir(data).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == PAYOUT_COLUMNS
        rows += [line for line in lines[1:] if len(line) == len(PAYOUT_COLUMNS)]
    return rows


def test_collect_on_the_simulator_records_a_payout_change_once(tmp_path, short_tmp):
    data = tmp_path / "data"
    with (
        SimulatedPlatform(assets=3, seed=4) as sim,
        collecting(tmp_path, short_tmp, sim, data, "--timeframes", "1m") as (process, log),
    ):
        catalogue = {a["symbol"]: a for a in sim.assets}
        # The first table is written once a tick has given the platform clock.
        assert poll(lambda: len(payout_rows(data)) >= len(catalogue), 90), log.read_text()
        first = payout_rows(data)
        assert sorted(row[1] for row in first) == sorted(catalogue)
        assert {row[1]: (int(row[2]), row[3] == "1") for row in first} == {
            s: (a["payout"], a["active"]) for s, a in catalogue.items()
        }
        before = max(t.time for t in sim.sent_ticks())
        sim.control("set_payout", asset="EURUSD_otc", payout=71)
        assert poll(lambda: len(payout_rows(data)) > len(first), 30), log.read_text()
        after = max(t.time for t in sim.sent_ticks())
        interrupt(process, log)
    rows = payout_rows(data)
    assert len(rows) == len(catalogue) + 1, "one row per change, none for unchanged payouts"
    assert f"payouts written:  {len(catalogue) + 1} changes" in log.read_text()
    schedule, problems = load_payouts(data, "EURUSD_otc")
    assert problems == [] and schedule.payout.tolist() == [catalogue["EURUSD_otc"]["payout"], 71]
    # Stamped in platform time (the clock of the ticks), when the new table arrived.
    assert before - 2 <= schedule.times[1] <= after + 2
    assert load_history(data).problems == [], "the candle loader leaves payout files alone"
