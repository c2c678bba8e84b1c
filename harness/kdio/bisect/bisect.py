"""kdio bisect: measure both ends, then let git bisect run a step command
of kdio's that builds, boots, measures (counted) and classifies each
commit, in a clone of the user's repository.

Two kinds of history: a kernel tree (--tree: each step builds the kernel in
one build folder that every step reuses, so kbuild remakes only what the
commit changed) and an out-of-tree driver's repository (--module-repo: each
step builds the driver against one fixed guest kernel).

The bisect's folder (results/<id>-bisect/) holds its plan (bisect.json),
one line per measured commit as soon as it is known (steps.jsonl), every
run, git's bisect log, and the answer (report.md, steps.csv, a plot).
"""

import csv
import ctypes
import fcntl
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kdio import where
from kdio.bisect import classify, history
from kdio.errors import BuildError, ConfigError, KdioError, TreeError
from kdio.kernel import kbuild, kconfig
from kdio.model import config, measure
from kdio.profile import diff as profile_diff
from kdio.report import compare
from kdio.report import plot as plotting
from kdio.report import profile as profile_report
from kdio.results import results
from kdio.run import bench

STATE = "bisect.json"
STEPS = "steps.jsonl"
# git bisect run stops at an exit code above 127: a step that cannot go on
# for a reason of kdio's own (not the commit's) ends the bisect
ABORT = 128
PR_SET_PDEATHSIG = 1


@dataclass
class Plan:
    kind: str                   # "tree" or "module"
    repo: str                   # the user's repository (only read)
    home: str                   # <cache>/bisect/<name>-<hash>: the clone and its build
    clone: str
    good: str                   # commit ids
    bad: str
    suite: str
    run_dir: str
    kernel: str = "debian-6.1"  # the guest kernel of a module bisect
    module_dir: str = ""        # the driver's folder in its repository ("" = the top)
    base: str = "tinyconfig"    # a tree's base config (tinyconfig, defconfig, a file)
    reuse_build: str = ""       # a finished build of the tree to start the build folder from
    asked: list = field(default_factory=list)      # --case ids (empty: the whole suite)
    cases: list = field(default_factory=list)      # the cases that differ: the bisected ones
    gate: dict = field(default_factory=dict)       # compare.Settings of the judgement
    profile: str = "on"
    module_params: list = field(default_factory=list)
    jobs: int = None
    reuse: str = ""             # an earlier bisect's folder whose measured commits are taken

    def save(self):
        results.write_atomic(Path(self.run_dir) / STATE, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, run_dir):
        return cls(**json.loads((Path(run_dir) / STATE).read_text()))


def log(msg):
    print(msg, flush=True)


# -- building one commit --------------------------------------------------------

def build_folder(plan):
    return Path(plan.home) / "build"


def build_tree(plan, say=log):
    """Build the clone's checked-out commit in the one build folder every
    step uses (kbuild remakes what changed); return the folder."""
    out = build_folder(plan)
    kb = kbuild.plan(plan.clone, base=plan.base, out=out, log=say)
    made_for = Path(plan.home) / "build.base"
    base_id = kbuild.base_identity(plan.base)
    if made_for.exists() and made_for.read_text() != base_id:
        say(f"build folder: made for another base config than {plan.base}: starting afresh")
        shutil.rmtree(out)
    made_for.write_text(base_id)
    fragment = kconfig.load_fragment()
    stamp = out / kbuild.STAMP
    if stamp.exists():
        stamp.unlink()
    if not (out / ".config").exists():
        shutil.rmtree(out, ignore_errors=True)  # never configured: nothing in it to keep
        if plan.reuse_build:
            seed(plan, out, say)
        out.mkdir(parents=True, exist_ok=True)
        kbuild.configure(kb, out, fragment, say)
    else:
        kbuild.reconfigure(kb, out, fragment)
    logs = Path(plan.run_dir) / "build-logs"
    logs.mkdir(exist_ok=True)
    head = history.git(plan.clone, "rev-parse", "--short=12", "HEAD").strip()
    count = kbuild.compile_tree(kb, out, logs / f"{head}.log", say)
    stamp.write_text(f"{kb.key}\nsource {plan.clone}\nbase {plan.base}\nobjects {count}\n"
                     f"commit {head}\n")
    return out, count


def seed(plan, out, say):
    """Start the build folder as a copy of a finished build of the same
    tree (--reuse-build), so the first build is incremental too: the
    copy's paths are moved to the clone and the build folder, and each
    source file whose content is the one that build compiled gets that
    file's time back (a checkout gives every file a new one, which kbuild
    would take for a change)."""
    src_build = Path(plan.reuse_build)
    stamp = src_build / kbuild.STAMP
    fields = dict(ln.split(" ", 1) for ln in stamp.read_text().splitlines()[1:] if " " in ln) \
        if stamp.exists() else {}
    old_src = Path(fields.get("source", ""))
    if not fields.get("source") or not old_src.is_dir():
        raise ConfigError(f"--reuse-build {src_build}: not a build kdio made, or its source "
                          "is gone", "give a folder `kdio kernel build` made, or leave it out")
    say(f"build folder: starting from {src_build} (built from {old_src})")
    kbuild.copy_build(src_build, out)
    kbuild.move_paths(out, old_src, Path(plan.clone))
    kept = 0
    clone = Path(plan.clone)
    for path in clone.rglob("*"):
        if ".git" in path.parts[len(clone.parts):len(clone.parts) + 1] or not path.is_file() \
                or path.is_symlink():
            continue
        old = old_src / path.relative_to(clone)
        try:
            st = old.stat()
        except OSError:
            continue
        if st.st_size == path.stat().st_size and old.read_bytes() == path.read_bytes():
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            kept += 1
    # git's index knew the checkout's times: told the new ones (the contents are the same),
    # it rewrites only what a later checkout changes, not every file whose time moved
    history.git(clone, "update-index", "-q", "--refresh", check=False)
    say(f"build folder: {kept} source files are those the build compiled, their times kept")


def run_cases(plan, name, cases, say=log):
    """Build the commit checked out in the clone and run cases on it,
    counted; (result document, run folder, {build_s, objects} of a kernel
    build). Build errors raise."""
    kernel, modules, build = plan.kernel, (), {}
    if plan.kind == "tree":
        t0 = time.monotonic()
        tree, count = build_tree(plan, say)
        build = {"build_s": round(time.monotonic() - t0, 1), "objects": count}
        say(f"build: {count} objects made in {build['build_s']:.0f} s")
        kernel = str(tree)
    else:
        modules = (str(Path(plan.clone) / plan.module_dir),)
    opts = bench.Options(suite=plan.suite, kernel=kernel, results_dir=Path(plan.run_dir) / "runs",
                         run_id=name, measure="counted", user_modules=modules,
                         module_params=tuple(plan.module_params), jobs=plan.jobs,
                         profile=plan.profile, cases=tuple(cases))
    return (*bench.run(opts, say), build)


def _times(doc):
    """A run's wall seconds to the guest's "guest ready" and in the VM
    (one guest; the longest of several). Not the guest's boot_s, which
    counted mode takes from the guest's own, virtual, clock."""
    ctx = doc["context"]
    shards = (ctx.get("jobs") or {}).get("shards") or [ctx]

    def most(key):
        values = [s.get(key) for s in shards if s.get(key) is not None]
        return max(values) if values else None
    return {"boot_s": most("vm_ready_s"), "vm_s": most("vm_elapsed_s")}


def _split_times(e):
    """'build 12 s, boot 4 s, measure 30 s' of a step or end entry."""
    if e.get("vm_s") is None:
        return "no run"
    build = e.get("build_s")
    prep = e["seconds"] - e["vm_s"]
    return (f"build {build:.0f} s, other preparation {prep - build:.0f} s" if build is not None
            else f"build and preparation {prep:.0f} s") + \
        f", boot {e['boot_s'] or 0:.1f} s, measure {e['vm_s'] - (e['boot_s'] or 0):.0f} s"


def record(plan, entry):
    with open(Path(plan.run_dir) / STEPS, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def steps_of(run_dir):
    path = Path(run_dir) / STEPS
    return [json.loads(ln) for ln in path.read_text().splitlines()] if path.exists() else []


def end_of(entry):
    return classify.End(entry["commit"], entry["figures"])


# -- the ends --------------------------------------------------------------------

# What must match for an earlier bisect's measurements to be taken as ours.
SAME_FOR_REUSE = ("kind", "repo", "suite", "kernel", "module_dir", "base", "asked",
                  "module_params")


def check_reuse(plan):
    """Refuse --reuse of a bisect that measured something else."""
    try:
        earlier = Plan.load(plan.reuse)
    except (OSError, ValueError, TypeError):
        raise ConfigError(f"--reuse {plan.reuse}: not a kdio bisect folder (no readable "
                          f"{STATE})", "give a results/<id>-bisect folder") from None
    differ = [f for f in SAME_FOR_REUSE if getattr(earlier, f) != getattr(plan, f)]
    if plan.profile and not earlier.profile:
        differ.append("profile")
    if differ:
        raise ConfigError(f"--reuse {plan.reuse} measured with other settings: "
                          + ", ".join(f"{f} {getattr(earlier, f)!r} (now {getattr(plan, f)!r})"
                                      for f in differ),
                          "reuse a bisect of the same history, suite, cases and kernel, or "
                          "leave --reuse out")


def reused(plan, commit, cases):
    """An earlier bisect's (--reuse) entry of commit with figures for all
    cases, else None."""
    if not plan.reuse:
        return None
    for e in steps_of(plan.reuse):
        if e["commit"] == commit and e.get("figures") and all(c in e["figures"] for c in cases) \
                and not e.get("reused_from"):
            return {**e, "reused_from": plan.reuse}
    return None


def measure_end(plan, which, commit, say=log):
    history.git(plan.clone, "checkout", "--quiet", "--force", "--detach", commit)
    say(f"=== {which} end: {commit[:12]} {history.describe(plan.clone, commit)['subject']} ===")
    old = reused(plan, commit, plan.asked)
    if old:
        entry = {**old, "kind": which}
        entry.pop("n", None)
        record(plan, entry)
        say(f"{which} end: measured in {plan.reuse} (--reuse), taken from there")
        return entry
    t0 = time.monotonic()
    doc, run_dir, build = run_cases(plan, f"{which}-{commit[:12]}", plan.asked, say)
    if doc["status"] != "ok":
        raise KdioError(f"the {which} end ({commit[:12]}) did not run: "
                        f"{doc['failure']['reason']}",
                        f"see {run_dir}/console.log; a bisect needs both ends measured")
    figures = classify.figures(doc)
    entry = {"kind": which, "commit": commit, "run": str(run_dir), "figures": figures,
             "seconds": round(time.monotonic() - t0, 1), **build, **_times(doc),
             "errors": [r["case"] for r in doc["results"] if r["status"] == "error"]}
    record(plan, entry)
    say(f"{which} end took {entry['seconds']:.0f} s: {_split_times(entry)}")
    return entry


def _figure_table(changes):
    rows = [f"  {'case':<70} {'good':>12} {'bad':>12} {'change':>8}  verdict"]
    for c in changes:
        rows.append(f"  {c.case:<70} {c.base_median:>12.4g} {c.new_median:>12.4g} "
                    f"{-c.change * 100 if measure.is_cost(c.unit) else c.change * 100:>+7.2f}%  "
                    f"{c.verdict} (p {c.p_value:.3f})")
    return "\n".join(rows)


def judge_ends(plan, good, bad, say=log):
    settings = compare.Settings(**plan.gate)
    changes, differ = classify.differing(end_of(good), end_of(bad), settings)
    say(f"\nthe ends ({len(changes)} case(s); the gate's rule: p < {settings.alpha}, change at "
        f"least {settings.threshold * 100:g} %; costs: + is dearer):")
    say(_figure_table(changes))
    if not differ:
        raise KdioError(
            f"nothing to bisect: no case differs between {plan.good[:12]} (good) and "
            f"{plan.bad[:12]} (bad) by the gate's rule",
            "check the revisions, or measure other cases (--suite, --case); the figures of both "
            "ends are above" + ("; a driver's change shows in a suite whose crypto cases name "
                                "it (driver = \"its cra_driver_name\", docs/bisect.md)"
                                if plan.kind == "module" else ""))
    return [c.case for c in differ]


# -- a step (git bisect run's command) ------------------------------------------

def step(run_dir, say=log):
    """One git bisect run step, in the clone: build, measure, classify;
    returns git's exit code (0 good, 1 bad, 125 skip)."""
    die_with_parent()
    if os.getppid() == 1:
        raise KdioError("the bisect that ran this step is gone", "start it again")
    plan = Plan.load(run_dir)
    commit = history.git(plan.clone, "rev-parse", "HEAD").strip()
    ends = {e["kind"]: end_of(e) for e in steps_of(run_dir) if e["kind"] in ("good", "bad")}
    n = sum(1 for e in steps_of(run_dir) if e["kind"] == "step") + 1
    left = history.left(plan.clone)
    info = history.describe(plan.clone, commit)
    say(f"=== step {n}: {commit[:12]} {info['subject']} ===")
    entry = {"kind": "step", "n": n, "commit": commit, "subject": info["subject"]}
    old = reused(plan, commit, plan.cases)
    if old:
        entry.update({k: v for k, v in old.items() if k in (
            "run", "figures", "seconds", "build_s", "objects", "boot_s", "vm_s", "reused_from")})
        say(f"step {n}: measured in {plan.reuse} (--reuse), taken from there")
        return _judged(plan, ends, entry, n, left, say)
    t0 = time.monotonic()
    try:
        doc, rdir, build = run_cases(plan, f"step{n:02d}-{commit[:12]}", plan.cases, say)
    except (BuildError, TreeError) as e:  # the commit's: it does not build, or boot
        entry.update(verdict="skip", code=classify.SKIP, reason=f"build failed: {e}",
                     seconds=round(time.monotonic() - t0, 1))
        record(plan, entry)
        say(f"step {n}: skip ({e})")
        return classify.SKIP
    entry.update(run=str(rdir), figures=classify.figures(doc),
                 seconds=round(time.monotonic() - t0, 1), **build, **_times(doc))
    if doc["status"] != "ok":
        entry.update(verdict="skip", code=classify.SKIP,
                     reason=f"the guest run failed: {doc['failure']['reason']}")
        record(plan, entry)
        say(f"step {n}: skip (the guest run failed: {doc['failure']['reason']})")
        return classify.SKIP
    return _judged(plan, ends, entry, n, left, say)


def _judged(plan, ends, entry, n, left, say):
    """Classify a step's entry, record it, say it; git's exit code."""
    v = classify.classify(ends["good"], ends["bad"], plan.cases, entry["figures"])
    entry.update(verdict=v.word, code=v.code, position=v.position, positions=v.positions,
                 reason=v.why, mixed=v.mixed)
    record(plan, entry)
    say(f"step {n}: {v.word}: {v.why}" + (f"; NOTE {v.mixed}" if v.mixed else ""))
    say(f"step {n} took {entry['seconds']:.0f} s: {_split_times(entry)}; {left} commit(s) "
        f"were left to test before it, about {max(0, left.bit_length() - 1)} step(s) after it")
    return v.code


# -- the whole bisect -----------------------------------------------------------

def _lock(home):
    """Hold home's lock for the process's life: one bisect per clone."""
    f = open(Path(home) / "lock", "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ConfigError(f"another kdio bisect of this repository is running ({home})",
                          "wait for it to end, or stop it") from None
    return f


def _run_git_bisect(plan, say):
    """git bisect run with kdio's step command, in the clone; its output
    shown and kept; (exit code, output)."""
    env = dict(os.environ, PYTHONPATH=str(where.TOP / "harness"))
    argv = ["git", "-C", plan.clone, "bisect", "run", sys.executable, "-m", "kdio",
            "bisect-step", plan.run_dir]
    say(f"+ {' '.join(argv)}")
    out = []
    # in kdio's process group, so a terminal's Ctrl-C reaches the step too;
    # and ended if kdio is killed alone
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, bufsize=1, preexec_fn=die_with_parent)
    try:
        for line in proc.stdout:
            out.append(line)
            say(line.rstrip("\n"))
        proc.wait()
    except BaseException:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    text = "".join(out)
    (Path(plan.run_dir) / "bisect-run.log").write_text(text)
    return proc.returncode, text


def die_with_parent():
    """Have the calling process sent SIGTERM when its parent dies
    (prctl PR_SET_PDEATHSIG): git bisect run when kdio is killed, a step
    when git is, so that nothing goes on measuring for a bisect that is gone."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def first_bad(clone, output):
    """(the first bad commit or None, the candidates if only skipped commits
    were left)."""
    for line in output.splitlines():
        if line.endswith(" is the first bad commit"):
            return line.split()[0], []
    if "only 'skip'ped commits left" in output:
        tail = output.split("could be any of:", 1)[-1].split()
        return None, [w for w in tail if len(w) == 40 and all(c in "0123456789abcdef" for c in w)]
    return None, []


def start(repo, kind, good, bad, suite="ci", cases=(), kernel="debian-6.1", module_dir="",
          base="tinyconfig", reuse_build="", results_dir=None, run_id=None, profile="on",
          threshold=None, module_params=(), jobs=None, reuse="", say=log):
    """The whole bisect; returns (exit status, run folder)."""
    top = history.top(repo)
    before = history.state(top)
    good_c, bad_c = history.commit_of(top, good), history.commit_of(top, bad)
    between = history.commits_between(top, good_c, bad_c)
    if not between:
        raise ConfigError(f"--good {good} and --bad {bad} are the same commit",
                          "give a good commit older than the bad one")
    suite_obj = config.load_suite(suite)
    if suite.endswith(".toml") or "/" in suite:  # a file: the steps run elsewhere
        suite = str(Path(suite).resolve())
    if kind == "module" and not (top / module_dir).is_dir():
        raise ConfigError(f"--module-dir {module_dir}: no such folder in {top}",
                          "give the driver's folder inside its repository (with its Kbuild)")
    home, clone = history.clone_for(top, where.cache())
    lock = _lock(home)
    stamp = run_id or time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(results_dir or where.TOP / "results") / f"{stamp}-bisect"
    gate = config.gate_settings(suite_obj)
    if threshold is not None:
        gate["threshold"] = threshold
    plan = Plan(kind=kind, repo=str(top), home=str(home), clone=str(clone), good=good_c,
                bad=bad_c, suite=suite, run_dir=str(run_dir.resolve()),
                kernel=kernel if kind == "module" else "",
                module_dir=module_dir, base=base,
                reuse_build=str(Path(reuse_build).resolve()) if reuse_build else "",
                asked=list(cases), gate=gate, profile=profile,
                module_params=list(module_params), jobs=jobs,
                reuse=str(Path(reuse).resolve()) if reuse else "")
    if plan.reuse:
        check_reuse(plan)
    run_dir.mkdir(parents=True, exist_ok=False)
    plan.save()
    say(f"bisect: {len(between)} commit(s) in {good_c[:12]}..{bad_c[:12]} of {top} "
        f"({'kernel tree' if kind == 'tree' else 'driver ' + str(top / module_dir)}); "
        f"working in {clone}, results in {run_dir}")
    try:
        t0 = time.monotonic()
        good_e = measure_end(plan, "good", good_c, say)
        bad_e = measure_end(plan, "bad", bad_c, say)
        plan.cases = judge_ends(plan, good_e, bad_e, say)
        plan.save()
        say(f"\nbisecting {len(plan.cases)} case(s): {', '.join(plan.cases)}; about "
            f"{max(1, len(between).bit_length() - 1)} step(s) for {len(between)} commit(s)")
        history.git(clone, "bisect", "start", bad_c, good_c)
        rc, output = _run_git_bisect(plan, say)
        (run_dir / "bisect.log").write_text(history.git(clone, "bisect", "log", check=False))
        culprit, candidates = first_bad(clone, output)
        if culprit is None and not candidates and rc != 0:
            raise KdioError(f"git bisect run stopped (exit {rc}) without an answer",
                            f"see {run_dir / 'bisect-run.log'}")
        answer = conclude(plan, culprit, candidates, time.monotonic() - t0, say)
    finally:
        history.git(clone, "bisect", "reset", check=False)
        lock.close()
        after = history.state(top)
        if after != before:  # never: nothing here writes in the user's repository
            raise KdioError(f"{top} changed during the bisect: {before} -> {after}",
                            "this is a kdio bug: report it")
    return (0 if answer["culprit"] else 1), run_dir


# -- the answer -----------------------------------------------------------------

def _mean_position(plan, ends, figures):
    v = classify.classify(ends["good"], ends["bad"], plan.cases, figures)
    return v.position


def conclude(plan, culprit, candidates, seconds, say=log):
    """Write and print the answer: the culprit, its diffstat, the steps,
    how much of the ends' difference it holds, its differential profile."""
    run_dir = Path(plan.run_dir)
    entries = steps_of(run_dir)
    ends = {e["kind"]: end_of(e) for e in entries if e["kind"] in ("good", "bad")}
    by_commit = {e["commit"]: e for e in entries if e.get("figures")}
    what = (f"kernel tree, base {plan.base}" if plan.kind == "tree"
            else f"driver, against {plan.kernel}")
    lines = [f"# kdio bisect: {plan.good[:12]} (good) .. {plan.bad[:12]} (bad)", "",
             f"Repository {plan.repo} ({what}); "
             f"suite {plan.suite}, counted (guest instructions); "
             f"{len(plan.cases)} case(s) bisected: {', '.join(plan.cases)}.", ""]
    answer = {"culprit": culprit, "candidates": candidates, "notes": []}
    if culprit:
        info = history.describe(plan.clone, culprit)
        answer.update(info)
        parent = history.git(plan.clone, "rev-parse", f"{culprit}^").strip()
        lines += [f"## First bad commit: {info['short']} {info['subject']}", "",
                  f"- author: {info['author']}, {info['date']}", f"- commit: {info['commit']}",
                  "", "```", history.diffstat(plan.clone, culprit), "```", ""]
        for who, commit, want in (("the culprit", culprit, 1.0), ("its parent", parent, 0.0)):
            e = by_commit.get(commit)
            if e:
                p = _mean_position(plan, ends, e["figures"])
                answer[f"position_{'culprit' if want else 'parent'}"] = p
                if abs(p - want) > 0.25:
                    answer["notes"].append(
                        f"{who} ({commit[:12]}) lies at {p:.2f} of the way from good to bad, not "
                        f"at {want:.0f}: the range holds more than this one change; narrow it "
                        f"with --good {plan.good[:12]} --bad {parent[:12]} and --good "
                        f"{culprit[:12]} --bad {plan.bad[:12]}")
        answer["notes"] += [f"step {e['n']} ({e['commit'][:12]}): {e['mixed']}"
                            for e in entries if e.get("mixed")]
    else:
        lines += ["## No single commit found", "",
                  "Only skipped commits were left; the first bad commit is one of:", ""]
        lines += [f"- {c[:12]} {history.describe(plan.clone, c)['subject']}" for c in candidates]
        lines += ["", "Skipped steps' reasons are in the table below.", ""]
    if answer["notes"]:
        lines += ["## More than one change", ""] + [f"- {n}" for n in answer["notes"]] + [""]
    lines += ["## Steps", "", step_table(plan, entries, markdown=True), ""]
    plot = draw(plan, entries)
    if plot:
        lines += [f"![cost against step]({plot.name})", ""]
    if culprit:
        lines += profile_section(plan, by_commit, culprit, parent, answer)
    lines += [f"Whole bisect: {seconds:.0f} s; per step: see the table (build, boot and "
              "measure together; boot and VM time apart).", ""]
    results.write_atomic(run_dir / "report.md", "\n".join(lines))
    results.write_atomic(run_dir / "answer.json", json.dumps(answer, indent=2) + "\n")
    write_csv(plan, entries)
    say("")
    say(step_table(plan, entries))
    say("")
    if culprit:
        say(f"FIRST BAD COMMIT: {answer['short']} {answer['subject']}")
        say(f"  author {answer['author']}, {answer['date']}")
        say(history.diffstat(plan.clone, culprit))
    else:
        say("no single first bad commit: only skipped commits were left, one of: "
            + ", ".join(c[:12] for c in candidates))
    for n in answer["notes"]:
        say(f"NOTE: {n}")
    if answer.get("profile_text"):
        say(answer["profile_text"])
    say(f"\nbisect took {seconds:.0f} s; report: {run_dir / 'report.md'}  steps: "
        f"{run_dir / 'steps.csv'}" + (f"  plot: {plot}" if plot else ""))
    return answer


def step_table(plan, entries, markdown=False):
    """One row per measured commit: its verdict, position, each case's
    median, and its times."""
    ends = {e["kind"]: end_of(e) for e in entries if e["kind"] in ("good", "bad")}
    head = ["#", "commit", "verdict", "position", *[f"case {i + 1}" for i in range(len(
        plan.cases))], "build s", "boot s", "measure s", "total s"]
    rows = []
    for e in entries:
        figs = e.get("figures") or {}
        meds = [f"{results_median(figs[c]):.6g}" if c in figs else "-" for c in plan.cases]
        pos = "-"
        if figs and ends.get("good") and ends.get("bad") and all(c in figs for c in plan.cases):
            pos = f"{_mean_position(plan, ends, figs):.2f}"
        rows.append([str(e.get("n", "")) if e["kind"] == "step" else e["kind"],
                     e["commit"][:12], e.get("verdict", e["kind"]), pos, *meds,
                     *_time_cells(e)])
    legend = "; ".join(f"case {i + 1} = {c}" for i, c in enumerate(plan.cases))
    if plan.kind == "module":
        legend += ("; build s in brackets: the driver's build with the run's other "
                   "preparation (initramfs, disks)")
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        reasons = [f"- step {e['n']}: {e['reason']}" for e in entries
                   if e.get("verdict") == "skip"]
        return "\n".join(out + ["", legend + " (medians, counted)"] + reasons)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*r) for r in rows]
                     + [legend + " (medians, counted: guest instructions)"])


def _time_cells(e):
    if e.get("vm_s") is None:
        return ["-", "-", "-", f"{e.get('seconds', 0):.0f}"]
    build = e.get("build_s")
    boot = e.get("boot_s") or 0
    objects = f" ({e['objects']} obj)" if e.get("objects") is not None else ""
    return [f"{build:.0f}{objects}" if build is not None
            else f"({e['seconds'] - e['vm_s']:.0f})",
            f"{boot:.1f}", f"{e['vm_s'] - boot:.0f}", f"{e['seconds']:.0f}"]


def results_median(fig):
    return statistics.median(fig[1])


def write_csv(plan, entries):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["kind", "n", "commit", "verdict", "case", "median", "seconds", "reason"])
    for e in entries:
        for c in plan.cases:
            fig = (e.get("figures") or {}).get(c)
            w.writerow([e["kind"], e.get("n", ""), e["commit"], e.get("verdict", e["kind"]), c,
                        results_median(fig) if fig else "", e.get("seconds", ""),
                        e.get("reason", "")])
    results.write_atomic(Path(plan.run_dir) / "steps.csv", buf.getvalue())


def draw(plan, entries):
    """Cost against commit: each case's median as a change from the good
    end, in %, at each measured commit's place in good..bad (0 = good), in
    history order, each point labelled with its step; skipped commits
    marked on the axis."""
    good = next((e for e in entries if e["kind"] == "good"), None)
    if not good:
        return None
    order = [plan.good] + history.git(plan.clone, "rev-list", "--reverse",
                                      f"{plan.good}..{plan.bad}").split()
    place = {c: i for i, c in enumerate(order)}
    run_dir = Path(plan.run_dir)
    series, labels = {}, []
    for i, c in enumerate(plan.cases):
        g = results_median(good["figures"][c])
        pts = sorted((place[e["commit"]], (results_median(e["figures"][c]) / g - 1) * 100)
                     for e in entries if (e.get("figures") or {}).get(c) and e["commit"] in place)
        series[f"case {i + 1}"] = pts
    first = series[next(iter(series))]
    for e in entries:
        name = e["kind"] if e["kind"] != "step" else f"step {e['n']}"
        y = next((v for x, v in first if x == place.get(e["commit"])), 0.0)
        labels.append((place.get(e["commit"], 0), y, name + (" (skip)" if e.get("verdict") == "skip"
                                                             else "")))
    skipped = [(place[e["commit"]], 0.0) for e in entries
               if e.get("verdict") == "skip" and e["commit"] in place]
    if skipped:
        series["skipped"] = skipped
    data, gp = run_dir / "steps.dat", run_dir / "steps.gp"
    plotting._write_data(data, series, 2)
    plots = [f"'{data}' index {i} using 1:2 with " + (
        "points pt 2 ps 2 lc 'red' title 'skipped (no figure)'" if n == "skipped"
        else f"linespoints lw 2 pt 7 title '{n}'") for i, n in enumerate(series)]
    label_lines = [f"set label {i + 1} '{t}' at {x},{y} offset "
                   f"{'0.8,-1.2' if t.endswith('(skip)') else '0.8,0.8'} font ',9' noenhanced"
                   for i, (x, y, t) in enumerate(labels)]
    gp.write_text("\n".join([
        "set terminal pngcairo size 900,500", f"set output '{run_dir / 'steps.png'}'",
        "set title 'kdio bisect: median cost of each measured commit (counted)' noenhanced",
        f"set xlabel 'commit, in history order (0 = good end, {len(order) - 1} = bad end)'",
        "set ylabel 'cost vs the good end (%)'", f"set xrange [-0.5:{len(order) - 0.5}]",
        "set xtics 1", "set grid", "set offsets 0, 0, graph 0.25, graph 0.15",
        "set key inside left top noenhanced", *label_lines,
        "plot " + ", ".join(plots), ""]))
    plotting.gnuplot(gp)
    return run_dir / "steps.png"


def profile_section(plan, by_commit, culprit, parent, answer):
    """The differential profile of each bisected case, the culprit's run
    against its parent's, when both were measured profiled."""
    runs = [by_commit.get(parent), by_commit.get(culprit)]
    if not plan.profile:
        return ["## Where the cost changed", "", "Not profiled (--no-profile).", ""]
    if None in runs:
        return ["## Where the cost changed", "",
                f"Not known: the culprit's parent {parent[:12]} was not measured in this bisect "
                "(it was only skipped commits' neighbour).", ""]
    base, new = (profile_diff.home(Path(r["run"])) for r in runs)
    if profile_diff.load(base) is None or profile_diff.load(new) is None:
        return ["## Where the cost changed", "", "Not known: a run has no profile.", ""]
    texts = [profile_report.render_explain(profile_diff.explain(base, new, case))
             for case in plan.cases]
    answer["profile_text"] = "\n\n".join(texts)
    return ["## Where the cost changed (the culprit against its parent, counted)", "", "```",
            answer["profile_text"], "```", ""]
