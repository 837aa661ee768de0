"""The auto-trader's core: closed candles through strategies and risk into orders, each stop
reason, and never two orders for one signal."""

from __future__ import annotations

from typing import ClassVar

import pytest

from qfdesk.engine.autotrader import (
    AutoTradeConfig,
    AutoTrader,
    Order,
    Stop,
    StopReason,
    StrategyChoice,
)
from qfdesk.engine.events import Candle, CandleClosed, Direction
from qfdesk.engine.journal import Outcome, Source, journal_path
from qfdesk.engine.journal.reader import read_rows
from qfdesk.engine.journal.writer import JournalWriter
from qfdesk.engine.risk import AccountState, RiskLimits, RiskManager
from qfdesk.engine.stake_plan import PlanKind, StakePlan
from qfdesk.engine.strategies import Param, Strategy, StrategyError, StrategyRegistry

A = "EURUSD_otc"
TF = 5
T0 = 1_761_000_000  # a multiple of 5
# sma-cross fast=1 slow=2 fires whenever the close turns: CALL at 2, PUT at 3, CALL at 4, ...
ZIGZAG = [1.0, 0.9, 1.0, 0.9, 1.0, 0.9, 1.0, 0.9]
SMA12 = StrategyChoice("sma-cross", {"fast": 1, "slow": 2, "expiry": 10})


class Exploding(Strategy):
    name = "exploding"
    PARAMS: ClassVar[dict[str, Param]] = {}

    def reset(self) -> None:
        pass

    def on_candle(self, candle):
        raise RuntimeError("boom")


class Rig:
    def __init__(
        self,
        limits: RiskLimits | None = None,
        *,
        paper: bool = False,
        demo: bool = True,
        consent: bool = False,
        strategies: tuple[StrategyChoice, ...] = (SMA12,),
        fail_send: bool = False,
        journal: JournalWriter | None = None,
        stake_plan: StakePlan | None = None,
    ) -> None:
        self.sent: list[Order] = []
        self.stops: list[Stop] = []
        self.signals = []
        self.fail_send = fail_send
        registry = StrategyRegistry()
        registry.register(Exploding)
        limits = limits or RiskLimits(min_payout=0, max_open_trades=None, max_trades_per_hour=None)
        self.risk = RiskManager(limits)
        self.now = float(T0)
        self.trader = AutoTrader(
            AutoTradeConfig(strategies, (A,), TF, paper=paper),
            registry,
            self.risk,
            self._send,
            risk_clock=lambda: self.now,
            payout_of=lambda asset: 90.0,
            account=lambda: AccountState(1000.0, is_demo=demo),
            consent=lambda: consent,
            on_signal=lambda signal, candle: self.signals.append(signal),
            on_stop=self.stops.append,
            journal=journal,
            stake_plan=stake_plan,
        )

    def _send(self, order: Order) -> None:
        if self.fail_send:
            raise ConnectionError("page gone")
        self.sent.append(order)

    def feed(self, closes: list[float], first: int = 0, by: str = "tick", late: float = 0.5):
        orders = []
        for i, close in enumerate(closes, start=first):
            start = T0 + TF * i
            event = CandleClosed(Candle(A, TF, start, close, close, close, close), by)
            self.now = start + TF + late
            orders += self.trader.on_candle_closed(event, self.now)
        return orders


def test_signals_through_risk_into_orders_within_the_limits():
    rig = Rig(RiskLimits(stake=2.0, min_payout=0, max_open_trades=None, max_trades_per_hour=2))
    orders = rig.feed(ZIGZAG)
    assert [s.direction for s in rig.signals] == [Direction.CALL, Direction.PUT] * 3
    assert orders == rig.sent and len(orders) == 2, "max 2 trades per hour"
    assert [o.direction for o in orders] == [Direction.CALL, Direction.PUT]
    first = orders[0]
    assert (first.stake, first.payout, first.entry_price) == (2.0, 90.0, 1.0)
    assert first.entry_time == T0 + 3 * TF and first.signal.expiry == 10
    assert len({o.intent_id for o in orders}) == 2
    assert rig.trader.running, "a limit that does not halt only denies"
    assert rig.risk.open_trades == 2, "orders count as open once sent"


def test_never_two_orders_for_one_signal_or_one_intent():
    rig = Rig()
    rig.feed(ZIGZAG[:3])
    assert len(rig.sent) == 1
    again = CandleClosed(Candle(A, TF, T0 + 2 * TF, 1.0, 1.0, 1.0, 1.0), "clock")
    assert rig.trader.on_candle_closed(again, T0 + 3 * TF + 1) == []
    order = rig.sent[0]
    rig.now = T0 + 20
    rig.trader.placed(order.intent_id, False, "first report")
    rig.now = T0 + 21
    rig.trader.placed(order.intent_id, False, "second report")
    assert rig.trader.failures == 1, "a repeated report is ignored"
    assert len(rig.sent) == 1


def test_stale_and_history_candles_only_warm_up(caplog):
    rig = Rig()
    assert rig.feed(ZIGZAG[:4], late=60) == []
    assert rig.feed(ZIGZAG[4:6], first=4, by="history") == []
    assert rig.sent == [] and rig.signals == []
    caplog.clear()
    assert rig.feed(ZIGZAG[:6], by="history") == [], "history seen already"
    assert "refused" not in caplog.text, "old history is skipped quietly"
    (order,) = rig.feed(ZIGZAG[6:7], first=6)
    assert order.direction is Direction.CALL, "indicators were warm: the next turn trades"


def test_a_partial_candle_never_trades_and_its_whole_version_from_history_is_learnt():
    rig = Rig()
    rig.feed(ZIGZAG[:2])
    start = T0 + 2 * TF
    close = ZIGZAG[2]
    partial = CandleClosed(Candle(A, TF, start, close, close, close, close), "tick", True)
    assert rig.trader.on_candle_closed(partial, start + TF + 0.5) == []
    assert rig.signals == [], "the candle that would turn the zigzag is partial"
    whole = CandleClosed(Candle(A, TF, start, close, close, close, close), "history")
    assert rig.trader.on_candle_closed(whole, start + TF + 1) == []
    assert rig.feed(ZIGZAG[:3]) == [], "the whole candle was learnt: nothing new"
    assert rig.feed(ZIGZAG[3:4], first=3) != [], "and the next turn trades"


def test_warm_up_from_history_then_live():
    rig = Rig()
    history = [Candle(A, TF, T0 + TF * i, c, c, c, c) for i, c in enumerate(ZIGZAG[:5])]
    rig.trader.warm_up(lambda asset, tf: history if (asset, tf) == (A, TF) else [])
    assert rig.feed(ZIGZAG[:5]) == [], "the same candles again: nothing"
    (order,) = rig.feed(ZIGZAG[5:6], first=5)
    assert order.direction is Direction.PUT and rig.signals == [order.signal]


def test_disconnect_stops_and_nothing_more_is_sent():
    rig = Rig()
    rig.feed(ZIGZAG[:3])
    rig.trader.disconnected("Chrome went away")
    rig.trader.disconnected("again")
    assert rig.stops == [Stop(StopReason.DISCONNECTED, "Chrome went away")]
    assert rig.feed(ZIGZAG[3:], first=3) == [] and len(rig.sent) == 1


def test_real_account_without_consent_stops_before_any_order():
    rig = Rig(demo=False)
    assert rig.feed(ZIGZAG) == []
    assert rig.sent == [] and [s.reason for s in rig.stops] == [StopReason.REAL_WITHOUT_CONSENT]
    assert Rig(demo=False, consent=True).feed(ZIGZAG[:3]), "with consent it trades"
    assert Rig(demo=False, paper=True).feed(ZIGZAG[:3]), "paper trades click nothing"


def test_repeated_failed_placements_stop_it():
    rig = Rig()
    for order in rig.feed(ZIGZAG[:4]):
        rig.now = T0 + 30
        rig.trader.placed(order.intent_id, False, "button disabled")
    rig.now = T0 + 31
    rig.trader.placed(rig.feed(ZIGZAG[4:5], first=4)[0].intent_id, True)
    assert rig.trader.failures == 0 and rig.trader.running, "a success resets the count"
    for order in rig.feed(ZIGZAG[5:], first=5):
        rig.now = T0 + 50
        rig.trader.placed(order.intent_id, False, "button disabled")
    assert rig.stops[0].reason is StopReason.REPEATED_ERRORS
    assert "3 placements failed in a row" in rig.stops[0].text
    assert rig.risk.open_trades == 1, "failed orders are released, the placed one stays open"


def test_sends_that_raise_count_as_failures():
    rig = Rig(fail_send=True)
    rig.feed(ZIGZAG)
    assert [s.reason for s in rig.stops] == [StopReason.REPEATED_ERRORS]
    assert len(rig.trader.orders) == 3, "it stopped at the third failure"


def test_a_halting_limit_stops_it_when_hit():
    rig = Rig(RiskLimits(min_payout=0, max_open_trades=None, daily_loss_limit=2.0))
    for order in rig.feed(ZIGZAG[:4]):
        rig.now = T0 + 30
        rig.trader.placed(order.intent_id, True)
        rig.now = T0 + 40
        rig.trader.settled(order.intent_id, -1.0)
    assert [s.reason for s in rig.stops] == [StopReason.RISK_LIMIT]
    assert "daily loss limit" in rig.stops[0].text
    assert rig.feed(ZIGZAG[4:], first=4) == []


def test_a_halting_denial_at_a_signal_stops_it():
    rig = Rig(RiskLimits(min_payout=0, max_open_trades=None, session_profit_target=1.0))
    (order,) = rig.feed(ZIGZAG[:3])
    rig.risk.record_result(order.intent_id, 5.0, T0 + 20)  # settled elsewhere
    assert rig.feed(ZIGZAG[3:4], first=3) == []
    assert [s.reason for s in rig.stops] == [StopReason.RISK_LIMIT]


def test_a_failing_strategy_is_stopped_and_when_all_fail_the_trader_stops():
    rig = Rig(strategies=(SMA12, StrategyChoice("exploding")))
    assert len(rig.feed(ZIGZAG[:3])) == 1 and rig.trader.running
    alone = Rig(strategies=(StrategyChoice("exploding"),))
    alone.feed(ZIGZAG[:1])
    assert [s.reason for s in alone.stops] == [StopReason.STRATEGIES_FAILED]


def test_bad_settings_are_refused():
    def make(config: AutoTradeConfig) -> AutoTrader:
        return AutoTrader(
            config,
            StrategyRegistry(),
            RiskManager(RiskLimits()),
            lambda order: None,
            payout_of=lambda a: 90.0,
            account=lambda: None,
        )

    with pytest.raises(ValueError, match="at least one asset"):
        make(AutoTradeConfig((SMA12,), (), TF))
    with pytest.raises(StrategyError, match="unknown strategy"):
        make(AutoTradeConfig((StrategyChoice("nope"),), (A,), TF))


def test_every_signal_it_judges_is_journaled_with_its_strategy_decision_and_result(tmp_path):
    path = journal_path(tmp_path)
    journal = JournalWriter(path)
    limits = RiskLimits(stake=2.0, min_payout=0, max_open_trades=None, max_trades_per_hour=1)
    rig = Rig(limits, paper=True, journal=journal)
    (order,) = rig.feed(ZIGZAG[:4])
    rig.trader.placed(order.intent_id, True)
    rig.trader.settled(order.intent_id, 1.8)
    assert journal.flush(10)
    journal.close()

    placed, refused = read_rows(path)
    assert placed.intent_id == order.intent_id
    assert (placed.source, placed.account, placed.strategy, placed.timeframe) == (
        Source.PAPER,
        "PAPER",
        "sma-cross",
        TF,
    )
    assert placed.params == '{"expiry": 10, "fast": 1, "slow": 2}'
    assert (placed.amount, placed.payout, placed.allowed, placed.placement) == (
        2.0,
        90.0,
        True,
        "placed",
    )
    assert (placed.outcome, placed.profit, placed.opened) == (Outcome.WON, 1.8, T0 + 3 * TF)
    assert (refused.allowed, refused.placement, refused.stage) == (False, "refused", "risk")
    assert "in the last hour" in refused.reasons[0] and refused.outcome is None


def test_a_martingale_stakes_each_order_and_stops_the_trader_before_a_step_past_the_maximum():
    limits = RiskLimits(min_payout=0, max_open_trades=None, max_trades_per_hour=None, max_stake=5.0)
    plan = StakePlan(PlanKind.MARTINGALE, base=1.0, multiplier=2.0, max_steps=5)
    rig = Rig(limits, stake_plan=plan)
    staked = []
    orders = rig.feed(ZIGZAG[:3])
    for i in range(3, 7):
        for order in orders:
            staked.append(order.stake)
            rig.trader.placed(order.intent_id, True)
            rig.trader.settled(order.intent_id, -order.stake)
            rig.trader.settled(order.intent_id, -order.stake)  # reported twice: counted once
        orders = rig.feed(ZIGZAG[i : i + 1], first=i)
    assert staked == [1.0, 2.0, 4.0]
    assert [s.reason for s in rig.stops] == [StopReason.RISK_LIMIT]
    assert "the next stake 8" in rig.stops[0].text and "maximum stake 5" in rig.stops[0].text
    assert len(rig.sent) == 3
