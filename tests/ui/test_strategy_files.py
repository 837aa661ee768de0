"""A trader's strategy files are read off the GUI thread: a file added in the auto-trader's
dialog (the dialog says it is reading and stays usable, then lists the strategy), and the
strategies file at startup (the window opens without waiting for it, and a Start waits for
it, then starts)."""

from __future__ import annotations

import json

import pytest
from desk_helpers import Desk, Heartbeat, wait_until
from PySide6 import QtCore

from qfdesk.engine.events import AssetInfo, AssetTable
from qfdesk.engine.paths import config_dir
from qfdesk.engine.risk import RiskLimits
from qfdesk.engine.strategies import StrategyRegistry
from qfdesk.ui.autotrade_panel import AutoTradeDialog

pytestmark = pytest.mark.gui

ASSET = "EURUSD_otc"
NAP = 1.5  # seconds the file sleeps when imported

SLOW_FILE = f"""
import time

from qfdesk.engine.strategies import Param, Strategy

time.sleep({NAP})


class Sleepy(Strategy):
    name = "sleepy"
    description = "read after a nap"
    PARAMS = {{"level": Param(2, "some level", float, minimum=0)}}

    def reset(self):
        pass

    def on_candle(self, candle):
        return None
"""


def test_a_slow_file_added_in_the_dialog_is_read_while_the_dialog_stays_usable(qtbot, tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_FILE)
    dialog = AutoTradeDialog(StrategyRegistry(), [ASSET], RiskLimits(), current_asset=ASSET)
    qtbot.addWidget(dialog)
    dialog.show()
    heart = Heartbeat()
    with qtbot.waitSignal(dialog.fileLoaded, timeout=60_000) as loaded:
        dialog.load_strategy_file(path)
        assert dialog.note.text() == "reading strategy file slow.py\u2026"
        assert "sleepy" not in dialog.registry.names()
        dialog.choose_strategy("sma-cross", "fast=3 slow=9")  # the dialog answers meanwhile
    beats = heart.beats
    heart.timer.stop()
    assert beats >= 10, f"the GUI thread waited for the file: {beats} beats in {NAP} s and more"
    assert loaded.args == [path, ["sleepy"]]
    assert dialog.note.text() == "" and dialog.error.text() == ""
    tip = dialog.strategies.item(dialog._row("sleepy"), 1).toolTip()
    assert "read after a nap" in tip and "level=2: some level" in tip
    sma = dialog._row("sma-cross")
    assert dialog.strategies.item(sma, 0).checkState() == QtCore.Qt.CheckState.Checked
    assert dialog.strategies.item(sma, 1).text() == "fast=3 slow=9", "choices made are kept"


def test_a_file_that_cannot_be_read_is_explained_in_the_dialog(qtbot, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import time\ntime.sleep(0.5)\nraise ValueError('my typo')\n")
    dialog = AutoTradeDialog(StrategyRegistry(), [ASSET], RiskLimits(), current_asset=ASSET)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.fileRefused, timeout=60_000) as refused:
        dialog.load_strategy_file(path)
    assert "broken.py: ValueError at line 3: my typo" in refused.args[1]
    assert dialog.error.text() == refused.args[1] and dialog.note.text() == ""


def test_the_strategies_file_is_read_after_the_window_opens_and_a_start_waits_for_it(
    tmp_path, qloop, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = config_dir()
    folder.mkdir(parents=True)
    (folder / "slow.py").write_text(SLOW_FILE)
    entries = {"sma-cross": {"fast": 1, "slow": 2}, "sleepy-high": {"base": "sleepy", "level": 5}}
    (folder / "strategies.json").write_text(
        json.dumps({"files": ["slow.py"], "strategies": entries})
    )
    desk = Desk(tmp_path)
    try:
        controller = desk.window.autotrade
        registry = controller.registry
        assert controller.files.config_loading, "the window opened without waiting for it"
        assert "sleepy" not in registry.names()
        info = AssetInfo(1, ASSET, "EUR/USD OTC", "currency", 92.0, True, True, (15, 60))
        desk.window.market.apply([AssetTable((info,))])
        heart = Heartbeat()
        controller.switch.trigger()
        dialog = controller.dialog
        assert "reading the strategies file\u2026" in dialog.note.text()
        dialog.choose_strategy("sma-cross", "expiry=15")
        dialog.choose_assets([ASSET])
        dialog.choose_timeframe(5)
        dialog.start_button.click()
        assert controller.starting and not controller.running
        message = desk.window.trade_panel.message.text()
        assert "the strategies file is still being read" in message
        assert wait_until(qloop, lambda: controller.running, 60), (
            desk.window.trade_panel.message.text()
        )
        beats = heart.beats
        heart.timer.stop()
        assert beats >= 10, f"the GUI thread waited for the strategies file: {beats} beats"
        assert {"sleepy", "sleepy-high"} <= set(registry.names())
        assert registry.check("sma-cross")["fast"] == 1, "started with the file's settings"
    finally:
        desk.close()
