"""Attach Selenium to a running Chrome through ``debuggerAddress``.

Each call makes its own chromedriver session. Checked with Chromium 156: two sessions on one
Chrome each receive the complete performance log (every entry reaches both), so the tail and
the actions keep separate sessions; only the tail asks for performance logging, so the action
session does not buffer a log that nobody drains.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from selenium import webdriver
from selenium.common.exceptions import SessionNotCreatedException, WebDriverException
from selenium.webdriver.remote.remote_connection import RemoteConnection

from qfdesk.browser.chrome_launcher import probe_debugger
from qfdesk.browser.driver_service import OwnedService
from qfdesk.browser.errors import (
    AttachError,
    ChromedriverMismatchError,
    ChromedriverMissingError,
)

log = logging.getLogger(__name__)

# Selenium logs every chromedriver response at DEBUG, and the performance log's responses
# carry the page's ``auth`` frame with the session token: keep that logger above DEBUG even
# when the app logs everything else at DEBUG.
logging.getLogger("selenium.webdriver.remote.remote_connection").setLevel(logging.INFO)

_SYSTEM_DRIVERS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


@dataclass(frozen=True, slots=True)
class DriverInfo:
    path: Path | None
    version: str | None

    @property
    def major(self) -> int | None:
        return major_version(self.version)


def major_version(text: str | None) -> int | None:
    match = re.search(r"(\d+)\.\d+\.\d+", text or "")
    return int(match.group(1)) if match else None


def find_chromedriver(override: str | None = None) -> Path | None:
    """The system chromedriver, or None to let Selenium Manager provide one."""
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ChromedriverMissingError(
                f"The chromedriver path set in the settings does not exist: {path}. "
                "Correct it or clear it to use the system chromedriver or Selenium Manager."
            )
        return path
    found = shutil.which("chromedriver")
    if found:
        return Path(found)
    for candidate in _SYSTEM_DRIVERS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def chromedriver_info(override: str | None = None) -> DriverInfo:
    path = find_chromedriver(override)
    if path is None:
        return DriverInfo(None, None)
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ChromedriverMissingError(
            f"chromedriver at {path} cannot run ({exc}). Reinstall chromedriver."
        ) from exc
    return DriverInfo(path, out.strip() or None)


def check_versions(driver: DriverInfo, browser_version: str) -> None:
    """Raise if chromedriver and Chrome have different major versions."""
    browser_major = major_version(browser_version)
    if driver.major is None or browser_major is None or driver.major == browser_major:
        return
    raise ChromedriverMismatchError(
        f"chromedriver {driver.major} ({driver.path}) does not match Chrome {browser_major} "
        f"({browser_version}). Install chromedriver {browser_major}, or remove the old one so "
        "that Selenium Manager fetches the right version."
    )


def attach(
    address: str,
    *,
    performance_log: bool = False,
    chromedriver_path: str | None = None,
    page_load_timeout: float = 30.0,
    command_timeout: float | None = None,
) -> webdriver.Chrome:
    """A new chromedriver session on the Chrome at ``address`` (``host:port``)."""
    host, _, port = address.rpartition(":")
    info = probe_debugger(host, int(port))
    if info is None:
        raise AttachError(
            f"No Chrome answers on {address}. Start Chrome with --remote-debugging-port={port} "
            "(qfdesk can do it with --launch) and try again."
        )
    driver_info = chromedriver_info(chromedriver_path)
    check_versions(driver_info, info["Browser"])
    options = webdriver.ChromeOptions()
    options.debugger_address = address
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = OwnedService(str(driver_info.path)) if driver_info.path else OwnedService()
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except SessionNotCreatedException as exc:
        message = exc.msg or str(exc)
        if "only supports" in message or "version" in message.lower():
            raise ChromedriverMismatchError(
                f"chromedriver refused Chrome {info['Browser']}: {message.splitlines()[0]}. "
                "Install the chromedriver matching your Chrome version."
            ) from exc
        raise AttachError(f"Could not attach to Chrome on {address}: {message}") from exc
    except WebDriverException as exc:
        message = (exc.msg or str(exc)).splitlines()[0]
        if driver_info.path is None and "driver" in message.lower():
            raise ChromedriverMissingError(
                "No chromedriver is installed and Selenium Manager could not fetch one "
                f"({message}). Install chromedriver matching your Chrome."
            ) from exc
        raise AttachError(f"Could not attach to Chrome on {address}: {message}") from exc
    driver.set_page_load_timeout(page_load_timeout)
    if command_timeout is not None:
        # Bounds each HTTP call to chromedriver, so a frozen Chrome cannot block the tail for
        # the default two minutes. Selenium exposes this only through the client config.
        executor = cast(RemoteConnection, driver.command_executor)
        executor._client_config.timeout = command_timeout
    log.info("attached to %s (performance log %s)", address, "on" if performance_log else "off")
    return driver


def detach(driver: webdriver.Chrome | None) -> None:
    """End a session without closing the trader's Chrome (an attached session leaves it open)."""
    if driver is None:
        return
    try:
        driver.quit()
    except Exception:
        log.debug("detach: session already gone", exc_info=True)
