"""The simulated asset catalogue and its ``updateAssets`` rows (19 fields like the real ones)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

LONG_EXPIRATIONS = (60, 120, 180, 300, 600, 900, 1800, 2700, 3600, 7200, 10800, 14400)
CRYPTO_EXPIRATIONS = (60, 120, 180, 300)
OTC_CLOSE_TIME = 1756944000  # row[13] of the real OTC rows


@dataclass(frozen=True, slots=True)
class SimAsset:
    id: int
    symbol: str
    name: str
    type: str
    precision: int
    payout: int
    price: float
    twin: int = 0  # id of the same market's OTC / regular counterpart (row[10] or row[11])
    is_otc: bool = True
    active: bool = True

    @property
    def expirations(self) -> tuple[int, ...]:
        return CRYPTO_EXPIRATIONS if self.type == "cryptocurrency" else LONG_EXPIRATIONS

    def row(self) -> list[Any]:
        """The asset as one ``updateAssets`` row; positions as in the real capture."""
        return [
            self.id,
            self.symbol,
            self.name,
            self.type,
            self.precision,
            self.payout,
            60,
            30,
            3,
            1 if self.is_otc else 0,
            0 if self.is_otc else self.twin,
            self.twin if self.is_otc else 0,
            [],
            OTC_CLOSE_TIME,
            self.active,
            [{"time": t} for t in self.expirations],
            0 if self.active else -1,
            5 if self.is_otc else 60,
            -1 if self.active else OTC_CLOSE_TIME,
        ]


# Real-looking assets first (ids, names and payouts as on the live platform).
_KNOWN = (
    SimAsset(66, "EURUSD_otc", "EUR/USD OTC", "currency", 5, 92, 1.08412, 1),
    SimAsset(67, "AUDCAD_otc", "AUD/CAD OTC", "currency", 5, 87, 0.89903, 36),
    SimAsset(78, "EURGBP_otc", "EUR/GBP OTC", "currency", 5, 86, 0.87894, 47),
    SimAsset(86, "GBPUSD_otc", "GBP/USD OTC", "currency", 5, 90, 1.31714, 56),
    SimAsset(170, "#AAPL_otc", "Apple OTC", "stock", 3, 90, 188.697, 5),
    SimAsset(93, "USDJPY_otc", "USD/JPY OTC", "currency", 3, 85, 147.512, 63),
    SimAsset(292, "#BA_otc", "Boeing Company OTC", "stock", 2, 92, 232.85, 8),
    SimAsset(80, "EURNZD_otc", "EUR/NZD OTC", "currency", 5, 88, 2.0635, 49),
    SimAsset(480, "TON-USD_otc", "Toncoin OTC", "cryptocurrency", 6, 92, 3.142517, 479),
    SimAsset(400, "XPTUSD_otc", "Platinum spot OTC", "commodity", 2, 45, 1402.15, 312),
    SimAsset(560, "VIX_otc", "VIX OTC", "stock", 4, 63, 15.8721, 559),
    SimAsset(70, "AUDNZD_otc", "AUD/NZD OTC", "currency", 5, 79, 1.09642, 39),
)
_CLOSED = SimAsset(
    1, "EURUSD", "EUR/USD", "currency", 5, 24, 1.16512, 66, is_otc=False, active=False
)


def build_catalogue(active_count: int) -> list[SimAsset]:
    """``active_count`` tradable assets (real-looking first, then synthetic) plus one closed."""
    assets = list(_KNOWN[:active_count])
    for n in range(len(assets), active_count):
        number = n - len(_KNOWN) + 1
        assets.append(
            SimAsset(
                10000 + number,
                f"SIM{number:03d}_otc",
                f"SIM {number:03d} OTC",
                "index",
                3,
                70 + number % 23,
                100.0 + number,
            )
        )
    assets.append(_CLOSED)
    return assets


def with_active(asset: SimAsset, active: bool) -> SimAsset:
    return replace(asset, active=active)


def with_payout(asset: SimAsset, payout: int) -> SimAsset:
    return replace(asset, payout=payout)
