"""The window's layout file: in the config folder the Paths dialog shows, moved there once
from where older versions kept it, and read back without error whatever it holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from desk_helpers import ini_store, offline_window
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6 import QtCore

from qfdesk.ui.layout_store import LayoutStore
from qfdesk.ui.main_window import DEFAULT_INDICATORS
from qfdesk.ui.paths_dialog import PathsDialog

pytestmark = pytest.mark.gui

APP_DIR = "QuantumFlux Desk"


def test_the_layout_file_is_in_the_config_folder_the_paths_dialog_shows(
    qapp, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    # An existing file: nothing is carried over from Qt's own place, which this test process
    # may have looked up before XDG_CONFIG_HOME was set (the subprocess test below covers it).
    (tmp_path / "config" / APP_DIR).mkdir(parents=True)
    (tmp_path / "config" / APP_DIR / "layout.ini").write_text("")
    store = LayoutStore()
    store.set_last_asset("EURUSD_otc")
    store.sync()
    dialog = PathsDialog(tmp_path / "data")
    shown = Path(dialog.path_labels["Settings and overrides"].text())
    dialog.close()
    assert Path(store.settings.fileName()) == shown / "layout.ini"
    assert shown == tmp_path / "config" / APP_DIR
    assert "asset=EURUSD_otc" in (shown / "layout.ini").read_text()


OLDER_VERSION_THEN_THIS_ONE = """
import sys
from PySide6 import QtCore
from qfdesk.ui.app import create_qapp
from qfdesk.ui.layout_store import LayoutStore

app = create_qapp()
if sys.argv[1] == "older":
    older = QtCore.QSettings()
    older.setValue("chart/asset", "GBPUSD_otc")
    older.setValue("trade/expiry", 300)
    older.sync()
    print(older.fileName())
store = LayoutStore()
print(store.last_asset(), store.whole("trade/expiry", 60))
store.set_last_asset("EURUSD_otc")
store.sync()
"""


def run_app_code(tmp_path: Path, step: str) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", OLDER_VERSION_THEN_THIS_ONE, step],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("\n")


def test_a_layout_an_older_version_kept_in_qts_own_place_is_moved_once(tmp_path):
    older_file, carried = run_app_code(tmp_path, "older")[:2]
    assert Path(older_file) == tmp_path / "qfdesk" / f"{APP_DIR}.conf"
    assert carried == "GBPUSD_otc 300"
    assert sorted(path.name for path in tmp_path.iterdir()) == [APP_DIR], "one config folder"
    assert (tmp_path / APP_DIR / "layout.ini").is_file()
    again = run_app_code(tmp_path, "this")[0]
    assert again == "EURUSD_otc 300", "the layout file of this version is the one used"
    assert sorted(path.name for path in tmp_path.iterdir()) == [APP_DIR]


LAYOUT_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)  # what QSettings can store
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20).map(QtCore.QByteArray)
    | st.sampled_from(["inf", "-inf", "nan", "1e400", "1e300", "[1]", '[{"kind": [1]}]'])
)
LAYOUT_KEYS = st.sampled_from(
    ["window/geometry", "window/state", "chart/asset", "chart/timeframe", "chart/indicators"]
    + ["trade/amount", "trade/expiry", "clock/offset", "hotkeys/buy"]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.dictionaries(LAYOUT_KEYS, LAYOUT_VALUES, max_size=9))
def test_whatever_the_layout_file_holds_reading_it_never_raises(qapp, tmp_path, values):
    path = tmp_path / "layout.ini"
    path.unlink(missing_ok=True)
    store = ini_store(path)
    for key, value in values.items():
        store.settings.setValue(key, value)
    store.sync()
    again = ini_store(path)
    assert again.window_geometry() is None or not again.window_geometry().isEmpty()
    assert again.window_state() is None or not again.window_state().isEmpty()
    assert isinstance(again.last_asset(), str) and isinstance(again.text("hotkeys/buy"), str)
    assert isinstance(again.timeframe(60), int) and isinstance(again.whole("trade/expiry", 60), int)
    for key in ("trade/amount", "clock/offset"):
        number = again.number(key, 1.0)
        assert isinstance(number, float) and number - number == 0  # finite
    specs = again.indicators()
    assert specs is None or isinstance(specs, list)


@pytest.mark.parametrize(
    "values",
    [
        {
            "trade/expiry": "1e300",
            "chart/timeframe": "inf",
            "trade/amount": "nan",
            "clock/offset": "1e400",
            "chart/indicators": json.dumps(
                [
                    {"kind": "sma", "params": {"period": float("inf")}},
                    {"kind": "ema", "params": {"period": 10**400}},
                    {"kind": [1]},
                    [1],
                ]
            ),
            "window/geometry": "not a geometry",
        },
        {"chart/indicators": "[" * 5000},
    ],
    ids=["values of the wrong size", "indicators nested too deeply"],
)
def test_a_hand_edited_layout_file_opens_the_window_with_the_defaults(tmp_path, qtbot, values):
    store = ini_store(tmp_path / "settings.ini")
    for key, value in values.items():
        store.settings.setValue(key, value)
    store.sync()
    window = offline_window(tmp_path, qtbot)
    assert window.timeframe == 60 and window.trade_panel.expiry_seconds() == 60
    assert window.trade_panel.amount_value() == 1.0
    kinds = [spec["kind"] for spec in window.chart.indicator_specs()]
    if "[{" in values["chart/indicators"]:
        assert kinds == [], "every saved indicator was refused, none is made up"
    else:
        assert kinds == [spec["kind"] for spec in DEFAULT_INDICATORS]


def test_a_layout_file_of_random_bytes_opens_the_window_with_the_defaults(tmp_path, qtbot):
    (tmp_path / "settings.ini").write_bytes(bytes(range(256)) * 8)
    window = offline_window(tmp_path, qtbot)
    assert window.timeframe == 60 and window.trade_panel.expiry_seconds() == 60
    kinds = [spec["kind"] for spec in window.chart.indicator_specs()]
    assert kinds == [spec["kind"] for spec in DEFAULT_INDICATORS]
