"""One asset under the socket's, the page's and the file names' spellings: one rule for the
trade click, the asset selector, the history loader and the CLI."""

from __future__ import annotations

import pytest

from qfdesk.engine.asset_names import same_asset
from qfdesk.engine.csv_sink import safe_asset_name


@pytest.mark.parametrize(
    "a, b",
    [
        ("EURUSD_otc", "EUR/USD OTC"),
        ("EURUSD_otc", "eurusd_OTC"),
        ("AUD/CAD", safe_asset_name("AUD/CAD")),
        ("#AAPL_otc", "#AAPL OTC"),
    ],
)
def test_spellings_of_one_asset_are_the_same_asset(a, b):
    assert same_asset(a, b)


@pytest.mark.parametrize(
    "a, b", [("EURUSD_otc", "EURUSD"), ("#AAPL", "AAPL"), ("EURUSD_otc", "EURJPY_otc")]
)
def test_different_assets_are_never_the_same(a, b):
    assert not same_asset(a, b)
