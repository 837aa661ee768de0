"""Backfill: 30 days of 1m candles for one asset through the page, on real Chromium.

``qfdesk backfill`` as a user runs it (its own process, launching headless Chromium on the
simulated platform, which runs here), at the default pace (1 request a second) and page size
(500 candles) unless told otherwise. The baseline is the pace itself: ``requests / pace``
seconds is the least a polite backfill can take, so the ratio says what the page, Chrome's
log, the pipeline and the disk add. The candles on disk are read back and checked: each
start once, none missing.

Goal: 30 days (43,200 candles) within 5 minutes at the default pace.
Run: ``python benchmarks/bench_backfill.py [--days 30] [--pace 1] [--page-candles 500]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qfdesk.browser.chrome_launcher import free_port
from qfdesk.engine.backfill import DEFAULT_PACE, DEFAULT_PAGE_CANDLES
from qfdesk.engine.csv_sink import candle_dir
from qfdesk.sim import SimulatedPlatform

CHROMIUM = "/usr/bin/chromium"
ASSET = "EURUSD_otc"
GOAL = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--pace", type=float, default=DEFAULT_PACE)
    parser.add_argument("--page-candles", type=int, default=DEFAULT_PAGE_CANDLES)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qfbf"))
    try:
        with SimulatedPlatform(assets=3, seed=11) as sim:
            command = [
                sys.executable, "-m", "qfdesk", "backfill", "--asset", ASSET,
                "--days", str(args.days), "--pace", str(args.pace),
                "--page-candles", str(args.page_candles), "--data-dir", str(work / "data"),
                "--launch", "--headless", "--port", str(free_port()), "--chrome", CHROMIUM,
                "--profile", str(work / "profile"), "--url", sim.url,
            ]  # fmt: skip
            env = {**os.environ, "TMPDIR": str(work), "XDG_STATE_HOME": str(work / "state")}
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            asked = sum(1 for e in sim.received_events() if e.event == "loadHistoryPeriod")
        if done.returncode != 0:
            print(done.stdout, done.stderr, sep="\n")
            return 1
        starts = []
        for path in candle_dir(work / "data", 60).glob("*.csv"):
            with path.open(newline="") as handle:
                starts += [row["timestamp"] for row in csv.DictReader(handle)]
        unique = len(set(starts))
        floor = asked / args.pace
        print(f"backfill {args.days:g} days of 1m {ASSET}: {args.page_candles} candles a page,")
        print(f"  pace {args.pace:g} request/s, {asked} requests (pace floor {floor:.1f} s)")
        print(f"  wall clock {wall:.1f} s (the command, Chromium start included)")
        print(
            f"  {len(starts)} candle rows written, {unique} distinct, {len(starts) - unique} twice"
        )
        print(f"  {unique / wall:,.0f} candles/s; {wall / floor:.2f}x the pace floor")
        verdict = "met" if wall <= GOAL and unique == len(starts) else "NOT met"
        print(f"  goal: within {GOAL:.0f} s, each candle once: {verdict}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
