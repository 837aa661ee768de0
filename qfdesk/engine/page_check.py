"""What the check of the platform page's critical elements found, and what is off for it.

On every attach the app checks the page's elements (those ``qfdesk doctor`` checks). Each
feature that clicks or reads the page depends on some of them (:data:`DEPENDS`); while one is
not found, exactly those features are off and the trader is told which element, what is off
and how to fix it (a ``selectors.json`` override, Help > Selectors). Charting depends on no
element: its data comes from the page's socket, never from its markup.

Qt-free and Selenium-free: :mod:`qfdesk.browser.page_check` makes a :class:`PageCheck`, the
order desk asks :class:`PageChecks` whether trading is on, the window shows it. Thread-safe:
the check runs on the action executor, the desk and the window read it on theirs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

log = logging.getLogger(__name__)


class Feature(str, Enum):
    """What the app does on the page, as the trader calls it."""

    MANUAL_TRADING = "trading by hand"
    AUTO_TRADER = "the auto-trader"
    ASSET_SWITCHING = "switching the asset on the page"


ELEMENT_WORDS: Mapping[str, str] = {
    "buy_button": "the BUY button",
    "sell_button": "the SELL button",
    "amount_input": "the trade amount field",
    "expiry_value": "the expiry time",
    "payout": "the payout of the current asset",
    "current_asset": "the name of the current asset",
    "balance": "the account balance",
}
"""The selectors file's element names in the trader's words."""

# A trade selects the asset, sets amount and expiry, reads the account (DEMO/REAL, from the
# balance block) and clicks BUY or SELL: one missing element and no trade can be placed. The
# app reads the payout and the balance from the socket, not the page: a missing payout
# element is reported, but nothing is off for it.
_TRADE = ("buy_button", "sell_button", "amount_input", "expiry_value", "current_asset", "balance")

DEPENDS: Mapping[Feature, tuple[str, ...]] = {
    Feature.MANUAL_TRADING: _TRADE,
    Feature.AUTO_TRADER: _TRADE,
    Feature.ASSET_SWITCHING: ("current_asset",),
}
"""Which elements each feature needs on the page."""

HOW_TO_FIX = "Help > Selectors explains how to fix it"


@dataclass(frozen=True, slots=True)
class ElementCheck:
    """One element of the selectors file as the page showed it: the fallback of its chain
    that matched (``index`` 0 = the best) and how many elements it matched, or not found."""

    name: str
    critical: bool
    description: str = ""
    selector: str | None = None
    index: int | None = None
    count: int = 0

    @property
    def found(self) -> bool:
        return self.selector is not None

    @property
    def words(self) -> str:
        """The element as the trader reads it: ``the BUY button``."""
        return ELEMENT_WORDS.get(self.name) or self.description or self.name


@dataclass(frozen=True, slots=True)
class PageCheck:
    """One check of the page. ``error``: it could not be made (then nothing is switched off
    by it: the actions still say what fails); ``problem``: why the user's selectors file was
    not used; ``sources``: the selectors files that were."""

    elements: tuple[ElementCheck, ...] = ()
    sources: tuple[str, ...] = ()
    problem: str | None = None
    error: str | None = None

    @property
    def missing(self) -> tuple[ElementCheck, ...]:
        """The elements not found that are critical or that a feature needs."""
        needed = {name for names in DEPENDS.values() for name in names}
        return tuple(e for e in self.elements if not e.found and (e.critical or e.name in needed))

    @property
    def ok(self) -> bool:
        return self.error is None and self.problem is None and not self.missing

    def off(self) -> dict[Feature, tuple[ElementCheck, ...]]:
        """Each feature that is off, with the missing elements it needs."""
        gone = {e.name: e for e in self.missing}
        off = {}
        for feature, names in DEPENDS.items():
            lacking = tuple(gone[name] for name in names if name in gone)
            if lacking:
                off[feature] = lacking
        return off

    def refusal(self, feature: Feature) -> str | None:
        """Why ``feature`` is off, in the trader's words; None while it is on."""
        lacking = self.off().get(feature)
        if not lacking:
            return None
        return (
            f"{_not_found(lacking)}: {feature.value} is off until "
            f"{'it is' if len(lacking) == 1 else 'they are'}; {HOW_TO_FIX}"
        )

    @property
    def missing_text(self) -> str:
        """What was not found and what is off for it; '' when every element was found."""
        missing = self.missing
        if not missing:
            return ""
        off = self.off()
        if off:
            what = _joined([feature.value for feature in off])
            verb = "is" if len(off) == 1 else "are"
            until = "it is" if len(missing) == 1 else "they are"
            text = f"{_not_found(missing)}: {what} {verb} off until {until}; {HOW_TO_FIX}."
        else:
            text = f"{_not_found(missing)}; {HOW_TO_FIX}."
        return text[:1].upper() + text[1:]

    @property
    def text(self) -> str:
        """The banner's text: what is missing and off, the selectors file's problem, the
        check's error; '' when all is well."""
        parts = [self.missing_text] if self.missing else []
        if self.problem:
            parts.append(_sentence(self.problem))
        if self.error:
            parts.append(f"The platform page could not be checked: {_sentence(self.error)}")
        return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _not_found(elements: tuple[ElementCheck, ...]) -> str:
    verb = "was" if len(elements) == 1 else "were"
    return f"{_joined([e.words for e in elements])} {verb} not found on the page"


Listener = Callable[[PageCheck], None]


@dataclass
class PageChecks:
    """The latest check of the page (None before the first), with listeners told of each
    new one on the thread that made it."""

    _check: PageCheck | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listeners: list[Listener] = field(default_factory=list)

    @property
    def current(self) -> PageCheck | None:
        with self._lock:
            return self._check

    def refusal(self, feature: Feature) -> str | None:
        """Why ``feature`` is off by the latest check; None while it is on."""
        check = self.current
        return check.refusal(feature) if check is not None else None

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def update(self, check: PageCheck) -> None:
        with self._lock:
            self._check = check
            listeners = list(self._listeners)
        if check.ok:
            log.info("page check: every critical element was found")
        else:
            log.warning("page check: %s", check.text)
        for listener in listeners:
            try:
                listener(check)
            except Exception:
                log.exception("a page-check listener failed")
