"""A chromedriver service recorded as this run's while it runs, so that it ends with the run
(``owned``): a chromedriver left behind keeps buffering Chrome's performance log for good."""

from __future__ import annotations

from selenium.webdriver.chrome.service import Service

from qfdesk.browser.owned import own_process, release_process


class OwnedService(Service):
    def _start_process(self, path: str) -> None:
        super()._start_process(path)
        own_process(self.process.pid, group=False, what="chromedriver")

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if getattr(self, "process", None) is not None:
                release_process(self.process.pid)
