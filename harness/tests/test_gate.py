"""The regression gate proven both ways with real runs of the ci suite:
two runs of the same build give no regression; a run whose module adds a
fixed delay to every I/O call (test-only parameter) is flagged."""

import pytest

from kdio import bench, compare, config

pytestmark = pytest.mark.integration

DELAY = "kdio_dio.delay_us=3000"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("gate")
    docs = {}
    for name, params in (("a", ()), ("a2", ()), ("slow", (DELAY,))):
        doc, _ = bench.run(bench.Options(suite="ci", results_dir=out, run_id=name,
                                         module_params=params), log=print)
        assert doc["status"] == "ok", doc["failure"]
        docs[name] = doc
    return docs


def gate_settings():
    gate = dict(config.load_suite("ci").gate)
    gate.pop("baseline")
    return compare.Settings(**gate)


def test_same_build_twice_is_not_a_regression(runs):
    result = compare.compare(runs["a"], runs["a2"], gate_settings())
    print(compare.render_text(result))
    assert len(result["cases"]) == 6
    assert result["regressions"] == []


def test_injected_delay_is_flagged(runs):
    assert runs["slow"]["context"]["module_params"] == [DELAY]
    result = compare.compare(runs["a"], runs["slow"], gate_settings())
    print(compare.render_text(result))
    flagged = set(result["regressions"])
    kdio_cases = {c["case"] for c in result["cases"]}
    assert flagged == kdio_cases, "every in-kernel case is slowed by the delay"
    assert all(c["change"] <= -0.40 for c in result["cases"])
    assert result["geomean"] < 0.8
