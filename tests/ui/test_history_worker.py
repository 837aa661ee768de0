"""The desktop app's history from disk: a bad file in the data folder is reported and the
asset's other files still load."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from qfdesk.engine.csv_sink import CsvSink, candle_dir
from qfdesk.engine.events import Candle
from qfdesk.engine.persist_settings import PersistSettings
from qfdesk.engine.pipeline import Pipeline
from qfdesk.ui.history_worker import HistoryWorker, load_asset_history

T0 = 1761183840  # 2025-10-23 01:44:00 platform time


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    sink = CsvSink(tmp_path, PersistSettings(True, False), session="20251023T014400Z-1-abcd")
    sink.write_candles(
        [Candle("EURUSD_otc", 60, T0 + 60 * i, 1.1, 1.2, 1.0, 1.15) for i in range(20)]
    )
    huge = candle_dir(tmp_path, 60) / "EURUSD_otc_1m_2025_10_23_01_44_00.csv"
    huge.write_bytes(b"x" * 50_000_000 + b"\n")
    return tmp_path


def test_a_50_mb_first_line_does_not_block_the_assets_history(data_root: Path) -> None:
    series, files, skipped = load_asset_history(data_root, "EURUSD_otc")
    assert [(s.asset, s.timeframe, len(s)) for s in series] == [("EURUSD_otc", 60, 20)]
    assert (files, skipped) == (1, 1)


def test_the_worker_loads_the_history_and_logs_the_skipped_file(
    data_root: Path, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = Pipeline([60])
    worker = HistoryWorker(data_root, pipeline)
    caplog.set_level(logging.WARNING, logger="qfdesk.ui.history_worker")
    with qtbot.waitSignal(worker.loaded, timeout=20_000) as blocker:
        assert worker.request("EURUSD_otc")
    asset, _, files = blocker.args
    assert (asset, files) == ("EURUSD_otc", 1)
    assert len(pipeline.book.series("EURUSD_otc", 60)) == 20, "all 20 candles reach the book"
    assert "1 bad rows skipped" in caplog.text
