"""The order desk: ``openOrder`` checked, confirmed (or not, on demand), expired and settled."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from qfdesk.sim.deals import (
    Account,
    OrderRecord,
    closed_deal,
    forced_close_price,
    new_deal,
    outcome_of,
    profit_of,
)
from qfdesk.sim.market import PLATFORM_OFFSET, platform_now
from qfdesk.sim.session import Session
from qfdesk.sim.world import SimWorld

CLOSED_KEPT = 50
DEMO_BALANCE = 50000.0
REAL_BALANCE = 1000.0


def balance_payload(account: Account) -> dict[str, Any]:
    return {"isDemo": 1 if account.is_demo else 0, "balance": round(account.balance, 2)}


class OrderDesk:
    """Accounts, orders and their faults. Runs on the server loop; ``orders`` is read from
    other threads under the world's lock."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world
        self.accounts = {
            True: Account.new(True, DEMO_BALANCE),
            False: Account.new(False, REAL_BALANCE),
        }
        # reject/delay/never/place_other, in turn
        self.order_faults: list[tuple[str, dict[str, Any]]] = []
        self.forced_outcomes: list[str] = []
        self.close_tasks: dict[str, asyncio.Task[None]] = {}
        self.orders: list[OrderRecord] = []

    def _check_order(self, session: Session, p: dict[str, Any]) -> str:
        symbol = p.get("asset")
        amount = p.get("amount")
        asset = self._world.catalogue.get(symbol) if isinstance(symbol, str) else None
        if asset is None:
            return "Unknown asset"
        if not asset.active:
            return "Asset is closed"
        if p.get("action") not in ("call", "put"):
            return "Unknown action"
        if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount < 1:
            return "Minimum amount is 1"
        if amount > self.accounts[session.is_demo].balance:
            return "Not enough money"
        expiry = p.get("time")
        if not isinstance(expiry, int) or not 1 <= expiry <= 86400:
            return "Invalid expiration time"
        if bool(p.get("isDemo", 1)) != session.is_demo:
            return "Wrong account"
        return ""

    def _record_order(self, record: OrderRecord) -> int:
        with self._world.lock:
            self.orders.append(record)
            return len(self.orders) - 1

    def _update_order(self, index: int, **changes: Any) -> None:
        with self._world.lock:
            self.orders[index] = replace(self.orders[index], **changes)

    async def open_order(self, session: Session, p: dict[str, Any]) -> None:
        amount, expiry = p.get("amount"), p.get("time")
        record = OrderRecord(
            request_id=p.get("requestId"),
            asset=str(p.get("asset", "")),
            amount=float(amount) if isinstance(amount, (int, float)) else 0.0,
            action=str(p.get("action", "")),
            expiry=expiry if isinstance(expiry, int) else 0,
            is_demo=session.is_demo,
            received_at=time.time(),
            status="pending",
        )
        index = self._record_order(record)
        error = self._check_order(session, p)
        # a fault waits for the next order that would otherwise be accepted
        fault = self.order_faults.pop(0) if self.order_faults and not error else None
        if fault and fault[0] == "reject_next":
            error = str(fault[1].get("error", "Trading is temporarily unavailable"))
        if error:
            self._update_order(index, status="rejected", error=error)
            await session.emit(
                "failopenOrder", {"error": error, "amount": amount, "asset": p.get("asset")}
            )
            return
        if fault and fault[0] == "never_confirm":
            self._update_order(index, status="unconfirmed")
            return
        if fault and fault[0] == "place_other":
            amount, is_demo = self._placed_instead(index, fault[1], session.is_demo)
        else:
            is_demo = session.is_demo
        asset = self._world.catalogue[record.asset]
        account = self.accounts[is_demo]
        market = self._world.market_now(asset.symbol)
        deal = new_deal(
            asset=asset.symbol,
            amount=amount,  # type: ignore[arg-type]
            action=record.action,
            expiry=record.expiry,
            payout=asset.payout,
            open_price=market.price,
            open_time=platform_now(),
            is_demo=is_demo,
        )
        account.balance -= deal["amount"]
        account.open_deals[deal["id"]] = deal
        self._update_order(index, deal_id=deal["id"], open_price=market.price)
        self.close_tasks[deal["id"]] = self._world.spawn(self._close_later(account, deal, index))
        delay = (
            float(fault[1].get("seconds", 3.0)) if fault and fault[0] == "delay_confirm" else 0.0
        )
        if delay > 0:
            self._world.spawn(self._confirm_later(session, account, deal, index, delay))
        else:
            await self._confirm(session, account, deal, index)

    def _placed_instead(
        self, index: int, changes: dict[str, Any], is_demo: bool
    ) -> tuple[float, bool]:
        """The amount and account the ``place_other`` fault places; the record shows them."""
        amount = changes["amount"] if changes["amount"] is not None else self.orders[index].amount
        if changes["account"] is not None:
            is_demo = changes["account"] == "demo"
        self._update_order(index, amount=amount, is_demo=is_demo)
        return amount, is_demo

    async def _confirm_later(
        self, session: Session, account: Account, deal: dict[str, Any], index: int, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        await self._confirm(session, account, deal, index)

    async def _confirm(
        self, session: Session, account: Account, deal: dict[str, Any], index: int
    ) -> None:
        with self._world.lock:
            order = self.orders[index]
            status = "open" if order.status == "pending" else order.status
            self.orders[index] = replace(order, status=status, confirmed_at=time.time())
        await session.emit("successopenOrder", deal)
        for other in self._world.sessions_of(account.is_demo):
            await other.emit("updateOpenedDeals", list(account.open_deals.values()))
            await other.emit("successupdateBalance", balance_payload(account))

    async def _close_later(self, account: Account, deal: dict[str, Any], index: int) -> None:
        await asyncio.sleep(max(0.0, deal["closeTimestamp"] - PLATFORM_OFFSET - time.time()))
        await self._close(account, deal, index)

    async def _close(self, account: Account, deal: dict[str, Any], index: int) -> None:
        if account.open_deals.pop(deal["id"], None) is None:
            return
        self.close_tasks.pop(deal["id"], None)
        asset = self._world.catalogue[deal["asset"]]
        close_price = self._world.market_now(asset.symbol).price
        if self.forced_outcomes:
            close_price = forced_close_price(
                deal["command"], deal["openPrice"], self.forced_outcomes.pop(0), asset.precision
            )
        outcome = outcome_of(deal["command"], deal["openPrice"], close_price)
        profit = profit_of(outcome, deal["amount"], deal["percentProfit"])
        if outcome != "loss":
            account.balance += deal["amount"] + profit
        done = closed_deal(deal, close_price, profit)
        account.closed_deals.insert(0, done)
        del account.closed_deals[CLOSED_KEPT:]
        with self._world.lock:
            self.orders[index] = replace(
                self.orders[index],
                status="closed",
                close_price=close_price,
                profit=profit,
                outcome=outcome,
                closed_at=time.time(),
            )
        for session in self._world.sessions_of(account.is_demo):
            await session.emit("successcloseOrder", {"profit": profit, "deals": [done]})
            await session.emit("updateClosedDeals", account.closed_deals)
            await session.emit("updateOpenedDeals", list(account.open_deals.values()))
            await session.emit("successupdateBalance", balance_payload(account))

    async def close_all_now(self) -> None:
        for account in self.accounts.values():
            for deal in list(account.open_deals.values()):
                task = self.close_tasks.pop(deal["id"], None)
                if task:
                    task.cancel()
                index = next(i for i, o in enumerate(self.orders) if o.deal_id == deal["id"])
                await self._close(account, deal, index)
