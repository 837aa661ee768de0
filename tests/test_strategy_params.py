"""Strategy parameters typed by a trader: one reading for the CLI's --param and the windows."""

from __future__ import annotations

import pytest

from qfdesk.engine.strategies import StrategyError
from qfdesk.engine.strategies.params import param_items, parse_params


def test_a_line_of_parameters_splits_on_commas_spaces_and_semicolons():
    assert param_items(" fast=1, slow=2;expiry=15  ") == ["fast=1", "slow=2", "expiry=15"]
    assert param_items("   ") == []


def test_items_become_overrides_with_their_spaces_trimmed():
    assert parse_params(["fast=1", " slow = 2 "]) == {"fast": "1", "slow": "2"}


@pytest.mark.parametrize("item", ["fast", "=3", "fast="])
def test_an_item_that_is_not_name_equals_value_is_refused_naming_it(item):
    with pytest.raises(StrategyError, match=f"--param {item!r} must look like name=value"):
        parse_params([item], "--param")
