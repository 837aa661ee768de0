"""Private by default: what the app writes (CSVs, logs and their rotations, settings, the
layout file) is 0600 in 0700 folders, and its own folders left open by an earlier version
are closed at start. Real runs of ``python -m qfdesk`` started with a permissive umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

APP_DIR = "QuantumFlux Desk"
ROOT = Path(__file__).resolve().parents[1]


def xdg_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    return env


def run_qfdesk(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    """``python -m qfdesk ...`` as a desktop would start it: umask 022, files 0644."""
    done = subprocess.run(
        [sys.executable, *argv],
        env=xdg_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(root: Path) -> dict[str, int]:
    """Every folder and file under ``root`` (itself included) with its mode."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def assert_private(root: Path) -> None:
    modes = modes_under(root)
    folders = {name for name in modes if (root / name).is_dir()}
    assert {n: oct(m) for n, m in modes.items() if n in folders and m != 0o700} == {}
    assert {n: oct(m) for n, m in modes.items() if n not in folders and m != 0o600} == {}


def an_earlier_version_left(tmp_path: Path) -> dict[str, Path]:
    """The app's folders and files as an earlier version made them: 0755 and 0644."""
    made = {
        "config": tmp_path / "xdg_config_home" / APP_DIR,
        "data": tmp_path / "xdg_data_home" / APP_DIR,
        "state": tmp_path / "xdg_state_home" / APP_DIR,
        "logs": tmp_path / "xdg_state_home" / APP_DIR / "log",
    }
    for folder in made.values():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    for name in ("config/settings.json", "config/layout.ini", "logs/qfdesk.log"):
        folder, file = name.split("/")
        (made[folder] / file).write_text("{}\n" if file.endswith("json") else "")
        (made[folder] / file).chmod(0o644)
    return made


def test_a_replay_writes_private_csvs_and_closes_the_folders_an_earlier_version_left(
    tmp_path, capture_path
):
    made = an_earlier_version_left(tmp_path)
    run_qfdesk(tmp_path, "-m", "qfdesk", "replay", str(capture_path), "--save-candles")
    assert any(made["data"].rglob("*.csv")), "the replay wrote candle CSVs"
    for name in ("config", "data", "state", "logs"):
        assert_private(made[name])


def test_csvs_in_a_data_folder_given_on_the_command_line_are_private(tmp_path, capture_path):
    chosen = tmp_path / "market"
    run_qfdesk(tmp_path, "-m", "qfdesk", "replay", str(capture_path), "--data-dir", str(chosen))
    assert any(chosen.rglob("*.csv"))
    assert_private(chosen)


ROTATE_LOGS = """
import logging, sys
from pathlib import Path
import qfdesk.log_setup as log_setup
from qfdesk.cli import private_start

private_start()
log_setup.MAX_BYTES = 2000  # rotate after a few lines, as 5 MB would after a long session
log_setup.setup_logging("INFO", Path(sys.argv[1]))
for line in range(200):
    logging.getLogger("qfdesk.test").info("line %d of a long session", line)
"""


def test_log_files_and_their_rotations_are_private(tmp_path):
    folder = tmp_path / "xdg_state_home" / APP_DIR / "log"
    run_qfdesk(tmp_path, "-c", ROTATE_LOGS, str(folder))
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["qfdesk.log", *[f"qfdesk.log.{n}" for n in range(1, 6)]]
    assert_private(folder)


WRITE_LAYOUT = """
from qfdesk.cli import private_start
from qfdesk.ui.app import create_qapp
from qfdesk.ui.layout_store import LayoutStore

private_start()
create_qapp()
store = LayoutStore()
store.set_last_asset("EURUSD_otc")
store.sync()
print(store.settings.fileName())
"""


def test_the_layout_file_qt_writes_is_private(tmp_path):
    written = Path(run_qfdesk(tmp_path, "-c", WRITE_LAYOUT).stdout.strip())
    assert written == tmp_path / "xdg_config_home" / APP_DIR / "layout.ini"
    assert_private(written.parent)


def test_folders_not_made_yet_are_skipped_without_a_word(tmp_path, caplog):
    from qfdesk.engine.private import make_private

    make_private([tmp_path / "not-yet"], [tmp_path / "nor-this"])
    assert caplog.records == []
