"""Loads an asset's candle history from the CSVs on disk into the engine, off the GUI thread.

The newest MAX_CANDLES of each timeframe found go, as arrays, into the pipeline's one book
(under its lock, on the loading thread) like platform history, marked so they are not written
again; the GUI copy gets them through the pipeline's market update, like any other history.
``loaded`` then says how many files were read.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from PySide6 import QtCore

from qfdesk.engine.history_loader import load_history
from qfdesk.engine.pipeline import Pipeline
from qfdesk.engine.series import CandleSeries

log = logging.getLogger(__name__)

MAX_CANDLES = 5000


def newest(series: CandleSeries, limit: int = MAX_CANDLES) -> CandleSeries:
    """The newest ``limit`` candles of ``series`` (a view of its arrays)."""
    if len(series) <= limit:
        return series
    ohlc = (series.open, series.high, series.low, series.close)
    tail = CandleSeries(series.asset, series.timeframe, limit)
    tail.assign(series.start[-limit:], np.array([column[-limit:] for column in ohlc]))
    return tail


def load_asset_history(root: Path, asset: str) -> tuple[list[CandleSeries], int, int]:
    """(series, files read, rows skipped) for ``asset`` under ``root``; nothing if no folder."""
    if not root.exists():
        return [], 0, 0
    loaded = load_history(root, asset=asset)
    series = [
        newest(s) for (_, _), s in sorted(loaded.series.items(), key=lambda kv: kv[0][1]) if len(s)
    ]
    return series, loaded.files, len(loaded.problems)


class HistoryWorker(QtCore.QObject):
    loaded = QtCore.Signal(str, int, int)  # asset, candles closed in the book, files read
    failed = QtCore.Signal(str, str)  # asset, message

    def __init__(
        self, root: Path, pipeline: Pipeline, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.pipeline = pipeline
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
            series, files, skipped = load_asset_history(self.root, asset)
            if skipped:
                log.warning("history of %s: %d bad rows skipped in %s", asset, skipped, self.root)
            taken = self.pipeline.add_stored_history(series)
            log.info(
                "history of %s: %d candles from %d files under %s (%d closed in the book)",
                asset,
                sum(len(s) for s in series),
                files,
                self.root,
                taken,
            )
            self.loaded.emit(asset, taken, files)
        except Exception as error:
            log.exception("could not load the history of %s", asset)
            self.failed.emit(asset, f"Could not read the history of {asset}: {error}")
        finally:
            with self._lock:
                self._pending.discard(asset)
