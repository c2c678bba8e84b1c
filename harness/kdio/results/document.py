"""The result document of a run, built by one pure function.

build() makes the whole document from what a run is made of: the context
the host knew before the boot (kdio.run.context.build, the module parameters,
the user's modules, their loads not known yet), the guest records so far,
and, once the VM has ended, its outcome. While the guest runs (no outcome)
the status is "running"; the partial result.json written after each case
and the final one are the same function of their inputs, so the final
document is the last partial one plus what only the end can tell: the
verdict, the VM's run time and the user modules' loads.

Nothing here writes a file or changes its inputs (bench writes the files).
"""

import copy

from kdio.model import measure
from kdio.results import console, results


def boot_split(guest, records):
    """Where the guest's boot went, in seconds of its uptime: ready_s when
    /init had loaded the modules and mounted the shares, boot_s when the
    runner started (python over 9p in between), setup_s the setup steps'
    run time, first_sample_s when the first case's first execution ended
    (boot_s + the steps' and that execution's run times, so it leaves out
    the runner's few ms between them). A figure not known yet is absent."""
    split = {"boot_s": guest.get("uptime_s")}
    if guest.get("ready_s") is not None:
        split["ready_s"] = guest["ready_s"]
    setup = [r.get("wall_s") or 0 for r in records if r.get("type") == "setup"]
    first = next((r for r in records if r.get("type") == "sample"), None)
    if split["boot_s"] is not None and first is not None:
        split["setup_s"] = round(sum(setup), 3)
        split["first_sample_s"] = round(split["boot_s"] + sum(setup)
                                        + (first.get("wall_s") or 0), 3)
    return split


def _guest_context(context, suite, records):
    """A copy of context with what the guest's records tell: its release
    and boot time, the TSC a counted guest settled on, and the direct-I/O
    alignment per backend."""
    ctx = copy.deepcopy(context)
    guest = next((r for r in records if r.get("type") == "guest"), None)
    if guest and "guest" in ctx:  # host mode has no guest: its context is the machine's
        ctx["guest"]["release"] = guest.get("release")
        ctx["guest"].update(boot_split(guest, records))
        if suite.measure.counted:
            ctx["measure"]["guest_tsc_mhz"] = measure.guest_tsc_mhz(guest.get("boot_kmsg"))
    space = next((r for r in records if r.get("type") == "userspace"), None)
    if space:
        ctx["userspace"] = {name: c["version"] and f"{c['package']} {c['version']}"
                            for name, c in space["components"].items()}
        ctx["userspace_files"] = {name: c["file"] for name, c in space["components"].items()}
    return ctx


def _ended_context(ctx, outcome):
    """ctx (a copy) with the VM's run time and each user module's load as
    the console tells it; the failed loads."""
    loads = {u["module"]: u for u in console.user_modules(outcome.console)}
    for entry in ctx.get("user_modules", []):
        entry.update({k: loads[entry["module"]][k] for k in ("loaded", "message")}
                     if entry["module"] in loads else {})
    ctx["vm_elapsed_s"] = round(outcome.elapsed_s, 1)
    if outcome.ready_s is not None:  # wall time to "guest ready" (boot_s is the guest's clock)
        ctx["vm_ready_s"] = outcome.ready_s
    return [f"user module {u['module']} failed to load: {u['message']}"
            for u in loads.values() if not u["loaded"]]


def _setup_failures(suite, records):
    """Setup steps that failed, and a counted guest whose clock does not
    count instructions."""
    failures = [f"setup failed: {f}" for f in results.setup_failures(records)]
    guest = next((r for r in records if r.get("type") == "guest"), None)
    problem = guest and measure.clock_problem(suite.measure,
                                              guest.get("boot_kmsg"))
    return failures + ([f"counted mode: {problem}"] if problem else [])


def _verdict(outcome, records, failures, load_failures):
    """(status, failure) of an ended run: ok when the console says the
    runner finished, the plan reached its end and nothing failed."""
    verdict = console.read(outcome.console, outcome.timed_out)
    ended = any(r.get("type") == "end" for r in records)
    if verdict.finished and ended and not failures:
        return "ok", None
    reason = (load_failures[:1] or [verdict.reason])[0] or \
        (failures[0] if failures else "the runner did not reach the end of the plan")
    return "failed", {"reason": reason, "last_case": verdict.last_case}


def build(run_id, suite, context, records, outcome=None):
    """The result document of run run_id of suite: context as the host knew
    it before the boot, records the guest's so far, outcome the VM's
    (vm.VmOutcome) once it has ended, None while it runs."""
    ctx = _guest_context(context, suite, records)
    load_failures = _ended_context(ctx, outcome) if outcome is not None else []
    ctx["dio_align"] = results.dio_alignment(suite, records)
    failures = load_failures + _setup_failures(suite, records)
    checks = results.check_results(records)
    doc = {"schema_version": results.SCHEMA_VERSION, "run_id": run_id, "status": "running",
           "failure": None, "context": ctx, "results": results.build_results(suite, records),
           "setup_failures": failures, "checks": checks}
    if outcome is not None:
        failed_checks = [f"check {c['name']} failed: {c['detail']}" for c in checks
                         if not c["ok"]]
        doc["status"], doc["failure"] = _verdict(outcome, records, failures + failed_checks,
                                                 load_failures)
    return doc


def _shard_verdict(i, suite, outcome, records, load_failures):
    """(status, failure) of shard i's guest, its reason naming the shard."""
    checks = results.check_results(records)
    failures = (load_failures + _setup_failures(suite, records)
                + [f"check {c['name']} failed: {c['detail']}" for c in checks if not c["ok"]])
    status, failure = _verdict(outcome, records, failures, load_failures)
    if failure:
        failure = {"reason": f"shard {i} (guest-{i}): {failure['reason']}",
                   "last_case": failure["last_case"]}
    return status, failure


def _sharded_checks(streams):
    """Every shard's checks, each named and marked with its shard."""
    return [{**c, "name": f"{c['name']} (shard {i})", "shard": i}
            for i, records in enumerate(streams, 1) for c in results.check_results(records)]


def _end_of_shards(ctx, suite, outcomes, streams):
    """(status, failure, load failures) once every shard's guest has ended;
    the slowest guest's run time is the run's."""
    verdicts, load_failures = [], []
    for i, (outcome, records) in enumerate(zip(outcomes, streams), 1):
        loads = _ended_context(ctx, outcome)
        ctx["jobs"]["shards"][i - 1]["vm_elapsed_s"] = ctx["vm_elapsed_s"]
        if "vm_ready_s" in ctx:
            ctx["jobs"]["shards"][i - 1]["vm_ready_s"] = ctx.pop("vm_ready_s")
        load_failures += [f"shard {i}: {m}" for m in loads]
        verdicts.append(_shard_verdict(i, suite, outcome, records, loads))
    ctx["vm_elapsed_s"] = max(s["vm_elapsed_s"] for s in ctx["jobs"]["shards"])
    failed = [f for status, f in verdicts if status != "ok"]
    if not failed:
        return "ok", None, load_failures
    reason = failed[0]["reason"] + "".join(f"; also {f['reason']}" for f in failed[1:])
    return "failed", {"reason": reason, "last_case": failed[0]["last_case"]}, load_failures


def build_sharded(run_id, suite, context, streams, outcomes=None):
    """The one result document of a run split across guests (kdio.plan.shard):
    context with its "shards" (from shard.context), streams each guest's
    records in shard order, outcomes each guest's VM outcome once every
    guest has ended (None while any runs). Each case's samples come from
    the one shard that ran it; a shard whose guest failed fails the run,
    naming the shard, and every record measured is kept."""
    every = [r for records in streams for r in records]
    ctx = _guest_context(context, suite, every)
    for entry, records in zip(ctx["jobs"]["shards"], streams):
        guest = next((r for r in records if r.get("type") == "guest"), None)
        entry["boot_s"] = guest.get("uptime_s") if guest else None
    status, failure, load_failures = "running", None, []
    if outcomes is not None:
        status, failure, load_failures = _end_of_shards(ctx, suite, outcomes, streams)
    ctx["dio_align"] = results.dio_alignment(suite, every)
    setup = [f"shard {i}: {f}" for i, records in enumerate(streams, 1)
             for f in _setup_failures(suite, records)]
    return {"schema_version": results.SCHEMA_VERSION, "run_id": run_id, "status": status,
            "failure": failure, "context": ctx, "results": results.build_results(suite, every),
            "setup_failures": load_failures + setup, "checks": _sharded_checks(streams)}
