"""Shared test fixtures: the real platform data in ../shared/fixtures (never copied here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("QF_SHARED", ROOT.parent / "shared"))
FIXTURES = SHARED / "fixtures"
CAPTURE = FIXTURES / "po_capture_2025-09-03.perflog.jsonl"
QUFLX_CSV = FIXTURES / "quflx_csv"


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
