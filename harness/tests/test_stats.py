import pytest

from kdio.model import stats


def test_summary_odd():
    s = stats.summary([3.0, 1.0, 2.0])
    assert s["n"] == 3 and s["median"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0
    assert s["cv"] == pytest.approx(0.5)


def test_summary_single_sample_has_zero_cv():
    assert stats.summary([5.0])["cv"] == 0.0


def test_summary_empty():
    assert stats.summary([]) is None


def test_spread_and_ratio():
    s = stats.summary([90.0, 100.0, 110.0])
    assert stats.spread(s) == pytest.approx(0.2)
    assert stats.ratio(150.0, 100.0) == 1.5
    assert stats.ratio(1.0, 0) is None and stats.ratio(None, 1.0) is None
