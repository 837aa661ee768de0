"""Raw captures (``engine/recording.py``): what a live run reads, on disk as replay takes it,
never with the session token; parts by size; a cut last line still replays."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from decoder_entries import (
    TRADING,
    binary_event,
    created,
    entry,
    header,
    text,
    text_event,
)

from qfdesk.cli import main
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import AuthSent, Tick
from qfdesk.engine.history_loader import load_ticks
from qfdesk.engine.recording import (
    SCRUBBED,
    Recorder,
    part_path,
    recent_lines,
    recording_parts,
)

SECRET = "a9f3c2e1SESSIONtoken7d0b4e6f"
ESCAPED_SECRET = 'tok"en/with\\odd+chars=='
TICKS = Path("data_output/assets_data/realtime_stream/1M_tick_data")


def record(path: Path, batches: list[list[dict]], max_bytes: int = 1 << 30) -> Recorder:
    recorder = Recorder(path, max_bytes).start()
    for batch in batches:
        recorder.write(batch)
    recorder.close()
    return recorder


def every_text(paths: list[Path]) -> str:
    """The files' bytes, with every base64 payload in them decoded too."""
    found = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        found.append(raw)
        for line in raw.splitlines():
            params = json.loads(json.loads(line)["message"])["message"]["params"]
            response = params.get("response", {})
            if response.get("opcode") == 2:
                found.append(base64.b64decode(response["payloadData"]).decode("utf-8", "replace"))
    return "\n".join(found)


def tick_order(tick: Tick) -> tuple[str, float, float]:
    return tick.asset, tick.time, tick.price


def capture_batches(capture: Path, size: int = 50) -> list[list[dict]]:
    entries = [json.loads(line) for line in capture.read_text().splitlines()]
    return [entries[i : i + size] for i in range(0, len(entries), size)]


def test_the_session_token_is_in_no_recorded_byte_whatever_form_the_page_sends_it_in(
    tmp_path: Path,
) -> None:
    auth = {"session": SECRET, "isDemo": 1, "uid": 10000001, "platform": 2}
    entries = [
        text_event(TRADING, "auth", auth, sent=True),
        *binary_event(TRADING, "auth", {**auth, "isDemo": 0}, sent=True),
        text(TRADING, '42["auth",{"session":"' + SECRET + '","isDemo":1', sent=True),
        text(TRADING, "4" + SECRET, sent=True),  # a broken frame: the token alone
        text(TRADING, '42["echo",{"s":"' + SECRET + '"}]'),  # received, naming it again
        text_event(TRADING, "auth", {**auth, "session": ESCAPED_SECRET}, sent=True),
        text(TRADING, "42" + json.dumps(["note", ESCAPED_SECRET]), sent=True),
    ]
    path = tmp_path / "rec.jsonl"
    recorder = record(path, [entries[:3], entries[3:]])
    assert recorder.entries == len(entries) and recorder.errors == 0
    written = every_text([path])
    for secret in (SECRET, ESCAPED_SECRET, json.dumps(ESCAPED_SECRET)[1:-1], "SESSIONtoken"):
        assert secret not in written
    assert SCRUBBED in written
    # The auth frames still decode as the page's, account type and all.
    events = FrameDecoder().feed_many(path.read_text().splitlines())
    assert [e for e in events if isinstance(e, AuthSent)] == [
        AuthSent(is_demo=True),
        AuthSent(is_demo=False),
        AuthSent(is_demo=True),
    ]


def test_only_the_websocket_entries_the_decoder_reads_are_recorded(tmp_path: Path) -> None:
    handshake = entry(
        "Network.webSocketWillSendHandshakeRequest",
        {"requestId": TRADING, "request": {"headers": {"Cookie": "ci_session=" + SECRET}}},
    )
    http = entry("Network.requestWillBeSent", {"request": {"url": "https://x/?" + SECRET}})
    kept = [created(TRADING, "wss://x/socket.io/"), header(TRADING, "updateStream")]
    path = tmp_path / "rec.jsonl"
    record(path, [[handshake, kept[0], http, kept[1], {"message": 3}, "not an entry"]])
    assert [json.loads(line) for line in path.read_text().splitlines()] == kept


def test_a_recording_replays_to_the_ticks_of_the_capture_it_recorded(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, capture_batches(capture_path))
    assert main(["replay", str(capture_path), "--data-dir", str(tmp_path / "direct")]) == 0
    direct = capsys.readouterr().out
    assert main(["replay", str(path), "--data-dir", str(tmp_path / "recorded")]) == 0
    recorded = capsys.readouterr().out
    assert recorded == direct
    ticks, problems = load_ticks(tmp_path / "recorded" / TICKS)
    direct_ticks = load_ticks(tmp_path / "direct" / TICKS)[0]
    assert problems == [] and len(ticks) == 148
    assert sorted(ticks, key=tick_order) == sorted(direct_ticks, key=tick_order)


def test_a_recording_rotated_by_size_replays_as_one_from_its_first_part(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rec.jsonl"
    recorder = record(path, capture_batches(capture_path), max_bytes=40_000)
    parts = recording_parts(path)
    assert len(parts) >= 3 and parts == recorder.paths
    assert parts[1] == tmp_path / "rec.1.jsonl" and part_path(path, 2) == parts[2]
    # At most the size, unless one line alone is longer (a line is never split).
    assert all(p.stat().st_size <= 40_000 or p.read_text().count("\n") == 1 for p in parts)
    lines = [line for p in parts for line in p.read_text().splitlines()]
    assert lines == [json.dumps(json.loads(line), separators=(",", ":"))
                     for line in capture_path.read_text().splitlines()]  # fmt: skip
    assert main(["replay", str(path), "--data-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"read {len(parts)} files" in out
    assert "frames:           346" in out and "ticks written:    148" in out
    # One part on its own replays too (its ticks, its attachments without headers counted).
    assert main(["replay", str(parts[1]), "--data-dir", str(tmp_path / "one")]) == 0
    assert "read " not in capsys.readouterr().out


def test_a_new_recording_under_a_name_replaces_the_earlier_ones_parts(
    capture_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, capture_batches(capture_path), max_bytes=40_000)
    assert len(recording_parts(path)) >= 3
    record(path, capture_batches(capture_path)[:1])
    assert recording_parts(path) == [path]


def test_a_half_written_last_line_is_skipped_and_counted_by_replay(
    capture_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, capture_batches(capture_path))
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[: last + (len(data) - last) // 2])  # a crash in mid-line
    assert main(["replay", str(path), "--data-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "bad_entry_json 1" in out and "frames:           345" in out


def test_the_last_minutes_of_a_recording_are_read_from_its_newest_parts(
    capture_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, capture_batches(capture_path), max_bytes=40_000)
    stamps = [json.loads(line)["timestamp"] for line in capture_path.read_text().splitlines()]
    since = stamps[len(stamps) // 2]
    with part_path(path, len(recording_parts(path)) - 1).open("a") as newest:
        newest.write('{"level":"INFO","mess')  # a line the writer is still writing
    recent = recent_lines(path, since)
    assert [json.loads(line)["timestamp"] for line in recent] == [s for s in stamps if s >= since]


def test_collect_refuses_a_recording_it_cannot_write_before_looking_for_chrome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    argv = ["collect", "--attach", "127.0.0.1:1", "--data-dir", str(tmp_path / "data")]
    assert main([*argv, "--record", str(folder)]) == 2
    assert f"qfdesk collect: cannot record to {folder}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--record", str(tmp_path / "r.jsonl"), "--record-max-mb", "0"])
    assert refused.value.code == 2
    assert "a recording part needs more than 0 MB" in capsys.readouterr().err
