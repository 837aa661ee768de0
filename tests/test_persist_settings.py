"""The persistence switches: flag > environment (specific > QF_PERSIST) > default."""

from __future__ import annotations

import argparse
import itertools

import pytest

from qfdesk.engine.persist_settings import (
    PersistSettings,
    add_persist_arguments,
    resolve_persist_settings,
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_persist_arguments(parser)
    return parser.parse_args(argv)


FLAG_ARGS = {None: [], True: ["--save-{}"], False: ["--no-save-{}"]}
ENV_VALUES = {None: None, True: "1", False: "0"}


@pytest.mark.parametrize("default", [True, False])
@pytest.mark.parametrize("kind", ["candles", "ticks"])
def test_precedence_exhaustive(kind: str, default: bool) -> None:
    other = "ticks" if kind == "candles" else "candles"
    for flag, specific, both in itertools.product([None, True, False], repeat=3):
        argv = [a.format(kind) for a in FLAG_ARGS[flag]]
        environ = {}
        if ENV_VALUES[specific] is not None:
            environ[f"QF_PERSIST_{kind.upper()}"] = ENV_VALUES[specific]
        if ENV_VALUES[both] is not None:
            environ["QF_PERSIST"] = ENV_VALUES[both]
        settings = resolve_persist_settings(_parse(argv), environ, default_save=default)
        if flag is not None:
            expected = flag
        elif specific is not None:
            expected = specific
        elif both is not None:
            expected = both
        else:
            expected = default
        case = f"{argv} {environ} default={default}"
        assert getattr(settings, f"save_{kind}") is expected, case
        # The other switch only sees QF_PERSIST and the default.
        assert getattr(settings, f"save_{other}") is (default if both is None else both), case


def test_defaults_when_nothing_is_set() -> None:
    assert resolve_persist_settings(_parse([]), {}, default_save=True) == PersistSettings(
        save_candles=True, save_ticks=True, candle_chunk=100, tick_chunk=1000
    )
    assert resolve_persist_settings(_parse([]), {}, default_save=False) == PersistSettings(
        save_candles=False, save_ticks=False
    )


def test_flags_on_the_same_command_line() -> None:
    args = _parse(
        ["--no-save-candles", "--save-ticks", "--candle-chunk-size", "7", "--tick-chunk-size=9"]
    )
    settings = resolve_persist_settings(args, {"QF_PERSIST": "yes"}, default_save=False)
    assert settings == PersistSettings(False, True, candle_chunk=7, tick_chunk=9)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("no", False),
        (" on ", True),
        ("off", False),
    ],
)
def test_env_spellings(value: str, expected: bool) -> None:
    settings = resolve_persist_settings(
        _parse([]), {"QF_PERSIST": value}, default_save=not expected
    )
    assert settings.save_candles is expected
    assert settings.save_ticks is expected


def test_empty_env_value_counts_as_unset() -> None:
    environ = {"QF_PERSIST": "", "QF_PERSIST_TICKS": "  "}
    settings = resolve_persist_settings(_parse([]), environ, default_save=True)
    assert settings.save_candles and settings.save_ticks


@pytest.mark.parametrize("name", ["QF_PERSIST", "QF_PERSIST_CANDLES", "QF_PERSIST_TICKS"])
def test_bad_env_value_names_the_variable(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}='maybe'.*1/0, true/false"):
        resolve_persist_settings(_parse([]), {name: "maybe"}, default_save=True)
    # A flag does not hide a typo in the environment.
    with pytest.raises(ValueError, match=name):
        resolve_persist_settings(
            _parse(["--save-candles", "--save-ticks"]), {name: "maybe"}, default_save=True
        )


def test_namespace_without_persistence_attributes() -> None:
    settings = resolve_persist_settings(
        argparse.Namespace(), {"QF_PERSIST_CANDLES": "1"}, default_save=False
    )
    assert settings == PersistSettings(save_candles=True, save_ticks=False)


@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5"])
def test_bad_chunk_size_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parse(["--candle-chunk-size", value])
    assert exit_info.value.code == 2
    assert "whole number of rows >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("chunk", [0, -1, True, 2.5])
def test_settings_reject_bad_chunks(chunk: object) -> None:
    with pytest.raises(ValueError, match="candle_chunk"):
        PersistSettings(True, True, candle_chunk=chunk)  # type: ignore[arg-type]


def test_payouts_are_saved_with_the_candles_in_files_of_their_own_size() -> None:
    args = _parse(["--no-save-candles", "--save-ticks", "--payout-chunk-size", "5"])
    settings = resolve_persist_settings(args, {}, default_save=True)
    assert settings == PersistSettings(False, True, payout_chunk=5)
    assert not settings.save_payouts
    assert resolve_persist_settings(_parse([]), {}, default_save=True).save_payouts
    assert PersistSettings(True, False).payout_chunk == 1000
    with pytest.raises(ValueError, match="payout_chunk"):
        PersistSettings(True, True, payout_chunk=0)
