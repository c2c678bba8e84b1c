"""kdio bisect --tree, booted: a git history made on linux-source-6.1 (the
unpacked tree committed as it is, then four commits), one of which adds
work per page in brd's request path, which the ci suite's bvec write on brd
times. The bisect starts its build folder from the tree build test_tree_ab
uses (--reuse-build), so every build, the ends' included, is incremental;
it must name that commit, with the change on brd in its differential
profile, and leave the tree's repository as it was."""

import json
import shutil
from pathlib import Path

import pytest

import bisect_repos
from kdio import cli, where
from kdio.bisect import bisect, history
from kdio.kernel import kbuild

pytestmark = pytest.mark.integration

SOURCE = Path("/usr/src/linux-source-6.1.tar.xz")
CASE = "dio.bvec/op=write/bs=1m/size=32m/backend=brd"
# objects an incremental step may remake: brd and what the release string
# reaches (the clone's release gains scripts/setlocalversion's "+"); a
# whole build is about 1,400
INCREMENTAL = 150


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    if not SOURCE.is_file():
        pytest.fail(f"{SOURCE} is missing: install linux-source-6.1 (ci/bootstrap.sh does)")
    kb = kbuild.plan(SOURCE, base="tinyconfig", log=print)
    a = kbuild.build(kb, log=print)              # test_tree_ab's build A, cached
    repo, c = bisect_repos.kernel_repo(tmp_path_factory.mktemp("tree"), kb.source.root)
    state = history.state(repo)
    out = tmp_path_factory.mktemp("found")
    rc = cli.main(["bisect", "--tree", str(repo), "--good", c["good"], "--bad", c["bad"],
                   "--case", CASE, "--reuse-build", str(a), "--results-dir", str(out)])
    [run] = out.glob("*-bisect")
    home, _ = history.clone_for(repo, where.cache())
    yield (rc, c, json.loads((run / "answer.json").read_text()), bisect.steps_of(run),
           history.state(repo) == state)
    shutil.rmtree(home)                          # the clone and its build: 2 GB


def test_the_tree_bisect_names_the_commit_that_added_work_to_brd(found):
    rc, c, answer, steps, _ = found
    print("\n" + "\n".join(f"{e['kind']} {e.get('n', '')} {e['commit'][:12]} "
                           f"{e.get('verdict', '')} objects {e.get('objects')} build "
                           f"{e.get('build_s')} s" for e in steps))
    assert rc == 0
    assert answer["culprit"] == c["culprit"] and answer["subject"] == "brd: account every page"
    assert answer["notes"] == []


def test_every_build_is_incremental(found):
    _, _, _, steps, _ = found
    builds = [e for e in steps if e.get("objects") is not None]
    assert len(builds) >= 3          # both ends and a step at least
    assert all(e["objects"] < INCREMENTAL for e in builds), builds


def test_the_change_is_put_on_brd(found):
    _, _, answer, _, _ = found
    top = answer["profile_text"].splitlines()[1]
    assert top.split()[0].startswith("brd_") and " brd " in top, answer["profile_text"]


def test_the_trees_repository_is_as_it_was(found):
    assert found[4]
