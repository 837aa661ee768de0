"""*Help > Report a problem...*: one zip the trader can send (see
:mod:`qfdesk.engine.problem_report`), built on a worker thread; then a dialog says where it
is and lists what is in it.

What is read on the GUI thread is small and already in memory (the window's settings, the
bridge's counters); the files (logs, diagnostics, the recording's last minutes) are read and
packed on the worker.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

import qfdesk
from qfdesk.engine.paths import config_dir, logs_dir
from qfdesk.engine.problem_report import (
    ProblemReport,
    ReportInputs,
    app_log_files,
    build_report,
    newest_files,
    report_name,
)
from qfdesk.settings.store import SETTINGS_FILENAME
from qfdesk.ui.live_bridge import LiveBridge

log = logging.getLogger(__name__)

TITLE = "Report a problem\u2026"


def _plain(value: Any) -> Any:
    """A QSettings value as JSON can hold it; binary blobs (window geometry) are named only."""
    if isinstance(value, QtCore.QByteArray):
        value = value.data()
    if isinstance(value, bytes):
        return f"({len(value)} bytes of window layout)"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def window_settings(settings: QtCore.QSettings) -> dict[str, Any]:
    return {key: _plain(settings.value(key)) for key in settings.allKeys()}


def diagnostics(bridge: LiveBridge, simulated: bool) -> dict[str, Any]:
    """The bridge's state in counts (what the decoder saw by kind, never frame contents)."""
    source = bridge.source
    health = source.health() if source is not None else None
    summary = bridge.pipeline.summary()
    recorder = bridge.recorder
    return {
        "simulated": simulated,
        "connected": bridge.connected,
        "chrome": bridge.settings.address if bridge.settings is not None else None,
        "launched_chrome": bridge.launched_chrome,
        "tail": dataclasses.asdict(health) if health is not None else None,
        "gaps": len(source.gaps) if source is not None else 0,
        "reconnects": source.reconnects if source is not None else 0,
        "pipeline": dataclasses.asdict(summary),
        "decoder": bridge.pipeline.decoder.stats.summary(),
        "saving": dataclasses.asdict(bridge.sink.settings),
        "data_root": str(bridge.data_root),
        "trading_halted": bridge.halt.halted,
        "recording": str(recorder.path) if recorder is not None else None,
        "qt": QtCore.qVersion(),
    }


class ReportProblem(QtCore.QObject):
    """The action; one report at a time, built on ``worker``."""

    built = QtCore.Signal(object, str)  # ProblemReport | None, error text

    def __init__(
        self,
        bridge: LiveBridge,
        settings: QtCore.QSettings,
        parent: QtWidgets.QWidget,
        *,
        simulated: bool = False,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._settings = settings
        self._parent = parent
        self._simulated = simulated
        self.worker: threading.Thread | None = None
        self.action = QtGui.QAction(TITLE, self)
        self.action.setToolTip("Pack the logs, diagnostics and settings into a zip to send")
        self.action.triggered.connect(self.build)
        self.built.connect(self._on_built, QtCore.Qt.ConnectionType.QueuedConnection)
        self.last: ProblemReport | None = None
        self.dialog: QtWidgets.QMessageBox | None = None

    def build(self) -> None:
        """Start building on a worker thread (the action is off until it is done)."""
        if not self.action.isEnabled():
            return
        recorder = self._bridge.recorder
        inputs = ReportInputs(
            version=qfdesk.__version__,
            diagnostics=diagnostics(self._bridge, self._simulated),
            settings=window_settings(self._settings),
            settings_file=config_dir() / SETTINGS_FILENAME,
            log_files=app_log_files(logs_dir()),
            diagnostic_files=newest_files(self._bridge.artifacts_dir, "*.json"),
            recording=recorder.path if recorder is not None else None,
            scrub=recorder.scrubber.scrub_text if recorder is not None else (lambda t: t),
        )
        target = self._bridge.artifacts_dir / report_name()
        self.action.setEnabled(False)
        self.worker = threading.Thread(
            target=self._build, args=(target, inputs), name="qfdesk-report", daemon=True
        )
        self.worker.start()

    def _build(self, target: Path, inputs: ReportInputs) -> None:
        report, error = None, ""
        try:
            report = build_report(target, inputs)
        except Exception as failure:
            log.exception("the problem report could not be written")
            error = str(failure)
        try:
            self.built.emit(report, error)
        except RuntimeError:  # the window is gone
            pass

    def _on_built(self, report: ProblemReport | None, error: str) -> None:
        self.action.setEnabled(True)
        box = QtWidgets.QMessageBox(self._parent)
        box.setWindowTitle("Report a problem")
        if report is None:
            box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
            box.setText(f"The report could not be written: {error}")
        else:
            self.last = report
            box.setIcon(QtWidgets.QMessageBox.Icon.Information)
            box.setText(
                f"The report is at\n{report.path}\n\nSend this file with a few words on what "
                "happened. It holds no session token, password or cookie."
            )
            box.setDetailedText(report.listing())
            box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            log.info("problem report written to %s", report.path)
        self.dialog = box
        box.open()


def install_report_problem(
    help_menu: QtWidgets.QMenu,
    bridge: LiveBridge,
    settings: QtCore.QSettings,
    parent: QtWidgets.QWidget,
    *,
    simulated: bool = False,
) -> ReportProblem:
    """*Report a problem...* in ``help_menu``."""
    report = ReportProblem(bridge, settings, parent, simulated=simulated)
    help_menu.addAction(report.action)
    return report
