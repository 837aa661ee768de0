"""The desktop app's command-line options (no Qt import: the CLI parser stays cheap)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_desktop_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on the built-in simulated platform (starts its own Chromium)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="with --demo: run that Chromium headless"
    )
    parser.add_argument(
        "--attach",
        metavar="HOST:PORT",
        default=None,
        help="Chrome debugging address to attach to (default 127.0.0.1:9222)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="data root (default: the per-user data folder)"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen on the simulated platform, wait for a live tick on the "
        "chart, exit 0 (non-zero with the reason otherwise)",
    )
    parser.add_argument(
        "--self-test-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="with --self-test: seconds to wait for the live tick (default 120)",
    )
