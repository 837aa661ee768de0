"""*File > Record traffic...* and *Help > Report a problem...* in the real window on the
simulator through headless Chromium: the recording and the report hold no session token,
the report lists what it holds, and its recording replays."""

from __future__ import annotations

import json
import zipfile

import pytest
from browser_helpers import needs_browser
from desk_helpers import Desk, wait_until

import qfdesk
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import AuthSent, Tick
from qfdesk.engine.paths import config_dir, logs_dir
from qfdesk.engine.problem_report import LEFT_OUT
from qfdesk.engine.recording import SCRUBBED
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.ui.source_state import SourceState

pytestmark = [pytest.mark.gui, pytest.mark.browser, needs_browser]

PASSWORD = "hunter2-the-traders-password"


@pytest.fixture
def desk(qloop, tmp_path, monkeypatch):
    # The report reads the config and logs folders: this test's own, never the trader's.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    desk = Desk(tmp_path)
    try:
        yield desk
    finally:
        desk.close()


def menu(window, title: str):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == title)


def test_recorded_traffic_and_the_problem_report_hold_no_session_token(desk, qloop, tmp_path):
    window = desk.window
    record, report = window.record_traffic, window.report_problem
    assert record.action in menu(window, "&File").actions()
    assert report.action in menu(window, "&Help").actions()
    path = tmp_path / "rec" / "traffic.jsonl"
    record.ask_path = lambda: path  # the file dialog's answer
    record.action.trigger()  # before connecting: the page's auth frame is recorded too
    assert record.action.isChecked() and record.recording == path
    assert path.name in record.action.text()
    assert str(path) in window.trade_panel.message.text()
    with SimulatedPlatform(assets=3, seed=4) as sim:
        desk.connect(qloop, sim)
        assert wait_until(qloop, lambda: window.source_state is SourceState.LIVE, 30)
        assert wait_until(qloop, lambda: path.read_text().count("updateStream") >= 20, 30)
        tokens = sim.auth_tokens()
        # A token that reached a log by a path nobody foresaw is scrubbed from the report too.
        logs = logs_dir()
        logs.mkdir(parents=True)
        (logs / "qfdesk.log").write_text(f"INFO a line\nINFO oops {tokens[0]}\n")
        (logs / "qfdesk.log.1").write_text("INFO an older line\n")
        config_dir().mkdir(parents=True)
        settings = {"version": 2, "settings": {"theme": "dark", "password": PASSWORD}}
        (config_dir() / "settings.json").write_text(json.dumps(settings))
        desk.store.settings.setValue("account/session_token", PASSWORD)
        desk.store.settings.setValue("trade/amount", 3.0)
        report.action.trigger()
        assert not report.action.isEnabled()  # one report at a time, built off the GUI thread
        assert wait_until(qloop, lambda: report.dialog is not None, 30)
        assert report.action.isEnabled()
        record.action.trigger()
        assert not record.action.isChecked() and desk.bridge.recorder is None
        assert wait_until(qloop, lambda: "Recorded" in window.trade_panel.message.text(), 10)
        sent = [(t.asset, t.time, t.price) for t in sim.sent_ticks()]
    assert tokens
    # The recording: the auth frame scrubbed, no token byte anywhere.
    recorded = path.read_bytes()
    assert SCRUBBED.encode() in recorded
    assert all(token.encode() not in recorded for token in tokens)
    events = FrameDecoder().feed_many(path.read_text().splitlines())
    assert AuthSent(is_demo=True) in events
    # Every tick the platform sent while recording, in order, none lost.
    ticks = [(e.asset, e.time, e.price) for e in events if isinstance(e, Tick)]
    assert len(ticks) >= 20 and ticks == sent[: len(ticks)]

    # The report: where it is and what it holds, said in the dialog.
    zipped = report.last
    assert zipped is not None and zipped.path.parent == tmp_path / "artifacts"
    assert str(zipped.path) in report.dialog.text()
    names = [name for name, _ in zipped.contents]
    for name in ("about.json", "diagnostics.json", "settings/window.json",
                 "settings/settings.json", "logs/qfdesk.log", "logs/qfdesk.log.1",
                 "recording/last-minutes.jsonl", "README.txt"):  # fmt: skip
        assert name in names and name in report.dialog.detailedText()
    with zipfile.ZipFile(zipped.path) as archive:
        assert sorted(archive.namelist()) == sorted(names)
        members = {name: archive.read(name) for name in names}
    for data in members.values():
        assert all(token.encode() not in data for token in tokens)
        assert PASSWORD.encode() not in data
    assert json.loads(members["about.json"])["version"] == qfdesk.__version__
    diagnostics = json.loads(members["diagnostics.json"])
    assert diagnostics["simulated"] and diagnostics["recording"] == str(path)
    assert diagnostics["pipeline"]["frames"] > 0
    window_settings = json.loads(members["settings/window.json"])
    assert window_settings["trade/amount"] in (3.0, "3.0")
    assert window_settings["account/session_token"] == LEFT_OUT
    assert json.loads(members["settings/settings.json"])["settings"]["password"] == LEFT_OUT
    assert b"INFO oops " + SCRUBBED.encode() in members["logs/qfdesk.log"]
    last_minutes = members["recording/last-minutes.jsonl"].decode().splitlines()
    assert any(isinstance(e, Tick) for e in FrameDecoder().feed_many(last_minutes))
