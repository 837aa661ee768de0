"""The app's settings: one frozen record, its defaults, and what each field means.

Pure Python (no Qt): the store reads and writes it, the settings dialog edits it, and the app
turns it into the browser, persistence and risk settings its parts take.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from qfdesk.browser.settings import DEFAULT_PORT, DEFAULT_URL, BrowserSettings
from qfdesk.engine.paths import default_data_root
from qfdesk.engine.persist_settings import DEFAULT_CANDLE_CHUNK, DEFAULT_TICK_CHUNK, PersistSettings
from qfdesk.engine.risk import RiskLimits

SCHEMA_VERSION = 2
THEMES = ("dark", "system")


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Empty ``chrome_path`` finds Chrome; empty ``data_dir`` is the per-user data folder.

    Risk limits set to None are off. ``welcome_shown`` marks that the first-run welcome was
    shown once.
    """

    platform_url: str = DEFAULT_URL
    chrome_path: str = ""
    debugging_port: int = DEFAULT_PORT
    data_dir: str = ""
    save_candles: bool = False
    save_ticks: bool = False
    candle_chunk: int = DEFAULT_CANDLE_CHUNK
    tick_chunk: int = DEFAULT_TICK_CHUNK
    hotkey_buy: str = "Shift+W"
    hotkey_sell: str = "Shift+S"
    min_stake: float = 1.0
    max_stake: float = 1000.0
    min_payout: float = 50.0
    max_open_trades: int | None = 5
    max_trades_per_hour: int | None = 60
    daily_loss_limit: float | None = None
    max_consecutive_losses: int | None = None
    theme: str = "dark"
    welcome_shown: bool = False

    def data_root(self) -> Path:
        return Path(self.data_dir) if self.data_dir else default_data_root()

    def browser_settings(self) -> BrowserSettings:
        return BrowserSettings(
            chrome_path=self.chrome_path or None, port=self.debugging_port, url=self.platform_url
        )

    def persist_settings(self) -> PersistSettings:
        return PersistSettings(
            save_candles=self.save_candles,
            save_ticks=self.save_ticks,
            candle_chunk=self.candle_chunk,
            tick_chunk=self.tick_chunk,
        )

    def risk_limits(self) -> RiskLimits:
        """Limits for trades placed by hand (each carries its own amount)."""
        return RiskLimits(
            stake=self.min_stake,
            min_stake=self.min_stake,
            max_stake=self.max_stake,
            min_payout=self.min_payout,
            max_open_trades=self.max_open_trades,
            max_trades_per_hour=self.max_trades_per_hour,
            daily_loss_limit=self.daily_loss_limit,
            max_consecutive_losses=self.max_consecutive_losses,
        )

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in field_names()}


MANUAL_LIMITS = AppSettings().risk_limits()
"""The limits of trades placed by hand until the trader changes them in the settings."""


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(AppSettings))


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """How a field is shown and edited: its section, label, editor kind and a hint."""

    section: str
    label: str
    kind: str  # text, path, dir, int, bool, hotkey, money, percent, optional_int, ...
    hint: str = ""


FIELD_INFO: dict[str, FieldInfo] = {
    "platform_url": FieldInfo("Platform", "Platform page", "text", "the trading page Chrome opens"),
    "chrome_path": FieldInfo(
        "Platform", "Chrome program", "path", "empty: find Chrome or Chromium by itself"
    ),
    "debugging_port": FieldInfo(
        "Platform", "Debugging port", "int", "the port Chrome's debugging listens on (loopback)"
    ),
    "data_dir": FieldInfo(
        "Data", "Data folder", "dir", "where CSV files go; empty: the per-user data folder"
    ),
    "save_candles": FieldInfo("Data", "Save candles at start", "bool"),
    "save_ticks": FieldInfo("Data", "Save ticks at start", "bool"),
    "candle_chunk": FieldInfo("Data", "Candle rows per file", "int"),
    "tick_chunk": FieldInfo("Data", "Tick rows per file", "int"),
    "hotkey_buy": FieldInfo("Trading", "BUY hotkey", "hotkey"),
    "hotkey_sell": FieldInfo("Trading", "SELL hotkey", "hotkey"),
    "min_stake": FieldInfo("Trading", "Smallest amount", "money"),
    "max_stake": FieldInfo("Trading", "Largest amount", "money"),
    "min_payout": FieldInfo("Trading", "Lowest payout %", "percent"),
    "max_open_trades": FieldInfo("Trading", "Open trades at most", "optional_int", "empty: off"),
    "max_trades_per_hour": FieldInfo(
        "Trading", "Trades per hour at most", "optional_int", "empty: off"
    ),
    "daily_loss_limit": FieldInfo(
        "Trading", "Daily loss limit", "optional_money", "stop trading after this loss; empty: off"
    ),
    "max_consecutive_losses": FieldInfo(
        "Trading", "Losses in a row before a pause", "optional_int", "empty: off"
    ),
    "theme": FieldInfo("Look", "Theme", "choice", "dark, or the system's own look"),
    "welcome_shown": FieldInfo("Look", "Welcome already shown", "bool"),
}
