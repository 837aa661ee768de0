"""The browser options of the commands that read the trader's Chrome (``collect``,
``backfill``): ``--launch`` or ``--attach HOST:PORT``, and what a launch needs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qfdesk.browser.settings import BrowserSettings


def add_browser_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--launch",
        action="store_true",
        help="start Chrome on the platform (or attach if one already listens on --port)",
    )
    source.add_argument(
        "--attach",
        metavar="HOST:PORT",
        help="attach to a Chrome started with --remote-debugging-port (default 127.0.0.1:9222)",
    )
    parser.add_argument("--port", type=int, default=None, help="debugging port for --launch")
    parser.add_argument("--url", default=None, help="platform page to open with --launch")
    parser.add_argument("--chrome", default=None, help="path of the Chrome/Chromium binary")
    parser.add_argument("--headless", action="store_true", help="run a launched Chrome headless")
    parser.add_argument(
        "--profile", type=Path, default=None, help="Chrome profile directory for --launch"
    )


def browser_settings(args: argparse.Namespace) -> BrowserSettings:
    """The settings the options describe; ValueError for an address that is not HOST:PORT."""
    from qfdesk.browser.live import parse_address
    from qfdesk.browser.settings import BrowserSettings

    host, port = parse_address(args.attach or f"127.0.0.1:{args.port or 9222}")
    overrides = {"url": args.url} if args.url else {}
    return BrowserSettings(
        chrome_path=args.chrome,
        host=host,
        port=port,
        headless=args.headless,
        profile_dir=args.profile,
        **overrides,
    )
