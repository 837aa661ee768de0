"""qfdesk install-desktop / uninstall-desktop in a temporary HOME and XDG_DATA_HOME."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from qfdesk.commands.desktop_entry import quote_exec_arg

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktops")

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def qfdesk(*args: str, home: Path, xdg: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    if xdg is not None:
        env["XDG_DATA_HOME"] = str(xdg)
    return subprocess.run(
        [sys.executable, "-m", "qfdesk", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


@pytest.mark.parametrize("use_xdg", [True, False], ids=["XDG_DATA_HOME", "HOME"])
def test_install_writes_the_entry_and_icons_and_uninstall_removes_them(tmp_path, use_xdg):
    home = tmp_path / "home"
    home.mkdir()
    xdg = tmp_path / "xdg-data" if use_xdg else None
    base = xdg if xdg is not None else home / ".local" / "share"
    done = qfdesk("install-desktop", home=home, xdg=xdg)
    assert done.returncode == 0, done.stderr
    entry_file = base / "applications" / "qfdesk.desktop"
    assert entry_file.is_file() and f"wrote {entry_file}" in done.stdout
    entry = read_entry(entry_file)
    assert entry["Type"] == "Application" and entry["Name"] == "QuantumFlux Desk"
    assert entry["Categories"] == "Finance;Office;" and entry["Terminal"] == "false"
    icon = Path(entry["Icon"])
    assert icon == base / "icons" / "hicolor" / "256x256" / "apps" / "qfdesk.png"
    assert icon.read_bytes() == (ICONS / "qfdesk-256.png").read_bytes()
    for size in (128, 64, 48):
        installed = base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "qfdesk.png"
        assert installed.read_bytes() == (ICONS / f"qfdesk-{size}.png").read_bytes()
    svg = base / "icons" / "hicolor" / "scalable" / "apps" / "qfdesk.svg"
    assert svg.read_text() == (ICONS / "qfdesk.svg").read_text()
    # The Exec line starts this very qfdesk: run it (with --version) as a launcher would.
    argv = shlex.split(entry["Exec"])
    version = subprocess.run(
        [*argv, "--version"],
        check=False,
        capture_output=True,
        text=True,
        cwd=entry.get("Path"),
        timeout=60,
    )
    assert version.returncode == 0 and version.stdout.startswith("qfdesk ")

    again = qfdesk("install-desktop", home=home, xdg=xdg)
    assert again.returncode == 0 and read_entry(entry_file) == entry, "installing twice is fine"

    gone = qfdesk("uninstall-desktop", home=home, xdg=xdg)
    assert gone.returncode == 0, gone.stderr
    assert not entry_file.exists() and not icon.exists() and not svg.exists()
    assert f"removed {entry_file}" in gone.stdout
    nothing = qfdesk("uninstall-desktop", home=home, xdg=xdg)
    assert nothing.returncode == 0 and "nothing to remove" in nothing.stdout


def test_an_unwritable_applications_folder_is_reported(tmp_path):
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    (xdg / "applications").write_text("a file where the folder should be")
    done = qfdesk("install-desktop", home=tmp_path, xdg=xdg)
    assert done.returncode == 1 and "qfdesk install-desktop:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/qfdesk", "/usr/bin/qfdesk"),
        ("/opt/QuantumFlux Desk/QuantumFlux Desk", '"/opt/QuantumFlux Desk/QuantumFlux Desk"'),
        ("/opt/100%/qfdesk", "/opt/100%%/qfdesk"),
        ('/opt/a"b $c/x', '"/opt/a\\\\"b \\\\$c/x"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(arg, quoted):
    assert quote_exec_arg(arg) == quoted
