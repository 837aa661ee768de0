"""Where QuantumFlux Desk keeps its files: one place decides every folder the app uses.

Config (settings, selector overrides, strategies), data (CSVs, the Chrome profile when
installed), logs and artifacts live in the platform's usual per-user folders (platformdirs;
on Linux they follow ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` and ``XDG_STATE_HOME``).
``resources/`` (selectors.json, the simulated page, icons) is found in a PyInstaller bundle,
in a source checkout, or in the ``share/qfdesk`` folder a wheel installs it to.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

import platformdirs

APP_NAME = "QuantumFlux Desk"
APP_AUTHOR = "qfdesk"
PROFILE_DIRNAME = "Chrome_profile"
ARTIFACTS_DIRNAME = "artifacts"
RESOURCES_DIRNAME = "resources"
# A wheel installs resources/ here, under the environment's prefix (see pyproject.toml).
INSTALLED_RESOURCES = Path("share") / "qfdesk" / RESOURCES_DIRNAME

_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def is_source_checkout() -> bool:
    """True when running from a clone of the repository (also an editable install)."""
    root = _CHECKOUT_ROOT
    return not is_frozen() and (root / "pyproject.toml").is_file() and (root / "qfdesk").is_dir()


def config_dir() -> Path:
    """Settings, the selectors override file and the strategies file."""
    return platformdirs.user_config_path(APP_NAME, APP_AUTHOR)


def default_data_root() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/QuantumFlux Desk`` on Linux.

    The settings' data dir and commands' ``--data-dir`` override it for the CSVs.
    """
    return platformdirs.user_data_path(APP_NAME, APP_AUTHOR)


def logs_dir() -> Path:
    """Rotating log files, e.g. ``~/.local/state/QuantumFlux Desk/log`` on Linux."""
    return platformdirs.user_log_path(APP_NAME, APP_AUTHOR)


def runs_dir() -> Path:
    """The records of running qfdesk processes: what each started (see browser/run_record)."""
    return platformdirs.user_state_path(APP_NAME, APP_AUTHOR) / "runs"


def artifacts_dir() -> Path:
    """Screenshots and diagnostics files."""
    return default_data_root() / ARTIFACTS_DIRNAME


def own_folders() -> tuple[Path, ...]:
    """The folders that belong to the app alone (made private at start): data, artifacts and,
    on Linux, the state folder holding the logs. The config and logs folders are separate
    (:func:`config_dir`, :func:`logs_dir`): their files are made private too."""
    state = platformdirs.user_state_path(APP_NAME, APP_AUTHOR)
    folders = [default_data_root(), artifacts_dir()]
    if state in logs_dir().parents:
        folders.append(state)
    return tuple(folders)


def default_profile_dir() -> Path:
    """The persistent Chrome profile: ``Chrome_profile/`` in a checkout, else in the data dir."""
    if is_source_checkout():
        return _CHECKOUT_ROOT / PROFILE_DIRNAME
    return default_data_root() / PROFILE_DIRNAME


def _resource_candidates() -> list[Path]:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return [Path(frozen) / RESOURCES_DIRNAME]
    candidates = [_CHECKOUT_ROOT / RESOURCES_DIRNAME]
    prefixes = [Path(sys.prefix), Path(site.getuserbase())]
    candidates += [prefix / INSTALLED_RESOURCES for prefix in prefixes]
    return candidates


def resources_dir() -> Path:
    """The folder holding ``selectors.json``, ``sim/`` and ``icons/``.

    The first candidate with a ``selectors.json`` wins; if none has one, the first candidate
    (so an error names the place the app looked first).
    """
    candidates = _resource_candidates()
    for candidate in candidates:
        if (candidate / "selectors.json").is_file():
            return candidate
    return candidates[0]


def resource_path(*parts: str) -> Path:
    """A file or folder inside ``resources/``, e.g. ``resource_path("icons", "qfdesk.svg")``."""
    return resources_dir().joinpath(*parts)


def source_root() -> Path | None:
    """The repository folder when running from a source checkout, else None."""
    return _CHECKOUT_ROOT if is_source_checkout() else None


def app_command() -> list[str]:
    """The command line that starts this app: the bundle's program, the installed ``qfdesk``
    script next to this Python, or ``python -m qfdesk`` (run it in ``source_root()``)."""
    if is_frozen():
        return [sys.executable]
    script = Path(sys.executable).with_name("qfdesk.exe" if sys.platform == "win32" else "qfdesk")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "qfdesk"]
