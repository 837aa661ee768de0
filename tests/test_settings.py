"""Settings: the file round trip, migration, defaults for new keys, corrupt files and refusals."""

from __future__ import annotations

import json
import stat
from dataclasses import replace

import pytest

from qfdesk.browser.settings import DEFAULT_URL
from qfdesk.settings import (
    SCHEMA_VERSION,
    AppSettings,
    InvalidSetting,
    SettingsError,
    SettingsStore,
    parse_value,
    problems,
)


@pytest.fixture
def store(tmp_path) -> SettingsStore:
    return SettingsStore(tmp_path / "config" / "settings.json")


@pytest.fixture
def chrome(tmp_path):
    program = tmp_path / "chrome"
    program.write_text("#!/bin/sh\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_missing_file_gives_the_defaults(store):
    result = store.load()
    assert result.settings == AppSettings() and result.problems == () and result.backup is None


def test_round_trip_keeps_every_field(store, chrome, tmp_path):
    edited = AppSettings(
        platform_url="https://pocketoption.com/ru/cabinet/quick-high-low/",
        chrome_path=str(chrome),
        debugging_port=9333,
        data_dir=str(tmp_path / "market"),
        save_candles=True,
        save_ticks=True,
        candle_chunk=250,
        tick_chunk=5000,
        hotkey_buy="Ctrl+Up",
        hotkey_sell="Ctrl+Down",
        min_stake=2.0,
        max_stake=50.0,
        min_payout=75.5,
        max_open_trades=None,
        max_trades_per_hour=10,
        daily_loss_limit=120.0,
        max_consecutive_losses=4,
        theme="system",
        welcome_shown=True,
    )
    path = store.save(edited)
    on_disk = json.loads(path.read_text())
    assert on_disk["version"] == SCHEMA_VERSION
    assert on_disk["settings"]["debugging_port"] == 9333
    result = SettingsStore(path).load()
    assert result.settings == edited and result.problems == ()
    assert not list(path.parent.glob(".*.tmp")), "no temporary file left behind"


def test_keys_added_since_the_file_was_written_get_defaults(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"version": 2, "settings": {"debugging_port": 9500}}))
    result = store.load()
    assert result.settings == AppSettings(debugging_port=9500) and result.problems == ()


def test_migration_from_version_1(store):
    store.path.parent.mkdir(parents=True)
    old = {
        "version": 1,
        "chrome": {"url": DEFAULT_URL, "port": 9400},
        "persistence": {"candles": True, "ticks": False, "candle_chunk": 300},
        "hotkeys": {"buy": "Alt+B", "sell": "Alt+S"},
        "risk": {"min_payout": 70, "daily_loss_limit": 40, "not_a_limit": 1},
        "theme": "system",
    }
    store.path.write_text(json.dumps(old))
    result = store.load()
    assert result.migrated_from == 1 and result.problems == ()
    assert result.settings == AppSettings(
        debugging_port=9400,
        save_candles=True,
        candle_chunk=300,
        hotkey_buy="Alt+B",
        hotkey_sell="Alt+S",
        min_payout=70.0,
        daily_loss_limit=40.0,
        theme="system",
    )
    store.save(result.settings)
    assert json.loads(store.path.read_text())["version"] == SCHEMA_VERSION
    assert SettingsStore(store.path).load().settings == result.settings


def test_a_corrupt_file_is_reported_and_kept(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"version": 2, "settings": {"debugging_port": 93')
    result = store.load()
    assert result.settings == AppSettings()
    assert len(result.problems) == 1 and "is not valid JSON" in result.problems[0]
    assert result.backup is not None and str(result.backup) in result.problems[0]
    assert result.backup.read_text() == '{"version": 2, "settings": {"debugging_port": 93'
    store.save(AppSettings(theme="system"))
    assert result.backup.read_text().endswith("93"), "saving never overwrites the backup"


@pytest.mark.parametrize(
    "text", ["[1, 2]", '{"settings": {}}', '{"version": "two"}', '{"version": 2, "settings": 3}']
)
def test_files_of_the_wrong_shape_are_kept_too(store, text):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(text)
    result = store.load()
    assert result.settings == AppSettings() and result.backup is not None
    assert result.backup.read_text() == text


def test_a_bad_value_falls_back_alone_and_the_file_is_kept(store):
    store.path.parent.mkdir(parents=True)
    values = {"debugging_port": 80, "tick_chunk": 0, "theme": "system", "min_stake": 3}
    store.path.write_text(json.dumps({"version": 2, "settings": values}))
    result = store.load()
    assert result.settings == AppSettings(theme="system", min_stake=3.0)
    assert any(p.startswith("debugging_port: ") and "1024" in p for p in result.problems)
    assert any(p.startswith("tick_chunk: ") for p in result.problems)
    assert result.backup is not None and json.loads(result.backup.read_text())["settings"] == values


def test_values_that_do_not_fit_together_fall_back(store):
    store.path.parent.mkdir(parents=True)
    values = {"min_stake": 10, "max_stake": 5, "hotkey_buy": "Shift+S", "theme": "system"}
    store.path.write_text(json.dumps({"version": 2, "settings": values}))
    result = store.load()
    assert result.settings == AppSettings(theme="system")
    reported = {p.split(":")[0] for p in result.problems}
    assert reported == {"min_stake", "max_stake", "hotkey_buy", "hotkey_sell"}


def test_a_newer_file_keeps_what_this_version_does_not_know(store):
    store.path.parent.mkdir(parents=True)
    values = {"debugging_port": 9444, "autotrade_budget": 25}
    store.path.write_text(json.dumps({"version": SCHEMA_VERSION + 1, "settings": values}))
    result = store.load()
    assert result.settings.debugging_port == 9444
    assert "newer QuantumFlux Desk" in result.problems[0]
    store.save(replace(result.settings, theme="system"))
    saved = json.loads(store.path.read_text())["settings"]
    assert saved["autotrade_budget"] == 25 and saved["theme"] == "system"


def test_saving_refuses_invalid_settings_and_keeps_the_file(store):
    store.save(AppSettings(debugging_port=9300))
    before = store.path.read_text()
    with pytest.raises(SettingsError) as refused:
        store.save(AppSettings(debugging_port=70000, candle_chunk=0))
    assert set(refused.value.problems) == {"debugging_port", "candle_chunk"}
    assert "between 1024 and 65535" in refused.value.problems["debugging_port"]
    assert store.path.read_text() == before


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("debugging_port", 0, "between 1024 and 65535"),
        ("debugging_port", 65536, "between 1024 and 65535"),
        ("debugging_port", "92x2", "whole number"),
        ("debugging_port", True, "whole number"),
        ("platform_url", "pocketoption.com/en/cabinet/quick-high-low/", "https://"),
        ("platform_url", "ftp://pocketoption.com/quick-high-low/", "https://"),
        ("platform_url", "https://example.com/", "quick-high-low"),
        ("platform_url", "", "cannot be empty"),
        ("candle_chunk", 0, "between 1 and"),
        ("tick_chunk", -5, "between 1 and"),
        ("tick_chunk", "lots", "whole number"),
        ("hotkey_buy", "", "cannot be empty"),
        ("hotkey_buy", "B", "would trade while you type"),
        ("hotkey_sell", "Ctrl+K, Ctrl+S", "several keys"),
        ("hotkey_sell", "Super+S", "unknown modifier"),
        ("hotkey_sell", "Shift+Shift+S", "twice"),
        ("hotkey_sell", "Shift+Banana", "is not a key"),
        ("min_stake", 0, "above 0"),
        ("max_stake", "nan", "finite"),
        ("min_payout", 120, "0 to 100"),
        ("max_open_trades", 0, "1 or more"),
        ("daily_loss_limit", -10, "above 0"),
        ("theme", "neon", "dark, system"),
        ("save_ticks", "yes", "true or false"),
        ("data_dir", "relative/folder", "full path"),
        ("chrome_path", "/nonexistent/chrome", "no program at"),
        ("max_stake", "1e400", "finite"),
        ("max_stake", 10**400, "finite"),
        ("daily_loss_limit", float("inf"), "finite"),
        ("chrome_path", "~no-such-user-qf/chrome", "names no home folder"),
        ("data_dir", "~no-such-user-qf/data", "names no home folder"),
    ],
)
def test_bad_values_are_refused_with_a_reason(name, value, reason):
    with pytest.raises(InvalidSetting, match=reason.replace("(", r"\(")):
        parse_value(name, value)
    assert reason in problems(replace(AppSettings(), **{name: value}))[name]


def test_values_from_the_dialog_are_parsed(chrome, tmp_path):
    assert parse_value("debugging_port", " 9555 ") == 9555
    assert parse_value("min_stake", "2,5") == 2.5
    assert parse_value("max_open_trades", "") is None
    assert parse_value("daily_loss_limit", "  ") is None
    assert parse_value("hotkey_buy", "F9") == "F9"
    assert parse_value("hotkey_buy", "Ctrl+Shift++") == "Ctrl+Shift++"
    assert parse_value("chrome_path", str(chrome)) == str(chrome)
    assert parse_value("data_dir", str(tmp_path)) == str(tmp_path)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(InvalidSetting, match="is a file, not a folder"):
        parse_value("data_dir", str(a_file))
    not_executable = tmp_path / "notes"
    not_executable.write_text("x")
    with pytest.raises(InvalidSetting, match="not a program"):
        parse_value("chrome_path", str(not_executable))


def test_rules_across_fields():
    found = problems(AppSettings(min_stake=10, max_stake=5, hotkey_buy="Shift+S"))
    assert found["min_stake"] == found["max_stake"] == "the largest amount is below the smallest"
    assert found["hotkey_buy"] == found["hotkey_sell"] == "BUY and SELL need different hotkeys"


def test_settings_feed_the_browser_persistence_and_risk(tmp_path):
    settings = AppSettings(
        debugging_port=9333,
        data_dir=str(tmp_path),
        save_ticks=True,
        tick_chunk=77,
        min_stake=5,
        max_stake=20,
        max_open_trades=None,
    )
    browser = settings.browser_settings()
    assert (browser.port, browser.url, browser.chrome_path) == (9333, DEFAULT_URL, None)
    persist = settings.persist_settings()
    assert (persist.save_candles, persist.save_ticks, persist.tick_chunk) == (False, True, 77)
    limits = settings.risk_limits()
    assert (limits.min_stake, limits.max_stake, limits.max_open_trades) == (5, 20, None)
    assert limits.problems() == []
    assert settings.data_root() == tmp_path
