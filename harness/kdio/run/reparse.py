"""kdio parse: a run's result document rebuilt offline from what the run
left in its folder, as kunit.py parse re-reads a saved log. The guest's
records (guest/records.jsonl, or each shard's guest-<i>/records.jsonl), its
console log(s) (console.log, console-<i>.log) and the context the host
wrote before the boot (kept in result.json) go through the same
kdio.results.document that made the run's own, so a harness fixed after a
run reads it again with no new boot, and an unchanged harness gives back
the same bytes.
"""

from pathlib import Path

from kdio.errors import KdioError
from kdio.plan import plan
from kdio.profile import profile
from kdio.results import console, document, results
from kdio.vm.vm import VmOutcome

# The words of a timeout's verdict: what a run that timed out says it ended with.
TIMED_OUT = console.read("", timed_out=True).reason


class ReparseError(KdioError):
    """A run folder that kdio parse cannot read again."""


def _read(path, what):
    if not path.exists():
        raise ReparseError(f"{path} is missing: kdio parse needs the run's {what}",
                           "give the folder of a run made by kdio bench (results/<run-id>)")
    return path


def _outcome(console_log, elapsed_s, timed_out):
    """The VM outcome the run's files still tell: the console text, the run
    time the context kept, and whether the run timed out (its failure
    reason said so; QEMU's exit status is not kept, and no verdict uses it)."""
    return VmOutcome(returncode=0, timed_out=timed_out,
                     elapsed_s=elapsed_s or 0.0,
                     console=_read(console_log, "console log").read_text(errors="replace"))


def rebuild(run_dir, suite_file=None):
    """The result document of the run in run_dir, made again from its
    records, console logs and context; suite_file: the suite's file when
    the run's suite is not one of harness/suites (its context has the name)."""
    run_dir = Path(run_dir)
    old = results.load(_read(run_dir / "result.json", "result.json (its context)"))
    ctx = old["context"]
    if ctx.get("target") == "host":
        raise ReparseError(f"{run_dir} is a host-mode run, whose verdict comes from its "
                           "runner's exit, not from a console",
                           "run it again (make bench TARGET=host ...)")
    try:
        suite = plan.load_suite(suite_file or ctx["suite"]["name"], ctx["measure"]["mode"])
    except KdioError as e:
        if suite_file:
            raise
        raise ReparseError(f"{run_dir} ran suite {ctx['suite']['name']}, which is not one of "
                           "harness/suites", "give the run's suite file: kdio parse RUN "
                           "--suite FILE") from e
    if suite.name != ctx["suite"]["name"]:
        raise ReparseError(f"{suite_file} is suite {suite.name}; the run was of suite "
                           f"{ctx['suite']['name']}", "give the file of the run's own suite")
    reason = (old.get("failure") or {}).get("reason") or ""
    shards = (ctx.get("jobs") or {}).get("shards")
    if not shards or (run_dir / "guest").is_dir():  # one guest (its one shard recorded too)
        records = results.read_records(_read(run_dir / "guest/records.jsonl", "records"))
        return _profiled(ctx, run_dir, [run_dir / "guest"], document.build(
            old["run_id"], suite, ctx, records,
            _outcome(run_dir / "console.log", ctx.get("vm_elapsed_s"), TIMED_OUT in reason)))
    streams = [results.read_records(_read(run_dir / f"guest-{i}/records.jsonl", "records"))
               for i in range(1, len(shards) + 1)]
    outcomes = [_outcome(run_dir / f"console-{i}.log", s.get("vm_elapsed_s"),
                         f"shard {i} (guest-{i}): {TIMED_OUT}" in reason)
                for i, s in enumerate(shards, 1)]
    return _profiled(ctx, run_dir, [run_dir / f"guest-{i}" for i in range(1, len(shards) + 1)],
                     document.build_sharded(old["run_id"], suite, ctx, streams, outcomes))


def _profiled(ctx, run_dir, shares, doc):
    """doc with its profiles built again and their check, if the run was
    profiled."""
    return profile.attach(doc, shares, run_dir / "profile") if "profile" in ctx else doc
