"""Finding, launching and attaching to real headless Chromium; tabs; selectors; doctor."""

from __future__ import annotations

import argparse
import json
import os
import socket
import stat
import time
from pathlib import Path

import pytest
from browser_helpers import ChromeRig, free_port, needs_browser, rig_settings, wait_for

from qfdesk.browser import profile as profile_mod
from qfdesk.browser.attach import DriverInfo, attach, check_versions, detach, find_chromedriver
from qfdesk.browser.chrome_finder import candidate_paths, find_chrome
from qfdesk.browser.chrome_launcher import ensure_chrome, probe_debugger
from qfdesk.browser.errors import (
    AttachError,
    ChromedriverMismatchError,
    ChromedriverMissingError,
    ChromeNotFoundError,
    ChromeStartError,
    PortInUseError,
    ProfileLockedError,
)
from qfdesk.browser.live import LiveSource, parse_address
from qfdesk.browser.page_check import check_page
from qfdesk.browser.selectors import Selectors
from qfdesk.browser.tabs import PlatformTab, platform_tabs
from qfdesk.commands import doctor
from qfdesk.engine.decoder import FrameDecoder
from qfdesk.engine.events import Tick
from qfdesk.engine.paths import config_dir
from qfdesk.sim.platform import SimulatedPlatform

# -- without a browser -------------------------------------------------------------------


def test_find_chrome_override_and_platform_candidates(tmp_path, monkeypatch):
    with pytest.raises(ChromeNotFoundError, match="does not exist"):
        find_chrome(str(tmp_path / "no-chrome"))
    fake = tmp_path / "chrome"
    fake.write_text("")
    assert find_chrome(str(fake)) == fake
    assert any("Google Chrome.app" in str(p) for p in candidate_paths("darwin"))
    monkeypatch.setenv("PROGRAMFILES", r"C:\Program Files")
    assert any(str(p).endswith("chrome.exe") for p in candidate_paths("win32"))
    assert any(p.name in ("chromium", "google-chrome") for p in candidate_paths("linux"))


def test_chromedriver_version_mismatch_and_missing(tmp_path):
    with pytest.raises(ChromedriverMismatchError, match="does not match Chrome 157"):
        check_versions(
            DriverInfo(Path("/x/chromedriver"), "ChromeDriver 156.0.1.2"), "Chrome/157.0.1.1"
        )
    check_versions(
        DriverInfo(Path("/x/chromedriver"), "ChromeDriver 156.0.1.2"), "Chrome/156.0.9.9"
    )
    with pytest.raises(ChromedriverMissingError):
        find_chromedriver(str(tmp_path / "nope"))


def test_profile_lock_detection(tmp_path):
    assert profile_mod.lock_owner(tmp_path) is None
    (tmp_path / "SingletonLock").symlink_to(f"{socket.gethostname()}-{os.getpid()}")
    assert profile_mod.lock_owner(tmp_path) is not None
    (tmp_path / "SingletonLock").unlink()
    (tmp_path / "SingletonLock").symlink_to(f"{socket.gethostname()}-999999999")
    assert profile_mod.lock_owner(tmp_path) is None, "a dead owner's lock is stale"
    (tmp_path / "SingletonLock").unlink()
    (tmp_path / "SingletonLock").symlink_to("other-host-12")
    assert profile_mod.lock_owner(tmp_path) == "other-host-12"


def test_default_profile_is_in_the_checkout():
    assert profile_mod.default_profile_dir().name == "Chrome_profile"
    assert profile_mod.default_profile_dir().parent == Path(__file__).resolve().parents[1]


def test_selectors_user_override_merges_per_element(tmp_path):
    user = tmp_path / "selectors.json"
    user.write_text(json.dumps({"elements": {"payout": {"selectors": [{"xpath": "//b"}]}}}))
    base = Selectors.load(user_path=tmp_path / "absent.json")
    merged = Selectors.load(user_path=user)
    assert [str(s) for s in merged.spec("payout").chain] == ["xpath://b"]
    assert merged.spec("payout").critical == base.spec("payout").critical is True
    assert merged.spec("buy_button") == base.spec("buy_button")
    assert len(base.spec("buy_button").chain) == 3
    assert base.spec("amount_input").chain[1].kind == "xpath"
    user.write_text("{not json")
    assert Selectors.load(user_path=user).spec("payout") == base.spec("payout")


def test_parse_address():
    assert parse_address("10.0.0.2:9333") == ("10.0.0.2", 9333)
    assert parse_address("9222") == ("127.0.0.1", 9222)
    with pytest.raises(ValueError):
        parse_address("localhost")


def test_platform_tab_explains_a_chrome_that_does_not_answer():
    with pytest.raises(AttachError, match="does not list its tabs"):
        PlatformTab(None, f"127.0.0.1:{free_port()}", "quick-high-low").ensure(1.0)


def test_doctor_explains_a_bad_attach_address(capsys):
    parser = argparse.ArgumentParser()
    doctor.configure(parser)
    assert doctor.run(parser.parse_args(["--attach", "localhost"])) == 2
    assert "'localhost' is not HOST:PORT" in capsys.readouterr().err


# -- real Chromium -----------------------------------------------------------------------


@pytest.mark.browser
@needs_browser
def test_launch_attach_and_errors(tmp_path):
    port = free_port()
    profile = tmp_path / "profile"
    settings = rig_settings(profile, port)
    endpoint = ensure_chrome(settings)
    try:
        assert endpoint.process is not None and "Chrome" in endpoint.browser_version
        assert stat.S_IMODE(profile.stat().st_mode) == 0o700
        assert "--remote-debugging-address=127.0.0.1" in endpoint.process.process.args
        again = ensure_chrome(settings)
        assert again.process is None, "a second launch must attach, not start Chrome"
        with pytest.raises(ProfileLockedError, match="in use"):
            ensure_chrome(rig_settings(profile, free_port()))
        driver = attach(endpoint.address, performance_log=True)
        try:
            driver.get("data:text/html,<p>hi</p>")
            assert driver.find_element("css selector", "p").text == "hi"
            assert isinstance(driver.get_log("performance"), list)
        finally:
            detach(driver)
        assert probe_debugger("127.0.0.1", port) is not None, "detaching closed Chrome"
        assert endpoint.process.stderr_path.is_file()
    finally:
        endpoint.process.kill()
    assert probe_debugger("127.0.0.1", port) is None
    assert not endpoint.process.stderr_path.exists(), "Chrome's temporary log remains"
    with pytest.raises(AttachError, match="No Chrome answers"):
        attach(endpoint.address)
    with pytest.raises(ChromeStartError, match="--launch"):
        ensure_chrome(settings, launch=False)


@pytest.mark.browser
@needs_browser
def test_port_held_by_something_else(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(PortInUseError, match="not a Chrome debugging port"):
            ensure_chrome(rig_settings(tmp_path / "p", port))


@pytest.fixture(scope="module")
def sim():
    with SimulatedPlatform(assets=3, seed=5) as platform:
        yield platform


@pytest.fixture(scope="module")
def rig(sim, tmp_path_factory):
    rig = ChromeRig(tmp_path_factory.mktemp("profile"))
    try:
        rig.launch()
        rig.start_tail()
        yield rig
    finally:
        rig.close()


@pytest.fixture
def sim_page(rig: ChromeRig, sim: SimulatedPlatform) -> ChromeRig:
    """The rig's action tab on the simulator's page, ready, whatever an earlier test left open."""
    rig.open_page(sim.url)
    rig.wait_ready()
    return rig


@pytest.mark.browser
@needs_browser
def test_platform_tab_found_among_several_and_followed(rig, sim):
    rig.open_page("data:text/html,<p>other</p>")
    driver = rig.driver
    driver.switch_to.new_window("tab")
    driver.get(sim.url)
    platform_handle = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get("data:text/html,<p>third</p>")
    tab = PlatformTab(driver, rig.address, "quick-high-low")
    assert tab.ensure() == platform_handle
    assert driver.current_window_handle == platform_handle
    rig.wait_ready()
    marked = rig.hub.mark()
    driver.refresh()
    assert tab.ensure() == platform_handle
    rig.wait_ready()
    assert rig.hub.wait_for(lambda e: isinstance(e, Tick), 10, since=marked) is not None
    # the trader reopens the platform in a new tab and closes the old one
    driver.switch_to.new_window("tab")
    driver.get(sim.url)
    new_handle = driver.current_window_handle
    driver.switch_to.window(platform_handle)
    driver.close()
    driver.switch_to.window(new_handle)
    driver.switch_to.window(driver.window_handles[0])
    assert tab.ensure() == new_handle
    assert len(platform_tabs(rig.address, "quick-high-low")) == 1
    rig.wait_ready()
    marked = rig.hub.mark()
    assert rig.hub.wait_for(lambda e: isinstance(e, Tick), 10, since=marked) is not None


@pytest.mark.browser
@needs_browser
@pytest.mark.usefixtures("sim_page")
def test_selectors_resolve_on_the_sim_page_and_doctor(rig, capsys):
    PlatformTab(rig.driver, rig.address, "quick-high-low").ensure()
    report = {r.name: r for r in Selectors.load().resolve(rig.driver)}
    for name in Selectors.load().critical():
        assert report[name].ok and report[name].index == 0, name
    parser = argparse.ArgumentParser()
    doctor.configure(parser)
    assert doctor.run(parser.parse_args(["--attach", rig.address])) == 0
    out = capsys.readouterr().out
    assert "all critical elements resolve" in out and "buy_button" in out
    blank = ChromeRig(rig.profile.parent / "blank-profile")
    try:
        blank.launch()
        blank.open_page("data:text/html,<p>not the platform</p>")
        code = doctor.run(parser.parse_args(["--attach", blank.address]))
        assert code == 1
        assert "No open tab shows the trading platform" in capsys.readouterr().out
    finally:
        blank.close()


@pytest.mark.browser
@needs_browser
def test_doctor_reports_a_renamed_buy_button_as_the_app_does(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with SimulatedPlatform(assets=2, seed=9) as sim:
        sim.control("rename_class", old="btn-call", new="btn-call-v2")
        sim.control("rename_class", old="switch-state-block__item", new="switch-cell")
        rig = ChromeRig(tmp_path / "profile")
        try:
            rig.launch()
            rig.open_page(sim.url)
            rig.wait_ready()
            check = check_page(rig.driver, Selectors.load())
            assert [element.name for element in check.missing] == ["buy_button"]
            parser = argparse.ArgumentParser()
            doctor.configure(parser)
            assert doctor.run(parser.parse_args(["--attach", rig.address])) == 1
        finally:
            rig.close()
    out = capsys.readouterr().out
    assert "MISSING buy_button" in out and "ok      sell_button" in out
    assert check.missing_text in out
    assert check.missing_text.startswith("The BUY button was not found on the page: trading")
    assert str(config_dir() / "selectors.json") in out


@pytest.mark.browser
@needs_browser
def test_doctor_names_a_selectors_file_it_did_not_use_and_checks_the_built_in_ones(
    rig, sim, capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    user = tmp_path / "QuantumFlux Desk" / "selectors.json"
    user.parent.mkdir()
    user.write_text("[1]")
    if not platform_tabs(rig.address, "quick-high-low"):  # run alone: open the page first
        rig.open_page(sim.url)
        rig.wait_ready()
    PlatformTab(rig.driver, rig.address, "quick-high-low").ensure()
    parser = argparse.ArgumentParser()
    doctor.configure(parser)
    assert doctor.run(parser.parse_args(["--attach", rig.address])) == 0
    out = capsys.readouterr().out
    assert f"warning     the selectors file {user} is not used" in out
    assert "all critical elements resolve" in out


@pytest.mark.browser
@needs_browser
def test_live_source_launches_and_feeds_entries(tmp_path, sim):
    decoder = FrameDecoder()
    ticks: list[Tick] = []
    states = []
    settings = rig_settings(tmp_path / "profile", free_port(), url=sim.url)
    source = LiveSource(
        settings,
        lambda entries: ticks.extend(e for e in decoder.feed_many(entries) if isinstance(e, Tick)),
        launch=True,
        on_state=states.append,
        decode_errors=lambda: decoder.stats.malformed_total,
    )
    try:
        source.start()
        assert wait_for(lambda: len(ticks) >= 5, 15)
        health = source.health()
        assert health.state == "connected" and health.frames_total > 0
        assert health.last_frame_age is not None and health.last_frame_age < 5
    finally:
        source.stop(close_chrome=True)
    assert probe_debugger("127.0.0.1", settings.port) is None
    assert not source.endpoint.process.stderr_path.exists(), "Chrome's temporary log remains"
    assert states[0].value == "connected"
    time.sleep(0.1)


@pytest.mark.browser
@needs_browser
def test_live_source_reads_one_platform_tab_when_two_are_open(tmp_path, sim):
    from collections import Counter

    from qfdesk.browser.tabs import entry_webview

    decoder = FrameDecoder()
    batches: list[list[dict]] = []
    settings = rig_settings(tmp_path / "profile", free_port(), url=sim.url)
    source = LiveSource(settings, batches.append, launch=True)
    driver = None
    try:
        source.start()
        driver = attach(settings.address)
        driver.switch_to.new_window("tab")
        driver.get(sim.url)
        time.sleep(2.5)
        opened_at = len(batches)
        time.sleep(4)
        later = [e for batch in batches[opened_at:] for e in batch]
    finally:
        detach(driver)
        source.stop(close_chrome=True)
    assert len({entry_webview(e) for e in later} - {None}) == 1
    assert source.tab_filter.dropped > 0, "the second tab's frames were not even logged"
    ticks = Counter(
        (t.asset, t.time, t.price) for t in decoder.feed_many(later) if isinstance(t, Tick)
    )
    assert sum(ticks.values()) > 10
    assert all(n == 1 for n in ticks.values()), "a tick was read from both tabs"
