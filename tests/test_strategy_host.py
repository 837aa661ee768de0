"""The strategy host: a trader's own strategies run in a worker process within time budgets;
one that hangs or raises is stopped and named, and the worker never outlives the app."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qfdesk.engine.autotrader import AutoTradeConfig, AutoTrader, Stop, StopReason, StrategyChoice
from qfdesk.engine.events import Candle, CandleClosed
from qfdesk.engine.risk import AccountState, RiskLimits, RiskManager
from qfdesk.engine.strategies import StrategyError, StrategyRegistry, StrategyRunner
from qfdesk.engine.strategies.host import Outcome, RemoteRunner, StrategyHost, TimeBudget

TF = 60
ASSET = "AUDCAD_otc"

USER_FILE = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class Turns(Strategy):
    name = "turns"
    description = "CALL after a fall then a rise, PUT after a rise then a fall"
    PARAMS = {"hang_at": Param(0, "hang at this candle (0: never)", int, minimum=0)}

    def reset(self):
        self.closes, self.seen = [], 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen == self.params["hang_at"]:
            while True:
                pass
        self.closes = (self.closes + [candle.close])[-3:]
        if len(self.closes) < 3:
            return None
        a, b, c = self.closes
        if a > b < c:
            return Vote(Direction.CALL, 0.7, f"turned up at {c}")
        if a < b > c:
            return Vote(Direction.PUT, 0.7, f"turned down at {c}")
        return None


class Broken(Strategy):
    name = "broken"

    def reset(self):
        self.seen = 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen == 2:
            raise ZeroDivisionError("my bug")
        return None


class SlowToMake(Strategy):
    name = "slow-to-make"

    def reset(self):
        while True:
            pass

    def on_candle(self, candle):
        return None
"""


@pytest.fixture(scope="module")
def real_candles(quflx_csv_dir) -> list[Candle]:
    """AUDCAD_otc 1m candles from the real QuantumFlux CSVs, in time order."""
    rows: dict[int, Candle] = {}
    for path in sorted((quflx_csv_dir / "1M_candles").glob(f"{ASSET}_1m_*.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                when = datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%SZ")
                start = int(when.replace(tzinfo=UTC).timestamp())
                values = (float(row[k]) for k in ("open", "high", "low", "close"))
                rows[start] = Candle(ASSET, TF, start, *values)
    assert len(rows) > 50
    return [rows[start] for start in sorted(rows)]


@pytest.fixture
def registry(tmp_path) -> StrategyRegistry:
    path = tmp_path / "mine.py"
    path.write_text(USER_FILE)
    registry = StrategyRegistry()
    registry.load_file(path)
    return registry


@pytest.fixture
def host(registry):
    host = StrategyHost(registry, TimeBudget(make=10.0, warm_up=10.0, candle=1.0))
    yield host
    host.close()
    assert host.join(30), "the host's thread ended"


def in_job(host: StrategyHost, job):
    """Run ``job`` on the host's thread, as the app does; its outcome."""
    outcomes: list[Outcome] = []
    finished = threading.Event()

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        finished.set()

    host.submit(job, done)
    assert finished.wait(60), "the job never finished"
    return outcomes[0]


def gone(pid: int) -> bool:
    """True once ``pid`` is no process any more (or an unreaped corpse)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_a_traders_own_strategy_gives_in_the_worker_what_it_gives_in_process(
    host, registry, real_candles
):
    history, live = real_candles[:20], real_candles[20:]
    remote = in_job(host, lambda: host.runner("turns", {"expiry": 30}, ASSET, TF)).value
    assert isinstance(remote, RemoteRunner)
    imported = StrategyRegistry(import_files=True)
    imported.import_file(host.registry.origin("turns")[2])
    here = StrategyRunner(imported.create("turns", {"expiry": 30}), ASSET, TF)
    assert host.process is not None and host.process.pid != os.getpid()

    in_job(host, lambda: remote.warm_up(history))
    here.warm_up(history)
    assert remote.has_seen(history[-1].start) and not remote.has_seen(live[0].start)
    remote_signals = [remote.on_candle(c, c.start + TF) for c in live]
    here_signals = [here.on_candle(c, c.start + TF) for c in live]
    assert remote_signals == here_signals
    assert sum(s is not None for s in remote_signals) > 5, "the real candles turn often"
    assert {s.expiry for s in remote_signals if s} == {30}
    assert remote.on_candle(live[-1], live[-1].start + TF) is None, "no candle twice"
    assert remote.error is None and not remote.overran
    forming = Candle(ASSET, TF, live[-1].start + TF, 1.0, 1.0, 1.0, 1.0)
    assert remote.on_candle(forming, forming.start + 1) is None, "a forming candle is refused"
    assert not remote.has_seen(forming.start)


def test_a_hanging_strategy_is_stopped_after_its_budget_and_named(host, real_candles):
    remote = host.runner("turns", {"hang_at": 3}, ASSET, TF)
    process = host.process
    assert process is not None and process.alive
    first, second, third = real_candles[:3]
    remote.on_candle(first, first.start + TF)
    remote.on_candle(second, second.start + TF)
    assert remote.on_candle(third, third.start + TF) is None
    assert remote.overran and remote.stopped
    assert remote.error == (
        f"strategy turns on {ASSET} stopped at candle {third.start}: "
        "it took longer than its 1 s time budget and was stopped"
    )
    assert wait_for(lambda: gone(process.pid), 10), "the spinning worker was killed"
    assert remote.on_candle(real_candles[3], real_candles[3].start + TF) is None
    assert "1 s time budget" in str(remote.error), "the first reason stays"


def test_a_hang_while_warming_up_is_stopped_with_the_warm_up_budget(registry, real_candles):
    host = StrategyHost(registry, TimeBudget(warm_up=0.5, candle=30.0))
    try:
        remote = host.runner("turns", {"hang_at": 10}, ASSET, TF)
        remote.warm_up(real_candles[:20])
        assert remote.overran
        assert f"stopped while warming up on 20 candles from {real_candles[0].start}" in str(
            remote.error
        )
        assert "0.5 s time budget" in str(remote.error)
    finally:
        host.close()
        assert host.join(30)


def test_a_raising_strategy_is_stopped_with_its_error_and_named(host, real_candles):
    remote = host.runner("broken", {}, ASSET, TF)
    for candle in real_candles[:3]:
        assert remote.on_candle(candle, candle.start + TF) is None
    assert not remote.overran
    assert remote.error == (
        f"strategy broken on {ASSET} stopped at candle {real_candles[1].start}: "
        "it raised ZeroDivisionError: my bug"
    )
    assert host.process is not None and host.process.alive, "a raise kills nothing"


def test_a_strategy_that_hangs_while_being_made_is_refused_by_name(registry):
    host = StrategyHost(registry, TimeBudget(make=0.5))
    try:
        with pytest.raises(StrategyError, match="strategy slow-to-make from .*mine.py took"):
            host.runner("slow-to-make", {}, ASSET, TF)
        with pytest.raises(StrategyError, match="turns: unknown parameter nope"):
            host.runner("turns", {"nope": 1}, ASSET, TF)
    finally:
        host.close()
        assert host.join(30)


def test_built_in_strategies_run_on_the_hosts_thread_without_a_worker(host):
    runner = in_job(host, lambda: host.runner("sma-cross", {"fast": 2, "slow": 5}, ASSET, TF))
    assert isinstance(runner.value, StrategyRunner)
    assert host.process is None, "trusted code needs no worker process"


def test_jobs_run_in_order_and_their_errors_are_handed_over(host):
    order: list[int] = []
    threads: set[str] = set()

    def job(i: int) -> int:
        threads.add(threading.current_thread().name)
        order.append(i)
        return i

    for i in range(5):
        host.submit(lambda i=i: job(i), lambda outcome: None)
    failed = in_job(host, lambda: 1 / 0)
    assert order == [0, 1, 2, 3, 4]
    assert threads == {"qfdesk-strategy-host"}
    assert isinstance(failed.error, ZeroDivisionError) and failed.value is None


def test_closing_the_host_ends_its_worker_even_in_the_middle_of_a_hang(registry, real_candles):
    host = StrategyHost(registry, TimeBudget(candle=600.0))
    remote = in_job(host, lambda: host.runner("turns", {"hang_at": 1}, ASSET, TF)).value
    process = host.process
    candle = real_candles[0]
    host.submit(lambda: remote.on_candle(candle, candle.start + TF), lambda outcome: None)
    time.sleep(0.5)  # the worker is spinning now
    host.close()
    assert host.join(30), "the host's thread ended"
    assert gone(process.pid) and not process.alive
    assert "could not run: the strategy worker process ended" in str(remote.error)
    assert not remote.overran, "closed, not over budget"
    host.submit(lambda: pytest.fail("a job after close ran"), lambda outcome: None)


PARENT = """
import sys, time
from qfdesk.engine.events import Candle
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.engine.strategies.host import StrategyHost, TimeBudget

registry = StrategyRegistry()
registry.load_file(sys.argv[1])
host = StrategyHost(registry, TimeBudget(candle=600.0))
runner = host.runner("turns", {"hang_at": 1}, "AUDCAD_otc", 60)
print(host.process.pid, flush=True)
runner.on_candle(Candle("AUDCAD_otc", 60, 0, 1.0, 1.0, 1.0, 1.0), 60.0)
"""


def test_the_worker_dies_with_the_app_even_when_the_app_is_killed(tmp_path):
    (tmp_path / "mine.py").write_text(USER_FILE)
    (tmp_path / "parent.py").write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py"), str(tmp_path / "mine.py")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.5)  # spinning in the strategy now
        assert not gone(worker)
        parent.kill()
        parent.wait(10)
        assert wait_for(lambda: gone(worker), 10), "the worker outlived the killed app"
    finally:
        parent.kill()
        parent.wait(10)


def rig_trader(host: StrategyHost, strategies: tuple[StrategyChoice, ...], stops: list[Stop]):
    return AutoTrader(
        AutoTradeConfig(strategies, (ASSET,), TF, paper=True),
        host.registry,
        RiskManager(RiskLimits(min_payout=0, max_open_trades=None, max_trades_per_hour=None)),
        lambda order: None,
        payout_of=lambda asset: 90.0,
        account=lambda: AccountState(1000.0, is_demo=True),
        on_stop=stops.append,
        make_runner=host.runner,
    )


def test_the_auto_trader_stops_when_a_strategy_overruns_naming_it(host, real_candles):
    stops: list[Stop] = []
    choices = (StrategyChoice("sma-cross", {"fast": 1, "slow": 2}), StrategyChoice("turns"))
    trader = rig_trader(host, (*choices, StrategyChoice("turns", {"hang_at": 6})), stops)
    history = real_candles[:5]
    trader.act(trader.warm_up(lambda asset, tf: history), history[-1].start + TF)
    assert trader.running
    candle = real_candles[5]
    now = candle.start + TF + 0.5
    evaluation = trader.evaluate([CandleClosed(candle, "tick")], now)
    assert evaluation.failed == (2,)
    trader.act(evaluation, now)
    assert [s.reason for s in stops] == [StopReason.STRATEGY_OVERRAN]
    assert stops[0].text.startswith(f"strategy turns on {ASSET} stopped at candle {candle.start}")
    assert trader.orders == {}, "nothing traded in the batch it stopped in"


def test_a_signal_acted_on_too_late_is_not_traded(host, real_candles):
    stops: list[Stop] = []
    trader = rig_trader(host, (StrategyChoice("sma-cross", {"fast": 1, "slow": 2}),), stops)
    found = []
    for candle in real_candles[:30]:
        now = candle.start + TF + 0.5
        evaluation = trader.evaluate([CandleClosed(candle, "tick")], now)
        if evaluation.signals:
            found.append((evaluation, candle))
    assert len(found) >= 2
    (late, candle), (timely, then) = found[:2]
    assert trader.act(late, candle.start + TF + trader.config.max_candle_age + 1) == []
    assert trader.signals == [], "a late signal is dropped, not recorded"
    assert len(trader.act(timely, then.start + TF + 0.5)) == 1
    assert stops == []


def test_the_registry_describes_and_checks_a_traders_own_strategy_without_making_it(registry):
    description, values, known = registry.describe("slow-to-make")
    assert description == "slow-to-make" and values == {"expiry": 60}
    assert known["expiry"].help == "trade duration in seconds"
    assert registry.check("slow-to-make", {"expiry": "30"}) == {"expiry": 30}
    with pytest.raises(StrategyError, match="slow-to-make: unknown parameter level"):
        registry.check("slow-to-make", {"level": 1})
    with pytest.raises(StrategyError, match="fast must be shorter than slow"):
        registry.check("sma-cross", {"fast": 5, "slow": 3})
    assert registry.origin("sma-cross") == ("sma-cross", {}, None)
    assert registry.origin("turns", {"hang_at": 2})[2].name == "mine.py"
