"""The one risk manager every trade passes, manual or automatic.

Pure: the caller passes the clock (``now``, UTC epoch seconds: one clock for every caller)
and the account state, so every limit is testable. Each decision carries a reason in words
and a ``code`` naming the rule, and is logged. Days are UTC days of ``now``.

One manager holds the state of all trading (open trades, trades this hour, today's and the
session's profit, the losing streak, cooldowns); a caller with stricter limits of its own,
such as the auto-trader, passes them to :meth:`RiskManager.check` and they are applied to
that same state. A losing-streak pause is therefore decided when a trade is checked: after
``max_consecutive_losses`` losses in a row, no trade passes until ``pause_minutes`` after the
last of them; the first check after that starts a fresh streak.

A refund (profit 0) is neither a win nor a loss: it does not extend or break a losing streak.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field, fields

from qfdesk.engine.events import Direction
from qfdesk.engine.strategies.base import Signal

log = logging.getLogger(__name__)

DAY = 86_400

# Codes of decisions after which no trade passes until the limit's time is over: an
# auto-trader stops itself on these.
HALTING_CODES = frozenset({"daily_loss_limit", "losing_streak_pause", "session_target"})

# RiskLimits fields that None switches off, and those that count (whole numbers).
_OPTIONAL_LIMITS = frozenset(
    {"stake_percent", "max_open_trades", "max_trades_per_hour", "daily_loss_limit"}
    | {"max_consecutive_losses", "session_profit_target"}
)
_COUNT_LIMITS = frozenset({"max_open_trades", "max_trades_per_hour", "max_consecutive_losses"})


def _number_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be limit ``name`` (a file or a caller may pass anything)."""
    if value is None:
        return None if name in _OPTIONAL_LIMITS else f"{name} must be a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} must be a number, not {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be a finite number, not {value!r}"
    if name in _COUNT_LIMITS and value != int(value):
        return f"{name} must be a whole number, not {value!r}"
    return None


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """``None`` switches a limit off. Money is in the account currency, payout in percent."""

    stake: float = 1.0
    stake_percent: float | None = None
    min_stake: float = 1.0
    max_stake: float = 100.0
    min_payout: float = 80.0
    min_confidence: float = 0.0
    max_open_trades: int | None = 1
    max_trades_per_hour: int | None = 20
    daily_loss_limit: float | None = None
    max_consecutive_losses: int | None = None
    pause_minutes: float = 30.0
    asset_cooldown_seconds: float = 0.0
    session_profit_target: float | None = None

    def problems(self) -> list[str]:
        found = [
            problem
            for limit in fields(self)
            if (problem := _number_problem(limit.name, getattr(self, limit.name))) is not None
        ]
        if found:
            return found
        if self.min_stake <= 0 or self.max_stake < self.min_stake:
            found.append("stakes need 0 < min_stake <= max_stake")
        if self.stake_percent is None and not self.min_stake <= self.stake <= self.max_stake:
            found.append("the fixed stake must lie between min_stake and max_stake")
        if self.stake_percent is not None and not 0 < self.stake_percent <= 100:
            found.append("stake_percent must be above 0 and at most 100")
        return found


@dataclass(frozen=True, slots=True)
class TradeIntent:
    """A wish to trade. ``stake`` is the amount a trader typed (manual trades); None lets
    the risk manager size it."""

    asset: str
    direction: Direction
    payout: float
    confidence: float = 1.0
    expiry: int = 60
    source: str = "manual"
    stake: float | None = None

    @classmethod
    def from_signal(cls, signal: Signal, payout: float) -> TradeIntent:
        """The intent an auto-trader forms from a strategy's signal at the asset's payout."""
        return cls(
            asset=signal.asset,
            direction=signal.direction,
            payout=payout,
            confidence=signal.confidence,
            expiry=signal.expiry,
            source=signal.strategy,
        )


@dataclass(frozen=True, slots=True)
class AccountState:
    balance: float
    is_demo: bool = True


@dataclass(frozen=True, slots=True)
class RiskDecision:
    allowed: bool
    reason: str
    stake: float = 0.0
    code: str = "ok"

    @property
    def halts(self) -> bool:
        return self.code in HALTING_CODES


@dataclass(slots=True)
class _OpenTrade:
    asset: str
    stake: float
    opened: float


@dataclass(slots=True)
class _State:
    session_profit: float = 0.0
    day: int = -1
    day_profit: float = 0.0
    losing_streak: int = 0
    last_loss: float = -math.inf
    opened_times: deque[float] = field(default_factory=deque)
    last_open_by_asset: dict[str, float] = field(default_factory=dict)
    open_trades: dict[str, _OpenTrade] = field(default_factory=dict)


class RiskManager:
    def __init__(self, limits: RiskLimits, log_level: int = logging.INFO) -> None:
        """``log_level``: the level decisions are logged at (backtests use DEBUG)."""
        problems = limits.problems()
        if problems:
            raise ValueError("risk limits make no sense: " + "; ".join(problems))
        self.limits = limits
        self._level = log_level
        self._s = _State()

    @property
    def open_trades(self) -> int:
        return len(self._s.open_trades)

    @property
    def session_profit(self) -> float:
        return self._s.session_profit

    @property
    def losing_streak(self) -> int:
        return self._s.losing_streak

    def day_profit(self, now: float) -> float:
        self._roll_day(now)
        return self._s.day_profit

    def check(
        self,
        intent: TradeIntent,
        account: AccountState,
        now: float,
        limits: RiskLimits | None = None,
    ) -> RiskDecision:
        """Allow or deny ``intent`` under ``limits`` (default: this manager's own)."""
        decision = self._decide(intent, account, now, limits or self.limits)
        log.log(
            self._level,
            "risk %s %s %s (%s, conf %.2f, payout %g%%): %s - %s",
            "ALLOW" if decision.allowed else "DENY",
            intent.asset,
            intent.direction.value,
            intent.source,
            intent.confidence,
            intent.payout,
            decision.code,
            decision.reason,
        )
        return decision

    def _decide(
        self, intent: TradeIntent, account: AccountState, now: float, lim: RiskLimits
    ) -> RiskDecision:
        s = self._s
        self._roll_day(now)
        if lim.daily_loss_limit is not None and s.day_profit <= -lim.daily_loss_limit:
            return _deny(
                "daily_loss_limit",
                f"daily loss limit reached: {s.day_profit:.2f} today (limit "
                f"{lim.daily_loss_limit:g}); trading stops until the next UTC day",
            )
        if lim.max_consecutive_losses is not None and (
            s.losing_streak >= lim.max_consecutive_losses
        ):
            until = s.last_loss + lim.pause_minutes * 60.0
            if now < until:
                return _deny(
                    "losing_streak_pause",
                    f"paused after {s.losing_streak} losses in a row until "
                    f"{until - now:.0f} s from now",
                )
            s.losing_streak = 0
        if lim.session_profit_target is not None and s.session_profit >= lim.session_profit_target:
            return _deny(
                "session_target",
                f"session profit target reached: {s.session_profit:.2f} >= "
                f"{lim.session_profit_target:g}",
            )
        if intent.payout < lim.min_payout:
            return _deny(
                "min_payout", f"payout {intent.payout:g}% is below the minimum {lim.min_payout:g}%"
            )
        if intent.confidence < lim.min_confidence:
            return _deny(
                "min_confidence",
                f"confidence {intent.confidence:.2f} is below the minimum {lim.min_confidence:.2f}",
            )
        if lim.max_open_trades is not None and len(s.open_trades) >= lim.max_open_trades:
            return _deny(
                "max_open_trades",
                f"{len(s.open_trades)} trades open, the maximum is {lim.max_open_trades}",
            )
        while s.opened_times and s.opened_times[0] <= now - 3600:
            s.opened_times.popleft()
        if lim.max_trades_per_hour is not None and len(s.opened_times) >= lim.max_trades_per_hour:
            return _deny(
                "max_trades_per_hour",
                f"{len(s.opened_times)} trades in the last hour, the maximum is "
                f"{lim.max_trades_per_hour}",
            )
        last = s.last_open_by_asset.get(intent.asset)
        if last is not None and now - last < lim.asset_cooldown_seconds:
            return _deny(
                "asset_cooldown",
                f"{intent.asset} traded {now - last:.0f} s ago; cooldown is "
                f"{lim.asset_cooldown_seconds:g} s",
            )
        return self._sized(intent, account, lim)

    def _sized(self, intent: TradeIntent, account: AccountState, lim: RiskLimits) -> RiskDecision:
        if intent.stake is not None:
            stake = float(intent.stake)
            if not lim.min_stake <= stake <= lim.max_stake:
                return _deny(
                    "stake_out_of_range",
                    f"stake {stake:g} is outside {lim.min_stake:g} to {lim.max_stake:g}",
                )
            how = "as asked"
        elif lim.stake_percent is not None:
            raw = account.balance * lim.stake_percent / 100.0
            stake = min(lim.max_stake, max(lim.min_stake, round(raw, 2)))
            how = f"{lim.stake_percent:g}% of balance {account.balance:.2f}, within limits"
        else:
            stake = lim.stake
            how = "fixed"
        if stake > account.balance:
            return _deny(
                "insufficient_balance",
                f"stake {stake:g} is more than the balance {account.balance:.2f}",
            )
        return RiskDecision(True, f"allowed: stake {stake:g} ({how})", stake, "ok")

    def record_open(self, trade_id: str, asset: str, stake: float, now: float) -> None:
        """A trade the risk manager allowed has been placed. Recording one id twice changes
        nothing (counted once)."""
        s = self._s
        if trade_id in s.open_trades:
            log.warning("risk: trade %s was already recorded as open; ignored", trade_id)
            return
        s.open_trades[trade_id] = _OpenTrade(asset, stake, now)
        s.opened_times.append(now)
        s.last_open_by_asset[asset] = now
        log.log(self._level, "risk: trade %s opened on %s, stake %g", trade_id, asset, stake)

    def record_result(self, trade_id: str, profit: float, now: float) -> None:
        """A trade closed with ``profit`` (negative for a loss, 0 for a refund). A trade placed
        outside this manager (say, by hand in the page) still counts toward the limits."""
        lim, s = self.limits, self._s
        s.open_trades.pop(trade_id, None)
        self._roll_day(now)
        s.day_profit += profit
        s.session_profit += profit
        if profit < 0:
            s.losing_streak += 1
            s.last_loss = now
            if s.losing_streak == lim.max_consecutive_losses:
                log.log(
                    max(self._level, logging.WARNING),
                    "risk: %d losses in a row; pausing for %g minutes",
                    lim.max_consecutive_losses,
                    lim.pause_minutes,
                )
        elif profit > 0:
            s.losing_streak = 0
        log.log(
            self._level,
            "risk: trade %s closed %+.2f; today %+.2f, session %+.2f",
            trade_id,
            profit,
            s.day_profit,
            s.session_profit,
        )

    def _roll_day(self, now: float) -> None:
        day = int(now // DAY)
        if day != self._s.day:
            self._s.day = day
            self._s.day_profit = 0.0


def _deny(code: str, reason: str) -> RiskDecision:
    return RiskDecision(False, reason, 0.0, code)
