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


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL server of the tests' own (postgres.py), for the session."""
    from postgres import Cluster
    c = Cluster().init()
    c.start()
    yield c
    c.remove()


# Lines tests want printed at the end of the run (counts of the bad-input
# matrices and the fuzzer), whatever pytest's verbosity.
SUMMARY = []


@pytest.fixture
def summary():
    return SUMMARY


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.section("kdio checks")
        for line in SUMMARY:
            terminalreporter.write_line(line)
