"""Reading values off the page: texts, numbers, payouts, expiry, account signals."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    WebDriverException,
)

from qfdesk.browser.capabilities.base import CapabilityFailure, Context
from qfdesk.browser.selectors import Match

T = TypeVar("T")

_NUMBER = re.compile(r"[-+]?\d[\d,\s\u00a0]*(?:\.\d+)?")
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₹": "INR", "₺": "TRY"}


def require(ctx: Context, name: str, root: Any = None) -> Match:
    match = ctx.selectors.find(root or ctx.driver, name)
    if match is None:
        spec = ctx.selectors.spec(name)
        raise CapabilityFailure(
            f"The page has no {spec.description or name} (none of its selectors matched). "
            "Run `qfdesk doctor` and update the selectors file if the platform changed."
        )
    return match


def text_of(element: Any) -> str:
    """Visible text, or the text content for elements hidden behind a menu."""
    text = element.text or element.get_attribute("textContent") or ""
    return " ".join(text.split())


def parse_number(text: str) -> float | None:
    match = _NUMBER.search(text or "")
    if not match:
        return None
    cleaned = re.sub(r"[,\s\u00a0]", "", match.group(0))
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_currency(text: str) -> str | None:
    for sign, code in _CURRENCY_SIGNS.items():
        if sign in text:
            return code
    letters = re.search(r"\b[A-Z]{3}\b", text)
    return letters.group(0) if letters else None


def parse_duration(text: str) -> int | None:
    """``00:01:00`` / ``01:00`` -> seconds; labels ``S30``/``M1``/``H1`` too."""
    text = text.strip()
    label = parse_duration_label(text)
    if label is not None:
        return label
    parts = text.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def parse_duration_label(text: str) -> int | None:
    match = re.fullmatch(r"([SMHD])(\d+)", text.strip().upper())
    if not match:
        return None
    unit = {"S": 1, "M": 60, "H": 3600, "D": 86400}[match.group(1)]
    return int(match.group(2)) * unit


def duration_label(seconds: int) -> str:
    for unit, size in (("D", 86400), ("H", 3600), ("M", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{unit}{seconds // size}"
    return f"S{seconds}"


def read_text(ctx: Context, name: str) -> str:
    return text_of(require(ctx, name).element)


def read_amount(ctx: Context) -> float | None:
    value = require(ctx, "amount_input").element.get_attribute("value") or ""
    return parse_number(value)


def read_expiry(ctx: Context) -> int | None:
    return parse_duration(read_text(ctx, "expiry_value"))


def read_payout(ctx: Context) -> float | None:
    return parse_number(read_text(ctx, "payout"))


def count(ctx: Context, name: str) -> int:
    return len(ctx.selectors.find_all(ctx.driver, name)[1])


def open_trade_count(ctx: Context) -> int:
    return count(ctx, "open_trade_rows")


def current_url(ctx: Context) -> str:
    try:
        return ctx.driver.current_url
    except WebDriverException:
        return ""


def is_enabled(element: Any) -> bool:
    classes = (element.get_attribute("class") or "").split()
    return (
        element.is_displayed()
        and element.is_enabled()
        and "disabled" not in classes
        and element.get_attribute("aria-disabled") != "true"
    )


def click_element(ctx: Context, element: Any) -> str:
    """Click a control that is safe to click again (menus, pickers): a plain click, then a
    JS click if the plain one cannot reach the element. Never used for trade buttons."""
    try:
        element.click()
        return "click"
    except (ElementClickInterceptedException, ElementNotInteractableException):
        ctx.driver.execute_script("arguments[0].click();", element)
        return "js"


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """Poll ``predicate`` until it returns something truthy or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except WebDriverException:
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
