"""The history pager's own rules, answered in process by a platform of candles: pages move
the frontier, silence is retried then reported, a stop stops at once."""

from __future__ import annotations

import threading
import time

from qfdesk.engine.backfill import HistoryPager, Outcome, PageRequest
from qfdesk.engine.events import Candle, HistoryCandles

START = 1_795_000_020 // 60 * 60


class Platform:
    """Answers each request with the candles it holds before ``end``, newest ``count``."""

    def __init__(self, starts: list[int], answer: bool = True) -> None:
        self.starts = sorted(starts)
        self.answer = answer
        self.pager: HistoryPager | None = None
        self.asked: list[PageRequest] = []

    def send(self, request: PageRequest) -> str | None:
        self.asked.append(request)
        if self.answer and self.pager is not None:
            lo = request.end - request.count * request.timeframe
            rows = [
                Candle("A", 60, s, 1.0, 1.1, 0.9, 1.05)
                for s in self.starts
                if lo <= s < request.end
            ]
            newer = Candle("A", 60, request.end, 1.0, 1.1, 0.9, 1.05)  # a page nobody asked for
            threading.Timer(
                0.01,
                lambda: self.pager.on_events(  # type: ignore[union-attr]
                    [
                        HistoryCandles("A", 60, (newer,), "loadHistoryPeriodFast"),
                        HistoryCandles("A", 60, tuple(rows), "loadHistoryPeriodFast"),
                    ]
                ),
            ).start()
        return None


def pager(platform: Platform, target: int, **kwargs) -> HistoryPager:
    made = HistoryPager("A", 60, START, target, platform.send, pace=100.0, **kwargs)
    platform.pager = made
    return made


def test_pages_move_back_to_the_target_and_a_hole_is_one_gap() -> None:
    starts = [START - 60 * i for i in range(1, 1001) if not 300 <= i < 420]
    platform = Platform(starts)
    final = pager(platform, START - 1000 * 60, page_candles=100).run(threading.Event())
    assert final.outcome is Outcome.DONE and final.frontier == START - 1000 * 60
    assert final.candles == 1000 - 120
    assert [(g.start, g.end) for g in final.gaps] == [(START - 419 * 60, START - 299 * 60)]
    assert [r.end for r in platform.asked][:3] == [START, START - 6000, START - 12000]
    assert len(platform.asked) == 11  # ten pages of 1000 minutes, and one more for the hole


def test_silence_is_asked_again_then_reported_with_what_to_do() -> None:
    platform = Platform([], answer=False)
    final = pager(platform, START - 86400, answer_timeout=0.1, attempts=3).run(threading.Event())
    assert final.outcome is Outcome.FAILED
    assert len(platform.asked) == 3 and {r.end for r in platform.asked} == {START}
    assert "3 requests for history before" in final.message and "run again" in final.message


def test_history_that_ends_is_not_asked_for_for_ever() -> None:
    platform = Platform([START - 60 * i for i in range(1, 11)])
    final = pager(platform, START - 30 * 86400, page_candles=1000, max_empty=86400).run(
        threading.Event()
    )
    assert final.outcome is Outcome.HISTORY_ENDS and final.candles == 10
    assert len(platform.asked) == 3  # the page with ten, then 2000 empty minutes
    assert "no A history before" in final.message


def test_a_stop_ends_the_run_between_requests() -> None:
    platform = Platform([START - 60 * i for i in range(1, 100_000)])
    stop = threading.Event()
    made = HistoryPager("A", 60, START, START - 60 * 99_999, platform.send, pace=2.0)
    platform.pager = made
    threading.Timer(0.7, stop.set).start()
    began = time.monotonic()
    final = made.run(stop)
    assert final.outcome is Outcome.STOPPED and time.monotonic() - began < 1.5
    assert len(platform.asked) == 2  # paced: one at once, the next half a second later
    assert 0 < final.fraction < 0.05 and final.eta is not None
