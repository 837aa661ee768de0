"""``qfdesk replay`` as a trader runs it vs the bare parse of the same log file.

Builds a performance log in the real chromedriver format (``bench_decode.build_log``:
several assets, one-frame ticks on a second socket, pings on a third, interleaved), writes it
to a file, then times, in the same run, alternating so a busy machine slows all alike:

- bare parse: read the file and ``json.loads`` every line's entry and message, base64 and
  ``json.loads`` every attachment (stdlib only, in this process);
- the command: ``python -m qfdesk replay LOG`` as a process (start-up, reading, batching,
  decoding, candles for 1m and 5m, writing candles and ticks to CSV, the summary), as a
  trader runs it;
- the command with ``--no-save-candles --no-save-ticks``: the same without the disk;
- the pipeline alone: ``Pipeline`` fed the lines in memory in the command's batches.

Each is timed as wall-clock and as CPU time (this process's, or the command's own from
``getrusage``): on a machine shared with other work the CPU-time ratio is the one to read.
Goal: the command at most 1.2x the bare parse.
Run: ``python benchmarks/bench_replay.py [TICK_FRAMES]`` (default 300000).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_decode import build_log

from qfdesk.commands.replay import BATCH_LINES
from qfdesk.engine.pipeline import Pipeline, PipelineSummary

TIMEFRAMES = (60, 300)
ROUNDS = 3
REPO = Path(__file__).resolve().parent.parent


def bare_parse(log: Path) -> int:
    loads = json.loads
    b64decode = base64.b64decode
    attachments = 0
    with log.open(encoding="utf-8") as stream:
        for line in stream:
            response = loads(loads(line)["message"])["message"]["params"]["response"]
            if response["opcode"] == 2:
                loads(b64decode(response["payloadData"]))
                attachments += 1
    return attachments


def command(log: Path, data: Path, *flags: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "qfdesk", "replay", str(log), "--data-dir", str(data)]
        + ["--timeframes", "1m,5m", *flags],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def pipeline(lines: list[str]) -> PipelineSummary:
    fed = Pipeline(TIMEFRAMES)
    for i in range(0, len(lines), BATCH_LINES):
        fed.feed(lines[i : i + BATCH_LINES])
    return fed.finish()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds of ``work`` (its own and its child processes')."""
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    result = work()
    used = time.process_time() - cpu + _children_cpu() - children
    return time.perf_counter() - start, used, result


def main() -> None:
    tick_frames = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    lines = build_log(tick_frames)
    with tempfile.TemporaryDirectory() as root:
        log = Path(root) / "perf.jsonl"
        log.write_text("\n".join(lines) + "\n", encoding="utf-8")
        size = log.stat().st_size
        best: dict[str, float] = {}
        best_cpu: dict[str, float] = {}
        out: dict[str, object] = {}
        work: dict[str, Callable[[], object]] = {
            "bare": lambda: bare_parse(log),
            "command": lambda: command(log, Path(tempfile.mkdtemp(dir=root))),
            "no disk": lambda: command(
                log, Path(tempfile.mkdtemp(dir=root)), "--no-save-candles", "--no-save-ticks"
            ),
            "pipeline": lambda: pipeline(lines),
        }
        for _ in range(ROUNDS):
            for name, job in work.items():
                seconds, cpu, out[name] = timed(job)
                best[name] = min(best.get(name, seconds), seconds)
                best_cpu[name] = min(best_cpu.get(name, cpu), cpu)
    written = str(out["command"])
    assert f"ticks written:    {tick_frames}" in written, written
    summary = out["pipeline"]
    assert isinstance(summary, PipelineSummary)
    assert sum(summary.ticks_by_asset.values()) == tick_frames
    bare, bare_cpu = best["bare"], best_cpu["bare"]
    print(
        f"log:                        {len(lines):,} lines, {size / 1e6:,.0f} MB "
        f"({tick_frames:,} tick frames), best of {ROUNDS}"
    )
    print(f"{'':28}{'wall':>8}  {'ticks/s':>10}  {'ratio':>6}  {'CPU':>8}  {'ratio':>6}")
    for name, label in (
        ("bare", "bare stdlib parse"),
        ("command", "qfdesk replay (disk on)"),
        ("no disk", "qfdesk replay --no-save-*"),
        ("pipeline", "pipeline alone, in memory"),
    ):
        seconds, cpu = best[name], best_cpu[name]
        print(
            f"{label + ':':<28}{seconds:6.2f} s  {tick_frames / seconds:>10,.0f}  "
            f"{seconds / bare:5.2f}x  {cpu:6.2f} s  {cpu / bare_cpu:5.2f}x"
        )
    print(
        f"ratio command / bare:       {best['command'] / bare:.2f}x wall, "
        f"{best_cpu['command'] / bare_cpu:.2f}x CPU  (goal <= 1.2x)"
    )


if __name__ == "__main__":
    main()
