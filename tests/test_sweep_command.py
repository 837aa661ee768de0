"""``qfdesk sweep`` end to end on candle files the tests make: honest verdicts, the JSON
report, local workers and a real local Dask cluster giving the same answer."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qfdesk.browser.chrome_launcher import free_port
from qfdesk.cli import main
from tests.research_data import ar1_closes, write_candles

GRID = ["--grid", "fast=2..5", "--grid", "slow=4..20:4"]


def sweep(tmp_path: Path, phi: float, *extra: str, seed: int = 11) -> tuple[int, dict]:
    data = tmp_path / "data"
    write_candles(data / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(20_000, phi, seed))
    out = tmp_path / "report.json"
    argv = ["sweep", "--data", str(data), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    code = main([*argv, *GRID, "--expiry", "60", "--json", str(out), *extra])
    return code, json.loads(out.read_text()) if out.exists() else {}


def test_a_random_walk_has_no_edge_however_good_the_best_row_looks(tmp_path, capsys):
    code, report = sweep(tmp_path, 0.0, "--workers", "1")
    assert code == 0
    assert report["verdict"] == "no edge"
    assert report["break_even_win_rate"] == pytest.approx(1 / 1.92)
    assert report["walk_forward"]["out_of_sample"]["p_value"] > 0.05
    printed = capsys.readouterr().out
    assert printed.startswith("NO EDGE:") and "break-even 52.1%" in printed


def test_a_planted_trend_is_found_out_of_sample_and_survives_the_search(tmp_path):
    code, report = sweep(tmp_path, 0.3, "--workers", "1")
    assert code == 0
    assert report["verdict"] == "edge", report["reason"]
    oos = report["walk_forward"]["out_of_sample"]
    assert oos["win_rate"] > report["break_even_win_rate"]
    assert oos["p_value"] < 0.05 and report["adjusted_p_value"] < 0.05


def test_the_report_holds_every_field_the_research_desk_promises(tmp_path):
    _, report = sweep(tmp_path, 0.0, "--workers", "1", "--folds", "4")
    for key in ("break_even_win_rate", "combinations", "skipped", "adjusted_p_value", "pbo"):
        assert key in report
    assert report["combinations"] + report["skipped"] == 4 * 5
    assert set(report["best_in_sample"]) >= {"params", "trades", "wins", "win_rate", "net_profit"}
    walk = report["walk_forward"]
    assert walk["folds"] == 4 and len(walk["per_fold"]) == 4
    assert set(walk["out_of_sample"]) >= {"trades", "wins", "win_rate", "net_profit", "p_value"}
    assert sum(f["trades"] for f in walk["per_fold"]) == walk["out_of_sample"]["trades"]
    ends = [tuple(f["out_of_sample_candles"]) for f in walk["per_fold"]]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ends))
    assert 0.0 <= report["pbo"] <= 1.0


def test_two_workers_give_exactly_the_single_process_answer(tmp_path):
    _, alone = sweep(tmp_path / "one", 0.1, "--workers", "1")
    _, pooled = sweep(tmp_path / "two", 0.1, "--workers", "2")
    assert pooled == alone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "fast=a..b"], "not a number"),
        (["--grid", "speed=1..3"], "no parameter speed"),
        (["--grid", "fast=30", "--grid", "slow=10"], "fast must be shorter than slow"),
        (["--grid", "fast=3", "--expiry", "90"], "multiple of the timeframe"),
        (["--grid", "fast=3", "--folds", "0"], "--folds"),
    ],
)
def test_a_bad_grid_is_explained_with_exit_code_2(tmp_path, capsys, args, message):
    data = write_candles(tmp_path / "EURUSD_otc_1m_2025_10_23_01_00_00.csv", ar1_closes(500, 0, 1))
    argv = ["sweep", "--data", str(data), "--asset", "EURUSD_otc", "--strategy", "sma-cross"]
    assert main([*argv, *args]) == 2
    assert message in capsys.readouterr().err


def wait_for_port(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the Dask scheduler never listened on port {port}")


@pytest.fixture
def dask_cluster(tmp_path):
    """A real scheduler and two workers on 127.0.0.1, ended after the test."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask, "dask is not installed: the test extra installs dask[distributed]"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"cwd": tmp_path, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        **common,
    )
    processes = [scheduler]
    try:
        wait_for_port(port)
        processes.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                **common,
            )
        )
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_sweep_on_a_local_dask_cluster_equals_the_local_run(tmp_path, dask_cluster):
    from distributed import Client

    with Client(dask_cluster, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    _, local = sweep(tmp_path / "local", 0.2, "--workers", "1")
    _, clustered = sweep(tmp_path / "dask", 0.2, "--dask", dask_cluster)
    assert clustered == local
    assert clustered["verdict"] == "edge"
