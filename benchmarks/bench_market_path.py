"""The app's per-tick CPU cost: one market state (now) against the double one (before).

Before, every tick was aggregated twice: by the pipeline's CandleBook on the tail thread and
again by the GUI's own CandleBook and ClockOffset (``MarketModel.apply``: each tick, each
history event, then a close by the GUI's clock after every batch). Now the pipeline's book
is the only one; after each batch it publishes a ``MarketUpdate`` that the GUI applies to its
copy (``MarketCopy``). Both paths get the same ticks in the same batches, here in one run,
and each is split into its two threads: the tail's share (the pipeline, now publishing) and
the GUI's (the market model applying what the pipeline handed it). The total of the two is
the app's cost of a tick.

"Before" is that code itself: the pipeline, candle book, series and clock modules as they
were at commit 9d929ff (the parent of 4b983e7, "One market state"), read with ``git show``
into modules of their own when the script starts (a full clone is needed), so making
today's modules faster never makes the baseline faster. The GUI's old market model is
reproduced here (``OldGuiModel``) on those modules. At the end of each round both GUI
threads must hold the same candles at every timeframe, or the script stops.

- ``decoded``: batches of decoded Tick events (``Pipeline.feed_events``; the old pipeline's
  ``feed`` with a decoder that hands them through): the market state alone -- what this
  change is about;
- ``frames``: the same ticks as performance-log entries (``Pipeline.feed``, the decoder
  included, as the tail feeds it) -- the app's whole data path up to the GUI.

Batches are what the tail drains: everything logged within a 15 ms drain interval, at the
platform's usual rate (2 ticks/s on each of 3 assets) and at the simulator's busy 200
ticks/s. All 10 timeframes, as the app builds them. Times are process CPU time with the
collector off (the events kept to replay to the GUI model would otherwise make the new path
pay for scanning them), best of 5, the two paths alternating.
Run: ``python benchmarks/bench_market_path.py``.
"""

from __future__ import annotations

import base64
import gc
import json
import random
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np

from qfdesk.engine.events import Event, HistoryCandles, HistoryTicks, MarketUpdate, Tick
from qfdesk.engine.market_state import MarketCopy
from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.timeframes import TIMEFRAMES

T0 = 1_756_866_000.0
OFFSET = 7200.0
DRAIN = 0.015
SOCKET = "3084.678983"
PLACEHOLDER = '451-["updateStream",{"_placeholder":true,"num":0}]'
SHOWN = "ASSET0_otc"
BEFORE = "9d929fffabd102511dd1b2756621156605a7582e"
"""The last commit with two market states (the one before 4b983e7, "One market state")."""


def load_before(name: str) -> types.ModuleType:
    """``qfdesk/engine/<name>.py`` as it was at ``BEFORE``, read from git, as a module of its
    own: the baseline stays that code whatever the engine's modules do since."""
    root = Path(__file__).resolve().parent.parent
    try:
        source = subprocess.run(
            ["git", "-C", str(root), "show", f"{BEFORE}:qfdesk/engine/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"the baseline needs a git clone holding commit {BEFORE}: {error}")
    module = sys.modules[f"before_{name}"] = types.ModuleType(f"before_{name}")
    code = compile(source, f"{BEFORE[:7]}:qfdesk/engine/{name}.py", "exec")
    exec(code, module.__dict__)  # noqa: S102 -- this repository's own code, from its history
    return module


OLD_CLOCK = load_before("clock")
OLD_SERIES = load_before("series")
OLD_CANDLES = load_before("candles")
OLD_CANDLES.CandleSeries = OLD_SERIES.CandleSeries  # the old modules use each other, not today's
OLD_PIPELINE = load_before("pipeline")
OLD_PIPELINE.CandleBook = OLD_CANDLES.CandleBook
OLD_PIPELINE.ClockOffset = OLD_CLOCK.ClockOffset


Model = TypeVar("Model", "OldGuiModel", "NewGuiModel")


class Decoded:
    """The old pipeline had no ``feed_events``: a decoder handing decoded events through."""

    def feed_many(self, events: Iterable[Event]) -> list[Event]:
        return list(events)


def make_batches(n: int, rate: float, assets: int = 3) -> list[list[Tick]]:
    """``n`` ticks at ``rate`` per second over ``assets``, grouped by drain interval."""
    rng = random.Random(1)
    prices = [1.0 + i for i in range(assets)]
    t, batches, current, drain_end = T0, [], [], T0 + DRAIN
    for k in range(n):
        t += rng.expovariate(rate)
        while t >= drain_end:
            if current:
                batches.append(current)
                current = []
            drain_end += DRAIN
        i = k % assets
        prices[i] *= 1.0 + rng.gauss(0.0, 0.0002)
        current.append(Tick(f"ASSET{i}_otc", round(t, 3), round(prices[i], 5), t - OFFSET))
    return [*batches, current] if current else batches


def entries(batch: list[Tick]) -> list[dict]:
    """The ticks as chromedriver logs them: a header frame and a binary attachment each."""
    out = []
    for tick in batch:
        wall_ms = round(tick.received * 1000)
        payload = json.dumps([[tick.asset, tick.time, tick.price]]).encode()
        for opcode, data in ((1, PLACEHOLDER), (2, base64.b64encode(payload).decode())):
            params = {
                "requestId": SOCKET,
                "timestamp": 1.0,
                "response": {"opcode": opcode, "mask": False, "payloadData": data},
            }
            message = {"method": "Network.webSocketFrameReceived", "params": params}
            out.append({"message": json.dumps({"message": message}), "timestamp": wall_ms})
    return out


class OldGuiModel:
    """The GUI's second market state as it was: its own book and clock, fed every event."""

    def __init__(self) -> None:
        self.book = OLD_CANDLES.CandleBook(TIMEFRAMES.values())
        self.clock = OLD_CLOCK.ClockOffset()

    def apply(self, events: list[Event]) -> None:
        book = self.book
        for event in events:
            kind = type(event)
            if kind is Tick:
                book.on_tick(event)
                if event.received:
                    self.clock.observe(event.time, event.received)
            elif kind is HistoryCandles:
                book.on_history_candles(event)
            elif kind is HistoryTicks:
                book.on_history_ticks(event)
        wall = max((e.received for e in events if type(e) is Tick), default=0.0)
        now = self.clock.platform_now(wall) if wall else None
        if now is not None:
            book.on_clock(now)
        if any(type(e) is Tick and e.asset == SHOWN for e in events):
            book.series(SHOWN, 60)  # the window reads the series it draws when it changed


class NewGuiModel:
    """The GUI's copy now: only the pipeline's updates applied."""

    def __init__(self) -> None:
        self.copy = MarketCopy()

    def apply(self, events: list[Event]) -> None:
        for event in events:
            if type(event) is MarketUpdate and SHOWN in self.copy.apply(event):
                self.copy.series(SHOWN, 60)  # the window reads the series it draws


def tail_share(batches: list, now: bool, framed: bool) -> tuple[float, list[list[Event]]]:
    """CPU seconds of the pipeline (the tail thread's share) over all batches, and what it
    handed its listeners (what the GUI thread gets): today's publishing one, or (``now``
    False) the pipeline and book as they were before."""
    if now:
        pipeline = Pipeline(TIMEFRAMES.values(), publish=True)
        feed = pipeline.feed if framed else pipeline.feed_events
    else:
        pipeline = OLD_PIPELINE.Pipeline(TIMEFRAMES.values())
        if not framed:
            pipeline.decoder = Decoded()
        feed = pipeline.feed
    handed: list[list[Event]] = []
    pipeline.add_listener(handed.append)
    began = time.process_time()
    for batch in batches:
        feed(batch)
    return time.process_time() - began, handed


def gui_share(handed: list[list[Event]], gui: Callable[[], Model]) -> tuple[float, Model]:
    """CPU seconds of the GUI's market model over what the pipeline handed it, and the model."""
    model = gui()
    apply = model.apply
    began = time.process_time()
    for events in handed:
        apply(events)
    return time.process_time() - began, model


def check_same(old: OldGuiModel, new: NewGuiModel) -> None:
    """Both GUI threads end up drawing the same candles, at every timeframe."""
    for asset in old.book.assets():
        for tf in TIMEFRAMES.values():
            a, b = old.book.series(asset, tf), new.copy.series(asset, tf)
            for column in ("start", "open", "high", "low", "close"):
                if not np.array_equal(getattr(a, column), getattr(b, column)):
                    sys.exit(f"{asset} {tf} s: the two paths' {column} differ")


def main() -> None:
    for rate, n in ((6.0, 60_000), (200.0, 100_000)):
        ticks = make_batches(n, rate)
        per_batch = n / len(ticks)
        print(f"{n:,} ticks at {rate:g}/s on 3 assets: {per_batch:.2f} ticks per drained batch")
        for name, framed, batches in (
            ("decoded", False, ticks),
            ("frames", True, [entries(b) for b in ticks]),
        ):
            gc.collect()
            gc.disable()  # what is held here to be measured (input, handed events) is not the
            # app's heap, which drops each batch once applied: no collector passes over it
            best = {key: float("inf") for key in ("tail0", "gui0", "tail1", "gui1")}
            for _ in range(5):
                models = []
                for now, gui, suffix in ((False, OldGuiModel, "0"), (True, NewGuiModel, "1")):
                    spent, handed = tail_share(batches, now, framed)
                    best["tail" + suffix] = min(best["tail" + suffix], spent)
                    spent, model = gui_share(handed, gui)
                    best["gui" + suffix] = min(best["gui" + suffix], spent)
                    models.append(model)
                    del handed
                check_same(*models)
            gc.enable()
            us = {key: value / n * 1e6 for key, value in best.items()}
            old, new = us["tail0"] + us["gui0"], us["tail1"] + us["gui1"]
            print(
                f"  {name:8s} us/tick before: tail {us['tail0']:5.2f} + GUI {us['gui0']:4.2f} = "
                f"{old:5.2f}; now: tail {us['tail1']:5.2f} + GUI {us['gui1']:4.2f} = "
                f"{new:5.2f}; now/before {new / old:.2f} (GUI thread {us['gui1'] / us['gui0']:.2f})"
            )


if __name__ == "__main__":
    main()
