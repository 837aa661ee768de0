"""The order desk on the simulator through real headless Chromium: what reached the
simulator's accounts when an intent is placed, on DEMO, on REAL without consent and on an
account the page does not show."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from browser_helpers import ChromeRig, Collected, needs_browser, wait_for

from qfdesk.browser.capabilities.base import Context
from qfdesk.browser.selectors import Selectors
from qfdesk.desk.order_desk import Checks, OrderDesk
from qfdesk.desk.orders import OrderIntent, Placement, Stage
from qfdesk.engine.events import AssetTable, AuthSent, Balance, Direction
from qfdesk.engine.journal import Source, journal_path
from qfdesk.engine.journal.reader import read_rows
from qfdesk.engine.journal.writer import JournalWriter
from qfdesk.engine.risk import AccountState, RiskLimits, RiskManager
from qfdesk.engine.trading_halt import Alarm, TradingHalt
from qfdesk.sim.platform import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]

LIMITS = RiskLimits(min_payout=0.0, max_open_trades=5)


class RigPage:
    """The rig's Chrome as the desk's page: one action thread, a trading alarm."""

    def __init__(self, rig: ChromeRig, artifacts: Path) -> None:
        self.rig = rig
        self.artifacts = artifacts
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="test-actions")
        self.halt = TradingHalt()
        self.selectors = Selectors.load(user_path=artifacts / "none.json")

    @property
    def connected(self) -> bool:
        return True

    def action_context(self, *, allow_real: bool = False) -> Context:
        return Context(
            driver=self.rig.driver,
            selectors=self.selectors,
            artifacts_dir=self.artifacts,
            events=self.rig.hub,
            address=self.rig.address,
            settings={"confirm_timeout": 6.0},
            allow_real=allow_real,
            halt=self.halt,
        )


class SocketAccount:
    """The account and payouts as the page's socket told them (the rig's decoded events)."""

    def __init__(self, collected: Collected) -> None:
        self.collected = collected

    def _events(self) -> list:
        with self.collected.lock:
            return list(self.collected.events)

    @property
    def is_demo(self) -> bool | None:
        known = [
            e.is_demo
            for e in self._events()
            if type(e) is AuthSent or (type(e) is Balance and e.is_demo is not None)
        ]
        return known[-1] if known else None

    def account_state(self) -> AccountState | None:
        balances = [e.balance for e in self._events() if type(e) is Balance]
        return AccountState(balances[-1], bool(self.is_demo)) if balances else None

    def payout(self, asset: str) -> float | None:
        tables = [e for e in self._events() if type(e) is AssetTable]
        found = [a.payout for a in tables[-1].assets if a.symbol == asset] if tables else []
        return found[0] if found else None

    def an_asset(self) -> str:
        tables = [e for e in self._events() if type(e) is AssetTable]
        return max(tables[-1].assets, key=lambda a: a.payout).symbol


class Answers:
    """The trader's answer to the REAL question, and how often it was asked."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.granted = False
        self.asked = 0

    async def ask(self, detail: str) -> bool:
        self.asked += 1
        self.granted = self.yes
        return self.yes


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform(assets=6, seed=29) as platform:
        yield platform


@pytest.fixture(scope="module")
def rig(sim, tmp_path_factory) -> Iterator[ChromeRig]:
    rig = ChromeRig(tmp_path_factory.mktemp("profile"))
    try:
        rig.start_on(sim.url)
        yield rig
    finally:
        rig.close()


@pytest.fixture
def account(rig, sim) -> Iterator[SocketAccount]:
    """The socket's view on a DEMO page; back on DEMO after the test."""
    account = SocketAccount(rig.collected)
    assert wait_for(lambda: account.is_demo is True and account.account_state(), 15)
    yield account
    if sim.state()["account"] != "demo" or "demo" not in rig.driver.current_url:
        sim.control("account", kind="demo")
        assert wait_for(lambda: "demo" in rig.driver.current_url, 10)
        rig.wait_ready()
    assert wait_for(lambda: account.is_demo is True, 15)


@pytest.fixture
def page(rig, tmp_path) -> Iterator[RigPage]:
    page = RigPage(rig, tmp_path / "artifacts")
    yield page
    page.executor.shutdown(wait=True)


def intent(asset: str) -> OrderIntent:
    return OrderIntent(asset, Direction.CALL, 1.0, 60, uuid.uuid4().hex[:12])


def test_a_buy_on_demo_is_placed_once_proven_by_the_socket(page, account, sim):
    risk = RiskManager(LIMITS)
    desk = OrderDesk(page, account, risk, Answers(yes=False))
    before = len(sim.orders())
    buy = intent(account.an_asset())

    outcome = asyncio.run(desk.place(buy))
    again = asyncio.run(desk.place(buy))

    assert outcome.placement is Placement.PLACED, outcome.reason
    assert outcome.deal_id
    placed = sim.orders()[before:]
    assert [(o.asset, o.action, o.amount, o.expiry, o.is_demo) for o in placed] == [
        (buy.asset, "call", 1, 60, True)
    ]
    assert again.placement is Placement.REFUSED, "one intent, one trade"
    assert len(sim.orders()) == before + 1
    assert risk.open_trades == 1
    assert page.halt.alarm is None


def test_a_real_account_without_consent_is_refused_without_a_click(page, account, sim, rig):
    sim.control("account", kind="real")
    assert wait_for(lambda: "demo" not in rig.driver.current_url, 10)
    rig.wait_ready()
    assert wait_for(lambda: account.is_demo is False, 15)
    answers = Answers(yes=False)
    desk = OrderDesk(page, account, RiskManager(LIMITS), answers)
    before = len(sim.orders())
    asset = account.an_asset()

    asked = asyncio.run(desk.place(intent(asset)))
    auto = asyncio.run(desk.place(intent(asset), Checks("auto", risk=False, ask_consent=False)))

    assert asked.placement is Placement.REFUSED and asked.stage is Stage.CONSENT
    assert answers.asked == 1, "the trader was asked, and said no"
    assert auto.placement is Placement.REFUSED and auto.real_without_consent
    assert answers.asked == 1, "the auto-trader's orders never ask"
    assert len(sim.orders()) == before, "nothing reached either account"


def test_an_unknown_account_is_refused_without_asking_or_clicking(page, account, sim, rig):
    rig.driver.execute_script(
        "document.querySelector('.balance-info-block__label').textContent = 'QT Real';"
    )
    answers = Answers(yes=True)
    desk = OrderDesk(page, account, RiskManager(LIMITS), answers)
    before = len(sim.orders())
    try:
        outcome = asyncio.run(desk.place(intent(account.an_asset())))
    finally:
        rig.driver.refresh()
        rig.wait_ready()

    assert outcome.placement is Placement.REFUSED and outcome.stage is Stage.ACCOUNT
    assert "UNKNOWN" in outcome.reason
    assert answers.asked == 0, "an UNKNOWN account never asks for REAL consent"
    assert len(sim.orders()) == before


def test_an_order_never_confirmed_counts_as_open_and_is_never_sent_again(page, account, sim, rig):
    risk = RiskManager(LIMITS)
    desk = OrderDesk(page, account, risk, Answers(yes=False))
    before = len(sim.orders())
    buy = intent(account.an_asset())
    sim.control("never_confirm")
    try:
        outcome = asyncio.run(desk.place(buy))
        again = asyncio.run(desk.place(buy))
    finally:
        rig.driver.refresh()
        rig.wait_ready()

    assert outcome.placement is Placement.UNCONFIRMED and outcome.clicked, outcome.reason
    assert risk.open_trades == 1, "it may be open: it counts as open"
    assert again.placement is Placement.REFUSED
    assert [o.status for o in sim.orders()[before:]] == ["unconfirmed"], "sent once"


def test_an_order_the_platform_rejects_is_refused_and_not_counted(page, account, sim):
    risk = RiskManager(LIMITS)
    desk = OrderDesk(page, account, risk, Answers(yes=False))
    before = len(sim.orders())
    sim.control("reject_next", error="Trading is temporarily unavailable")

    outcome = asyncio.run(desk.place(intent(account.an_asset())))

    assert outcome.placement is Placement.REFUSED and outcome.stage is Stage.PAGE
    assert risk.open_trades == 0
    assert [o.status for o in sim.orders()[before:]] == ["rejected"]


def test_a_tripped_trading_alarm_refuses_before_the_page_is_touched(page, account, sim):
    page.halt.trip(Alarm(placed="BUY 10 on X", meant="BUY 1 on X"))
    desk = OrderDesk(page, account, RiskManager(LIMITS), Answers(yes=True))
    before = len(sim.orders())

    outcome = asyncio.run(desk.place(intent(account.an_asset())))

    assert outcome.placement is Placement.REFUSED and outcome.stage is Stage.ALARM
    assert "TRADING STOPPED" in outcome.reason
    assert len(sim.orders()) == before


def test_every_attempt_is_journaled_with_its_decision_latencies_and_deal(page, account, tmp_path):
    path = journal_path(tmp_path)
    journal = JournalWriter(path)
    risk = RiskManager(RiskLimits(min_payout=0.0, max_open_trades=5, max_stake=2.0))
    desk = OrderDesk(page, account, risk, Answers(yes=False), journal=journal)
    asset = account.an_asset()
    buy = intent(asset)
    too_big = OrderIntent(asset, Direction.PUT, 5.0, 60, uuid.uuid4().hex[:12])

    placed = asyncio.run(desk.place(buy))
    asyncio.run(desk.place(buy))
    refused = asyncio.run(desk.place(too_big))
    assert journal.flush(10)
    journal.close()

    assert placed.placement is Placement.PLACED and refused.stage is Stage.RISK
    rows = {row.intent_id: row for row in read_rows(path)}
    assert set(rows) == {buy.intent_id, too_big.intent_id}, "a repeated intent is one row"
    row = rows[buy.intent_id]
    assert (row.placement, row.stage, row.deal_id) == ("placed", "page", placed.deal_id)
    assert (row.source, row.account, row.payout) == (Source.MANUAL, "DEMO", account.payout(asset))
    assert row.allowed is True and row.reasons
    assert row.intent_to_click_ms is not None and row.intent_to_click_ms > 0
    assert row.click_to_confirm_ms is not None and row.click_to_confirm_ms > 0
    assert any(p.endswith(".json") for p in row.artifacts), "its diagnostics file"
    other = rows[too_big.intent_id]
    assert (other.placement, other.stage, other.allowed) == ("refused", "risk", False)
    assert "stake" in other.reasons[0].lower() and other.intent_to_click_ms is None
