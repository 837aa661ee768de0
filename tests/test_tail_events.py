"""EventHub (socket confirmations for capabilities) and HealthMeter, without a browser."""

from __future__ import annotations

import json
import threading
import time

from qfdesk.browser.event_source import EventHub
from qfdesk.browser.health import HealthMeter
from qfdesk.engine.events import Balance, SymbolChangeRequested, Tick


def test_wait_for_sees_events_published_after_the_mark_only():
    hub = EventHub()
    hub.publish([Tick("A", 1.0, 1.0)])
    mark = hub.mark()
    hub.publish([Tick("B", 2.0, 2.0)])
    found = hub.wait_for(lambda e: isinstance(e, Tick), 0, since=mark)
    assert found == Tick("B", 2.0, 2.0)
    assert hub.wait_for(lambda e: isinstance(e, Tick) and e.asset == "A", 0, since=mark) is None


def test_wait_for_blocks_until_a_matching_event_or_timeout():
    hub = EventHub()
    mark = hub.mark()

    def later() -> None:
        time.sleep(0.1)
        hub.publish([Tick("X", 1.0, 1.0)])
        time.sleep(0.1)
        hub.publish([SymbolChangeRequested("EURUSD_otc", 60)])

    threading.Thread(target=later).start()
    started = time.monotonic()
    event = hub.wait_for(lambda e: isinstance(e, SymbolChangeRequested), 5, since=mark)
    assert event == SymbolChangeRequested("EURUSD_otc", 60)
    assert time.monotonic() - started < 2
    started = time.monotonic()
    assert hub.wait_for(lambda e: isinstance(e, Balance), 0.2) is None
    assert time.monotonic() - started >= 0.19


def test_latest_and_bounded_history():
    hub = EventHub(keep=3)
    hub.publish([Balance(10.0, True), *(Tick("A", float(i), 1.0) for i in range(5))])
    assert hub.latest(Balance) == Balance(10.0, True)
    assert [e.time for e in hub.since(0)] == [2.0, 3.0, 4.0]


def _frame(ts_ms: float) -> dict:
    message = {"message": {"method": "Network.webSocketFrameReceived", "params": {}}}
    return {"level": "INFO", "message": json.dumps(message), "timestamp": ts_ms}


def test_health_meter_counts_frames_latency_and_drain_rhythm():
    meter = HealthMeter(window=5.0)
    now = time.time()
    meter.drained([_frame((now - 0.030) * 1000)], now=now)
    meter.drained([_frame((now + 0.010) * 1000)], now=now + 0.020)
    meter.drained([], now=now + 0.045)
    meter.drained([], now=now + 0.2)
    meter.drained([{"message": "{}", "timestamp": 0}], now=now + 0.3)
    health = meter.snapshot("connected", decode_errors=2, gaps=0)
    assert health.frames_total == 2 and health.entries_total == 3 and health.drains == 5
    assert health.decode_errors == 2
    assert abs(health.drain_interval_max_ms - 25.0) < 1.0
    assert 20.0 < health.drain_interval_p99_ms <= 25.0
    assert abs(health.drain_interval_ms - 22.5) < 1.0
    assert health.latency_ms is not None
