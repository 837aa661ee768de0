"""Alerts: a price crossing a level, a strategy's signal, a payout rising above a level.

An alert never trades; it only says what happened (:class:`Fired`), and the window shows it
(a desktop notification, a sound, a line in the log). Each fires **once per event**:

- a price alert when the price crosses its level: a tick on one side, then one strictly on
  the other (ticks exactly on the level change nothing), each way once per crossing;
- a payout alert when the asset's payout goes from below its level to at or above it;
- a signal alert when its strategy signals on a closed candle that came live (history and
  stale candles only warm the strategy up, as for the auto-trader), once per candle.

Alerts are kept as JSON (:func:`alerts_to_json`) and switched off one by one (``enabled``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from qfdesk.engine.events import AssetTable, CandleClosed, Event, Tick
from qfdesk.engine.strategies.host import Runner


class AlertKind(str, Enum):
    PRICE = "price"
    SIGNAL = "signal"
    PAYOUT = "payout"


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    kind: AlertKind
    asset: str
    level: float = 0.0
    """The price (PRICE) or payout in percent (PAYOUT)."""
    strategy: str = ""
    params: Mapping[str, float] = field(default_factory=dict)
    timeframe: int = 60
    enabled: bool = True

    def describe(self) -> str:
        if self.kind is AlertKind.PRICE:
            return f"{self.asset} crosses {self.level:g}"
        if self.kind is AlertKind.PAYOUT:
            return f"{self.asset} payout at or above {self.level:g}%"
        return f"{self.strategy} signals on {self.asset} ({self.timeframe} s)"


@dataclass(frozen=True, slots=True)
class Fired:
    alert: Alert
    text: str
    time: float
    """Platform time of what made it fire."""


MakeRunner = Callable[[str, Mapping[str, float], str, int], Runner]


class AlertWatch:
    def __init__(
        self,
        alerts: Sequence[Alert] = (),
        make_runner: MakeRunner | None = None,
        max_candle_age: float = 10.0,
    ) -> None:
        self._make_runner = make_runner
        self.max_candle_age = max_candle_age
        self._alerts: dict[str, Alert] = {}
        self._side: dict[str, int] = {}
        self._payout_below: dict[str, bool] = {}
        self._runners: dict[str, Runner] = {}
        self.errors: dict[str, str] = {}
        """Why a signal alert's strategy could not run, by alert id."""
        self.set_alerts(alerts)

    @property
    def alerts(self) -> list[Alert]:
        return list(self._alerts.values())

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        """Watch ``alerts``; one kept from before keeps its state (armed side, strategy)."""
        old = self._alerts
        self._alerts = {a.id: a for a in alerts}
        for gone in set(old) - set(self._alerts):
            self._forget(gone)
        for alert in self._alerts.values():
            before = old.get(alert.id)
            if before is not None and replace(before, enabled=alert.enabled) != alert:
                self._forget(alert.id)

    def set_enabled(self, alert_id: str, enabled: bool) -> None:
        alert = self._alerts.get(alert_id)
        if alert is not None:
            self._alerts[alert_id] = replace(alert, enabled=enabled)

    def _forget(self, alert_id: str) -> None:
        self._side.pop(alert_id, None)
        self._payout_below.pop(alert_id, None)
        self._runners.pop(alert_id, None)
        self.errors.pop(alert_id, None)

    def on_events(self, events: Iterable[Event], now: float | None = None) -> list[Fired]:
        fired: list[Fired] = []
        for event in events:
            if isinstance(event, Tick):
                fired += self._tick(event)
            elif isinstance(event, AssetTable):
                fired += self._payouts(event, now)
            elif isinstance(event, CandleClosed):
                fired += self._candle(event, now)
        return fired

    def _tick(self, tick: Tick) -> list[Fired]:
        fired = []
        for alert in self._alerts.values():
            if alert.kind is not AlertKind.PRICE or alert.asset != tick.asset:
                continue
            if tick.price == alert.level:
                continue  # on the level: not across it yet
            side = 1 if tick.price > alert.level else -1
            before = self._side.get(alert.id)
            self._side[alert.id] = side
            if before is None or side == before or not alert.enabled:
                continue
            way = "up" if side > 0 else "down"
            fired.append(
                Fired(
                    alert,
                    f"{alert.asset} crossed {alert.level:g} {way} at {tick.price:g}",
                    tick.time,
                )
            )
        return fired

    def _payouts(self, table: AssetTable, now: float | None) -> list[Fired]:
        payouts = {a.symbol: a.payout for a in table.assets}
        fired = []
        for alert in self._alerts.values():
            if alert.kind is not AlertKind.PAYOUT or alert.asset not in payouts:
                continue
            payout = payouts[alert.asset]
            was_below = self._payout_below.get(alert.id)
            self._payout_below[alert.id] = payout < alert.level
            if was_below and payout >= alert.level and alert.enabled:
                fired.append(
                    Fired(
                        alert,
                        f"{alert.asset} payout rose to {payout:g}% (alert at {alert.level:g}%)",
                        now or 0.0,
                    )
                )
        return fired

    def _candle(self, event: CandleClosed, now: float | None) -> list[Fired]:
        candle = event.candle
        if event.partial:
            return []
        stale = event.by in ("history", "disk") or (
            now is not None and now - (candle.start + candle.timeframe) > self.max_candle_age
        )
        fired = []
        for alert in self._alerts.values():
            if (
                alert.kind is not AlertKind.SIGNAL
                or alert.asset != candle.asset
                or alert.timeframe != candle.timeframe
                or alert.id in self.errors
            ):
                continue
            runner = self._runner(alert)
            if runner is None or runner.has_seen(candle.start):
                continue
            if stale:
                runner.warm_up([candle])
                continue
            signal = runner.on_candle(candle, now)
            if runner.stopped:
                self.errors[alert.id] = runner.error or "the strategy stopped"
            if signal is not None and alert.enabled:
                side = "BUY" if signal.direction.value == "call" else "SELL"
                fired.append(
                    Fired(
                        alert,
                        f"{alert.strategy} says {side} on {alert.asset}: "
                        f"{signal.reason} (no trade placed)",
                        float(candle.start),
                    )
                )
        return fired

    def _runner(self, alert: Alert) -> Runner | None:
        runner = self._runners.get(alert.id)
        if runner is None and self._make_runner is not None:
            try:
                runner = self._make_runner(
                    alert.strategy, alert.params, alert.asset, alert.timeframe
                )
            except ValueError as error:  # StrategyError: unknown strategy, bad parameters
                self.errors[alert.id] = str(error)
                return None
            self._runners[alert.id] = runner
        return runner


def alerts_to_json(alerts: Sequence[Alert]) -> str:
    return json.dumps(
        [
            {
                "id": a.id,
                "kind": a.kind.value,
                "asset": a.asset,
                "level": a.level,
                "strategy": a.strategy,
                "params": dict(a.params),
                "timeframe": a.timeframe,
                "enabled": a.enabled,
            }
            for a in alerts
        ]
    )


def alerts_from_json(text: str) -> tuple[list[Alert], list[str]]:
    """The alerts in ``text``, and what was wrong with those left out."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        return [], [f"the saved alerts are not JSON ({error}); none restored"]
    if not isinstance(raw, list):
        return [], ["the saved alerts are not a list; none restored"]
    found, problems = [], []
    for n, item in enumerate(raw, start=1):
        try:
            found.append(
                Alert(
                    str(item["id"]),
                    AlertKind(item["kind"]),
                    str(item["asset"]),
                    float(item.get("level", 0.0)),
                    str(item.get("strategy", "")),
                    {str(k): float(v) for k, v in dict(item.get("params", {})).items()},
                    int(item.get("timeframe", 60)),
                    bool(item.get("enabled", True)),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            problems.append(f"alert {n} left out: {error}")
    return found, problems
