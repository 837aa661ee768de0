"""The persistence switches: command-line flags, then environment variables, then a default.

``QF_PERSIST`` sets both candles and ticks; ``QF_PERSIST_CANDLES`` / ``QF_PERSIST_TICKS``
set one and beat ``QF_PERSIST``. Values are 1/0, true/false, yes/no or on/off (any case);
an empty value counts as unset. A value that is set but not understood is an error even
when a flag overrides it, so a typo in the environment never passes unnoticed.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_CANDLE_CHUNK = 100
DEFAULT_TICK_CHUNK = 1000
DEFAULT_PAYOUT_CHUNK = 1000

ENV_BOTH = "QF_PERSIST"
ENV_CANDLES = "QF_PERSIST_CANDLES"
ENV_TICKS = "QF_PERSIST_TICKS"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class PersistSettings:
    """What the CSV sink saves and how many rows go into one file before it rotates.

    Payout changes are saved whenever candles are (``save_payouts``): a backtest of the
    candles wants the payouts that were in force while they formed."""

    save_candles: bool
    save_ticks: bool
    candle_chunk: int = DEFAULT_CANDLE_CHUNK
    tick_chunk: int = DEFAULT_TICK_CHUNK
    payout_chunk: int = DEFAULT_PAYOUT_CHUNK

    @property
    def save_payouts(self) -> bool:
        return self.save_candles

    def __post_init__(self) -> None:
        for name in ("candle_chunk", "tick_chunk", "payout_chunk"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of rows >= 1, got {value!r}")


def _chunk_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of rows >= 1, got {text!r}")
    return value


def add_persist_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the persistence switches; every default is None so the environment can decide."""
    group = parser.add_argument_group(
        "persistence",
        f"flags beat the environment ({ENV_BOTH}, {ENV_CANDLES}, {ENV_TICKS}: 1/0, "
        "true/false), which beats the command's default",
    )
    group.add_argument(
        "--save-candles",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write closed candles to CSV",
    )
    group.add_argument(
        "--save-ticks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write ticks to CSV",
    )
    group.add_argument(
        "--candle-chunk-size",
        type=_chunk_size,
        default=None,
        metavar="N",
        help=f"candle rows per file before a new file starts (default {DEFAULT_CANDLE_CHUNK})",
    )
    group.add_argument(
        "--tick-chunk-size",
        type=_chunk_size,
        default=None,
        metavar="N",
        help=f"tick rows per file before a new file starts (default {DEFAULT_TICK_CHUNK})",
    )
    group.add_argument(
        "--payout-chunk-size",
        type=_chunk_size,
        default=None,
        metavar="N",
        help="payout-change rows per file before a new file starts "
        f"(default {DEFAULT_PAYOUT_CHUNK}; payouts are saved whenever candles are)",
    )


def _env_switch(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"environment variable {name}={raw!r} is not understood; "
        "set it to 1/0, true/false, yes/no or on/off, or unset it"
    )


def _first_set(*choices: bool | None, default: bool) -> bool:
    for choice in choices:
        if choice is not None:
            return choice
    return default


def resolve_persist_settings(
    args: argparse.Namespace, environ: Mapping[str, str], default_save: bool
) -> PersistSettings:
    """Flag beats environment (specific variable beats ``QF_PERSIST``) beats ``default_save``.

    ``args`` may lack the persistence attributes (a parser without them): they count as unset.
    Raises ValueError naming the variable when an environment value is not understood.
    """
    both = _env_switch(environ, ENV_BOTH)
    candles = _env_switch(environ, ENV_CANDLES)
    ticks = _env_switch(environ, ENV_TICKS)
    candle_chunk = getattr(args, "candle_chunk_size", None)
    tick_chunk = getattr(args, "tick_chunk_size", None)
    payout_chunk = getattr(args, "payout_chunk_size", None)
    return PersistSettings(
        save_candles=_first_set(
            getattr(args, "save_candles", None), candles, both, default=default_save
        ),
        save_ticks=_first_set(getattr(args, "save_ticks", None), ticks, both, default=default_save),
        candle_chunk=DEFAULT_CANDLE_CHUNK if candle_chunk is None else candle_chunk,
        tick_chunk=DEFAULT_TICK_CHUNK if tick_chunk is None else tick_chunk,
        payout_chunk=DEFAULT_PAYOUT_CHUNK if payout_chunk is None else payout_chunk,
    )
