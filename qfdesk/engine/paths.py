"""Where the terminal keeps its data by default."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "QuantumFlux Desk"
APP_AUTHOR = "qfdesk"


def default_data_root() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/QuantumFlux Desk`` on Linux.

    Commands let ``--data-dir`` override it.
    """
    return platformdirs.user_data_path(APP_NAME, APP_AUTHOR)
