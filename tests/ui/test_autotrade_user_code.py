"""A trader's own strategy file in the real window (offscreen): its code runs in a worker
process, never on the GUI thread. One that hangs (warming up or live) or raises is stopped
and named, the switch goes off with the reason, and the window keeps answering meanwhile;
the worker ends when the auto-trader stops and when the window closes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from desk_helpers import Desk, Heartbeat, read_strategy_file, wait_until

from qfdesk.engine.autotrader import StopReason
from qfdesk.engine.events import AssetInfo, AssetTable, Candle, CandleClosed, HistoryCandles
from qfdesk.engine.strategies.host import TimeBudget
from qfdesk.ui.autotrade_action import OFF_TEXT
from qfdesk.ui.autotrade_controller import history_candles

pytestmark = pytest.mark.gui

ASSET = "EURUSD_otc"
TF = 5
HANG = 2.0  # seconds a hanging strategy is given before it is stopped

USER_FILE = """
from qfdesk.engine.events import Direction
from qfdesk.engine.strategies import Param, Strategy, Vote


class Spin(Strategy):
    name = "spin"
    description = "CALL on every candle; spins for ever at candle hang_at"
    PARAMS = {"hang_at": Param(0, "the candle to hang at (0: never)", int, minimum=0)}

    def reset(self):
        self.seen = 0

    def on_candle(self, candle):
        self.seen += 1
        if self.seen == self.params["hang_at"]:
            while True:
                pass
        return Vote(Direction.CALL, 0.9, f"candle {self.seen}")


class SlowToMake(Strategy):
    name = "slow-to-make"
    description = "spins for ever as soon as it is made"
    PARAMS = {"level": Param(1, "some level", float, minimum=0)}

    def reset(self):
        while True:
            pass

    def on_candle(self, candle):
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
"""


@pytest.fixture
def desk(tmp_path, qloop):
    desk = Desk(tmp_path)
    info = AssetInfo(1, ASSET, "EUR/USD OTC", "currency", 92.0, True, True, (15, 60))
    desk.window.market.apply([AssetTable((info,))])
    desk.window.autotrade.budget = TimeBudget(make=30.0, warm_up=HANG, candle=HANG)
    yield desk
    desk.close()


@pytest.fixture
def user_file(tmp_path) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(USER_FILE)
    return path


def candles(count: int, closed_now: int) -> list[Candle]:
    """Candles of ASSET; the first ``closed_now`` have just closed by the local clock."""
    begin = int(time.time()) // TF * TF - TF * closed_now
    return [Candle(ASSET, TF, begin + TF * i, 1.0, 1.0, 1.0, 1.0) for i in range(count)]


def start(desk: Desk, qloop, user_file: Path, name: str, params: str = "") -> None:
    controller = desk.window.autotrade
    controller.switch.trigger()
    dialog = controller.dialog
    assert name in read_strategy_file(qloop, dialog, user_file)
    dialog.choose_strategy(name, f"{params} expiry=15")
    dialog.choose_assets([ASSET])
    dialog.choose_timeframe(TF)
    dialog.start_button.click()
    assert controller.starting, dialog.error.text()


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def assert_stopped_with(desk: Desk, qloop, *parts: str) -> str:
    controller = desk.window.autotrade
    assert wait_until(qloop, lambda: controller.stop_box is not None, 30), "no stop reported"
    box = controller.stop_box
    assert box.isVisible()
    for part in parts:
        assert part in box.text()
    assert not controller.running and not controller.switch.isChecked()
    assert controller.switch.text() == OFF_TEXT and not controller.switch.badge.isVisible()
    assert "stopped itself" in desk.window.trade_panel.message.text()
    text = box.text()
    box.close()
    return text


def test_a_strategy_hanging_on_a_live_candle_is_stopped_while_the_window_keeps_answering(
    desk, qloop, user_file
):
    window = desk.window
    controller = window.autotrade
    start(desk, qloop, user_file, "spin", "hang_at=1")
    assert wait_until(qloop, lambda: controller.running, 30), window.trade_panel.message.text()
    worker = controller.host.process
    assert worker is not None and worker.alive and worker.pid != os.getpid()
    (candle,) = candles(1, closed_now=1)

    heart = Heartbeat()
    window.bridge.eventsReady.emit([CandleClosed(candle, "tick")])
    text = assert_stopped_with(
        desk,
        qloop,
        f"strategy spin on {ASSET} stopped at candle {candle.start}",
        f"took longer than its {HANG:g} s time budget and was stopped",
    )
    beats = heart.beats
    heart.timer.stop()
    # HANG seconds of a free GUI thread are 100 beats; a blocked one would give at most 1.
    assert beats >= 10, f"the GUI thread was blocked: {beats} beats while the strategy spun"
    assert controller.last_stop.reason is StopReason.STRATEGY_OVERRAN
    assert StopReason.STRATEGY_OVERRAN.value in text
    assert wait_until(qloop, lambda: gone(worker.pid), 10), "the spinning worker was killed"
    assert controller.host is None
    assert controller.trader.orders == {}


def test_a_strategy_hanging_while_warming_up_at_start_is_stopped_and_named(desk, qloop, user_file):
    window = desk.window
    history = tuple(candles(6, closed_now=8))
    window.bridge.pipeline.feed_events([HistoryCandles(ASSET, TF, history, "test")])
    # The store takes the last history candle for one still forming until a tick says not.
    assert wait_until(qloop, lambda: len(history_candles(window.market, ASSET, TF)) == 5, 10)
    heart = Heartbeat()
    start(desk, qloop, user_file, "spin", "hang_at=3")
    assert_stopped_with(
        desk,
        qloop,
        f"strategy spin on {ASSET} stopped while warming up on 5 candles from {history[0].start}",
        "time budget",
    )
    beats = heart.beats
    heart.timer.stop()
    assert beats >= 10, f"the GUI thread was blocked: {beats} beats while the strategy spun"
    assert window.autotrade.host is None
    assert window.autotrade.trader.orders == {}


def test_a_raising_strategy_is_stopped_with_its_error_and_named(desk, qloop, user_file):
    controller = desk.window.autotrade
    start(desk, qloop, user_file, "broken")
    assert wait_until(qloop, lambda: controller.running, 30)
    live = [CandleClosed(c, "tick") for c in candles(3, closed_now=3)]
    desk.window.bridge.eventsReady.emit(live)
    assert_stopped_with(
        desk,
        qloop,
        "every strategy failed",
        f"strategy broken on {ASSET} stopped at candle {live[1].candle.start}: "
        "it raised ZeroDivisionError: my bug",
    )
    assert controller.last_stop.reason is StopReason.STRATEGIES_FAILED


def test_the_worker_ends_when_the_trader_switches_off_and_when_the_window_closes(
    desk, qloop, user_file
):
    controller = desk.window.autotrade
    start(desk, qloop, user_file, "spin")
    assert wait_until(qloop, lambda: controller.running, 30)
    first = controller.host.process
    controller.switch.trigger()
    assert not controller.running and controller.switch.text() == OFF_TEXT
    assert wait_until(qloop, lambda: gone(first.pid), 10), "switched off, the worker ends"

    start(desk, qloop, user_file, "spin")
    assert wait_until(qloop, lambda: controller.running, 30)
    second = controller.host.process
    assert second.pid != first.pid and second.alive
    desk.window.close()
    assert wait_until(qloop, lambda: gone(second.pid), 10), "the window closed, the worker ends"
    assert not controller.running


def test_a_strategy_that_hangs_when_made_is_refused_by_name_and_never_runs_in_the_window(
    desk, qloop, user_file
):
    controller = desk.window.autotrade
    controller.budget = TimeBudget(make=HANG)
    controller.switch.trigger()
    dialog = controller.dialog
    assert "slow-to-make" in read_strategy_file(qloop, dialog, user_file)
    tip = dialog.strategies.item(dialog._row("slow-to-make"), 1).toolTip()
    assert "spins for ever" in tip and "level=1: some level" in tip, "described, not made"
    dialog.choose_strategy("slow-to-make", "level=-1")
    dialog.choose_assets([ASSET])
    dialog.start_button.click()
    assert "level must be >= 0" in dialog.error.text(), "its parameters are still checked"
    dialog.choose_strategy("slow-to-make", "level=2")
    heart = Heartbeat()
    dialog.start_button.click()
    assert controller.starting
    assert wait_until(qloop, lambda: not controller.starting, 30)
    beats = heart.beats
    heart.timer.stop()
    assert beats >= 10, f"the GUI thread was blocked: {beats} beats while the strategy spun"
    message = desk.window.trade_panel.message.text()
    assert message.startswith("Auto-trader not started: strategy slow-to-make from")
    assert f"took longer than its {HANG:g} s time budget to load and was stopped" in message
    assert not controller.running and controller.switch.text() == OFF_TEXT
    assert controller.host is None


APP = """
import sys
from pathlib import Path

from PySide6 import QtCore

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.events import AssetInfo, AssetTable
from qfdesk.engine.strategies.host import TimeBudget
from qfdesk.ui.app import create_event_loop, create_qapp, run_until_closed
from qfdesk.ui.desktop import _close_on_sigterm
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.main_window import MainWindow

tmp, strategies = Path(sys.argv[1]), Path(sys.argv[2])
app = create_qapp()
loop = create_event_loop(app)
window = compose_desk(
    bridge=LiveBridge(tmp / "data", tmp / "artifacts"),
    store=LayoutStore(QtCore.QSettings(str(tmp / "layout.ini"), QtCore.QSettings.Format.IniFormat)),
    data_root=tmp / "data",
    browser_settings=BrowserSettings(port=1),
    log_handler=QtLogHandler(),
)
_close_on_sigterm(window)
window.show()
info = AssetInfo(1, "EURUSD_otc", "EUR/USD OTC", "currency", 92.0, True, True, (15, 60))
window.market.apply([AssetTable((info,))])
controller = window.autotrade
controller.budget = TimeBudget(make=600.0)


def start():
    controller.switch.trigger()
    dialog = controller.dialog
    dialog.fileLoaded.connect(lambda *_: chosen(dialog))
    dialog.load_strategy_file(strategies)


def chosen(dialog):
    dialog.choose_strategy("slow-to-make")
    dialog.choose_assets(["EURUSD_otc"])
    dialog.start_button.click()
    if not controller.starting:
        print("refused", dialog.error.text(), flush=True)
        window.close()
    waiting.start()


def tell():
    host = controller.host
    if host is not None and host.process is not None:
        print("worker", host.process.pid, flush=True)
        waiting.stop()


waiting = QtCore.QTimer(window)
waiting.setInterval(50)
waiting.timeout.connect(tell)
QtCore.QTimer.singleShot(0, start)
run_until_closed(loop, window, lambda: print("closed", flush=True))
"""


def test_sigterm_ends_the_app_and_its_worker_while_a_strategy_hangs(tmp_path, user_file):
    (tmp_path / "app.py").write_text(APP)
    root = Path(__file__).resolve().parents[2]
    app = subprocess.Popen(
        [sys.executable, str(tmp_path / "app.py"), str(tmp_path), str(user_file)],
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(root),
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
    )
    try:
        line = app.stdout.readline()
        assert line.startswith("worker "), f"the app never started the worker: {line!r}"
        worker = int(line.split()[1])
        time.sleep(0.5)  # spinning in the strategy's reset now, with 600 s to go
        assert not gone(worker)
        app.send_signal(signal.SIGTERM)
        assert app.wait(60) == 0
        assert app.stdout.read().strip() == "closed"
        deadline = time.monotonic() + 10
        while not gone(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(worker), "the worker outlived the app"
    finally:
        app.kill()
        app.wait(10)
