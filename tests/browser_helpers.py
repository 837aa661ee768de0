"""Real headless Chromium + chromedriver rigs for the browser tests (no mocks).

A rig starts Chrome on a free port with a temporary profile on a blank page, attaches the tail
session (performance log) and an action session, wires TailWorker -> FrameDecoder -> EventHub,
and only then opens the simulator's page, so that every frame the page exchanges is logged.
Chrome's whole process group is killed on exit, whatever happened.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from qfdesk.browser.attach import attach, detach
from qfdesk.browser.chrome_launcher import ChromeEndpoint, free_port, launch_chrome
from qfdesk.browser.event_source import DecodingFeed, EventHub
from qfdesk.browser.settings import BrowserSettings
from qfdesk.browser.tail import TailState, TailWorker
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import Tick

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

needs_browser = pytest.mark.usefixtures("installed_browser")
"""Browser tests fail, never skip, without Chromium: a missing browser must not pass for green."""


def rig_settings(profile: Path, port: int, url: str = "about:blank") -> BrowserSettings:
    return BrowserSettings(
        chrome_path=str(CHROMIUM) if CHROMIUM.exists() else None,
        port=port,
        profile_dir=profile,
        url=url,
        headless=True,
        no_sandbox=True,
        extra_args=("--window-size=1400,900",),
    )


@dataclass
class Collected:
    """Every entry batch and decoded event the tail delivered, thread-safe."""

    entries: int = 0
    events: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entries: int, events: list) -> None:
        with self.lock:
            self.entries += entries
            self.events.extend(events)

    def ticks(self) -> list[Tick]:
        with self.lock:
            return [e for e in self.events if isinstance(e, Tick)]


class ChromeRig:
    """Chrome + tail + action session + event hub on one simulator."""

    def __init__(self, profile: Path, port: int | None = None) -> None:
        self.profile = profile
        self.port = port or free_port()
        self.settings = rig_settings(profile, self.port)
        self.endpoint: ChromeEndpoint | None = None
        self.decoder = FrameDecoder()
        self.hub = EventHub()
        self.collected = Collected()
        self.states: list[tuple[float, TailState]] = []
        self.tail: TailWorker | None = None
        self.driver = None
        self.token: str | None = None
        self._feed = DecodingFeed(
            self.decoder, self.hub, forward=lambda ev: self.collected.add(0, ev)
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def launch(self) -> ChromeRig:
        self.endpoint = launch_chrome(self.settings)
        return self

    def _on_entries(self, entries: list[dict]) -> None:
        self._feed(entries)
        if self.token is None:
            self.token = find_token(entries)

    def start_tail(self) -> TailWorker:
        self.tail = TailWorker(
            lambda: attach(self.address, performance_log=True, command_timeout=5.0),
            self._on_entries,
            on_state=lambda s: self.states.append((time.time(), s)),
            decode_errors=lambda: self.decoder.stats.malformed_total,
        )
        self.tail.start()
        assert self.tail.wait_for_state(TailState.CONNECTED, 15), "the tail did not attach"
        return self.tail

    def start_on(self, url: str) -> TailWorker:
        """Launch Chrome, start the tail, then open ``url`` and wait until the page is ready."""
        self.launch()
        tail = self.start_tail()
        self.open_page(url)
        self.wait_ready()
        return tail

    def open_page(self, url: str) -> None:
        if self.driver is None:
            self.driver = attach(self.address)
        self.driver.get(url)

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Until the page shows a current asset, buttons and a balance (page + socket up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = self.driver.execute_script(
                "const s = window.__qfsim;"
                "return !!(s && s.authed && s.current && s.balance !== null"
                " && document.querySelector('.assets-favorites-item'));"
            )
            if ready:
                return
            time.sleep(0.1)
        raise AssertionError("the simulator page did not become ready")

    def restart_chrome(self) -> None:
        self.endpoint = launch_chrome(self.settings)

    def close(self) -> None:
        if self.tail is not None:
            self.tail.stop()
        detach(self.driver)
        if self.endpoint is not None and self.endpoint.process is not None:
            self.endpoint.process.kill()


def find_token(entries: list[dict]) -> str | None:
    """The session token of the page's ``auth`` frame, so tests can prove it leaks nowhere."""
    for entry in entries:
        message = entry.get("message", "")
        if "webSocketFrameSent" not in message or "auth" not in message:
            continue
        payload = json.loads(message)["message"]["params"]["response"]["payloadData"]
        if payload.startswith('42["auth"'):
            return json.loads(payload[2:])[1]["session"]
    return None


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
