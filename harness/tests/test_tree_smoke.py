"""A guest kernel built from Debian's own source (linux-source-6.1) with
kdio's fragment on tinyconfig, by `kdio kernel build` (cached: a second
`make test` builds nothing), then booted with the smoke suite through
`--kernel <tree>`. Asserts that the run finished and every case is ok."""

from pathlib import Path

import pytest

from kdio.kernel import kbuild
from kdio.results import results
from kdio.run import bench

pytestmark = pytest.mark.integration

SOURCE = Path("/usr/src/linux-source-6.1.tar.xz")


@pytest.fixture(scope="module")
def built_tree():
    if not SOURCE.is_file():
        pytest.fail(f"{SOURCE} is missing: install linux-source-6.1 (ci/bootstrap.sh does)")
    return kbuild.build(kbuild.plan(SOURCE, base="tinyconfig", log=print), log=print)


@pytest.fixture(scope="module")
def tree_run(built_tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    return bench.run(bench.Options(suite="smoke", kernel=str(built_tree), results_dir=out,
                                   run_id="smoke-tree"), log=print)


def test_a_second_build_does_nothing(built_tree):
    said = []
    assert kbuild.build(kbuild.plan(SOURCE, base="tinyconfig", log=said.append),
                        said.append) == built_tree
    assert said[-1].endswith("nothing to do")


def test_smoke_suite_runs_on_the_built_tree(tree_run, built_tree):
    doc, run_dir = tree_run
    assert doc["status"] == "ok", doc["failure"]
    results.validate(results.load(run_dir / "result.json"))
    kernel = doc["context"]["kernel"]
    assert kernel["tree"] == str(built_tree) and kernel["name"] == f"tree-{built_tree.name}"
    release = (built_tree / "include/config/kernel.release").read_text().strip()
    assert doc["context"]["guest"]["release"] == kernel["release"] == release
    for r in doc["results"]:
        assert r["status"] == "ok", (r["case"], r["message"])
    assert all(c["ok"] for c in doc["checks"]), doc["checks"]
