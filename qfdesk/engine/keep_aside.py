"""Keeping a rejected file aside: a copy next to it, so nothing a trader wrote is lost.

The copy is named ``<stem>.<why>-<time><suffix>`` (``settings.unreadable-20260101-120000.json``).
The same content rejected again (the app started twice with the same bad file) is not copied
a second time: the earlier copy is returned.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)


def _same_bytes(one: Path, other: Path) -> bool:
    try:
        return one.read_bytes() == other.read_bytes()
    except OSError:
        return False


def keep_aside(path: Path, why: str) -> Path | None:
    """Copy ``path`` next to itself as a backup; the copy, or None when it cannot be made."""
    prefix = f"{path.stem}.{why}-"
    try:
        earlier = sorted(
            p
            for p in path.parent.iterdir()
            if p.name.startswith(prefix) and p.suffix == path.suffix
        )
    except OSError:
        earlier = []
    for copy in reversed(earlier):
        if _same_bytes(copy, path):
            return copy
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{why}-{stamp}{path.suffix}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.stem}.{why}-{stamp}-{number}{path.suffix}")
    try:
        shutil.copy2(path, target)
    except OSError as error:
        log.error("could not keep a copy of %s (%s)", path, error)
        return None
    return target
