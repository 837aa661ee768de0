"""Start Chrome with a loopback-only debugging port, or find the one already listening."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qfdesk.browser.chrome_finder import find_chrome
from qfdesk.browser.errors import (
    ChromeStartError,
    PortInUseError,
    ProfileLockedError,
)
from qfdesk.browser.owned import own_path, own_process, release_path, release_process
from qfdesk.browser.profile import default_profile_dir, ensure_profile_dir, lock_owner
from qfdesk.browser.settings import BrowserSettings

log = logging.getLogger(__name__)

BASE_FLAGS = (
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
HEADLESS_FLAGS = ("--headless=new", "--disable-gpu")


def probe_debugger(host: str, port: int, timeout: float = 1.0) -> dict[str, Any] | None:
    """The ``/json/version`` answer of a Chrome debugging port, or None if none answers."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/json/version", timeout=timeout) as r:
            info = json.loads(r.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return info if isinstance(info, dict) and "Browser" in info else None


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on now (for a Chrome of our own)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class ChromeProcess:
    """A Chrome this program started; ``stop`` ends its whole process group and removes
    the temporary file its messages went to."""

    process: subprocess.Popen[bytes]
    profile_dir: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if sys.platform == "win32":
            self.process.terminate()
        else:
            self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self) -> None:
        """Kill at once (also what a crash looks like to the tail)."""
        if sys.platform == "win32":
            self.process.kill()
        else:
            self._signal_group(signal.SIGKILL)
        self.process.wait(10)
        self._reap_group()

    def _reap_group(self) -> None:
        """Kill what is left of the group (helpers outliving the main process), then forget
        it: it is no longer this run's to end, and its log file goes."""
        if sys.platform != "win32":
            self._signal_group(signal.SIGKILL)
        release_process(self.pid)
        _remove_log(self.stderr_path)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass


@dataclass(frozen=True, slots=True)
class ChromeEndpoint:
    """A Chrome ready to attach to: its address, version and, if we started it, the process."""

    host: str
    port: int
    browser_version: str
    process: ChromeProcess | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def chrome_command(settings: BrowserSettings, chrome: Path, profile: Path) -> list[str]:
    args = [
        str(chrome),
        f"--remote-debugging-port={settings.port}",
        "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={profile}",
        *BASE_FLAGS,
    ]
    if settings.headless:
        args += HEADLESS_FLAGS
    if settings.no_sandbox or (hasattr(os, "geteuid") and os.geteuid() == 0):
        args.append("--no-sandbox")
    args += list(settings.extra_args)
    args.append(settings.url)
    return args


def launch_chrome(settings: BrowserSettings, start_timeout: float = 20.0) -> ChromeEndpoint:
    """Start Chrome on ``settings.port`` (loopback only) with the persistent profile."""
    if settings.host not in ("127.0.0.1", "localhost"):
        raise ChromeStartError(
            f"qfdesk starts Chrome only on this computer, not on {settings.host}. "
            "Use --attach HOST:PORT for a Chrome elsewhere."
        )
    if port_is_open("127.0.0.1", settings.port):
        raise PortInUseError(
            f"Port {settings.port} is held by a program that is not a Chrome debugging port. "
            "Close that program or choose another port in the settings."
        )
    chrome = find_chrome(settings.chrome_path)
    profile = ensure_profile_dir(settings.profile_dir or default_profile_dir())
    owner = lock_owner(profile)
    if owner is not None:
        raise ProfileLockedError(
            f"The Chrome profile {profile} is in use by another Chrome ({owner}) that has no "
            f"debugging port {settings.port}. Close that Chrome window, then try again."
        )
    command = chrome_command(settings, chrome, profile)
    log.info("starting Chrome %s on port %d, profile %s", chrome, settings.port, profile)
    popen_kwargs: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
    if sys.platform == "win32":
        popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        popen_kwargs["start_new_session"] = True
    with tempfile.NamedTemporaryFile(
        prefix="qfdesk-chrome-", suffix=".log", delete=False
    ) as stderr_file:
        own_path(Path(stderr_file.name))
        try:
            popen = subprocess.Popen(command, stderr=stderr_file, **popen_kwargs)
        except OSError:
            _remove_log(Path(stderr_file.name))
            raise
    own_process(popen.pid, group=True, what="Chrome")
    process = ChromeProcess(popen, profile, Path(stderr_file.name))
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        info = probe_debugger("127.0.0.1", settings.port, timeout=0.5)
        if info is not None:
            return ChromeEndpoint("127.0.0.1", settings.port, info["Browser"], process)
        if not process.alive():
            break
        time.sleep(0.1)
    tail = _tail_text(process.stderr_path)
    process.stop()
    raise ChromeStartError(
        f"Chrome did not open its debugging port {settings.port} within {start_timeout:.0f} s"
        f" (exit code {process.process.returncode}). Chrome said: {tail or 'nothing'}. "
        "Close other Chrome windows using this profile and try again."
    )


def _remove_log(path: Path) -> None:
    path.unlink(missing_ok=True)
    release_path(path)


def _tail_text(path: Path, limit: int = 600) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip()
    except OSError:
        return ""


def ensure_chrome(settings: BrowserSettings, *, launch: bool = True) -> ChromeEndpoint:
    """Attach to the Chrome on the debugging port, or start one if ``launch`` allows it.

    Never starts a second Chrome on the same profile or port.
    """
    info = probe_debugger(settings.host, settings.port)
    if info is not None:
        log.info("Chrome %s already listens on %s", info["Browser"], settings.address)
        return ChromeEndpoint(settings.host, settings.port, info["Browser"], None)
    if not launch:
        if port_is_open(settings.host, settings.port):
            raise PortInUseError(
                f"{settings.address} answers but is not a Chrome debugging port. "
                "Check the address, or close the program holding that port."
            )
        raise ChromeStartError(
            f"No Chrome listens on {settings.address}. Start Chrome with "
            f"--remote-debugging-port={settings.port}, or use --launch."
        )
    return launch_chrome(settings)
