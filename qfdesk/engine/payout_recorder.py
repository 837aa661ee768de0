"""Which payouts changed: asset tables turned into rows of the payout history.

Each asset table is compared asset by asset with the state seen last; a new payout or a new
open/closed state (and the first sighting of an asset) is a change, dated by the wall-clock
time the table was received. A change becomes a :class:`PayoutChange` when it is taken for
writing: stamped in platform time with the clock offset known then (the platform sends its
asset table before any tick, so the offset may be unknown when the table arrives: the change
waits for it). Each change is taken once and a table repeating a state gives nothing, so no
unchanged payout is ever written twice. Tables observed without ``keep`` (saving is off)
leave only each asset's newest state waiting, which a later take writes with the time it was
first seen.
"""

from __future__ import annotations

from qfdesk.engine.events import AssetTable, PayoutChange

_State = tuple[float, bool]


class PayoutRecorder:
    """The asset tables' changes not taken yet; one per pipeline."""

    __slots__ = ("_seen", "_taken", "_waiting")

    def __init__(self) -> None:
        self._seen: dict[str, _State] = {}
        self._taken: dict[str, _State] = {}
        # Per asset, in order: (state, since) changes not taken yet.
        self._waiting: dict[str, list[tuple[_State, float]]] = {}

    @property
    def waiting(self) -> int:
        """Changes not taken yet."""
        return sum(map(len, self._waiting.values()))

    def observe(self, table: AssetTable, received: float, *, keep: bool = True) -> None:
        """One asset table, received at ``received`` (wall-clock UTC seconds). ``keep``:
        every change waits to be taken; without it only each asset's newest state waits."""
        for info in table.assets:
            asset = info.symbol
            state = (info.payout, info.is_active)
            if self._seen.get(asset) == state:
                continue
            self._seen[asset] = state
            if keep:
                self._waiting.setdefault(asset, []).append((state, received))
            elif self._taken.get(asset) == state:
                self._waiting.pop(asset, None)  # back to what was taken: nothing new
            else:
                self._waiting[asset] = [(state, received)]

    def take(self, offset: float | None) -> list[PayoutChange]:
        """The changes not taken yet, in time order, stamped ``since + offset`` (platform
        time); none while ``offset`` (platform minus UTC) is unknown."""
        if offset is None or not self._waiting:
            return []
        changes = [
            PayoutChange(asset, since + offset, payout, active)
            for asset, states in self._waiting.items()
            for (payout, active), since in states
        ]
        for asset, states in self._waiting.items():
            self._taken[asset] = states[-1][0]
        self._waiting.clear()
        changes.sort(key=lambda change: change.time)
        return changes
