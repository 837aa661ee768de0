"""A real main window on a real simulator and headless Chromium, for the UI tests."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from browser_helpers import free_port, rig_settings
from PySide6 import QtCore

from qfdesk.browser.settings import BrowserSettings
from qfdesk.engine.risk import RiskLimits
from qfdesk.settings.model import MANUAL_LIMITS
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.compose import compose_desk
from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.live_bridge import LiveBridge
from qfdesk.ui.log_panel import QtLogHandler
from qfdesk.ui.main_window import MainWindow


def run(loop: asyncio.AbstractEventLoop, coro, timeout: float = 30.0):
    """Run ``coro`` on the qasync loop (Qt events and asyncio tasks both run meanwhile)."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return bool(predicate())


def wait_until(loop, predicate: Callable[[], object], timeout: float) -> bool:
    return run(loop, until(predicate, timeout), timeout + 5)


class Heartbeat:
    """A 20 ms timer on the GUI thread counting its firings: it only counts while the GUI
    thread is free to run its event loop."""

    def __init__(self) -> None:
        self.beats = 0
        self.timer = QtCore.QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._beat)
        self.timer.start()

    def _beat(self) -> None:
        self.beats += 1


def read_strategy_file(loop, dialog, path: Path, timeout: float = 30.0) -> list[str]:
    """Add a strategy file in the auto-trader's dialog and wait until it is read: the names
    it listed, [] when it refused the file (its error then shows)."""
    answers: list[list[str]] = []
    dialog.fileLoaded.connect(lambda _, names: answers.append(list(names)))
    dialog.fileRefused.connect(lambda _, __: answers.append([]))
    dialog.load_strategy_file(path)
    assert wait_until(loop, lambda: answers, timeout), f"{path} was never read"
    return answers[0]


def pause(loop, seconds: float) -> None:
    run(loop, asyncio.sleep(seconds), seconds + 5)


def ini_store(path: Path) -> LayoutStore:
    return LayoutStore(QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat))


def offline_window(tmp_path: Path, qtbot) -> MainWindow:
    """A shown window with no Chrome, its layout in ``tmp_path``/settings.ini (a second call
    with the same ``tmp_path`` is the next start)."""
    window = compose_desk(
        bridge=LiveBridge(tmp_path / "data", tmp_path / "artifacts"),
        store=ini_store(tmp_path / "settings.ini"),
        data_root=tmp_path / "data",
        browser_settings=BrowserSettings(port=1),
        log_handler=QtLogHandler(),
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


class Desk:
    """MainWindow + LiveBridge; ``connect`` launches headless Chromium on the simulator."""

    def __init__(
        self,
        tmp: Path,
        *,
        data_root: Path | None = None,
        limits: RiskLimits = MANUAL_LIMITS,
        simulated: bool = True,
    ) -> None:
        self.tmp = tmp
        self.data_root = data_root or tmp / "data"
        self.bridge = LiveBridge(self.data_root, tmp / "artifacts")
        self.store = ini_store(tmp / "settings.ini")
        self.handler = QtLogHandler()
        root = logging.getLogger()
        self._root_level = root.level
        root.addHandler(self.handler)
        root.setLevel(min(root.level or logging.INFO, logging.INFO))
        self.settings = rig_settings(tmp / "profile", free_port())
        self.window = compose_desk(
            bridge=self.bridge,
            store=self.store,
            data_root=self.data_root,
            browser_settings=self.settings,
            log_handler=self.handler,
            risk_limits=limits,
            simulated=simulated,
        )
        self.window.resize(1500, 920)
        self.window.show()

    def connect(self, loop, sim: SimulatedPlatform, timeout: float = 30.0) -> None:
        self.window.connect_chrome(self.settings, launch=True, navigate_to=sim.url)
        assert wait_until(loop, lambda: self.bridge.connected, timeout), "no connection"

    def close(self) -> None:
        self.window.close()
        self.bridge.stop(close_chrome=True)
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._root_level)
        self.window.deleteLater()


class GuiWatchdog:
    """A 10 ms timer on the GUI thread recording the gaps between its firings.

    Each gap is also split using Linux's per-thread schedstat: time the thread waited on the
    run queue (runnable, but the machine's CPUs were busy with other processes) is not a
    stall of the app. ``stall`` = gap minus run-queue wait: the thread was working or blocked
    (on Selenium, disk, a lock) -- what the app must keep under 50 ms.
    """

    def __init__(self, interval_ms: int = 10) -> None:
        self._path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)
        self.gaps: list[float] = []
        self.stalls: list[float] = []
        self.gc_pauses: list[tuple[int, float]] = []
        self._gc_started = 0.0
        self.running: list[float] = []
        self._last = (0.0, 0.0, 0.0)

    def _sample(self) -> tuple[float, float, float]:
        run_ns, wait_ns, _ = self._path.read_text().split()
        return time.perf_counter(), int(wait_ns) / 1e9, int(run_ns) / 1e9

    def start(self) -> None:
        self._last = self._sample()
        gc.callbacks.append(self._gc)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        """Collector pauses (any thread), to tell them apart from the app's own work."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            pause = (time.perf_counter() - self._gc_started) * 1000
            self.gc_pauses.append((info["generation"], pause))

    def _beat(self) -> None:
        now, waited, ran = self._sample()
        gap = now - self._last[0]
        self.gaps.append(gap * 1000)
        self.stalls.append((gap - (waited - self._last[1])) * 1000)
        self.running.append((ran - self._last[2]) * 1000)
        self._last = (now, waited, ran)

    def worst(self) -> str:
        """The worst stall: how long the thread ran (the app's work) and was blocked."""
        i = max(range(1, len(self.stalls)), key=self.stalls.__getitem__)
        return (
            f"{self.stalls[i]:.1f} ms (running {self.running[i]:.1f} ms, blocked "
            f"{self.stalls[i] - self.running[i]:.1f} ms)"
        )
