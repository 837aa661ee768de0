"""``qfdesk doctor``: is Chrome reachable, does chromedriver match, do the page's critical
elements resolve? Exit 0 when every critical element resolves, 1 otherwise."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qfdesk.browser.settings import BrowserSettings


def configure(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--attach", metavar="HOST:PORT", help="attach to this Chrome (default 127.0.0.1:9222)"
    )
    where.add_argument(
        "--launch", action="store_true", help="start Chrome if none listens on the port"
    )
    parser.add_argument("--port", type=int, default=None, help="debugging port for --launch")
    parser.add_argument("--url", default=None, help="platform URL to open when launching")
    parser.add_argument("--chrome", default=None, help="path of the Chrome executable")
    parser.add_argument("--profile", default=None, help="Chrome profile directory")
    parser.add_argument("--headless", action="store_true", help="launch Chrome headless")


def _settings(args: argparse.Namespace) -> BrowserSettings:
    from pathlib import Path

    from qfdesk.browser.live import parse_address
    from qfdesk.browser.settings import DEFAULT_PORT, DEFAULT_URL, BrowserSettings

    host, port = parse_address(args.attach) if args.attach else ("127.0.0.1", DEFAULT_PORT)
    return BrowserSettings(
        chrome_path=args.chrome,
        host=host,
        port=args.port or port,
        profile_dir=Path(args.profile) if args.profile else None,
        url=args.url or DEFAULT_URL,
        headless=args.headless,
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from qfdesk.browser.attach import attach, chromedriver_info, detach
    from qfdesk.browser.chrome_launcher import ensure_chrome
    from qfdesk.browser.errors import ChromeError
    from qfdesk.browser.owned import sweep
    from qfdesk.browser.page_check import check_page
    from qfdesk.browser.profile import default_profile_dir, profile_state
    from qfdesk.browser.selectors import Selectors, user_selectors_path
    from qfdesk.browser.tabs import PlatformTab

    try:
        settings = _settings(args)
    except ValueError as error:
        print(f"qfdesk doctor: {error}", file=sys.stderr)
        return 2
    sweep()  # before the profile's lock is read or a Chrome adopted
    profile = profile_state(settings.profile_dir or default_profile_dir())
    print(f"profile     {profile.path}")
    if profile.exists:
        mode = oct(profile.mode or 0)
        print(f"            mode {mode}{'' if profile.owner_only else ' (NOT owner-only)'}")
        print(f"            {'in use by ' + str(profile.lock_owner) if profile.locked else 'free'}")
    else:
        print("            not created yet")
    try:
        driver_info = chromedriver_info(settings.chromedriver_path)
    except ChromeError as exc:
        print(f"chromedriver  {exc}")
        return 1
    print(
        f"chromedriver {driver_info.path or 'none installed (Selenium Manager will fetch one)'}"
        f"{' ' + driver_info.version if driver_info.version else ''}"
    )
    driver = None
    try:
        endpoint = ensure_chrome(settings, launch=args.launch)
        started = (
            "started by doctor, closed when it ends" if endpoint.process else "already running"
        )
        print(f"chrome      {endpoint.browser_version} on {endpoint.address} ({started})")
        driver = attach(endpoint.address, chromedriver_path=settings.chromedriver_path)
        PlatformTab(driver, endpoint.address, settings.url_mark).ensure()
        print(f"page        {driver.current_url}")
        selectors = Selectors.load()
        check = check_page(driver, selectors)
    except ChromeError as exc:
        print(f"error       {exc}")
        return 1
    finally:
        detach(driver)
    print(f"selectors   {', '.join(str(p) for p in selectors.sources)}")
    if selectors.problem is not None:
        print(f"warning     {selectors.problem}")
    for item in check.elements:
        tag = "critical" if item.critical else "optional"
        if item.found:
            which = "best" if item.index == 0 else f"fallback {item.index}"
            print(f"  ok      {item.name:<22} {tag}  {which}: {item.selector} ({item.count})")
        else:
            print(f"  MISSING {item.name:<22} {tag}")
    if check.missing:
        print(check.missing_text)
        print(
            "Open the trading page; if it is open, the platform changed its markup: give the "
            f"element's new selector in {user_selectors_path()}."
        )
        return 1
    print("all critical elements resolve")
    return 0
