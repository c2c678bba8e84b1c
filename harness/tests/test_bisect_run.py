"""kdio bisect, booted: a driver's repository of nine commits (the test
driver; tests/bisect_repos.py), one of which adds per-request work worth
about 1 % of a counted 1424-byte zero-copy request and one of which does
not build. The bisect must name the first, skip the second, explain the
change by its differential profile, refuse a range with no change, and
leave the user's repository exactly as it was, also when interrupted or
killed. With the test-only classifier that answers "good" whatever it
sees, the named commit is wrong: the tests' negative control."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import bisect_repos
from kdio import cli, where
from kdio.bisect import bisect, classify, history
from kdio.report import compare
from kdio.results import results

pytestmark = pytest.mark.integration

SUITE = str(where.TOP / "harness/tests/fixtures/suites/bisect-driver.toml")
# 56 rounds of the audit loop: about 1 % of a 1424-byte request's cost
ROUNDS = 56


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """The user's repository, mid-work: a bisect of their own in progress,
    an edit, an untracked file and a stash entry; returns (repo, commits,
    its state)."""
    repo, c = bisect_repos.driver_repo(tmp_path_factory.mktemp("user"), rounds=ROUNDS)
    (repo / "README").write_text("stashed edit\n")
    bisect_repos.git(repo, "stash")
    bisect_repos.git(repo, "bisect", "start", c["bad"], c["good"])
    (repo / "README").write_text("an edit of the user's\n")
    (repo / "notes.txt").write_text("untracked\n")
    state = history.state(repo)
    assert state["stash"] and state["bisect_log"] and " M README" in state["status"]
    yield repo, c, state
    shutil.rmtree(history.clone_home(repo, where.cache())[0], ignore_errors=True)


def _bisect(repo, c, out, *extra, good="good", bad="bad"):
    return cli.main(["bisect", "--module-repo", str(repo), "--good", c[good], "--bad", c[bad],
                     "--suite", SUITE, "--results-dir", str(out), *extra])


def _folder(out):
    [run] = out.glob("*-bisect")
    return run


@pytest.fixture(scope="module")
def found(user, tmp_path_factory):
    repo, c, _ = user
    out = tmp_path_factory.mktemp("found")
    rc = _bisect(repo, c, out)
    run = _folder(out)
    return rc, run, json.loads((run / "answer.json").read_text()), bisect.steps_of(run)


def _as_from_a_terminal():
    """SIGINT as a terminal's foreground job has it: a test run in the
    background (nohup, a CI runner's `&`) inherits it ignored, and so would
    kdio, which Ctrl-C would then not stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stopped(user, found, tmp_path, sig, when):
    """kdio bisect (its ends taken from found's, --reuse) stopped by sig
    once its output shows `when`."""
    repo, c, state = user
    proc = subprocess.Popen(
        [sys.executable, "-m", "kdio", "bisect", "--module-repo", str(repo), "--good", c["good"],
         "--bad", c["bad"], "--suite", SUITE, "--results-dir", str(tmp_path), "--no-profile",
         "--reuse", str(found[1])],
        cwd=where.TOP / "harness", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=_as_from_a_terminal)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if when in line:
            os.killpg(proc.pid, sig)
            break
    rest = proc.communicate(timeout=120)[0]
    assert any(when in ln for ln in seen), "".join(seen)
    return proc.returncode, "".join(seen) + rest


def _bisecting(repo):
    """Is the bisect clone of repo in the middle of a git bisect?"""
    _, clone = history.clone_home(repo, where.cache())
    return subprocess.run(["git", "-C", str(clone), "bisect", "log"],
                          capture_output=True).returncode == 0


def test_the_driver_bisect_names_the_commit_that_added_work(user, found):
    repo, c, _ = user
    rc, run, answer, steps = found
    assert rc == 0
    assert answer["culprit"] == c["culprit"], answer
    assert answer["subject"] == "testcbc: audit every request"
    assert answer["notes"] == []     # one change explains the range
    assert answer["position_culprit"] == pytest.approx(1, abs=0.1)
    assert answer["position_parent"] == pytest.approx(0, abs=0.1)
    report = (run / "report.md").read_text()
    assert "kdio_testcbc.c | " in report and "Test Author" in report
    assert (run / "steps.png").stat().st_size > 1000


def test_the_ends_differ_by_about_one_percent(found):
    _, _, _, steps = found
    good, bad = (next(e for e in steps if e["kind"] == k) for k in ("good", "bad"))
    [case] = good["figures"]
    change = bisect.results_median(bad["figures"][case]) / \
        bisect.results_median(good["figures"][case]) - 1
    print(f"\nthe ends: {change * 100:+.3f} % ({case})")
    assert 0.005 < change < 0.02
    # the two builds of the declared-countable driver as an A/B: a plain
    # compare of two counted runs (the counted gate's settings) flags it
    docs = [results.load(Path(e["run"]) / "result.json") for e in (good, bad)]
    assert all("kdio-test-cbc-aes" in d["context"]["countable_drivers"] for d in docs)
    out = compare.compare(*docs)
    assert out["regressions"] == [case], compare.render_text(out)


def test_the_commit_that_does_not_build_is_skipped_with_its_reason(user, found):
    _, c, _ = user
    _, _, _, steps = found
    broken = [e for e in steps if e["commit"] == c["broken"]]
    assert broken and broken[0]["verdict"] == "skip"
    assert "does not build" in broken[0]["reason"]
    measured = [e for e in steps if e["kind"] == "step" and e["verdict"] != "skip"]
    assert len(measured) >= 2


def test_the_culprits_differential_profile_puts_the_change_in_the_driver(found):
    _, _, answer, _ = found
    lines = answer["profile_text"].splitlines()
    assert "changed:" in lines[0]
    assert lines[1].split()[0].startswith("testcbc_"), answer["profile_text"]


def test_the_users_repository_is_as_it_was(user, found):
    assert history.state(user[0]) == user[2]


def test_a_bisect_killed_in_a_step_leaves_the_users_repository_as_it_was(user, found,
                                                                         tmp_path):
    rc, out = _stopped(user, found, tmp_path, signal.SIGKILL, "=== step 1")
    assert rc == -signal.SIGKILL
    assert history.state(user[0]) == user[2]
    assert _bisecting(user[0])   # the clone is left mid-bisect: the next one resets it


def test_ctrl_c_in_a_step_leaves_the_users_repository_as_it_was(user, found, tmp_path):
    rc, out = _stopped(user, found, tmp_path, signal.SIGINT, "=== step 1")
    assert rc == 130 and "kdio: interrupted" in out, out[-2000:]
    assert history.state(user[0]) == user[2]
    assert not _bisecting(user[0])   # reset at the end


def test_a_range_with_no_change_is_refused_with_both_ends(user, found, tmp_path, capsys):
    repo, c, state = user
    assert _bisect(repo, c, tmp_path, "--no-profile", "--reuse", str(found[1]),
                   bad="fixed") == 2
    out = capsys.readouterr()
    assert "nothing to bisect" in out.err
    assert "verdict" in out.out and "same" in out.out
    assert [e["kind"] for e in bisect.steps_of(_folder(tmp_path))] == ["good", "bad"]
    assert history.state(repo) == state


def test_negative_control_a_classifier_that_always_says_good_names_the_wrong_commit(
        user, found, tmp_path, monkeypatch):
    """The tests above must be able to fail: with every step called good,
    git names the bad end, and kdio's own check of the culprit's parent
    says the answer does not hold."""
    repo, c, _ = user
    monkeypatch.setenv(classify.FAULT_ENV, "always-good")
    assert _bisect(repo, c, tmp_path, "--no-profile", "--reuse", str(found[1])) == 0
    answer = json.loads((_folder(tmp_path) / "answer.json").read_text())
    assert answer["culprit"] != c["culprit"]
    assert any("more than this one change" in n for n in answer["notes"]), answer
