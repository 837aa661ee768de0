"""The Qt application: dark theme, uncaught-exception hooks and the qasync event loop.

Exceptions nobody caught -- in a Qt slot or timer (``sys.excepthook``), in another thread
(``threading.excepthook``) or in an asyncio callback (the loop's exception handler) -- are
logged and shown in a non-modal dialog with copyable text; the app goes on. Other threads
never touch widgets: they hand the report to the GUI thread through a queued signal.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

import qasync
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6 import QtCore, QtWidgets

from qfdesk.ui.dark_theme import apply_dark_theme
from qfdesk.ui.error_dialog import ErrorDialog

log = logging.getLogger(__name__)

APP_NAME = "QuantumFlux Desk"
ORGANIZATION = "qfdesk"


class ErrorReporter(QtCore.QObject):
    """Logs uncaught exceptions and shows each in an :class:`ErrorDialog` on the GUI thread."""

    reported = QtCore.Signal(str, str)  # title, traceback text

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.dialogs: list[ErrorDialog] = []
        self.count = 0
        self.reported.connect(self._show, QtCore.Qt.ConnectionType.QueuedConnection)
        self._previous: tuple[Any, Any] | None = None

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def excepthook(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QtWidgets.QApplication.quit()
            return
        self.report("Uncaught error", kind, value, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self.report(f"Uncaught error in {name}", args.exc_type, args.exc_value, args.exc_traceback)

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        error = context.get("exception")
        message = context.get("message", "asyncio error")
        if isinstance(error, BaseException):
            self.report(
                f"Uncaught error in a task: {message}", type(error), error, error.__traceback__
            )
        else:
            log.error("asyncio: %s", message)

    def report(
        self,
        title: str,
        kind: type[BaseException],
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        self.count += 1
        log.error("%s:\n%s", title, text)
        self.reported.emit(title, text)

    def _show(self, title: str, text: str) -> None:
        for open_dialog in self.dialogs:
            if open_dialog.details == text:  # the same error again: one dialog is enough
                open_dialog.repeated()
                return
        parent = QtWidgets.QApplication.activeWindow()
        dialog = ErrorDialog(title, text, parent)
        dialog.finished.connect(lambda _=0, d=dialog: self._forget(d))
        self.dialogs.append(dialog)
        dialog.show()

    def _forget(self, dialog: ErrorDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)


_collector: GarbageCollector | None = None


def collect_garbage_on_gui_thread() -> None:
    """Python's cycle collector runs on the GUI thread only, from a timer (pyqtgraph's
    GarbageCollector). Left automatic, it runs on whichever thread allocates when a threshold
    is crossed: a reference cycle holding a Qt object was then destroyed on the tail thread,
    which deadlocked or crashed the window (seen in the UI tests)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=1.0)


def create_qapp(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The QApplication (reused if one exists), named for QSettings, in the dark theme, with
    garbage collected on its thread only."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QtWidgets.QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    apply_dark_theme(app)
    collect_garbage_on_gui_thread()
    return app


def create_event_loop(
    app: QtWidgets.QApplication, reporter: ErrorReporter | None = None
) -> qasync.QEventLoop:
    """The asyncio loop running on Qt's; set as the current loop."""
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if reporter is not None:
        loop.set_exception_handler(reporter.loop_exception_handler)
    return loop


class _StopOnClose(QtCore.QObject):
    """Stops the loop when the watched window closes (open dialogs do not keep it alive)."""

    def __init__(self, loop: qasync.QEventLoop, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self._loop = loop
        self._window = window

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Close:
            QtCore.QTimer.singleShot(0, self._stop_if_closed)
        return False

    def _stop_if_closed(self) -> None:
        if not self._window.isVisible():  # the close was not refused
            self._loop.stop()


def run_until_closed(
    loop: qasync.QEventLoop, window: QtWidgets.QWidget, on_exit: Callable[[], None]
) -> int:
    """Run the loop until ``window`` closes, then ``on_exit`` (always)."""
    window.installEventFilter(_StopOnClose(loop, window))
    try:
        with loop:
            loop.run_forever()
            _cancel_pending(loop)
    finally:
        on_exit()
    return 0


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still running (a page action awaited, a consent asked) and let it end,
    so no task is destroyed while pending when the loop closes."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
