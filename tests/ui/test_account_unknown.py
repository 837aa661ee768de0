"""A balance that does not say which account it is leaves the known account type alone."""

from __future__ import annotations

from qfdesk.engine.events import AuthSent, Balance
from qfdesk.ui.dark_theme import account_badge
from qfdesk.ui.market_model import MarketModel


def test_a_balance_without_account_type_keeps_the_known_one(qapp) -> None:
    market = MarketModel()
    market.apply([Balance(10.0, None)])
    assert market.is_demo is None and market.balance == 10.0
    assert account_badge(market.is_demo) == account_badge(None)  # shown as unknown
    market.apply([AuthSent(is_demo=False), Balance(12.5, None)])
    assert market.is_demo is False and market.balance == 12.5
    market.apply([Balance(13.0, True), Balance(14.0, None)])
    assert market.is_demo is True and market.balance == 14.0
    assert market.account_state().is_demo is True
