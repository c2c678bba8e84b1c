"""Split a suite's cases across N guests (kdio bench --jobs N), and how
many guests a run gets by default.

A shard is a suite of its own (the same name, a subset of the cases in the
suite's order, a subset of the checks), so kdio.plan.plan builds its plan as it
builds any suite's: the setup lays out the regions its cases use, the seeds
follow the shard's own case order (kdio.plan.regions), and its data check covers
the regions of its own cases only.

- A comparison group (the cases a ratio compares: the same values of the
  family's ratio keys, e.g. dio.vmmap and fio.psync at one op, bs, size and
  backend) is never split, so every same-run ratio stays a same-guest ratio.
- Groups are dealt to the lightest shard, largest first, by an estimated
  cost (no estimate: one per case), then each shard lists its cases in the
  suite's order.
- The data check runs in every shard (each checks its own regions); every
  other check (bad input, fuzz) runs once, heaviest first (CHECK_COST),
  in the lightest shard.

Defaults: wall mode 1, because parallel guests on a small host steal CPU
time from each other's timed cases; counted mode (instructions, not time)
as many as the host has idle cores and memory for, at most one per group.
"""

import os
from dataclasses import dataclass, replace

from kdio.paths import paths
from kdio.errors import KdioError

PER_GUEST_OVERHEAD_MIB = 256   # QEMU itself beside the guest's memory
# What a once-only check weighs when shards are dealt, in cases (a case is
# about 8 s of a smoke guest, its three repetitions): measured in one
# two-guest smoke run under TCG on a shared host, the fuzzer took 175 s,
# badinput 10 s, xfer-badinput 4 s. Others: one case.
CHECK_COST = {"fuzz": 20}
SPLIT_CHECKS = ("data",)       # checks every shard runs on its own cases


class ShardError(KdioError):
    """A split of a suite is wrong: a case run twice or never, a comparison
    group split between guests, a check run twice."""


@dataclass(frozen=True)
class Shard:
    index: int        # 1-based: guest-<index>, console-<index>.log
    suite: object     # config.Suite with this shard's cases and checks


def group_key(case):
    """The comparison group of a case: its family and the values of the
    keys its family's ratios match on (all its parameters if none)."""
    fam = paths.family_of_case(case)
    keys = list(dict.fromkeys(k for r in fam.ratios for k in r.keys))
    fixed = {k for r in fam.ratios for k, _ in r.fixed}
    if not keys:
        return (fam.name, case.params)
    return (fam.name, tuple((k, fam.value(case.param_dict, k)) for k in keys if k not in fixed))


def groups(suite):
    """[[case, ...], ...]: the suite's comparison groups, in first-case order."""
    by_key = {}
    for case in suite.cases:
        by_key.setdefault(group_key(case), []).append(case)
    return list(by_key.values())


def split(suite, n, cost=lambda case: 1):
    """The suite in min(n, groups) shards (see the module's doc), checked."""
    parts = groups(suite)
    n = max(1, min(n, len(parts)))
    dealt, load = [[] for _ in range(n)], [0] * n
    for group in sorted(parts, key=lambda g: -sum(cost(c) for c in g)):  # stable: ties in order
        i = load.index(min(load))
        dealt[i].extend(group)
        load[i] += sum(cost(c) for c in group)
    checks = [[c for c in suite.checks if c in SPLIT_CHECKS] for _ in range(n)]
    once = [c for c in suite.checks if c not in SPLIT_CHECKS]
    for name in sorted(once, key=lambda c: -CHECK_COST.get(c, 1)):  # heaviest first
        i = load.index(min(load))
        checks[i].append(name)
        load[i] += CHECK_COST.get(name, 1)
    checks = [sorted(c, key=suite.checks.index) for c in checks]  # the suite's order
    order = {c.case_id: k for k, c in enumerate(suite.cases)}
    shards = [Shard(i + 1, replace(suite, cases=tuple(sorted(cases, key=lambda c: order[c.case_id])),
                                   checks=tuple(checks[i])))
              for i, cases in enumerate(dealt)]
    check_split(suite, shards)
    return shards


def check_split(suite, shards):
    """Raise ShardError unless every case runs in exactly one shard, in the
    suite's order, no comparison group spans two shards, the data check is
    in every shard and each other check in exactly one, and no shard is empty."""
    where = {}
    for s in shards:
        if not s.suite.cases:
            raise ShardError(f"shard {s.index} of suite {suite.name} has no case",
                             "split into fewer shards than the suite has groups")
        for c in s.suite.cases:
            if c.case_id in where:
                raise ShardError(f"case {c.case_id} is in shards {where[c.case_id]} and {s.index}",
                                 "this is a harness bug in kdio.plan.shard")
            where[c.case_id] = s.index
        ids = [c.case_id for c in s.suite.cases]
        if ids != [c.case_id for c in suite.cases if c.case_id in set(ids)]:
            raise ShardError(f"shard {s.index} lists its cases out of the suite's order",
                             "this is a harness bug in kdio.plan.shard")
    missing = [c.case_id for c in suite.cases if c.case_id not in where]
    if missing or len(where) != len(suite.cases):
        raise ShardError(f"case(s) in no shard: {', '.join(missing) or 'unknown cases'}",
                         "this is a harness bug in kdio.plan.shard")
    for group in groups(suite):
        spread = sorted({where[c.case_id] for c in group})
        if len(spread) > 1:
            raise ShardError(f"comparison group of {group[0].case_id} is split between shards "
                             f"{', '.join(map(str, spread))}: its ratios would compare guests",
                             "this is a harness bug in kdio.plan.shard")
    for name in suite.checks:
        runs = sum(s.suite.checks.count(name) for s in shards)
        want = len(shards) if name in SPLIT_CHECKS else 1
        if runs != want:
            raise ShardError(f"check {name} runs in {runs} shard(s), not {want}",
                             "this is a harness bug in kdio.plan.shard")


def available_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) >> 10
    return 0


def wall_warning(cores):
    return (f"wall mode with {{jobs}} guests on {cores} host core(s): the guests steal CPU "
            "time from each other's timed cases, so wall-clock figures are lower and noisier "
            "than with --jobs 1 (ratios within a guest stay same-guest)")


def idle_cores(cores, load):
    """The cores other work leaves free (at least one): cores less the
    1-minute load average, rounded."""
    return max(1, int(cores - load + 0.5))


def choose(suite, requested=None, cores=None, avail_mib=None, load=None):
    """(jobs, why, warning or None) for a run of suite: `requested` if given
    (at most one guest per comparison group), else 1 in wall mode and
    min(idle cores, memory / guest, groups) in counted mode. Idle, not all,
    cores: on a host whose load already filled its 2 cores, ci in two
    guests took 518 s against 433 s in one (docs/running.md)."""
    cores = cores or os.cpu_count() or 1
    n_groups = len(groups(suite))
    counted = suite.measure.counted
    if requested is not None:
        jobs = max(1, min(requested, n_groups))
        why = f"--jobs {requested}" + (f", at most {n_groups} (the suite's comparison groups)"
                                       if jobs < requested else "")
        warn = wall_warning(cores).format(jobs=jobs) if jobs > 1 and not counted else None
        return jobs, why, warn
    if not counted:
        return 1, ("wall mode default: parallel guests would steal CPU time from each "
                   "other's timed cases"), None
    avail = available_mib() if avail_mib is None else avail_mib
    load = os.getloadavg()[0] if load is None else load
    idle = idle_cores(cores, load)
    by_memory = max(1, avail // (suite.vm.memory_mib + PER_GUEST_OVERHEAD_MIB))
    jobs = max(1, min(idle, by_memory, n_groups))
    return jobs, (f"counted mode default: min({idle} of {cores} cores idle at load "
                  f"{load:.1f}, {by_memory} guests in {avail} MiB available, "
                  f"{n_groups} groups)"), None


def context(jobs, why, warning, shards):
    """What a run's context records of its split."""
    return {"jobs": jobs, "reason": why, "warning": warning,
            "shards": [{"shard": s.index, "cases": [c.case_id for c in s.suite.cases],
                        "checks": list(s.suite.checks)} for s in shards]}
