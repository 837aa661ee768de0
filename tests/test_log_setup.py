"""Logging set-up of the qfdesk command: rotating files in the logs dir, no piling up."""

from __future__ import annotations

import logging
import logging.handlers
import subprocess
import sys

import pytest

from qfdesk import __version__
from qfdesk.log_setup import BACKUPS, LOG_FILENAME, MAX_BYTES, setup_logging


@pytest.fixture
def clean_root():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    setup_logging("WARNING", None)
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_app_logs_go_to_a_rotating_file(tmp_path, clean_root, caplog):
    caplog.set_level(logging.DEBUG)
    log_dir = tmp_path / "state" / "log"
    path = setup_logging("DEBUG", log_dir)
    assert path == log_dir / LOG_FILENAME
    logging.getLogger("qfdesk.test").debug("hello from the test")
    files = [h for h in clean_root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(files) == 1
    handler = files[0]
    assert handler.maxBytes == MAX_BYTES and handler.backupCount == BACKUPS
    handler.flush()
    assert "DEBUG qfdesk.test: hello from the test" in path.read_text()


def test_setting_up_again_replaces_the_handlers(tmp_path, clean_root):
    before = list(clean_root.handlers)
    setup_logging("INFO", tmp_path)
    setup_logging("WARNING", tmp_path)
    added = [h for h in clean_root.handlers if h not in before]
    assert len(added) == 1 and added[0].level == logging.WARNING


def test_a_configured_root_keeps_its_level_and_console(clean_root):
    # pytest has set up the root logger: like basicConfig, leave it be.
    level, handlers = clean_root.level, list(clean_root.handlers)
    assert handlers
    assert setup_logging("DEBUG", None) is None
    assert clean_root.level == level and clean_root.handlers == handlers


def test_an_unwritable_log_dir_leaves_the_console(tmp_path, clean_root, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log folder should be")
    assert setup_logging("INFO", blocker / "log") is None
    assert "cannot write log files" in caplog.text


def test_version_and_log_level_flags():
    done = subprocess.run(
        [sys.executable, "-m", "qfdesk", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"qfdesk {__version__}"
    bad = subprocess.run(
        [sys.executable, "-m", "qfdesk", "--log-level", "chatty", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--log-level" in bad.stderr
