"""Shared test set-up: a fixed 'today' so dates and snapshots are reproducible."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
os.environ.setdefault("TACRO_TODAY", "2026-11-22")


@pytest.fixture
def profile():
    from dosing.core.profile import default_profile

    return default_profile()
