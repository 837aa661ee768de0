"""Checking settings: each refusal names the field and says why, in words a trader can act on.

``parse_value`` turns one stored or typed value into the field's type (raising
:class:`InvalidSetting` with the reason); ``problems`` checks a whole :class:`AppSettings`,
including rules that involve two fields (smallest <= largest amount, BUY key != SELL key).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from qfdesk.browser.settings import PLATFORM_URL_MARK
from qfdesk.settings.model import FIELD_INFO, THEMES, AppSettings

MIN_PORT = 1024
MAX_PORT = 65535
MAX_CHUNK = 10_000_000
MODIFIERS = ("Ctrl", "Shift", "Alt", "Meta")
NAMED_KEYS = frozenset(
    ("Space", "Return", "Enter", "Up", "Down", "Left", "Right", "Home", "End", "PgUp", "PgDown")
    + ("Ins", "Del", "Tab", "Backspace")
)
_FUNCTION_KEY = re.compile(r"F([1-9]|[12][0-9]|3[0-5])")


class InvalidSetting(ValueError):
    """A value the settings refuse; the message is the reason, for the trader."""


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidSetting(f"{what} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidSetting(f"{what} must be a whole number, not {value!r}")


def _number(value: object, what: str) -> float:
    if isinstance(value, bool):
        raise InvalidSetting(f"{what} must be a number")
    try:
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidSetting(f"{what} must be a number, not {value!r}") from None
    except OverflowError:
        raise InvalidSetting(f"{what} must be a finite number") from None
    if not math.isfinite(number):
        raise InvalidSetting(f"{what} must be a finite number")
    return number


def _optional(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidSetting("the platform page cannot be empty")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or " " in url:
        raise InvalidSetting(
            f"{url!r} is not a web address; it must start with https:// and name the platform's "
            "site, e.g. https://pocketoption.com/en/cabinet/demo-quick-high-low/"
        )
    if PLATFORM_URL_MARK not in parts.path:
        raise InvalidSetting(
            f"the page must be the platform's trading page (its address contains "
            f"'{PLATFORM_URL_MARK}'): the app finds the platform's tab by it"
        )
    return url


def check_hotkey(text: object) -> str:
    """A single key combination as Qt writes it, e.g. ``Shift+W`` or ``Ctrl+Alt+F5``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSetting("a hotkey cannot be empty")
    text = text.strip()
    if ", " in text:
        raise InvalidSetting(f"{text!r} is a sequence of several keys; use one combination")
    # The key itself may be "+" (Qt writes Shift and plus as "Shift++").
    if text.endswith("++"):
        modifiers, key = text[:-2].split("+"), "+"
    else:
        *modifiers, key = text.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        raise InvalidSetting(
            f"{text!r}: unknown modifier {unknown[0]!r} (use Ctrl, Shift, Alt, Meta)"
        )
    if len(set(modifiers)) != len(modifiers):
        raise InvalidSetting(f"{text!r} names a modifier twice")
    is_function = bool(_FUNCTION_KEY.fullmatch(key))
    if not (is_function or key in NAMED_KEYS or (len(key) == 1 and key.isprintable())):
        raise InvalidSetting(f"{text!r}: {key!r} is not a key")
    if not modifiers and not is_function:
        raise InvalidSetting(
            f"{text!r} alone would trade while you type; add Ctrl, Shift or Alt, or use F1-F35"
        )
    return text


def _expand(path: str, what: str) -> Path:
    """``path`` with ``~`` expanded; InvalidSetting when it names an unknown user's home."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise InvalidSetting(f"{what} {path!r} starts with ~ but names no home folder") from None


def check_chrome_path(path: object) -> str:
    if not isinstance(path, str):
        raise InvalidSetting("the Chrome program must be a file path")
    path = path.strip()
    if not path:
        return ""
    program = _expand(path, "the Chrome program")
    if not program.is_file():
        raise InvalidSetting(
            f"no program at {program}; choose Chrome's program file or leave it empty"
        )
    if not os.access(program, os.X_OK):
        raise InvalidSetting(f"{program} is not a program this user may run")
    return str(program)


def check_data_dir(path: object) -> str:
    if not isinstance(path, str):
        raise InvalidSetting("the data folder must be a folder path")
    path = path.strip()
    if not path:
        return ""
    folder = _expand(path, "the data folder")
    if not folder.is_absolute():
        raise InvalidSetting(f"{path!r} is not a full path; give the whole path of a folder")
    if folder.exists() and not folder.is_dir():
        raise InvalidSetting(f"{folder} is a file, not a folder")
    return str(folder)


def _port(value: object) -> int:
    port = _whole(value, "the debugging port")
    if not MIN_PORT <= port <= MAX_PORT:
        raise InvalidSetting(
            f"the debugging port must be between {MIN_PORT} and {MAX_PORT}, not {port}"
        )
    return port


def _chunk(value: object) -> int:
    rows = _whole(value, "rows per file")
    if not 1 <= rows <= MAX_CHUNK:
        raise InvalidSetting(f"rows per file must be between 1 and {MAX_CHUNK:,}, not {rows}")
    return rows


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidSetting(f"must be true or false, not {value!r}")
    return value


def _positive_money(value: object, what: str) -> float:
    amount = _number(value, what)
    if amount <= 0:
        raise InvalidSetting(f"{what} must be above 0")
    return amount


def _percent(value: object) -> float:
    payout = _number(value, "the lowest payout")
    if not 0 <= payout <= 100:
        raise InvalidSetting(f"the lowest payout is a percentage from 0 to 100, not {payout:g}")
    return payout


def _optional_count(value: object, what: str) -> int | None:
    if _optional(value):
        return None
    count = _whole(value, what)
    if count < 1:
        raise InvalidSetting(f"{what} must be 1 or more (leave it empty to switch it off)")
    return count


def _optional_money(value: object, what: str) -> float | None:
    return None if _optional(value) else _positive_money(value, what)


def _theme(value: object) -> str:
    if value not in THEMES:
        raise InvalidSetting(f"the theme is one of {', '.join(THEMES)}, not {value!r}")
    return str(value)


def parse_value(name: str, value: object) -> object:
    """``value`` (from the file, or typed in the dialog) as field ``name``'s type."""
    what = FIELD_INFO[name].label.lower()
    match name:
        case "platform_url":
            return check_url(value)
        case "chrome_path":
            return check_chrome_path(value)
        case "debugging_port":
            return _port(value)
        case "data_dir":
            return check_data_dir(value)
        case "save_candles" | "save_ticks" | "welcome_shown":
            return _flag(value)
        case "candle_chunk" | "tick_chunk":
            return _chunk(value)
        case "hotkey_buy" | "hotkey_sell":
            return check_hotkey(value)
        case "min_stake" | "max_stake":
            return _positive_money(value, what)
        case "min_payout":
            return _percent(value)
        case "max_open_trades" | "max_trades_per_hour" | "max_consecutive_losses":
            return _optional_count(value, what)
        case "daily_loss_limit":
            return _optional_money(value, what)
        case "theme":
            return _theme(value)
    raise KeyError(name)


def problems(settings: AppSettings) -> dict[str, str]:
    """Every field that is not acceptable, with the reason (empty when all is well)."""
    found: dict[str, str] = {}
    for name, value in settings.as_dict().items():
        try:
            parse_value(name, value)
        except ValueError as error:
            found[name] = str(error)
    stakes_ok = "min_stake" not in found and "max_stake" not in found
    if stakes_ok and settings.max_stake < settings.min_stake:
        found["min_stake"] = found["max_stake"] = "the largest amount is below the smallest"
    keys_ok = "hotkey_buy" not in found and "hotkey_sell" not in found
    if keys_ok and settings.hotkey_buy.lower() == settings.hotkey_sell.lower():
        found["hotkey_buy"] = found["hotkey_sell"] = "BUY and SELL need different hotkeys"
    return found
