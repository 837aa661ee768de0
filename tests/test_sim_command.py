"""``qfdesk simulate`` as a user runs it: a real process, a real HTTP client, SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from qfdesk.sim import SimulatedPlatform


def test_simulate_serves_the_page_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "qfdesk", "simulate", "--port", "0", "--assets", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline() if process.stdout else ""
        assert "demo-quick-high-low" in first, first
        url = first.split()[-1]
        with urllib.request.urlopen(url, timeout=5) as response:
            html = response.read().decode()
        assert 'id="put-call-buttons-chart-1"' in html
        base = url.split("/en/")[0]
        request = urllib.request.Request(
            base + "/_sim/control",
            data=json.dumps({"action": "set_tick_rate", "rate": 5}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"ok": True}
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0
        assert "Stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_simulate_says_what_to_do_when_the_port_is_taken() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "qfdesk", "simulate", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1
    assert "--port" in done.stdout and str(port) in done.stdout


def test_control_endpoint_rejects_unknown_actions() -> None:
    with SimulatedPlatform(assets=2) as sim:
        request = urllib.request.Request(
            sim.base_url + "/_sim/control",
            data=json.dumps({"action": "explode"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=5)
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
            assert "explode" in json.load(exc)["error"]
        else:
            raise AssertionError("an unknown action was accepted")


def test_the_platform_restarts_on_the_same_port() -> None:
    sim = SimulatedPlatform(assets=1)
    with sim:
        port = sim.port
        assert sim.state()["trading_sockets"] == 0
    with sim:
        assert sim.port == port
        with urllib.request.urlopen(sim.url, timeout=5) as response:
            assert response.status == 200
    with pytest.raises(RuntimeError, match="not started"):
        SimulatedPlatform().sent_ticks()


@pytest.mark.parametrize("rate", ["0", "-3", "nan", "inf"])
def test_simulate_refuses_a_tick_rate_that_is_not_a_finite_positive_number(rate: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qfdesk", "simulate", "--tick-rate", rate],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "finite number above 0" in done.stderr


@pytest.mark.parametrize("rate", [0, float("nan"), float("inf")])
def test_control_refuses_a_tick_rate_that_is_not_a_finite_positive_number(rate: float) -> None:
    with SimulatedPlatform(assets=2) as sim, pytest.raises(ValueError, match="finite number"):
        sim.control("set_tick_rate", rate=rate)
