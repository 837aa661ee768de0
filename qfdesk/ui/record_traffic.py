"""*File > Record traffic...*: the platform's traffic as the tail reads it, to a file that
``qfdesk replay`` takes (see :mod:`qfdesk.engine.recording`; the session token is scrubbed
on the recorder's own thread before anything is written).

The action is checkable: on, it asks where to write and starts; while on, its text names the
file it writes; off, it stops (the last entries are written on a worker thread, then the
status says how many went where).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from qfdesk.engine.recording import DEFAULT_PART_MB, Recorder
from qfdesk.ui.live_bridge import LiveBridge

log = logging.getLogger(__name__)

TITLE = "Record traffic\u2026"
PART_BYTES = DEFAULT_PART_MB * 1024 * 1024


def ask_recording_path(parent: QtWidgets.QWidget, folder: Path) -> Path | None:
    name, _ = QtWidgets.QFileDialog.getSaveFileName(
        parent,
        "Record the platform's traffic to",
        str(folder / "traffic.jsonl"),
        "Recordings (*.jsonl)",
    )
    return Path(name) if name else None


class RecordTraffic(QtCore.QObject):
    """The action and the recorder it puts on the bridge."""

    stopped = QtCore.Signal(str)  # what was written (from the closing thread)

    def __init__(
        self,
        bridge: LiveBridge,
        show_message: Callable[[str, str], None],
        parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._show_message = show_message
        # Where to write: the file dialog (a test answers it here).
        self.ask_path: Callable[[], Path | None] = lambda: ask_recording_path(
            parent, bridge.data_root
        )
        self.action = QtGui.QAction(TITLE, self)
        self.action.setCheckable(True)
        self.action.setToolTip("Write what the platform's page sends and receives to a file")
        self.action.triggered.connect(self._on_triggered)
        self.stopped.connect(self._on_stopped, QtCore.Qt.ConnectionType.QueuedConnection)

    @property
    def recording(self) -> Path | None:
        recorder = self._bridge.recorder
        return recorder.path if recorder is not None else None

    def _on_triggered(self, checked: bool) -> None:
        if not checked:
            self.stop()
            return
        path = self.ask_path()
        if path is None or not self.start(path):
            self.action.setChecked(False)

    def start(self, path: Path) -> bool:
        """Record to ``path`` (its earlier parts are replaced); False, said, when it cannot."""
        recorder = Recorder(path, PART_BYTES)
        try:
            recorder.start()
        except OSError as error:
            self._show_message(f"Cannot record to {path}: {error.strerror or error}", "error")
            return False
        self._bridge.recorder = recorder
        self.action.setChecked(True)
        self.action.setText(f"Record traffic (writing {path.name})")
        self.action.setStatusTip(f"Recording to {path}")
        self._show_message(
            f"Recording the platform's traffic to {path} (the session token is scrubbed).",
            "info",
        )
        log.info("recording the platform's traffic to %s", path)
        return True

    def stop(self) -> None:
        recorder, self._bridge.recorder = self._bridge.recorder, None
        self.action.setChecked(False)
        self.action.setText(TITLE)
        self.action.setStatusTip("")
        if recorder is None:
            return
        threading.Thread(
            target=self._close, args=(recorder,), name="qfdesk-record-close", daemon=True
        ).start()

    def _close(self, recorder: Recorder) -> None:
        recorder.close()
        text = f"Recorded {recorder.summary()}."
        try:
            self.stopped.emit(text)
        except RuntimeError:  # the window is gone
            pass

    def _on_stopped(self, text: str) -> None:
        log.info("%s", text)
        self._show_message(text, "info")


def install_record_traffic(
    file_menu: QtWidgets.QMenu,
    bridge: LiveBridge,
    show_message: Callable[[str, str], None],
    parent: QtWidgets.QWidget,
) -> RecordTraffic:
    """*Record traffic...* in ``file_menu``, then a separator."""
    record = RecordTraffic(bridge, show_message, parent)
    file_menu.addAction(record.action)
    file_menu.addSeparator()
    return record
