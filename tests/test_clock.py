"""ClockOffset: platform time minus UTC from ticks, robust to latency."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from qfdesk.engine.clock import ClockOffset
from qfdesk.engine.events import Tick


def test_unknown_until_first_sample() -> None:
    clock = ClockOffset()
    assert clock.offset is None
    assert clock.platform_now(1000.0) is None
    clock.observe(8200.5, 0.0)  # received unknown: ignored
    clock.observe(float("nan"), 1000.0)
    assert clock.offset is None


def test_latency_never_pushes_the_estimate_past_the_true_offset() -> None:
    rng = random.Random(7)
    clock = ClockOffset()
    true_offset = 7200.0
    min_latency = 0.004
    for i in range(2000):
        platform = 1_756_866_000.0 + i * 0.5
        latency = min_latency + rng.expovariate(1 / 0.3)
        clock.observe(platform, platform - true_offset + latency)
    assert clock.offset is not None
    assert true_offset - 0.05 < clock.offset <= true_offset - min_latency
    assert clock.platform_now(1_756_858_800.0) == pytest.approx(1_756_858_800.0 + clock.offset)


def test_one_delayed_batch_does_not_lower_the_estimate() -> None:
    clock = ClockOffset()
    clock.observe(10_000.0, 2_800.1)  # 0.1 s latency
    for i in range(50):  # a burst logged late, 40 s behind
        clock.observe(10_000.0 + i * 0.01, 2_840.0)
    assert clock.offset == pytest.approx(7199.9)


def test_the_window_follows_a_changed_offset() -> None:
    clock = ClockOffset(window=60.0)
    for i in range(100):
        clock.observe(10_000.0 + i, 2_800.0 + i)  # offset 7200
    assert clock.offset == pytest.approx(7200.0)
    for i in range(100, 130):  # the offset drops to 3600 (clock change)
        clock.observe(6_400.0 + i, 2_800.0 + i)
    assert clock.offset == pytest.approx(7200.0)  # old samples still in the window
    for i in range(130, 200):
        clock.observe(6_400.0 + i, 2_800.0 + i)
    assert clock.offset == pytest.approx(3600.0)


def test_invalid_window() -> None:
    with pytest.raises(ValueError):
        ClockOffset(window=0)


def test_capture_offset_is_about_two_hours(capture_path: Path) -> None:
    from qfdesk.engine.decoder import FrameDecoder

    with capture_path.open(encoding="utf-8") as lines:
        entries = [json.loads(line) for line in lines]
    ticks = [e for e in FrameDecoder().feed_many(entries) if isinstance(e, Tick)]
    assert ticks
    clock = ClockOffset()
    for tick in ticks:
        clock.observe(tick.time, tick.received)
    assert clock.offset is not None
    assert clock.offset == max(t.time - t.received for t in ticks)
    assert 7150.0 < clock.offset <= 7200.5
