"""The problem report's zip (``engine/problem_report.py``): what it holds, listed; never a
secret-like setting or a token the recorder knows."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from decoder_entries import TRADING, text_event

from qfdesk.engine.problem_report import (
    LEFT_OUT,
    ReportInputs,
    app_log_files,
    build_report,
    without_secrets,
)
from qfdesk.engine.recording import SCRUBBED, Recorder

SECRET = "a9f3c2e1SESSIONtoken7d0b4e6f"


def test_secret_like_keys_are_left_out_at_any_depth() -> None:
    settings = {
        "theme": "dark",
        "Password": "p",
        "chrome": {"api_key": "k", "port": 9222, "cookies": ["c"]},
        "accounts": [{"SessionToken": "t", "name": "demo"}],
    }
    assert without_secrets(settings) == {
        "theme": "dark",
        "Password": LEFT_OUT,
        "chrome": {"api_key": LEFT_OUT, "port": 9222, "cookies": LEFT_OUT},
        "accounts": [{"SessionToken": LEFT_OUT, "name": "demo"}],
    }


def test_a_report_holds_what_it_lists_and_no_token_the_recorder_has_seen(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("qfdesk.log.2", "qfdesk.log", "qfdesk.log.10", "qfdesk.log.1", "other.txt"):
        (logs / name).write_text(f"{name}: {SECRET}\n")
    assert [p.name for p in app_log_files(logs)] == [
        "qfdesk.log",
        "qfdesk.log.1",
        "qfdesk.log.2",
        "qfdesk.log.10",
    ]
    recorder = Recorder(tmp_path / "rec.jsonl").start()
    now = 1_756_859_615.126
    old, new = round((now - 3600) * 1000), round((now - 60) * 1000)
    auth = {"session": SECRET, "isDemo": 1}
    recorder.write([text_event(TRADING, "auth", auth, sent=True, wall_ms=old)])
    recorder.write([text_event(TRADING, "ps", sent=True, wall_ms=new)])
    recorder.close()
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({"settings": {"data_dir": "/d", "token": "x"}}))
    inputs = ReportInputs(
        version="9.9",
        diagnostics={"connected": True, "cookie": "c"},
        settings={"trade/amount": 3.0, "auth/session": "s"},
        settings_file=settings_file,
        log_files=app_log_files(logs),
        recording=recorder.path,
        scrub=recorder.scrubber.scrub_text,
    )
    report = build_report(tmp_path / "out" / "report.zip", inputs, now=now)
    with zipfile.ZipFile(report.path) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    assert sorted(members) == sorted(name for name, _ in report.contents)
    assert members["README.txt"].count("\n- ") == len(report.contents) - 1
    assert all(SECRET not in text for text in members.values())
    assert members["logs/qfdesk.log.10"] == f"qfdesk.log.10: {SCRUBBED}\n"
    assert json.loads(members["settings/settings.json"]) == {
        "settings": {"data_dir": "/d", "token": LEFT_OUT}
    }
    assert json.loads(members["settings/window.json"]) == {
        "trade/amount": 3.0,
        "auth/session": LEFT_OUT,
    }
    assert json.loads(members["diagnostics.json"]) == {"connected": True, "cookie": LEFT_OUT}
    assert json.loads(members["about.json"])["version"] == "9.9"
    recent = members["recording/last-minutes.jsonl"].splitlines()
    assert [json.loads(line)["timestamp"] for line in recent] == [new]  # the last 10 minutes
    assert not (tmp_path / "out" / "report.zip.part").exists()
