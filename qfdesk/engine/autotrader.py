"""The auto-trader's core: closed candles -> strategies -> risk -> one order per signal.

Qt-free and clock-free (the caller passes platform time). One runner per (strategy, asset)
on the chosen timeframe. Work comes in two steps: :meth:`AutoTrader.evaluate` runs the
strategies on closed candles (only the runners' state; it may run on a strategy host's
thread, see :class:`~qfdesk.engine.strategies.host.StrategyHost`) and :meth:`AutoTrader.act`
turns what they found into orders (on the caller's thread: every callback is called there);
:meth:`AutoTrader.on_events` does both at once. A signal acted on when its candle is older
than ``max_candle_age`` is dropped: a slow strategy never trades late.

Each signal gets one intent id, and ``send`` is called at most once per intent id; the caller
reports back with :meth:`AutoTrader.placed` and :meth:`AutoTrader.settled`. An order is
counted as open in the risk manager when it is sent (so orders in flight count toward max
open trades and trades per hour); a placement that provably failed is released as a refund
(profit 0).

It stops itself, saying why, on: a disconnect (:meth:`disconnected`), a REAL account without
the trader's consent for this session, ``max_failures`` failed placements in a row, a risk
decision that halts trading (daily loss, losing-streak pause, session target), a strategy
that ran over its time budget, and every strategy having failed. Every signal, risk
decision and outcome is logged.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from qfdesk.engine.events import Candle, CandleClosed, Direction, Event
from qfdesk.engine.journal import (
    Attempt,
    Decision,
    Outcome,
    Placed,
    Settled,
    Source,
    StrategyOrigin,
)
from qfdesk.engine.journal.writer import JournalSink
from qfdesk.engine.risk import AccountState, RiskDecision, RiskLimits, RiskManager, TradeIntent
from qfdesk.engine.stake_plan import StakePlan, StakeSequence
from qfdesk.engine.strategies import Signal, StrategyRegistry, StrategyRunner
from qfdesk.engine.strategies.host import Runner

log = logging.getLogger(__name__)


class StopReason(str, Enum):
    SWITCHED_OFF = "switched off"
    DISCONNECTED = "disconnected"
    REAL_WITHOUT_CONSENT = "REAL account without consent"
    REPEATED_ERRORS = "repeated errors"
    RISK_LIMIT = "risk limit"
    STRATEGY_OVERRAN = "strategy overran its time budget"
    STRATEGIES_FAILED = "strategies failed"
    TRADING_ALARM = "trading alarm"


@dataclass(frozen=True, slots=True)
class StrategyChoice:
    name: str
    params: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AutoTradeConfig:
    """``max_candle_age``: a candle that ended longer ago than this (seconds, platform time)
    only warms the strategies up: its moment has passed, so it never trades."""

    strategies: tuple[StrategyChoice, ...]
    assets: tuple[str, ...]
    timeframe: int
    paper: bool = True
    max_failures: int = 3
    max_candle_age: float = 10.0

    def problems(self) -> list[str]:
        found = []
        if not self.strategies:
            found.append("choose at least one strategy")
        if not self.assets:
            found.append("choose at least one asset")
        if self.max_failures < 1:
            found.append("max_failures must be at least 1")
        return found


@dataclass(frozen=True, slots=True)
class Order:
    """A trade the risk manager allowed for one signal, to be placed once."""

    intent_id: str
    signal: Signal
    stake: float
    payout: float
    entry_price: float  # close of the signal candle
    entry_time: float  # end of the signal candle (platform time)
    paper: bool

    @property
    def asset(self) -> str:
        return self.signal.asset

    @property
    def direction(self) -> Direction:
        return self.signal.direction


@dataclass(frozen=True, slots=True)
class Stop:
    reason: StopReason
    text: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the strategies made of some closed candles: the signals, each with its candle,
    and the runners (indices) that have failed so far."""

    signals: tuple[tuple[Signal, Candle], ...] = ()
    failed: tuple[int, ...] = ()


def in_process(
    registry: StrategyRegistry,
) -> Callable[[str, Mapping[str, float], str, int], Runner]:
    """Runners whose strategies run right here, on the caller's thread."""

    def make(name: str, params: Mapping[str, float], asset: str, timeframe: int) -> Runner:
        return StrategyRunner(registry.create(name, params), asset, timeframe)

    return make


class AutoTrader:
    """``send(order)`` places (live) or books (paper) an order; it must not block.

    ``payout_of(asset)`` and ``account()`` give the current payout and account state (None
    while unknown: the signal is skipped). ``consent()`` tells whether the trader allowed
    REAL trading in this session; in paper mode no account is ever traded.
    ``make_runner(name, params, asset, timeframe)`` makes the runners (by default in this
    process, from ``registry``; a strategy host's ``runner`` runs them off the GUI thread).
    """

    def __init__(
        self,
        config: AutoTradeConfig,
        registry: StrategyRegistry,
        risk: RiskManager,
        send: Callable[[Order], None],
        *,
        limits: RiskLimits | None = None,
        risk_clock: Callable[[], float] = time.time,
        payout_of: Callable[[str], float | None],
        account: Callable[[], AccountState | None],
        consent: Callable[[], bool] = lambda: False,
        on_signal: Callable[[Signal, Candle], None] | None = None,
        on_stop: Callable[[Stop], None] | None = None,
        make_runner: Callable[[str, Mapping[str, float], str, int], Runner] | None = None,
        journal: JournalSink | None = None,
        stake_plan: StakePlan | None = None,
    ) -> None:
        """Raises StrategyError for an unknown strategy or bad parameters, ValueError for a
        config that makes no sense."""
        problems = config.problems()
        if problems:
            raise ValueError("auto-trader settings make no sense: " + "; ".join(problems))
        self.config = config
        self.risk = risk
        self.limits = limits
        self._risk_clock = risk_clock
        self._send = send
        self._payout_of = payout_of
        self._account = account
        self._consent = consent
        self._on_signal = on_signal
        self._on_stop = on_stop
        self._journal = journal
        self._settled: set[str] = set()
        self.stakes = (
            None if stake_plan is None else StakeSequence(stake_plan, limits or risk.limits)
        )
        """The stake plan in use; without one the risk limits size each stake."""
        make = make_runner or in_process(registry)
        self.runners: list[Runner] = [
            make(choice.name, choice.params, asset, config.timeframe)
            for choice in config.strategies
            for asset in config.assets
        ]
        self.orders: dict[str, Order] = {}
        self.signals: list[Signal] = []
        self.failures = 0
        self.stopped: Stop | None = None
        self._reported: set[str] = set()
        self._signal_keys: set[tuple[str, str, int, int]] = set()
        self._runner_errors: set[int] = set()
        mode = "PAPER" if config.paper else "LIVE"
        log.warning(
            "auto-trader ON (%s): %s on %s, timeframe %d s",
            mode,
            ", ".join(f"{c.name} {dict(c.params)}" for c in config.strategies),
            ", ".join(config.assets),
            config.timeframe,
        )

    @property
    def running(self) -> bool:
        return self.stopped is None

    # ----- input ---------------------------------------------------------------------------

    def warm_up(self, history: Callable[[str, int], Iterable[Candle]]) -> Evaluation:
        """Feed each runner the closed candles ``history(asset, timeframe)`` already holds;
        the runners that failed (for :meth:`act`)."""
        for runner in self.runners:
            runner.warm_up(history(runner.asset, runner.timeframe))
        return self._evaluation([])

    def on_events(self, events: Iterable[Event], now: float | None) -> list[Order]:
        """A batch of events: every CandleClosed among them (others are ignored)."""
        return self.act(self.evaluate(events, now), now)

    def on_candle_closed(self, event: CandleClosed, now: float | None) -> list[Order]:
        """Run the strategies of this candle's asset; the orders sent for their signals."""
        return self.act(self.evaluate([event], now), now)

    def evaluate(self, events: Iterable[Event], now: float | None) -> Evaluation:
        """Run the strategies on every CandleClosed among ``events`` (others are ignored).
        Touches only the runners: no callback is called, nothing is sent."""
        found: list[tuple[Signal, Candle]] = []
        for event in events:
            if isinstance(event, CandleClosed):
                found += self._evaluate_candle(event, now)
        return self._evaluation(found)

    def _evaluation(self, found: list[tuple[Signal, Candle]]) -> Evaluation:
        failed = tuple(i for i, runner in enumerate(self.runners) if runner.stopped)
        return Evaluation(tuple(found), failed)

    def _evaluate_candle(
        self, event: CandleClosed, now: float | None
    ) -> list[tuple[Signal, Candle]]:
        candle = event.candle
        if not self.running or candle.timeframe != self.config.timeframe or event.partial:
            # A partial candle (its start not seen) is not what a backtest sees; its whole
            # version may come later with history, and is learnt from then.
            return []
        stale = event.by in ("history", "disk") or self._too_old(candle, now)
        found: list[tuple[Signal, Candle]] = []
        for runner in self.runners:
            if runner.asset != candle.asset:
                continue
            if runner.has_seen(candle.start):
                continue  # history the runner has seen already (or older): nothing to learn
            if stale:
                runner.warm_up([candle])
                continue
            signal = runner.on_candle(candle, now)
            if signal is not None:
                found.append((signal, candle))
        return found

    def _too_old(self, candle: Candle, now: float | None) -> bool:
        return now is None or now - (candle.start + candle.timeframe) > self.config.max_candle_age

    def act(self, evaluation: Evaluation, now: float | None) -> list[Order]:
        """Stop for failed strategies, and send the orders the risk manager allows for the
        signals found; the orders sent."""
        for i in evaluation.failed:
            if i not in self._runner_errors:
                self._runner_errors.add(i)
                log.error("auto-trader: %s", self.runners[i].error)
        overran = [self.runners[i] for i in evaluation.failed if self.runners[i].overran]
        if overran and self.running:
            self.stop(StopReason.STRATEGY_OVERRAN, str(overran[0].error))
        orders: list[Order] = []
        for signal, candle in evaluation.signals:
            if not self.running:
                break
            if self._too_old(candle, now):
                log.warning(
                    "auto-trader: signal %s %s at %s dropped: it came too late to trade",
                    signal.strategy,
                    signal.asset,
                    signal.candle_start,
                )
                continue
            order = self._on_signal_found(signal, candle)
            if order is not None:
                orders.append(order)
        if self.running and len(self._runner_errors) == len(self.runners):
            errors = "; ".join(str(runner.error) for runner in self.runners)
            self.stop(StopReason.STRATEGIES_FAILED, f"every strategy failed: {errors}")
        return orders

    def _on_signal_found(self, signal: Signal, candle: Candle) -> Order | None:
        key = (signal.strategy, signal.asset, signal.timeframe, signal.candle_start)
        if key in self._signal_keys:
            log.warning("auto-trader: signal %s seen already; no second order", key)
            return None
        self._signal_keys.add(key)
        self.signals.append(signal)
        if self._on_signal is not None:
            self._on_signal(signal, candle)
        payout = self._payout_of(signal.asset)
        account = self._account()
        if payout is None or account is None:
            log.warning(
                "auto-trader: signal on %s skipped: %s not known yet",
                signal.asset,
                "payout" if payout is None else "account",
            )
            return None
        if not self.config.paper and not account.is_demo and not self._consent():
            self.real_without_consent()
            return None
        intent = TradeIntent.from_signal(signal, payout)
        if self.stakes is not None:
            planned = self.stakes.next_stake(account.balance)
            if planned.stake is None:
                self.stop(StopReason.RISK_LIMIT, planned.reason)
                return None
            intent = dataclasses.replace(intent, stake=planned.stake)
        decision = self.risk.check(intent, account, self._risk_clock(), self.limits)
        intent_id = uuid.uuid4().hex[:16]
        self._journal_decision(intent_id, signal, decision, payout, account)
        if not decision.allowed:
            if decision.halts:
                self.stop(StopReason.RISK_LIMIT, decision.reason)
            return None
        order = Order(
            intent_id=intent_id,
            signal=signal,
            stake=decision.stake,
            payout=payout,
            entry_price=candle.close,
            entry_time=float(candle.start + candle.timeframe),
            paper=self.config.paper,
        )
        self.orders[order.intent_id] = order
        self.risk.record_open(order.intent_id, signal.asset, order.stake, self._risk_clock())
        log.info(
            "auto-trader: order %s %s %s stake %g payout %g%% (%s)",
            order.intent_id,
            signal.direction.value.upper(),
            signal.asset,
            order.stake,
            payout,
            "paper" if order.paper else "live",
        )
        try:
            self._send(order)
        except Exception as exc:  # a failed send is a failed placement
            log.exception("auto-trader: sending order %s failed", order.intent_id)
            self.placed(order.intent_id, False, f"{type(exc).__name__}: {exc}")
        return order

    def _journal_decision(
        self,
        intent_id: str,
        signal: Signal,
        decision: RiskDecision,
        payout: float,
        account: AccountState,
    ) -> None:
        """The journal's attempt for a signal the risk manager judged, and its answer; a
        refused one ends there, a paper one is placed at once."""
        if self._journal is None:
            return
        paper = self.config.paper
        params = next((c.params for c in self.config.strategies if c.name == signal.strategy), {})
        write = self._journal.write
        write(
            Attempt(
                intent_id,
                signal.asset,
                signal.direction,
                decision.stake if decision.allowed else (self.limits or self.risk.limits).stake,
                signal.expiry,
                Source.PAPER if paper else Source.AUTO,
                payout=payout,
                account="PAPER" if paper else ("DEMO" if account.is_demo else "REAL"),
                strategy=StrategyOrigin(signal.strategy, dict(params), signal.timeframe),
                created=time.time(),
            )
        )
        write(Decision(intent_id, decision.allowed, (decision.reason,)))
        if not decision.allowed:
            write(Placed(intent_id, "refused", "risk", decision.reason))
        elif paper:
            write(Placed(intent_id, "placed", "paper"))

    # ----- feedback ----------------------------------------------------------------------------

    def placed(self, intent_id: str, ok: bool, error: str = "", *, clicked: bool = False) -> None:
        """The outcome of placing an order. ``clicked``: it failed but may have reached the
        platform (unconfirmed), so it stays counted as open."""
        if intent_id not in self.orders or intent_id in self._reported:
            log.warning(
                "auto-trader: placement report for %s ignored (unknown or repeated)", intent_id
            )
            return
        self._reported.add(intent_id)
        if ok:
            self.failures = 0
            log.info("auto-trader: order %s placed", intent_id)
            return
        self.failures += 1
        if not clicked:
            self.risk.record_result(intent_id, 0.0, self._risk_clock())
        log.error(
            "auto-trader: order %s failed (%d in a row): %s",
            intent_id,
            self.failures,
            error or "no reason given",
        )
        if self.running and self.failures >= self.config.max_failures:
            self.stop(
                StopReason.REPEATED_ERRORS,
                f"{self.failures} placements failed in a row; last: {error or 'no reason'}",
            )

    def settled(self, intent_id: str, profit: float) -> None:
        """An order's trade closed with ``profit``; stops at once if a halting limit is hit.
        A second report of the same trade is ignored."""
        if intent_id not in self.orders or intent_id in self._settled:
            return
        self._settled.add(intent_id)
        self.risk.record_result(intent_id, profit, self._risk_clock())
        log.info("auto-trader: order %s closed %+.2f", intent_id, profit)
        if self.stakes is not None:
            self.stakes.record(profit)
        order = self.orders[intent_id]
        if order.paper and self._journal is not None:
            outcome = Outcome.WON if profit > 0 else Outcome.LOST if profit < 0 else Outcome.REFUND
            self._journal.write(
                Settled(
                    outcome,
                    profit,
                    intent_id=intent_id,
                    opened=order.entry_time,
                    closed=order.entry_time + order.signal.expiry,
                )
            )
        if not self.running:
            return
        probe = TradeIntent(
            order.asset, order.direction, order.payout, source="limit check, not a trade"
        )
        account = self._account() or AccountState(balance=float("inf"))
        decision = self.risk.check(probe, account, self._risk_clock(), self.limits)
        if decision.halts:
            self.stop(StopReason.RISK_LIMIT, decision.reason)

    def disconnected(self, text: str = "the platform's Chrome is not connected") -> None:
        if self.running:
            self.stop(StopReason.DISCONNECTED, text)

    def real_without_consent(self) -> None:
        if self.running:
            self.stop(
                StopReason.REAL_WITHOUT_CONSENT,
                "the account is REAL and trading real money was not allowed in this session",
            )

    def stop(self, reason: StopReason, text: str = "") -> None:
        """Stop for good (a new AutoTrader is made to start again); reported once."""
        if self.stopped is not None:
            return
        self.stopped = Stop(reason, text or reason.value)
        log.warning("auto-trader OFF: %s: %s", reason.value, self.stopped.text)
        if self._on_stop is not None:
            self._on_stop(self.stopped)
