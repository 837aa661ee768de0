"""Shared test fixtures: the real platform data in tests/data (see its README)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CAPTURE = DATA / "po_capture_2025-09-03.perflog.jsonl"
QUFLX_CSV = DATA / "quflx_csv"


@pytest.fixture(scope="session")
def capture_path() -> Path:
    assert CAPTURE.exists(), f"the real capture is missing at {CAPTURE}"
    return CAPTURE


@pytest.fixture(scope="session")
def quflx_csv_dir() -> Path:
    assert QUFLX_CSV.is_dir(), f"the real QuantumFlux CSVs are missing at {QUFLX_CSV}"
    return QUFLX_CSV


@pytest.fixture(scope="session")
def installed_browser() -> None:
    """Real Chromium and chromedriver, or a failure that says how to get them."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not installed: the README's test command installs them "
            "(Debian packages chromium and chromium-driver)"
        )


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A fresh, short temporary folder to be a process's TMPDIR: Chromium puts its singleton
    socket there, and a socket path longer than 107 bytes (pytest's tmp_path) aborts it."""
    path = Path(tempfile.mkdtemp(prefix="qf"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
