"""What a page check says and switches off: exactly the features needing a missing element,
in the trader's words, and nothing for charting."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from qfdesk.engine.page_check import (
    DEPENDS,
    ELEMENT_WORDS,
    ElementCheck,
    Feature,
    PageCheck,
    PageChecks,
)

BUILT_IN = Path(__file__).resolve().parent.parent / "resources" / "selectors.json"


def page(*missing: str, extra: tuple[ElementCheck, ...] = ()) -> PageCheck:
    """Every built-in element found but ``missing``."""
    specs = json.loads(BUILT_IN.read_text())["elements"]
    return PageCheck(
        elements=tuple(
            ElementCheck(
                name,
                spec.get("critical", False),
                spec.get("description", ""),
                None if name in missing else "css:.x",
                None if name in missing else 0,
                0 if name in missing else 1,
            )
            for name, spec in specs.items()
        )
        + extra
    )


def test_every_element_a_feature_needs_is_critical_in_the_built_in_file() -> None:
    critical = {e.name for e in page().elements if e.critical}
    assert {name for names in DEPENDS.values() for name in names} <= critical
    assert all(name in ELEMENT_WORDS for name in critical), "each in the trader's words"


def test_all_found_is_ok_and_switches_nothing_off() -> None:
    check = page()
    assert check.ok and check.text == "" and check.off() == {}
    assert all(check.refusal(feature) is None for feature in Feature)


def test_a_missing_buy_button_turns_off_both_kinds_of_trading_only() -> None:
    check = page("buy_button")
    assert set(check.off()) == {Feature.MANUAL_TRADING, Feature.AUTO_TRADER}
    assert check.text == (
        "The BUY button was not found on the page: trading by hand and the auto-trader are "
        "off until it is; Help > Selectors explains how to fix it."
    )
    assert check.refusal(Feature.MANUAL_TRADING) == (
        "the BUY button was not found on the page: trading by hand is off until it is; "
        "Help > Selectors explains how to fix it"
    )
    assert check.refusal(Feature.ASSET_SWITCHING) is None


def test_two_missing_elements_are_named_together_with_everything_they_turn_off() -> None:
    check = page("current_asset", "payout")
    assert check.text == (
        "The payout of the current asset and the name of the current asset were not found on "
        "the page: trading by hand, the auto-trader and switching the asset on the page are "
        "off until they are; Help > Selectors explains how to fix it."
    )


def test_a_missing_payout_is_said_but_turns_nothing_off() -> None:
    check = page("payout")
    assert check.off() == {} and not check.ok
    assert check.text == (
        "The payout of the current asset was not found on the page; Help > Selectors explains "
        "how to fix it."
    )


def test_a_missing_optional_element_is_no_problem() -> None:
    check = page("tutorial_close", "picker_search")
    assert check.ok and check.missing == ()


def test_a_critical_element_of_the_users_own_is_named_by_its_description() -> None:
    own = ElementCheck("chat_button", True, "the chat button")
    check = page(extra=(own,))
    assert check.missing == (own,) and check.off() == {}
    assert check.text == (
        "The chat button was not found on the page; Help > Selectors explains how to fix it."
    )


def test_a_check_that_could_not_run_switches_nothing_off_but_says_why() -> None:
    check = PageCheck(error="Not connected to Chrome: connect first (Connect panel)")
    assert not check.ok and check.off() == {}
    assert check.text == (
        "The platform page could not be checked: Not connected to Chrome: connect first "
        "(Connect panel)."
    )


def test_the_users_broken_selectors_file_is_said_with_the_rest() -> None:
    check = PageCheck(page("balance").elements, problem="the selectors file x is not used")
    assert check.text.startswith("The account balance was not found on the page: ")
    assert check.text.endswith(" The selectors file x is not used.")
    assert set(check.off()) == {Feature.MANUAL_TRADING, Feature.AUTO_TRADER}


def test_the_latest_check_is_what_counts_and_listeners_hear_each() -> None:
    checks = PageChecks()
    assert checks.current is None and checks.refusal(Feature.MANUAL_TRADING) is None
    heard: list[tuple[PageCheck, str]] = []
    checks.add_listener(lambda check: heard.append((check, threading.current_thread().name)))
    broken, fixed = page("sell_button"), page()
    worker = threading.Thread(target=checks.update, args=(broken,), name="executor")
    worker.start()
    worker.join()
    assert checks.refusal(Feature.AUTO_TRADER) is not None
    assert "the SELL button" in str(checks.refusal(Feature.AUTO_TRADER))
    checks.update(fixed)
    assert checks.refusal(Feature.AUTO_TRADER) is None
    assert heard == [(broken, "executor"), (fixed, threading.current_thread().name)]
