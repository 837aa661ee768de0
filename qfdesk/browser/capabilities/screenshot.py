"""Screenshot on demand (and the helper trade clicks use before and after)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from selenium.common.exceptions import WebDriverException

from qfdesk.browser.capabilities.base import Context, Result, capability

log = logging.getLogger(__name__)


def save_screenshot(ctx: Context, label: str) -> Path | None:
    """PNG of the platform tab in the artifacts dir; the name comes from ``label`` only."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", label)[:80]
    path = ctx.artifact_path(safe, ".png")
    try:
        if ctx.driver.save_screenshot(str(path)):
            return path
    except WebDriverException as exc:
        log.warning("screenshot %s failed: %s", safe, (exc.msg or "").splitlines()[:1])
    return None


@capability("screenshot")
def screenshot(ctx: Context, label: str = "screenshot") -> Result:
    path = save_screenshot(ctx, label)
    if path is None:
        return Result(False, error="Chrome did not return a screenshot; is the tab still open?")
    return Result(True, {"path": str(path)}, artifacts=(path,))
