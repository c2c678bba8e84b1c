"""kdio bisect's parts, with no boot: the classifier of a step, the ends'
judgement, the git side (the user's repository only read, the clone, git's
answer), the step table and plot. The bisects themselves, booted, are in
test_bisect_run.py."""

import json
import subprocess

import pytest

import bisect_repos
from kdio import cli
from kdio.bisect import bisect, classify, history
from kdio.errors import ConfigError, KdioError
from kdio.report import compare

UNIT = "insn/byte"
GATE = compare.Settings(alpha=0.01, threshold=0.005, cv_limit=0.02)


def _end(rev, **medians):
    """An End whose cases' five samples sit at their median, to 0.01 %."""
    return classify.End(rev, {c: (UNIT, [m * (1 + d) for d in (-1e-4, -5e-5, 0, 5e-5, 1e-4)])
                              for c, m in medians.items()})


GOOD, BAD = _end("g", a=100.0, b=50.0), _end("b", a=101.0, b=50.5)


def test_a_step_at_either_end_is_classified_by_the_nearer_end():
    for figures, code in ((_end("s", a=100.0, b=50.0), classify.GOOD),
                          (_end("s", a=101.0, b=50.5), classify.BAD),
                          (_end("s", a=100.6, b=50.3), classify.BAD),
                          (_end("s", a=100.4, b=50.2), classify.GOOD)):
        v = classify.classify(GOOD, BAD, ["a", "b"], figures.figures)
        assert v.code == code, (figures, v)
        assert v.mixed == ""
    assert "the mean of 2 cases' positions" in v.why


def test_several_cases_are_taken_together_by_their_mean_position():
    # a at the bad end, b at the good end: mean 0.5, bad; and they disagree
    v = classify.classify(GOOD, BAD, ["a", "b"], _end("s", a=101.0, b=50.0).figures)
    assert v.code == classify.BAD and v.position == pytest.approx(0.5, abs=1e-6)
    assert "changed in different commits" in v.mixed
    # a little below: good
    v = classify.classify(GOOD, BAD, ["a", "b"], _end("s", a=100.98, b=50.0).figures)
    assert v.code == classify.GOOD


def test_an_improvement_is_bisected_as_well_as_a_regression():
    good, bad = _end("g", a=100.0), _end("b", a=95.0)
    assert classify.classify(good, bad, ["a"], _end("s", a=95.2).figures).code == classify.BAD
    assert classify.classify(good, bad, ["a"], _end("s", a=99.0).figures).code == classify.GOOD


def test_a_step_beyond_an_end_says_the_range_holds_more_than_one_change():
    # a regression to 102, partly mended to 101 at the bad end
    v = classify.classify(GOOD, BAD, ["a"], _end("s", a=102.0).figures)
    assert v.code == classify.BAD and "beyond an end" in v.mixed


def test_a_case_not_measured_makes_the_step_a_skip():
    v = classify.classify(GOOD, BAD, ["a", "b"], _end("s", a=100.0).figures)
    assert v.code == classify.SKIP and "b" in v.why


def test_the_fault_knob_answers_good_whatever_it_sees(monkeypatch):
    """The negative control's knob: with it, a step at the bad end is good."""
    at_bad = _end("s", a=101.0, b=50.5).figures
    assert classify.classify(GOOD, BAD, ["a", "b"], at_bad).code == classify.BAD
    monkeypatch.setenv(classify.FAULT_ENV, "always-good")
    assert classify.classify(GOOD, BAD, ["a", "b"], at_bad).code == classify.GOOD


def test_the_ends_differ_by_the_gates_rule_only():
    _, differ = classify.differing(GOOD, BAD, GATE)
    assert [c.case for c in differ] == ["a", "b"]
    _, differ = classify.differing(GOOD, _end("b", a=100.3, b=50.0), GATE)
    assert differ == []  # 0.3 %: under the gate's 0.5 %
    _, differ = classify.differing(GOOD, _end("b", a=100.3, b=50.0),
                                   compare.Settings(alpha=0.01, threshold=0.0025, cv_limit=0.02))
    assert [c.case for c in differ] == ["a"]


def test_figures_keep_the_ok_cases_with_samples():
    doc = {"results": [{"case": "a", "unit": UNIT, "status": "ok", "samples": [1.0]},
                       {"case": "b", "unit": UNIT, "status": "error", "samples": []}]}
    assert classify.figures(doc) == {"a": (UNIT, [1.0])}


# -- git ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return bisect_repos.driver_repo(tmp_path_factory.mktemp("drv"))


def test_the_driver_history_puts_gits_first_step_on_the_broken_commit(repo):
    path, c = repo
    first = subprocess.run(["git", "-C", str(path), "rev-list", "--bisect", c["bad"],
                            f"^{c['good']}"], capture_output=True, text=True).stdout.strip()
    assert first == c["broken"]
    assert len(history.commits_between(path, c["good"], c["bad"])) == 8


def test_revisions_are_checked(repo):
    path, c = repo
    assert history.commit_of(path, "HEAD") == c["bad"]
    with pytest.raises(ConfigError, match="not a commit"):
        history.commit_of(path, "no-such-rev")
    with pytest.raises(ConfigError, match="not an ancestor"):
        history.commits_between(path, c["bad"], c["good"])
    with pytest.raises(ConfigError, match="not in a git repository"):
        history.top(path.parent)


def test_the_clone_borrows_the_users_objects_and_is_reused(repo, tmp_path):
    path, c = repo
    before = history.state(path)
    home, src = history.clone_for(path, tmp_path)
    assert (src / ".git/objects/info/alternates").read_text().strip() == str(path / ".git/objects")
    history.git(src, "bisect", "start", c["bad"], c["good"])
    home2, src2 = history.clone_for(path, tmp_path)   # the next bisect: reset, fetched
    assert (home2, src2) == (home, src)
    assert subprocess.run(["git", "-C", str(src), "bisect", "log"],
                          capture_output=True).returncode != 0
    assert history.state(path) == before


def test_git_bisect_runs_answer_is_read():
    out = "Bisecting...\n" + "a" * 40 + " is the first bad commit\ncommit aaaa\n"
    assert bisect.first_bad(None, out) == ("a" * 40, [])
    out = ("There are only 'skip'ped commits left to test.\nThe first bad commit could be any "
           f"of:\n{'b' * 40}\n{'c' * 40}\nWe cannot bisect more!\n")
    assert bisect.first_bad(None, out) == (None, ["b" * 40, "c" * 40])
    assert bisect.first_bad(None, "something else") == (None, [])


def test_a_range_of_one_commit_is_refused_before_anything_runs(repo, tmp_path):
    path, c = repo
    with pytest.raises(ConfigError, match="same commit"):
        bisect.start(path, "module", "HEAD", "HEAD", results_dir=tmp_path)
    assert cli.main(["bisect", "--good", "HEAD", "--bad", "HEAD"]) == 2  # no history given


def test_a_step_that_fails_for_kdio_stops_git_instead_of_calling_the_commit_bad(tmp_path):
    """git takes exit codes 1..127 but 125 as bad: kdio's own failure
    (here: no bisect folder) must return above 127."""
    assert cli.main(["bisect-step", str(tmp_path / "none")]) == bisect.ABORT > 127


def _plan(tmp_path, repo):
    path, c = repo
    return bisect.Plan(kind="module", repo=str(path), home=str(tmp_path), clone=str(path),
                       good=c["good"], bad=c["bad"], suite="ci", run_dir=str(tmp_path),
                       cases=["a"])


def test_the_step_table_csv_and_plot(repo, tmp_path):
    plan = _plan(tmp_path, repo)
    _, c = repo
    fig = lambda m: {"a": [UNIT, [m] * 5]}  # noqa: E731
    for e in ({"kind": "good", "commit": c["good"], "figures": fig(100.0), "seconds": 20,
               "vm_s": 12, "boot_s": 4},
              {"kind": "bad", "commit": c["bad"], "figures": fig(101.0), "seconds": 20,
               "vm_s": 12, "boot_s": 4},
              {"kind": "step", "n": 1, "commit": c["broken"], "verdict": "skip",
               "reason": "build failed: x", "seconds": 3},
              {"kind": "step", "n": 2, "commit": c["culprit"], "verdict": "bad",
               "figures": fig(101.0), "seconds": 20, "vm_s": 12, "boot_s": 4, "build_s": 5}):
        bisect.record(plan, e)
    entries = bisect.steps_of(tmp_path)
    text = bisect.step_table(plan, entries)
    assert "skip" in text and "1.00" in text and "0.00" in text
    md = bisect.step_table(plan, entries, markdown=True)
    assert "- step 1: build failed: x" in md
    bisect.write_csv(plan, entries)
    assert len((tmp_path / "steps.csv").read_text().splitlines()) == 5
    png = bisect.draw(plan, entries)
    assert png.stat().st_size > 1000
    assert "skipped (no figure)" in (tmp_path / "steps.gp").read_text()


def test_the_culprits_and_parents_positions_say_whether_one_change_explains_the_range(
        repo, tmp_path):
    """A culprit halfway between the ends (a second change later) is said."""
    plan = _plan(tmp_path, repo)
    plan.profile = ""
    _, c = repo
    parent = history.git(plan.clone, "rev-parse", f"{c['culprit']}^").strip()
    fig = lambda m: {"a": [UNIT, [m] * 5]}  # noqa: E731
    for e in ({"kind": "good", "commit": c["good"], "figures": fig(100.0)},
              {"kind": "bad", "commit": c["bad"], "figures": fig(102.0)},
              {"kind": "step", "n": 1, "commit": parent, "verdict": "good",
               "figures": fig(100.0)},
              {"kind": "step", "n": 2, "commit": c["culprit"], "verdict": "bad",
               "figures": fig(101.0)}):
        bisect.record(plan, e)
    answer = bisect.conclude(plan, c["culprit"], [], 1.0, say=lambda m: None)
    assert answer["subject"] == "testcbc: audit every request"
    assert any("more than this one change" in n for n in answer["notes"])
    assert "## More than one change" in (tmp_path / "report.md").read_text()
    assert json.loads((tmp_path / "answer.json").read_text())["culprit"] == c["culprit"]


def test_nothing_to_bisect_shows_both_ends(tmp_path, repo, capsys):
    plan = _plan(tmp_path, repo)
    plan.gate = {"alpha": 0.01, "threshold": 0.005, "cv_limit": 0.02}
    fig = {"a": [UNIT, [100.0] * 5]}
    with pytest.raises(KdioError, match="nothing to bisect"):
        bisect.judge_ends(plan, {"commit": "g", "figures": fig}, {"commit": "b", "figures": fig},
                          say=print)
    assert "a " in capsys.readouterr().out
