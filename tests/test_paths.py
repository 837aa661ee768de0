"""One place decides the app's folders: XDG folders, the profile, and resources/ wherever the
app runs from (a checkout, an installed wheel's share/qfdesk, a PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qfdesk.browser import profile, selectors
from qfdesk.engine import paths
from qfdesk.sim import server

ROOT = Path(__file__).resolve().parents[1]


def fake_resources(root: Path) -> Path:
    (root / "sim").mkdir(parents=True)
    (root / "selectors.json").write_text('{"elements": {}}')
    return root


def test_xdg_folders(tmp_path, monkeypatch):
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name))
    app = "QuantumFlux Desk"
    assert paths.config_dir() == tmp_path / "XDG_CONFIG_HOME" / app
    assert paths.default_data_root() == tmp_path / "XDG_DATA_HOME" / app
    assert paths.logs_dir() == tmp_path / "XDG_STATE_HOME" / app / "log"
    assert paths.artifacts_dir() == tmp_path / "XDG_DATA_HOME" / app / "artifacts"
    assert selectors.user_selectors_path() == paths.config_dir() / "selectors.json"
    assert paths.own_folders() == (
        tmp_path / "XDG_DATA_HOME" / app,
        tmp_path / "XDG_DATA_HOME" / app / "artifacts",
        tmp_path / "XDG_STATE_HOME" / app,
    ), "the folders made private at start: only the app's own, never XDG_STATE_HOME itself"


def test_a_checkout_uses_its_own_resources_and_profile():
    assert paths.is_source_checkout() and paths.source_root() == ROOT
    assert paths.resources_dir() == ROOT / "resources"
    assert server.STATIC_DIR == ROOT / "resources" / "sim"
    assert profile.default_profile_dir() == ROOT / "Chrome_profile"


def test_an_installed_package_finds_share_qfdesk(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "_CHECKOUT_ROOT", tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    installed = fake_resources(tmp_path / "venv" / "share" / "qfdesk" / "resources")
    assert paths.resources_dir() == installed
    assert paths.resource_path("sim") == installed / "sim"
    assert not paths.is_source_checkout()
    assert paths.default_profile_dir() == tmp_path / "data" / "QuantumFlux Desk" / "Chrome_profile"


def test_a_bundle_uses_meipass(tmp_path, monkeypatch):
    bundled = fake_resources(tmp_path / "_internal" / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert paths.is_frozen() and not paths.is_source_checkout()
    assert paths.resources_dir() == bundled
    assert paths.app_command() == [sys.executable]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX script name")
def test_app_command_starts_qfdesk():
    command = paths.app_command()
    assert command[0].endswith("qfdesk") or command[1:] == ["-m", "qfdesk"]
