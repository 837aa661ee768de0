"""Private by default: what the app writes is readable by the trader's user only.

On POSIX the process's umask becomes 077 at start (:func:`make_private`, called first thing
by the ``qfdesk`` command), so every folder the process creates is 0700 and every file 0600,
whoever creates it: Python (settings, CSVs, logs and their rotations, diagnostics), Qt (the
layout file) or Selenium (screenshots). The app's own folders, and the files directly in the
config and logs folders, left readable by an earlier version are made private too. Windows
keeps its per-user folder permissions.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def _tighten(path: Path, mode: int) -> None:
    """``path`` to ``mode`` if it is ours and others may read it; a failure is only logged."""
    try:
        found = path.lstat()
        if found.st_uid != os.getuid() or not found.st_mode & 0o077:
            return
        if stat.S_ISDIR(found.st_mode) or stat.S_ISREG(found.st_mode):
            path.chmod(mode)
    except FileNotFoundError:
        return  # nothing there yet: what is made later is private by the umask
    except OSError as error:
        log.warning("could not make %s private (%s)", path, error)


def make_private(folders: Iterable[Path], folders_with_files: Iterable[Path] = ()) -> None:
    """Set the umask and make ``folders`` private, and ``folders_with_files`` with the files
    directly in them; missing ones are skipped. Does nothing outside POSIX."""
    if os.name != "posix":
        return
    os.umask(PRIVATE_UMASK)
    for folder in folders:
        _tighten(folder, PRIVATE_FOLDER)
    for folder in folders_with_files:
        _tighten(folder, PRIVATE_FOLDER)
        try:
            entries = [entry for entry in folder.iterdir() if entry.is_file()]
        except OSError:
            continue
        for entry in entries:
            _tighten(entry, PRIVATE_FILE)
