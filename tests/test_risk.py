"""Every risk limit, with the clock passed in."""

from __future__ import annotations

import logging

import pytest

from qfdesk.engine.events import Direction
from qfdesk.engine.risk import AccountState, RiskLimits, RiskManager, TradeIntent
from qfdesk.engine.strategies import Signal

T0 = 1_761_000_000.0  # a UTC time well inside a day (2025-10-20 22:40 UTC)
RICH = AccountState(balance=1000.0)


def intent(asset: str = "EURUSD_otc", **kw) -> TradeIntent:
    base = {"direction": Direction.CALL, "payout": 92.0, "confidence": 0.8, "source": "test"}
    return TradeIntent(asset=asset, **{**base, **kw})


def relaxed(**kw) -> RiskLimits:
    """Limits that allow everything except what the test switches on."""
    base = {"max_open_trades": None, "max_trades_per_hour": None, "min_payout": 0.0}
    return RiskLimits(**{**base, **kw})


def trade(rm: RiskManager, trade_id: str, now: float, profit: float | None = None, **kw):
    decision = rm.check(intent(**kw), RICH, now)
    assert decision.allowed, decision.reason
    rm.record_open(trade_id, kw.get("asset", "EURUSD_otc"), decision.stake, now)
    if profit is not None:
        rm.record_result(trade_id, profit, now + 60)
    return decision


def test_fixed_stake_and_reason():
    d = RiskManager(relaxed(stake=5.0, max_stake=10.0)).check(intent(), RICH, T0)
    assert (d.allowed, d.stake, d.code) == (True, 5.0, "ok")
    assert "stake 5" in d.reason


@pytest.mark.parametrize(
    "balance, expected", [(1000.0, 20.0), (100.0, 2.0), (10.0, 1.0), (100_000.0, 50.0)]
)
def test_percent_stake_is_clamped_between_min_and_max(balance, expected):
    rm = RiskManager(relaxed(stake_percent=2.0, min_stake=1.0, max_stake=50.0))
    d = rm.check(intent(), AccountState(balance), T0)
    assert d.allowed and d.stake == expected


def test_stake_above_balance_is_refused():
    d = RiskManager(relaxed(stake=5.0)).check(intent(), AccountState(3.0), T0)
    assert not d.allowed and d.code == "insufficient_balance"


def test_manual_stake_outside_limits_is_refused_not_changed():
    rm = RiskManager(relaxed(min_stake=1.0, max_stake=10.0))
    assert rm.check(intent(stake=7.0), RICH, T0).stake == 7.0
    d = rm.check(intent(stake=25.0), RICH, T0)
    assert not d.allowed and d.code == "stake_out_of_range" and "25" in d.reason


def test_min_payout_and_min_confidence():
    rm = RiskManager(relaxed(min_payout=85.0, min_confidence=0.7))
    assert rm.check(intent(payout=85.0, confidence=0.7), RICH, T0).allowed
    low_payout = rm.check(intent(payout=84.0), RICH, T0)
    assert low_payout.code == "min_payout" and "84" in low_payout.reason
    assert rm.check(intent(confidence=0.69), RICH, T0).code == "min_confidence"


def test_max_open_trades_until_a_result_comes():
    rm = RiskManager(relaxed(max_open_trades=2))
    trade(rm, "a", T0)
    trade(rm, "b", T0 + 1, asset="GBPUSD_otc")
    assert rm.check(intent(), RICH, T0 + 2).code == "max_open_trades"
    rm.record_result("a", 1.0, T0 + 3)
    assert rm.check(intent(), RICH, T0 + 4).allowed


def test_max_trades_per_hour_is_a_sliding_hour():
    rm = RiskManager(relaxed(max_trades_per_hour=3))
    for i in range(3):
        trade(rm, str(i), T0 + i * 600, profit=1.0)
    assert rm.check(intent(), RICH, T0 + 1800).code == "max_trades_per_hour"
    assert rm.check(intent(), RICH, T0 + 3599).code == "max_trades_per_hour"
    assert rm.check(intent(), RICH, T0 + 3600).allowed


def test_daily_loss_limit_stops_for_the_day_then_resets_at_utc_midnight():
    rm = RiskManager(relaxed(daily_loss_limit=3.0))
    trade(rm, "a", T0, profit=-1.0)
    trade(rm, "b", T0 + 100, profit=-1.0)
    assert rm.check(intent(), RICH, T0 + 200).allowed
    trade(rm, "c", T0 + 300, profit=-1.0)
    d = rm.check(intent(), RICH, T0 + 400)
    assert not d.allowed and d.code == "daily_loss_limit" and d.halts
    next_day = (T0 // 86_400 + 1) * 86_400
    assert rm.check(intent(), RICH, next_day - 1).code == "daily_loss_limit"
    assert rm.check(intent(), RICH, next_day).allowed


def test_consecutive_losses_pause_for_n_minutes_and_a_win_resets_the_streak():
    rm = RiskManager(relaxed(max_consecutive_losses=3, pause_minutes=10))
    trade(rm, "a", T0, profit=-1.0)
    trade(rm, "b", T0 + 100, profit=-1.0)
    trade(rm, "c", T0 + 200, profit=1.8)
    assert rm.losing_streak == 0
    trade(rm, "d", T0 + 300, profit=-1.0)
    trade(rm, "e", T0 + 400, profit=0.0)  # a refund neither extends nor breaks the streak
    trade(rm, "f", T0 + 500, profit=-1.0)
    assert rm.losing_streak == 2
    trade(rm, "g", T0 + 600, profit=-1.0)  # third loss: result at T0 + 660
    d = rm.check(intent(), RICH, T0 + 700)
    assert not d.allowed and d.code == "losing_streak_pause" and d.halts
    assert rm.check(intent(), RICH, T0 + 660 + 599).code == "losing_streak_pause"
    assert rm.check(intent(), RICH, T0 + 660 + 600).allowed


def test_cooldown_is_per_asset():
    rm = RiskManager(relaxed(asset_cooldown_seconds=120))
    trade(rm, "a", T0, profit=1.0)
    assert rm.check(intent(), RICH, T0 + 119).code == "asset_cooldown"
    assert rm.check(intent(asset="GBPUSD_otc"), RICH, T0 + 1).allowed
    assert rm.check(intent(), RICH, T0 + 120).allowed


def test_session_profit_target_stops_the_session():
    rm = RiskManager(relaxed(session_profit_target=2.5))
    trade(rm, "a", T0, profit=1.84)
    assert rm.check(intent(), RICH, T0 + 100).allowed
    trade(rm, "b", T0 + 100, profit=0.92)
    d = rm.check(intent(), RICH, T0 + 200)
    assert not d.allowed and d.code == "session_target" and "2.76" in d.reason
    assert rm.session_profit == pytest.approx(2.76)


def test_defaults_allow_one_open_trade_at_80_percent_payout():
    rm = RiskManager(RiskLimits())
    assert rm.check(intent(payout=79.0), RICH, T0).code == "min_payout"
    trade(rm, "a", T0)
    assert rm.check(intent(), RICH, T0 + 1).code == "max_open_trades"


def test_every_decision_is_logged_with_its_reason(caplog):
    rm = RiskManager(relaxed(min_payout=90.0))
    with caplog.at_level(logging.INFO, logger="qfdesk.engine.risk"):
        rm.check(intent(payout=80.0), RICH, T0)
        rm.check(intent(payout=95.0), RICH, T0)
    text = caplog.text
    assert "DENY" in text and "min_payout" in text and "below the minimum 90%" in text
    assert "ALLOW" in text


@pytest.mark.parametrize(
    "limits",
    [
        {"min_stake": 0.0},
        {"min_stake": 5.0, "max_stake": 2.0},
        {"stake": 500.0, "max_stake": 100.0},
        {"stake_percent": 0.0},
    ],
)
def test_nonsense_limits_are_refused(limits):
    with pytest.raises(ValueError, match="risk limits make no sense"):
        RiskManager(RiskLimits(**limits))


def test_intent_from_a_strategy_signal():
    signal = Signal("sma-cross", "EURUSD_otc", 60, 600, Direction.PUT, 0.55, 120, "crossed below")
    made = TradeIntent.from_signal(signal, payout=88.0)
    assert (made.asset, made.direction, made.confidence, made.expiry) == (
        "EURUSD_otc",
        Direction.PUT,
        0.55,
        120,
    )
    assert made.source == "sma-cross" and made.stake is None
    decision = RiskManager(relaxed(min_confidence=0.6)).check(made, RICH, T0)
    assert decision.code == "min_confidence"


def test_recording_the_same_open_twice_counts_once():
    rm = RiskManager(relaxed(max_trades_per_hour=2, max_open_trades=2))
    trade(rm, "a", T0)
    rm.record_open("a", "EURUSD_otc", 1.0, T0 + 1)
    assert rm.open_trades == 1
    assert rm.check(intent(), RICH, T0 + 2).allowed


def test_a_callers_own_limits_apply_to_the_one_shared_state():
    rm = RiskManager(relaxed(max_open_trades=None, max_consecutive_losses=None))
    strict = relaxed(max_open_trades=1, max_consecutive_losses=2, pause_minutes=5)
    rm.record_open("manual", "EURUSD_otc", 1.0, T0)
    assert rm.check(intent(), RICH, T0 + 1).allowed, "the manager's own limits allow a second"
    d = rm.check(intent(), RICH, T0 + 1, strict)
    assert d.code == "max_open_trades", "a trade placed by hand counts against the stricter caller"
    rm.record_result("manual", -1.0, T0 + 60)
    trade(rm, "b", T0 + 100, profit=-1.0)  # two losses in a row, the last closing at T0 + 160
    assert rm.check(intent(), RICH, T0 + 200, strict).code == "losing_streak_pause"
    assert rm.check(intent(), RICH, T0 + 200).allowed, "no pause under the manager's own limits"
    assert rm.check(intent(), RICH, T0 + 160 + 300, strict).allowed, "pause served: fresh streak"
    assert rm.losing_streak == 0
