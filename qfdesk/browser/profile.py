"""The persistent Chrome profile: where it lives, owner-only creation, and its lock."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from qfdesk.browser.process_identity import identity
from qfdesk.engine.paths import default_profile_dir

__all__ = [
    "ProfileState",
    "default_profile_dir",
    "ensure_profile_dir",
    "lock_owner",
    "profile_state",
    "remove_throwaway_profile",
]

log = logging.getLogger(__name__)


def ensure_profile_dir(path: Path) -> Path:
    """Create the profile with owner-only permissions (it holds the trader's session)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(path, 0o700)
    return path


@dataclass(frozen=True, slots=True)
class ProfileState:
    path: Path
    exists: bool
    mode: int | None
    locked: bool
    lock_owner: str | None

    @property
    def owner_only(self) -> bool:
        return self.mode is not None and self.mode & 0o077 == 0


def lock_owner(path: Path) -> str | None:
    """Who holds the profile (``host-pid``), or None when it is free or the lock is stale.

    Chrome keeps a ``SingletonLock`` symlink to ``<hostname>-<pid>`` on POSIX and an open
    ``lockfile`` on Windows. A lock left by a crashed Chrome on this host is stale (also
    while the crashed Chrome is a zombie nobody reaped: an init that reaps none leaves one).
    """
    if sys.platform == "win32":
        lockfile = path / "lockfile"
        if not lockfile.exists():
            return None
        try:
            with open(lockfile, "a"):
                return None
        except PermissionError:
            return "another Chrome"
    link = path / "SingletonLock"
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError:
        return "unknown" if link.exists() else None
    host, _, pid_text = target.rpartition("-")
    if host == socket.gethostname() and pid_text.isdigit() and identity(int(pid_text)) is None:
        log.info("profile lock %s is stale (process %s is gone)", link, pid_text)
        return None
    return target


CHROME_SOCKET_DIRS = ("org.chromium.Chromium.", "com.google.Chrome.")


def remove_throwaway_profile(path: Path) -> None:
    """Remove a temporary profile and the temp folder of Chrome's singleton socket, which the
    profile links to and which Chrome leaves behind even when it closes normally."""
    try:
        socket_dir = Path(os.readlink(path / "SingletonSocket")).parent
    except OSError:
        socket_dir = None
    if socket_dir is not None and socket_dir.name.startswith(CHROME_SOCKET_DIRS):
        shutil.rmtree(socket_dir, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)


def profile_state(path: Path) -> ProfileState:
    if not path.is_dir():
        return ProfileState(path, False, None, False, None)
    owner = lock_owner(path)
    return ProfileState(path, True, path.stat().st_mode & 0o777, owner is not None, owner)
