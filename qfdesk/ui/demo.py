"""``qfdesk --demo``: the simulated platform, a Chromium of our own on it, and clean ends.

The simulator runs in this process (its own thread); Chromium is a child process in its own
process group with a throw-away profile, ended by the bridge when the window closes. A
SIGTERM closes the window the same way (see ``desktop``); ``atexit`` is the last resort, and
after a SIGKILL the run's watchdog or the next start removes the profile (``owned``).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import tempfile
from pathlib import Path

from qfdesk.browser.chrome_launcher import free_port
from qfdesk.browser.owned import own_path, release_path
from qfdesk.browser.profile import remove_throwaway_profile
from qfdesk.browser.settings import BrowserSettings
from qfdesk.sim.platform import SimulatedPlatform

log = logging.getLogger(__name__)

HEADLESS_ENV = "QF_DEMO_HEADLESS"
DEMO_ASSETS = 8


def want_headless(flag: bool, environ: dict[str, str] | None = None) -> bool:
    """Headless when asked, under offscreen Qt (tests), or with no display to show it on."""
    env = os.environ if environ is None else environ
    if flag or env.get(HEADLESS_ENV, "").lower() in ("1", "true", "yes", "on"):
        return True
    if env.get("QT_QPA_PLATFORM", "") == "offscreen":
        return True
    return sys.platform.startswith("linux") and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    )


class DemoSession:
    """Start with :meth:`start` (the browser settings to launch with), end with :meth:`stop`."""

    def __init__(self, *, headless: bool, tick_rate: float | None = None) -> None:
        self.headless = headless
        self.tick_rate = tick_rate
        self.platform: SimulatedPlatform | None = None
        self.profile: Path | None = None

    def start(self) -> BrowserSettings:
        self.platform = SimulatedPlatform(assets=DEMO_ASSETS, tick_rate=self.tick_rate).start()
        self.profile = Path(tempfile.mkdtemp(prefix="qfdesk-demo-profile-"))
        own_path(self.profile)
        atexit.register(self.stop)
        log.info("demo: simulated platform at %s", self.platform.url)
        return BrowserSettings(
            port=free_port(),
            profile_dir=self.profile,
            url="about:blank",
            headless=self.headless,
            extra_args=("--window-size=1400,900",),
        )

    @property
    def url(self) -> str:
        assert self.platform is not None
        return self.platform.url

    def stop(self) -> None:
        if self.platform is not None:
            self.platform.stop()
            self.platform = None
            log.info("demo: simulated platform stopped")
        if self.profile is not None:
            remove_throwaway_profile(self.profile)
            release_path(self.profile)
            self.profile = None
