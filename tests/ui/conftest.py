"""UI tests: offscreen Qt, a qasync loop shared by the session, settings under tmp_path."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import asyncio

import pytest
from PySide6 import QtCore

from qfdesk.ui.app import create_event_loop, create_qapp
from qfdesk.ui.layout_store import LayoutStore


@pytest.fixture(scope="session")
def qloop(qapp):
    """The asyncio loop on Qt (qasync), as the app runs it."""
    create_qapp()
    loop = create_event_loop(qapp)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def store(tmp_path) -> LayoutStore:
    """Settings in an INI file under tmp_path: the user's own settings are never touched."""
    return LayoutStore(
        QtCore.QSettings(str(tmp_path / "qfdesk.ini"), QtCore.QSettings.Format.IniFormat)
    )
