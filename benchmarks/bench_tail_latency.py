"""Tail latency: from the simulator's send to the decoded Tick event, in real headless Chromium.

The live path as the app runs it: the simulator (``SimulatedPlatform``, in a process of its
own as the real platform is remote) stamps every tick with its local send time; Chromium (headless, launched by ``LiveSource``) receives it on the
page's socket; the tail drains the performance log and the ``Pipeline`` decodes it. The
moment ``Pipeline.feed`` returns is the tick's decode time; it is matched to the send record
by (asset, platform time). Two scenarios at each rate: the stream alone (the baseline), and
the stream while a loop places BUY/SELL trades through the trade-click capability on a
separate chromedriver session, as the app does (select asset, set amount, set expiry, trade
click), one every ``--click-every`` seconds. They alternate in 5 s slices (ABBA) so that
the load of a busy machine hits both alike; a bare probe process shows that load (how late
a 5 ms sleep wakes up).

Each figure set also splits the latency: send -> Chrome's log stamp of the frame (network
and Chrome) and Chrome's stamp -> decoded (drain wait, chromedriver, delivery, decode).

Goal: p50 <= 40 ms, p99 <= 100 ms, none lost, and clicks do not move the p99 (ratio ~1).
Run: ``python benchmarks/bench_tail_latency.py [--duration 25] [--rates 20,200]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from qfdesk.browser.attach import attach, detach
from qfdesk.browser.capabilities.asset_select import asset_select
from qfdesk.browser.capabilities.base import Context, Result
from qfdesk.browser.capabilities.session_scan import session_scan
from qfdesk.browser.capabilities.set_amount import set_amount
from qfdesk.browser.capabilities.set_expiry import set_expiry
from qfdesk.browser.capabilities.trade_click import trade_click
from qfdesk.browser.event_source import EventHub
from qfdesk.browser.live import LiveSource
from qfdesk.browser.selectors import Selectors
from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.events import Tick
from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.timeframes import TIMEFRAMES
from qfdesk.sim import SentTick, SimulatedPlatform

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SETTLE = 2.0  # seconds after a rate change before measuring
GRACE = 2.0  # seconds after a scenario for the last ticks to be decoded
SLICE = 5.0  # seconds per slice; the two scenarios of a rate alternate slice by slice
TRADE_AMOUNT = 1.0
TRADE_EXPIRY = "M1"

Key = tuple[str, float]


def _key(asset: str, t: float) -> Key:
    return asset, round(float(t), 3)


# A bare process that only sleeps 5 ms at a time and notes how late it wakes up: how long
# this machine keeps a ready process from running, whatever our code does.
_PROBE = """
import json, select, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the benchmark ends it, also on Ctrl-C
late = []
while True:
    start = time.perf_counter()
    if select.select([sys.stdin], [], [], 0.005)[0]:
        break
    late.append((time.perf_counter() - start - 0.005) * 1000.0)
late = sorted(late) or [0.0]
print(json.dumps({"p99": late[int(len(late) * 0.99)], "max": late[-1],
                  "over_50": sum(v > 50 for v in late)}))
"""


class StallProbe:
    """Runs ``_PROBE`` in its own process while a rate is measured."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PROBE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def finish(self) -> dict[str, float]:
        try:
            out, _ = self._process.communicate("stop\n", timeout=10)
            return json.loads(out)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            self.kill()
            return {}

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)


def _serve_sim(conn: Connection, assets: int, tick_rate: float) -> None:
    """The simulator's own process: answers ``(method, args, kwargs)`` until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it, also on Ctrl-C
    with SimulatedPlatform(assets=assets, tick_rate=tick_rate, seed=1) as sim:
        conn.send(sim.url)
        while (request := conn.recv()) is not None:
            method, args, kwargs = request
            conn.send(getattr(sim, method)(*args, **kwargs))


class SimProcess:
    """``SimulatedPlatform`` in a process of its own, as the real platform is remote: its
    sends never wait for this process's interpreter lock, nor the tail for its."""

    def __init__(self, assets: int, tick_rate: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve_sim, args=(child, assets, tick_rate), name="qfdesk-sim", daemon=True
        )
        self.url = ""

    def start(self) -> None:
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError("the simulator process did not start within 30 s")
        self.url = self._conn.recv()

    def _call(self, method: str, *args: object, **kwargs: object) -> Any:
        self._conn.send((method, args, kwargs))
        return self._conn.recv()

    def control(self, action: str, **params: object) -> None:
        self._call("control", action, **params)

    def sent_ticks(self) -> list[SentTick]:
        return self._call("sent_ticks")

    def stop(self) -> None:
        if self._process.pid is None:
            return
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._process.join(15)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


class DecodeClock:
    """The tail's consumer: feeds the pipeline, notes when each tick came out decoded."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._lock = threading.Lock()
        self.decoded: dict[Key, tuple[float, float]] = {}  # key -> (decoded at, Chrome stamp)
        self.doubled = 0

    def __call__(self, entries: list[dict]) -> None:
        events = self._pipeline.feed(entries)
        now = time.time()
        with self._lock:
            for event in events:
                if type(event) is Tick:
                    key = _key(event.asset, event.time)
                    if key in self.decoded:
                        self.doubled += 1
                    else:
                        self.decoded[key] = (now, event.received)

    def lookup(self, key: Key) -> tuple[float, float] | None:
        with self._lock:
            return self.decoded.get(key)


@dataclass
class ClickStats:
    placed: int = 0
    failed: int = 0
    seconds: float = 0.0
    last_error: str | None = None


class Clicker(threading.Thread):
    """Places one trade every ``every`` seconds, alternating BUY and SELL, as the app does."""

    def __init__(self, ctx: Context, asset: str, every: float, stats: ClickStats) -> None:
        super().__init__(name="bench-clicker", daemon=True)
        self._ctx = ctx
        self._asset = asset
        self._every = every
        self._stop_event = threading.Event()
        self.stats = stats

    def _place(self, direction: str) -> Result:
        ctx = self._ctx
        for step in (
            lambda: asset_select(ctx, self._asset),
            lambda: set_amount(ctx, TRADE_AMOUNT),
            lambda: set_expiry(ctx, TRADE_EXPIRY),
        ):
            result = step()
            if not result.ok:
                return result
        return trade_click(
            ctx,
            direction,
            amount=TRADE_AMOUNT,
            expiry=TRADE_EXPIRY,
            asset=self._asset,
            intent_id=uuid.uuid4().hex,
        )

    def run(self) -> None:
        while not self._stop_event.is_set():
            started = time.monotonic()
            result = self._place(("BUY", "SELL")[self.stats.placed % 2])
            self.stats.seconds += time.monotonic() - started
            if result.ok:
                self.stats.placed += 1
            else:
                self.stats.failed += 1
                self.stats.last_error = result.error
            self._stop_event.wait(max(0.0, self._every - (time.monotonic() - started)))

    def stop(self) -> None:
        """Stop after the trade in flight (its confirmation included)."""
        self._stop_event.set()
        self.join(60)


@dataclass
class Scenario:
    """One figure set, measured over several time slices interleaved with the other one."""

    name: str
    rate: float
    clicks: ClickStats | None
    windows: list[tuple[float, float]] = field(default_factory=list)
    drain_p99s: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    name: str
    rate: float
    sent: int
    decoded: int
    p50: float
    p95: float
    p99: float
    max: float
    chrome_p50: float
    chrome_p99: float
    tail_p50: float
    tail_p99: float
    drain_p99: float | None
    load: float
    clicks: ClickStats | None


def _pct(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else float("nan")


@dataclass
class Rig:
    sim: SimProcess
    source: LiveSource
    clock: DecodeClock
    ctx: Context
    asset: str
    click_every: float


def run_slice(rig: Rig, scenario: Scenario, seconds: float) -> None:
    """Measure ``seconds`` of ``scenario``; with clicks, the trade loop runs meanwhile and the
    slice ends only after its last trade, so no trade overlaps the other scenario's slice."""
    clicker = None
    if scenario.clicks is not None:
        clicker = Clicker(rig.ctx, rig.asset, rig.click_every, scenario.clicks)
        clicker.start()
    start = time.time()
    try:
        while (left := seconds - (time.time() - start)) > 0:
            time.sleep(min(left, 2.5))
            health = rig.source.health()
            if health is not None and health.drain_interval_p99_ms is not None:
                scenario.drain_p99s.append(health.drain_interval_p99_ms)
        scenario.windows.append((start, time.time()))
        scenario.loads.append(os.getloadavg()[0])
    finally:
        if clicker is not None:
            clicker.stop()


def figures(rig: Rig, scenario: Scenario) -> Figures:
    windows = scenario.windows
    sent = [t for t in rig.sim.sent_ticks() if any(a <= t.sent_at < b for a, b in windows)]
    total, chrome, tail = [], [], []
    for tick in sent:
        found = rig.clock.lookup(_key(tick.asset, tick.time))
        if found is None:
            continue
        decoded_at, stamp = found
        total.append(decoded_at - tick.sent_at)
        chrome.append(stamp - tick.sent_at)
        tail.append(decoded_at - stamp)
    ms = [np.array(v) * 1000.0 for v in (total, chrome, tail)]
    return Figures(
        name=scenario.name,
        rate=scenario.rate,
        sent=len(sent),
        decoded=len(total),
        p50=_pct(ms[0], 50),
        p95=_pct(ms[0], 95),
        p99=_pct(ms[0], 99),
        max=float(ms[0].max()) if ms[0].size else float("nan"),
        chrome_p50=_pct(ms[1], 50),
        chrome_p99=_pct(ms[1], 99),
        tail_p50=_pct(ms[2], 50),
        tail_p99=_pct(ms[2], 99),
        drain_p99=max(scenario.drain_p99s) if scenario.drain_p99s else None,
        load=float(np.mean(scenario.loads)) if scenario.loads else os.getloadavg()[0],
        clicks=scenario.clicks,
    )


def measure_rate(rig: Rig, rate: float, duration: float) -> tuple[Figures, Figures, str]:
    """The stream alone and the stream with trades at ``rate``, in alternating slices
    (ABBA order) so that the machine's changing load hits both alike; and how long the
    machine kept a bare process waiting meanwhile."""
    rig.sim.control("set_tick_rate", rate=rate)
    time.sleep(SETTLE)
    base = Scenario(f"{rate:g}/s", rate, None)
    busy = Scenario(f"{rate:g}/s + trades", rate, ClickStats())
    slices = max(1, round(duration / SLICE))
    probe = StallProbe()
    try:
        for index in range(slices):
            for scenario in (base, busy) if index % 2 == 0 else (busy, base):
                run_slice(rig, scenario, duration / slices)
        stalls = probe.finish()
    finally:
        probe.kill()
    time.sleep(GRACE)
    machine = (
        f"machine at {rate:g}/s: a bare process's 5 ms sleeps woke up late by p99 "
        f"{stalls['p99']:.1f} ms, max {stalls['max']:.0f} ms ({stalls['over_50']} times > 50 ms)"
        if stalls
        else f"machine at {rate:g}/s: stall probe gave no figures"
    )
    return figures(rig, base), figures(rig, busy), machine


def report(f: Figures) -> None:
    clicks = ""
    if f.clicks is not None:
        clicks = f"  trades placed {f.clicks.placed}, failed {f.clicks.failed}"
        if f.clicks.last_error:
            clicks += f" (last: {f.clicks.last_error})"
    drain = f"{f.drain_p99:.0f}" if f.drain_p99 is not None else "-"
    print(
        f"{f.name:<22} sent {f.sent:6d} decoded {f.decoded:6d} lost {f.sent - f.decoded:4d} "
        f"p50 {f.p50:6.1f}  p95 {f.p95:6.1f}  p99 {f.p99:6.1f}  "
        f"max {f.max:6.1f} ms | send->chrome p50/p99 {f.chrome_p50:.1f}/{f.chrome_p99:.1f}  "
        f"chrome->decoded p50/p99 {f.tail_p50:.1f}/{f.tail_p99:.1f}  drain p99 <= {drain} ms  "
        f"load {f.load:.1f}{clicks}",
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(ctx: Context, timeout: float = 30.0) -> str:
    """Until the page shows its trade panel; the current asset's symbol."""
    deadline = time.monotonic() + timeout
    result = session_scan(ctx)
    while not (result.ok and result.data.get("symbol") and result.data.get("balance")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the simulator page did not become ready: {result.error}")
        time.sleep(0.2)
        result = session_scan(ctx)
    return result.data["symbol"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per scenario")
    parser.add_argument("--rates", default="20,200", help="total ticks/s, comma-separated")
    parser.add_argument("--click-every", type=float, default=2.5, help="seconds between trades")
    parser.add_argument("--assets", type=int, default=6, help="tradable assets in the simulator")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="qfdesk-bench-tail-"))
    settings = BrowserSettings(
        chrome_path=CHROMIUM if Path(CHROMIUM).exists() else None,
        chromedriver_path=CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None,
        port=free_port(),
        profile_dir=workdir / "profile",
        url="about:blank",
        headless=True,
        no_sandbox=True,
        extra_args=("--window-size=1400,900",),
    )
    pipeline = Pipeline(TIMEFRAMES.values())
    hub = EventHub()
    pipeline.add_listener(hub.publish)
    clock = DecodeClock(pipeline)
    sim = SimProcess(args.assets, rates[0])
    source = LiveSource(
        settings,
        clock,
        launch=True,
        decode_errors=lambda: pipeline.decoder.stats.malformed_total,
    )
    action_driver = None
    results: list[tuple[Figures, Figures, str]] = []
    print(
        f"bench_tail_latency: {os.cpu_count()} cores, load average "
        f"{'/'.join(f'{v:.1f}' for v in os.getloadavg())} at start, Python "
        f"{sys.version.split()[0]}; {args.duration:.0f} s per scenario, rates {rates}, "
        f"a trade every {args.click_every:.1f} s in the click runs",
        flush=True,
    )
    try:
        sim.start()
        source.start()
        # The page is opened once the tail listens, so every frame it exchanges is logged;
        # the trades use their own session, as in the app (the tail's is never shared).
        action_driver = attach(settings.address, chromedriver_path=settings.chromedriver_path)
        action_driver.get(sim.url)
        ctx = Context(
            driver=action_driver,
            selectors=Selectors.load(user_path=workdir / "no-user-selectors.json"),
            artifacts_dir=workdir / "artifacts",
            events=hub,
            address=settings.address,
        )
        rig = Rig(sim, source, clock, ctx, wait_ready(ctx), args.click_every)
        for rate in rates:
            base, busy, machine = measure_rate(rig, rate, args.duration)
            report(base)
            report(busy)
            print(f"{'':<22} {machine}", flush=True)
            results.append((base, busy, machine))
    except KeyboardInterrupt:
        print("interrupted: cleaning up", flush=True)
    finally:
        detach(action_driver)
        source.stop(close_chrome=True)
        sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    summarise(results, clock, pipeline)
    return 0


def summarise(
    results: list[tuple[Figures, Figures, str]], clock: DecodeClock, pipeline: Pipeline
) -> None:
    if not results:
        return
    print("\nsummary (ms; goal p50 <= 40, p99 <= 100, none lost, p99 ratio ~1):")
    for base, busy, machine in results:
        for f in (base, busy):
            ok = f.p50 <= 40 and f.p99 <= 100 and f.sent == f.decoded
            print(
                f"  {f.name:<22} p50 {f.p50:6.1f}  p95 {f.p95:6.1f}  p99 {f.p99:6.1f}  "
                f"sent/decoded {f.sent}/{f.decoded}  {'meets goal' if ok else 'MISSES goal'}"
            )
        print(f"  p99 with trades / without at {base.rate:g}/s: {busy.p99 / base.p99:.2f}")
        print(f"  {machine}")
    malformed = pipeline.decoder.stats.malformed_total
    print(
        f"  ticks decoded twice: {clock.doubled}; decode errors: {malformed}; "
        f"load average at end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    sys.exit(main())
