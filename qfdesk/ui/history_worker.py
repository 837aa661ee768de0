"""Loads an asset's candle history from the CSVs on disk, off the GUI thread.

The result reaches the GUI thread through ``loaded`` as HistoryCandles events (the newest
MAX_CANDLES of each timeframe found), which the market model merges like platform history.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6 import QtCore

from qfdesk.engine.events import Candle, HistoryCandles
from qfdesk.engine.history_loader import load_history
from qfdesk.engine.series import CandleSeries

log = logging.getLogger(__name__)

MAX_CANDLES = 5000
HISTORY_SOURCE = "csv"


def series_candles(series: CandleSeries, lo: int, hi: int) -> tuple[Candle, ...]:
    """Candles ``lo:hi`` of ``series`` as events."""
    columns = (series.start, series.open, series.high, series.low, series.close)
    rows = zip(*(column[lo:hi].tolist() for column in columns), strict=True)
    return tuple(
        Candle(series.asset, series.timeframe, int(s), o, h, low, c) for s, o, h, low, c in rows
    )


def history_events(series: CandleSeries, limit: int = MAX_CANDLES) -> HistoryCandles:
    candles = series_candles(series, max(0, len(series) - limit), len(series))
    return HistoryCandles(series.asset, series.timeframe, candles, HISTORY_SOURCE)


def load_asset_history(root: Path, asset: str) -> tuple[list[HistoryCandles], int, int]:
    """(events, files read, rows skipped) for ``asset`` under ``root``; nothing if no folder."""
    if not root.exists():
        return [], 0, 0
    loaded = load_history(root, asset=asset)
    events = [
        history_events(series)
        for (_, _), series in sorted(loaded.series.items(), key=lambda kv: kv[0][1])
        if len(series)
    ]
    return events, loaded.files, len(loaded.problems)


class HistoryWorker(QtCore.QObject):
    loaded = QtCore.Signal(str, object, int)  # asset, list[HistoryCandles], files read
    failed = QtCore.Signal(str, str)  # asset, message

    def __init__(self, root: Path, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def request(self, asset: str) -> bool:
        """Load ``asset`` in the background; False if a load for it is already running."""
        with self._lock:
            if asset in self._pending:
                return False
            self._pending.add(asset)
        threading.Thread(
            target=self._load, args=(asset,), name="qfdesk-history", daemon=True
        ).start()
        return True

    def _load(self, asset: str) -> None:
        try:
            events, files, skipped = load_asset_history(self.root, asset)
            if skipped:
                log.warning("history of %s: %d bad rows skipped in %s", asset, skipped, self.root)
            log.info(
                "history of %s: %d candles from %d files under %s",
                asset,
                sum(len(e.candles) for e in events),
                files,
                self.root,
            )
            self.loaded.emit(asset, events, files)
        except Exception as error:
            log.exception("could not load the history of %s", asset)
            self.failed.emit(asset, f"Could not read the history of {asset}: {error}")
        finally:
            with self._lock:
                self._pending.discard(asset)
