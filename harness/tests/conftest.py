"""Shared test setup: the harness package on sys.path, fixture paths."""

import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HARNESS))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures():
    return FIXTURES
