"""Uncaught exceptions in a Qt timer, a thread or an asyncio task: logged, shown, app goes on."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import pytest
from desk_helpers import pause, wait_until
from PySide6 import QtCore, QtWidgets

from qfdesk.ui.app import ErrorReporter

pytestmark = [pytest.mark.gui, pytest.mark.qt_no_exception_capture]


@pytest.fixture
def reporter(qapp, qloop):
    reporter = ErrorReporter()
    reporter.install()
    qloop.set_exception_handler(reporter.loop_exception_handler)
    yield reporter
    reporter.uninstall()
    qloop.set_exception_handler(None)
    for dialog in list(reporter.dialogs):
        dialog.close()


def test_exceptions_in_a_timer_a_thread_and_a_task_are_shown_and_the_app_goes_on(
    reporter, qloop, caplog
):
    beats: list[int] = []
    alive = QtCore.QTimer()
    alive.setInterval(20)
    alive.timeout.connect(lambda: beats.append(1))
    alive.start()

    def bad_slot() -> None:
        raise ValueError("boom in a timer")

    def bad_thread() -> None:
        raise RuntimeError("boom in a thread")

    async def bad_task() -> None:
        raise KeyError("boom in a task")

    with caplog.at_level(logging.ERROR):
        QtCore.QTimer.singleShot(0, bad_slot)
        thread = threading.Thread(target=bad_thread, name="worker-x")
        thread.start()
        thread.join()
        tasks = [asyncio.ensure_future(bad_task(), loop=qloop)]
        assert wait_until(qloop, lambda: tasks[0].done(), 5)
        tasks.clear()  # the loop reports a task exception nobody retrieved when it is collected
        gc.collect()
        assert wait_until(qloop, lambda: len(reporter.dialogs) >= 3, 10)
    texts = [dialog.text.toPlainText() for dialog in reporter.dialogs]
    assert any("ValueError: boom in a timer" in t for t in texts)
    assert any("RuntimeError: boom in a thread" in t for t in texts)
    assert any("boom in a task" in t for t in texts)
    titles = [dialog.windowTitle() for dialog in reporter.dialogs]
    assert all("unexpected error" in title for title in titles)
    assert all(not dialog.isModal() and dialog.isVisible() for dialog in reporter.dialogs)
    assert "worker-x" in caplog.text and "boom in a timer" in caplog.text
    dialog = next(d for d in reporter.dialogs if "timer" in d.text.toPlainText())
    dialog.copy_text()
    assert "boom in a timer" in QtWidgets.QApplication.clipboard().text()
    shown = len(reporter.dialogs)
    QtCore.QTimer.singleShot(0, bad_slot)
    assert wait_until(qloop, lambda: reporter.count == 4, 5)
    pause(qloop, 0.1)
    assert len(reporter.dialogs) == shown, "the same error again: no second dialog"
    assert "happened 2 times" in dialog.heading.text()
    before = len(beats)
    pause(qloop, 0.3)
    assert len(beats) > before, "the app goes on"
    alive.stop()
