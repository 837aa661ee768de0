"""One asset under its several spellings: the socket's symbol (``EURUSD_otc``), the page's
display name (``EUR/USD OTC``) and its form in file names (``eurusd_OTC``) are compared by
letters, digits and ``#`` alone, case-insensitive."""

from __future__ import annotations

import re


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", name.lower())


def same_asset(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)
