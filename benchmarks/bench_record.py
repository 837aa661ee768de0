"""Recording traffic (``collect --record``, *Record traffic*) vs the pipeline it rides beside.

The tail's delivery thread hands each batch to ``Recorder.write`` (a queue put) and then to
``Pipeline.feed``; the recorder's own thread scrubs and writes. Times, in the same run, on a
performance log in the real chromedriver format (``bench_decode.build_log``), as entry dicts
in the tail's batch size:

- pipeline: ``Pipeline.feed`` of every batch (decode, candles for 1m and 5m), no disk;
- tail side: the ``Recorder.write`` calls alone (what recording adds to the tail's thread);
- recorder thread: first write to ``close`` returning (scrub, JSON line, write, flush).

All in CPU seconds, so a machine busy with other work does not skew the ratios: the
pipeline and the tail side in this thread's (``time.thread_time``), the recorder's as the
process's less this thread's over the same span (it is the only other thread working).

Goals: the tail side at most 2% of the pipeline, and the recorder thread at most 1x the
pipeline (it keeps up with the tail on its own core).
Run: ``python benchmarks/bench_record.py [TICK_FRAMES]`` (default 200000).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from bench_decode import build_log

from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.recording import Recorder

TIMEFRAMES = (60, 300)
BATCH = 20  # entries a drain brings at a few ticks a second on several assets


def main() -> None:
    tick_frames = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    entries = [json.loads(line) for line in build_log(tick_frames)]
    batches = [entries[i : i + BATCH] for i in range(0, len(entries), BATCH)]
    pipeline = Pipeline(TIMEFRAMES)
    began = time.thread_time()
    for batch in batches:
        pipeline.feed(batch)
    feeding = time.thread_time() - began
    with tempfile.TemporaryDirectory() as root:
        recorder = Recorder(Path(root) / "traffic.jsonl").start()
        process, mine = time.process_time(), time.thread_time()
        handing = 0.0
        for batch in batches:
            put = time.thread_time()
            recorder.write(batch)
            handing += time.thread_time() - put
        recorder.close()
        recording = (time.process_time() - process) - (time.thread_time() - mine)
        size = sum(path.stat().st_size for path in recorder.paths)
    print(f"entries:                  {len(entries):,} in {len(batches):,} batches")
    print(f"pipeline:                 {feeding:6.2f} s  {len(entries) / feeding:>12,.0f} entries/s")
    print(f"tail side (write calls):  {handing:6.3f} s")
    print(
        f"recorder thread:          {recording:6.2f} s  {len(entries) / recording:>12,.0f} entries/s"
    )
    print(f"recorded:                 {recorder.entries:,} entries, {size / 1e6:,.1f} MB")
    print(f"ratio tail side / pipeline:     {handing / feeding:.3f}x  (goal <= 0.02x)")
    print(f"ratio recorder / pipeline:      {recording / feeding:.2f}x  (goal <= 1x)")


if __name__ == "__main__":
    main()
