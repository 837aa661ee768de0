"""Set amount: the React-controlled input, set through the native value setter, read back."""

from __future__ import annotations

from selenium.webdriver.common.keys import Keys

from qfdesk.browser.capabilities.base import CapabilityFailure, Context, Result, capability
from qfdesk.browser.capabilities.page import read_amount, require, wait_until

# React ignores a bare ``el.value = x``; the prototype's setter plus input/change events
# reach its onChange like typing does.
_NATIVE_SET = """
const el = arguments[0], value = arguments[1];
const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
setter.call(el, value);
el.dispatchEvent(new Event('input', {bubbles: true}));
el.dispatchEvent(new Event('change', {bubbles: true}));
"""


def format_amount(amount: float) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def _matches(ctx: Context, amount: float) -> bool:
    value = read_amount(ctx)
    return value is not None and abs(value - amount) < 1e-9


@capability("set amount")
def set_amount(ctx: Context, amount: float) -> Result:
    if not amount > 0:
        raise CapabilityFailure(f"The amount must be positive, not {amount}.")
    text = format_amount(amount)
    element = require(ctx, "amount_input").element
    ctx.driver.execute_script(_NATIVE_SET, element, text)
    method = "native setter"
    if not wait_until(lambda: _matches(ctx, amount), 1.0):
        element = require(ctx, "amount_input").element
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(text)
        method = "typing"
    if not wait_until(lambda: _matches(ctx, amount), 2.0):
        shown = require(ctx, "amount_input").element.get_attribute("value")
        raise CapabilityFailure(
            f"The amount field shows {shown!r} instead of {text}; the page did not accept it.",
            {"shown": shown},
        )
    return Result(True, {"amount": amount, "method": method})
