"""Frame decoder speed vs the bare parse of the same log lines.

Builds a performance log in the real chromedriver format: binary-attachment ticks for
several assets on the trading socket, one-frame ``42[...]`` ticks on a second socket
interleaved with them, and pings. Reports decoded ticks/s and the ratio of
``FrameDecoder.feed_many`` to the bare parse (entry JSON, message JSON, base64 and
attachment JSON), both measured here in the same run. Goal: ratio <= 1.5.

Run: ``python benchmarks/bench_decode.py [TICK_FRAMES]`` (default 300000).
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable

from qfdesk.engine.decoder import FrameDecoder

ASSETS = ("EURUSD_otc", "AUDCAD_otc", "GBPJPY_otc", "#AAPL_otc", "BTCUSD_otc")
HEADER = '451-["updateStream",{"_placeholder":true,"num":0}]'


def entry(socket_id: str, opcode: int, data: str, wall_ms: int) -> str:
    params = {
        "requestId": socket_id,
        "timestamp": wall_ms / 1000 - 1_756_850_000,
        "response": {"opcode": opcode, "mask": False, "payloadData": data},
    }
    message = {"message": {"method": "Network.webSocketFrameReceived", "params": params}}
    return json.dumps({"level": "INFO", "message": json.dumps(message), "timestamp": wall_ms})


def build_log(tick_frames: int) -> list[str]:
    lines: list[str] = []
    wall_ms = 1_756_859_615_126
    for i in range(tick_frames):
        wall_ms += 50
        t = round(1_756_866_774.962 + i * 0.05, 3)
        price = round(1.1 + (i % 997) * 1e-5, 5)
        if i % 5 == 4:
            text = "42" + json.dumps(["updateStream", [["EURGBP_otc", t, price]]])
            lines.append(entry("3084.678970", 1, text, wall_ms))
        else:
            attachment = json.dumps([[ASSETS[i % len(ASSETS)], t, price]]).encode()
            lines.append(entry("3084.678983", 1, HEADER, wall_ms))
            if i % 7 == 0:
                lines.append(entry("3084.678973", 1, "2", wall_ms))
            lines.append(entry("3084.678983", 2, base64.b64encode(attachment).decode(), wall_ms))
    return lines


def bare_parse(lines: list[str]) -> None:
    loads = json.loads
    b64decode = base64.b64decode
    for line in lines:
        response = loads(loads(line)["message"])["message"]["params"]["response"]
        if response["opcode"] == 2:
            loads(b64decode(response["payloadData"]))


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    tick_frames = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    lines = build_log(tick_frames)
    decoded: list[int] = []

    def decode() -> None:
        decoder = FrameDecoder()
        events = decoder.feed_many(lines)
        decoder.flush()
        decoded.append(len(events))

    # alternate the two so that a busy machine slows both alike; keep each one's best
    rounds = [(timed(lambda: bare_parse(lines)), timed(decode)) for _ in range(3)]
    bare = min(pair[0] for pair in rounds)
    full = min(pair[1] for pair in rounds)
    assert decoded[-1] == tick_frames, decoded
    print(f"log lines:          {len(lines)} ({tick_frames} tick frames)")
    print(f"bare parse:         {bare:.3f} s  ({len(lines) / bare:,.0f} lines/s)")
    print(f"FrameDecoder:       {full:.3f} s  ({tick_frames / full:,.0f} ticks/s)")
    print(f"ratio to bare:      {full / bare:.2f}x  (goal <= 1.5x)")


if __name__ == "__main__":
    main()
