"""Bad files never stop the app: settings, strategies and selectors files of random bytes,
random JSON or the right layout with wrong values load without raising; a rejected file is
kept as a copy, byte for byte, and the reason is given in words."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from qfdesk.browser.selectors import Selectors
from qfdesk.engine.keep_aside import keep_aside
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.settings import AppSettings, SettingsStore, problems
from qfdesk.settings.model import field_names

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["inf", "nan", "1e400", "~nobody-here/x", "Shift+W", "5", ""])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
RAW = st.binary(max_size=200) | st.sampled_from(
    [b"1e400", b"[" * 5000, b'{"version": 2, "settings": {"min_stake": 1e400}}', b"\xff\xfe{}"]
)


def _in_fresh_folder(name: str, content: bytes):
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / name
    path.write_bytes(content)
    return folder, path


def _kept_copies(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p != path]


# ----- settings ------------------------------------------------------------------------------

SETTINGS_VALUES = st.dictionaries(st.sampled_from([*field_names(), "from_a_newer_app"]), JSON)
SETTINGS_DOCUMENTS = (
    st.fixed_dictionaries(
        {"version": st.integers(-1, 4) | JSON, "settings": SETTINGS_VALUES | JSON}
    )
    | st.fixed_dictionaries(
        {"version": st.just(1)},
        optional={
            "chrome": st.fixed_dictionaries({}, optional={"url": JSON, "path": JSON, "port": JSON})
            | JSON,
            "persistence": st.dictionaries(st.sampled_from(["candles", "ticks"]), JSON) | JSON,
            "hotkeys": st.dictionaries(st.sampled_from(["buy", "sell"]), JSON) | JSON,
            "risk": SETTINGS_VALUES | JSON,
            "theme": JSON,
        },
    )
    | JSON
)


def _check_settings(content: bytes) -> None:
    folder, path = _in_fresh_folder("settings.json", content)
    with folder:
        result = SettingsStore(path).load()
        assert problems(result.settings) == {}
        assert isinstance(result.settings, AppSettings)
        if result.problems:
            assert result.backup is not None and result.backup.read_bytes() == content
            assert all(isinstance(problem, str) and problem for problem in result.problems)
        else:
            assert result.backup is None and _kept_copies(path) == []


@settings(max_examples=300, deadline=None)
@given(content=RAW)
@example(content=b"\x80\x81 not text")
def test_settings_files_of_random_bytes_load_and_are_kept(content):
    _check_settings(content)


@settings(max_examples=300, deadline=None)
@given(document=SETTINGS_DOCUMENTS)
@example(document={"version": 1, "chrome": "abc"})
@example(document={"version": 2, "settings": {"max_stake": 10**400, "chrome_path": "~nobody/x"}})
def test_settings_files_of_random_json_load_and_are_kept_when_not_all_usable(document):
    _check_settings(json.dumps(document).encode())


def test_a_version_1_file_whose_chrome_part_is_text_is_kept_and_named(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"version":1,"chrome":"abc"}')
    result = SettingsStore(path).load()
    assert result.settings == AppSettings()
    assert "'chrome' part that is not an object" in result.problems[0]
    assert result.backup is not None and str(result.backup) in result.problems[0]


def test_a_settings_file_that_is_not_text_is_reported_and_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = SettingsStore(path).load()
    assert result.settings == AppSettings()
    assert "is not text" in result.problems[0] and "defaults are used" in result.problems[0]
    assert result.backup is not None and result.backup.read_bytes() == path.read_bytes()


# ----- strategies ----------------------------------------------------------------------------

STRATEGY_PARAMS = st.dictionaries(
    st.sampled_from(["fast", "slow", "confidence", "expiry", "base", "period"]), JSON
)
STRATEGIES_DOCUMENTS = (
    st.fixed_dictionaries(
        {},
        optional={
            "files": st.lists(st.text(max_size=8) | JSON, max_size=2) | JSON,
            "strategies": st.dictionaries(
                st.sampled_from(["sma-cross", "rsi-reversal", "mine", "macd-cross"]),
                STRATEGY_PARAMS | JSON,
            )
            | JSON,
        },
    )
    | JSON
)


def _check_strategies(content: bytes) -> None:
    folder, path = _in_fresh_folder("strategies.json", content)
    with folder:
        registry = StrategyRegistry()
        found = registry.load_config(path)
        assert all(isinstance(problem, str) and problem for problem in found)
        copies = _kept_copies(path)
        assert len(copies) <= 1
        if copies:
            assert copies[0].read_bytes() == content and str(copies[0]) in found[0]
        for name in registry.names():
            registry.create(name)  # whatever was accepted makes a strategy


@settings(max_examples=300, deadline=None)
@given(content=RAW)
def test_strategies_files_of_random_bytes_load_and_are_kept(content):
    _check_strategies(content)


@settings(max_examples=300, deadline=None)
@given(document=STRATEGIES_DOCUMENTS)
@example(document={"files": 5})
@example(document={"strategies": {"sma-cross": {"fast": 1e400}}})
def test_strategies_files_of_random_json_never_raise(document):
    _check_strategies(json.dumps(document).encode())


def test_a_strategies_file_whose_files_part_is_a_number_is_kept_and_named(tmp_path):
    path = tmp_path / "strategies.json"
    path.write_text('{"files": 5}')
    registry = StrategyRegistry()
    (problem,) = registry.load_config(path)
    assert '"files" part that is not a list of file names' in problem
    assert "only the built-in strategies are used" in problem
    assert registry.names() == StrategyRegistry().names()
    (copy,) = _kept_copies(path)
    assert copy.read_text() == '{"files": 5}' and str(copy) in problem


def test_a_parameter_of_infinity_in_the_strategies_file_is_refused_by_name(tmp_path):
    path = tmp_path / "strategies.json"
    path.write_text('{"strategies": {"sma-cross": {"fast": 1e400}, "rsi-reversal": {"low": 25}}}')
    registry = StrategyRegistry()
    (problem,) = registry.load_config(path)
    assert "sma-cross: fast must be a finite number" in problem
    assert registry.create("sma-cross").params["fast"] == 5
    assert registry.create("rsi-reversal").params["low"] == 25


# ----- selectors -----------------------------------------------------------------------------

SELECTOR_ENTRY = st.dictionaries(st.sampled_from(["css", "xpath", "id"]), JSON, max_size=2) | JSON
SELECTORS_DOCUMENTS = (
    st.fixed_dictionaries(
        {
            "elements": st.dictionaries(
                st.sampled_from(["buy_button", "payout", "my_element"]),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "selectors": st.lists(SELECTOR_ENTRY, max_size=3) | JSON,
                        "critical": JSON,
                        "description": JSON,
                    },
                )
                | JSON,
            )
            | JSON
        }
    )
    | JSON
)


def _check_selectors(content: bytes) -> None:
    folder, path = _in_fresh_folder("selectors.json", content)
    with folder:
        loaded = Selectors.load(user_path=path)
        for spec in loaded.elements.values():
            assert isinstance(spec.critical, bool) and isinstance(spec.description, str)
            assert spec.chain and all(s.kind in ("css", "xpath") for s in spec.chain)
        assert loaded.spec("buy_button").chain
        copies = _kept_copies(path)
        if loaded.problem is None:
            assert copies == [] and path in loaded.sources
        else:
            assert len(copies) == 1 and copies[0].read_bytes() == content
            assert str(copies[0]) in loaded.problem and path not in loaded.sources


@settings(max_examples=300, deadline=None)
@given(content=RAW)
def test_selectors_files_of_random_bytes_load_and_are_kept(content):
    _check_selectors(content)


@settings(max_examples=300, deadline=None)
@given(document=SELECTORS_DOCUMENTS)
@example(document=[1])
@example(document={"elements": {"payout": {"selectors": 5}}})
@example(document={"elements": {"payout": {"critical": "no"}}})
def test_selectors_files_of_random_json_never_raise(document):
    _check_selectors(json.dumps(document).encode())


def test_a_selectors_file_holding_a_list_leaves_the_built_in_selectors_working(tmp_path):
    path = tmp_path / "selectors.json"
    path.write_text("[1]")
    loaded = Selectors.load(user_path=path)
    assert loaded.elements == Selectors.load(user_path=tmp_path / "absent.json").elements
    assert loaded.problem is not None and "holds a list, not a JSON object" in loaded.problem
    assert "the built-in selectors are used" in loaded.problem


# ----- keeping aside -------------------------------------------------------------------------


def test_the_same_bad_file_is_kept_once_and_a_changed_one_again(tmp_path):
    path = tmp_path / "strategies.json"
    path.write_text("{broken")
    first = keep_aside(path, "unreadable")
    assert keep_aside(path, "unreadable") == first
    path.write_text("{broken again")
    second = keep_aside(path, "unreadable")
    assert second is not None and second != first
    assert first is not None and first.read_text() == "{broken"
    assert second.read_text() == "{broken again"
