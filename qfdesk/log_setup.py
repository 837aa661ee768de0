"""Logging for the ``qfdesk`` command: the console, and rotating files for the desktop app."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILENAME = "qfdesk.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5

_installed: list[logging.Handler] = []


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be replaced)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO | None:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(level: str, log_dir: Path | None = None) -> Path | None:
    """Log at ``level`` to stderr (when there is one) and, with ``log_dir``, to rotating files.

    Like ``logging.basicConfig``, the level and the console are left alone when someone else
    (an embedding program, a test runner) already set up the root logger. Returns the log
    file, or None when there is none (no ``log_dir``, or it cannot be written: then the app
    still runs, and says so on the console).
    """
    root = logging.getLogger()
    # Called again in one process (tests run the CLI in-process): replace, never pile up.
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(LOG_FORMAT)
    if not root.handlers:
        root.setLevel(level)
        # A windowed app (PyInstaller, console=False on Windows) has no stderr at all.
        if sys.stderr is not None:
            _add(root, _StderrHandler(), formatter)
    if log_dir is None:
        return None
    path = log_dir / LOG_FILENAME
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as error:
        logging.getLogger(__name__).warning(
            "cannot write log files in %s (%s); logging to the console only", log_dir, error
        )
        return None
    handler.setLevel(level)
    _add(root, handler, formatter)
    return path


def _add(root: logging.Logger, handler: logging.Handler, formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    root.addHandler(handler)
    _installed.append(handler)
