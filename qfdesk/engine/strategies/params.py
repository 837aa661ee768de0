"""Strategy parameters as a trader types them: ``name=value`` items (the CLI's ``--param``s,
or one line in the windows: ``"fast=1, slow=2 expiry=15"``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qfdesk.engine.strategies.base import StrategyError


def param_items(text: str) -> list[str]:
    """``"fast=1, slow=2; expiry=15"`` -> ["fast=1", "slow=2", "expiry=15"]."""
    return [item for item in re.split(r"[,\s;]+", text.strip()) if item]


def parse_params(items: Iterable[str], what: str = "parameter") -> dict[str, str]:
    """``name=value`` items as parameter overrides; StrategyError (naming the item as
    ``what`` says it, e.g. ``--param``) when one is malformed."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise StrategyError(f"{what} {item!r} must look like name=value, e.g. fast=5")
        params[key] = value
    return params
