"""Alerts fire once per event and never trade: a price crossing a level each way, a
payout rising above a level, a strategy's live signal; switched off one by one; kept as JSON."""

from __future__ import annotations

from qfdesk.engine.alerts import Alert, AlertKind, AlertWatch, alerts_from_json, alerts_to_json
from qfdesk.engine.events import AssetInfo, AssetTable, Candle, CandleClosed, Tick
from qfdesk.engine.strategies import StrategyRegistry, StrategyRunner

A = "EURUSD_otc"
LEVEL = Alert("l1", AlertKind.PRICE, A, level=1.1000)


def ticks(*prices: float, asset: str = A) -> list[Tick]:
    return [Tick(asset, 1000.0 + i, p) for i, p in enumerate(prices)]


def test_a_price_alert_fires_once_per_crossing_each_way():
    watch = AlertWatch([LEVEL])
    fired = watch.on_events(ticks(1.0990, 1.0995, 1.1005, 1.1010, 1.1000, 1.1002, 1.0998, 1.0997))
    assert [f.text for f in fired] == [
        "EURUSD_otc crossed 1.1 up at 1.1005",
        "EURUSD_otc crossed 1.1 down at 1.0998",
    ]
    assert fired[0].time == 1002.0
    assert watch.on_events(ticks(1.0996, asset="GBPUSD")) == [], "another asset's ticks"


def test_the_first_tick_only_tells_the_side_it_starts_on():
    watch = AlertWatch([LEVEL])
    assert watch.on_events(ticks(1.2)) == []
    assert len(watch.on_events(ticks(1.0))) == 1


def test_a_switched_off_alert_is_silent_and_does_not_fire_for_the_past_when_back_on():
    watch = AlertWatch([LEVEL])
    watch.on_events(ticks(1.0990))
    watch.set_enabled("l1", False)
    assert watch.on_events(ticks(1.1010)) == []
    watch.set_enabled("l1", True)
    assert watch.on_events(ticks(1.1020)) == []
    assert len(watch.on_events(ticks(1.0980))) == 1


def table(payout: float) -> AssetTable:
    return AssetTable((AssetInfo(1, A, "EUR/USD OTC", "currency", payout, True, True, (60,)),))


def test_a_payout_alert_fires_when_the_payout_rises_to_its_level():
    watch = AlertWatch([Alert("p1", AlertKind.PAYOUT, A, level=90.0)])
    assert watch.on_events([table(92.0)]) == [], "already above when first seen"
    assert watch.on_events([table(85.0)]) == []
    [fired] = watch.on_events([table(90.0)])
    assert "payout rose to 90%" in fired.text
    assert watch.on_events([table(91.0)]) == [], "still above: once per rise"


def closed(i: int, close: float, by: str = "tick") -> CandleClosed:
    start = 1_761_000_000 + 5 * i
    return CandleClosed(Candle(A, 5, start, close, close, close, close), by)


def test_a_signal_alert_fires_on_live_signals_only_and_never_trades():
    registry = StrategyRegistry()

    def make(name, params, asset, timeframe):
        return StrategyRunner(registry.create(name, params), asset, timeframe)

    alert = Alert(
        "s1", AlertKind.SIGNAL, A, strategy="sma-cross", params={"fast": 1, "slow": 2}, timeframe=5
    )
    watch = AlertWatch([alert], make_runner=make)
    zigzag = [1.0, 0.9, 1.0, 0.9]
    history = watch.on_events([closed(i, c, "history") for i, c in enumerate(zigzag)])
    assert history == [], "history only warms the strategy up"
    live = []
    for i, c in enumerate([1.0, 0.9], start=4):
        live += watch.on_events([closed(i, c)], now=1_761_000_000 + 5 * (i + 1) + 0.5)
    assert [f.text.split(":")[0] for f in live] == [
        "sma-cross says BUY on EURUSD_otc",
        "sma-cross says SELL on EURUSD_otc",
    ]
    assert all("no trade placed" in f.text for f in live)


def test_a_signal_alert_with_an_unknown_strategy_says_why():
    registry = StrategyRegistry()

    def make(name, params, asset, timeframe):
        return StrategyRunner(registry.create(name, params), asset, timeframe)

    watch = AlertWatch([Alert("s1", AlertKind.SIGNAL, A, strategy="nope", timeframe=5)], make)
    assert watch.on_events([closed(0, 1.0)]) == []
    assert "unknown strategy" in watch.errors["s1"]


def test_alerts_are_kept_as_json_and_bad_entries_are_left_out_with_the_reason():
    alerts = [
        LEVEL,
        Alert(
            "s1",
            AlertKind.SIGNAL,
            A,
            strategy="sma-cross",
            params={"fast": 3.0},
            timeframe=60,
            enabled=False,
        ),
    ]
    restored, problems = alerts_from_json(alerts_to_json(alerts))
    assert restored == alerts and problems == []
    restored, problems = alerts_from_json('[{"id": "x", "kind": "nope", "asset": "A"}]')
    assert restored == [] and "alert 1 left out" in problems[0]
