"""The check of the page's elements, one implementation for ``qfdesk doctor`` and the app:
which fallback of each element's selector chain matches on the page now."""

from __future__ import annotations

import time
from collections.abc import Callable

from qfdesk.browser.selectors import SearchRoot, Selectors
from qfdesk.engine.page_check import ElementCheck, PageCheck

POLL_EVERY = 0.5


def check_page(root: SearchRoot, selectors: Selectors) -> PageCheck:
    """Every element of ``selectors`` looked up on the page once."""
    return PageCheck(
        elements=tuple(
            ElementCheck(
                name=found.name,
                critical=found.critical,
                description=selectors.spec(found.name).description,
                selector=None if found.selector is None else str(found.selector),
                index=found.index,
                count=found.count,
            )
            for found in selectors.resolve(root)
        ),
        sources=tuple(str(path) for path in selectors.sources),
        problem=selectors.problem,
    )


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def check_page_settled(
    root: SearchRoot,
    selectors: Selectors,
    grace: float,
    wait: Callable[[float], bool] = _sleep,
) -> PageCheck:
    """:func:`check_page`, again every half second for up to ``grace`` seconds while an
    element is missing: a page just opened draws its elements a moment after it loads.
    ``wait(seconds)`` pauses between tries; True from it ends the wait (the app stops)."""
    deadline = time.monotonic() + grace
    while True:
        check = check_page(root, selectors)
        if not check.missing or time.monotonic() >= deadline or wait(POLL_EVERY):
            return check
