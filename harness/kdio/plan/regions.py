"""What each backend's kdio region holds at every point of a plan, so that
every write leaves a mark of its own and every check knows what to expect.

Setup lays every region out with the pattern of the setup seed (GuestEnv.seed).
Every execution of a kdio write case (one per case and repetition) writes
the pattern of a seed of its own, write_seed(): a write that moves no data
leaves the previous seed in place, and what reads it next sees the
difference. The runner repeats the case list, interleaved, so the plan
knows the order and follows the region through it: a region is a list of
segments [(end, seed)] from offset 0, and a write of `size` bytes (kdio
writes start at offset 0 of their region) puts its seed on [0, size).

- A read with verification (-V) expects the seed its range holds when it
  runs, which may differ between repetitions: the plan gives such cases
  one command line per repetition. A range that holds more than one seed
  (a read larger than the writes before it) is refused at plan time.
- A write case whose known result is an errno (kvec, kmap.pfn: nothing is
  written) writes the seed its range already holds, so the region reads
  the same whether it fails, as it is known to, or not.
- dio.null moves no data and the fio baselines have regions of their own:
  neither changes a kdio region.
- The data check verifies every segment of each region against its seed
  after the last case: its first segment is the last writer's.
"""

from dataclasses import dataclass

from kdio.model import family
from kdio.paths import paths
from kdio.errors import ConfigError


def write_seed(env, rep, index, n_cases):
    """The seed of repetition rep of case number index: never the setup
    seed, never another execution's."""
    return env.seed + 1 + rep * n_cases + index


def _kdio_storage(case):
    path = paths.PATHS.get(case.path)
    return path is not None and path.storage and not path.baseline and case.path != "dio.null"


def _held_seed(segments, size, where):
    """The one seed segments hold over [0, size)."""
    seeds, start = [], 0
    for end, seed in segments:
        if start < size:
            seeds.append(seed)
        start = end
    if len(set(seeds)) > 1:
        raise ConfigError(f"{where} covers {size} bytes of its region, which the write "
                          "cases before it in the plan have written only in part",
                          "give the backend a write case at least as large as each read, "
                          "listed before it (op = [\"write\", \"read\"])")
    return seeds[0]


def _written(segments, size, seed):
    return [(size, seed)] + [(end, s) for end, s in segments if end > size]


@dataclass(frozen=True)
class RegionPlan:
    seeds: dict      # {(rep, case index): seed} of every kdio storage case
    segments: dict   # {backend name: [(end, seed)]} after the last case


def follow(suite, env):
    """Follow every kdio region through the plan's order (repetitions of the
    case list, interleaved): the seed of each kdio storage execution and
    what each region holds at the end. Raises ConfigError for a read whose
    range holds more than one seed."""
    n = len(suite.cases)
    regions = {b.name: [(env.file_size, env.seed)] for b in paths.used_backends(suite)}
    seeds = {}
    for rep in range(suite.repetitions):
        for i, case in enumerate(suite.cases):
            if not _kdio_storage(case):
                continue
            p = case.param_dict
            name = family.STORAGE.value(p, "backend")
            if p["op"] == "write" and not paths.PATHS[case.path].expect_errno:
                seeds[rep, i] = write_seed(env, rep, i, n)
                regions[name] = _written(regions[name], p["size"], seeds[rep, i])
            else:
                seeds[rep, i] = _held_seed(regions[name], p["size"], f"suite {suite.name}: "
                                           f"case {case.case_id} (repetition {rep + 1})")
    return RegionPlan(seeds=seeds, segments=regions)


def final_segments(suite, env):
    """[(backend, start, end, seed)] of what every kdio region holds after
    the last case, in first-use order of the backends."""
    held, out = follow(suite, env).segments, []
    for b in paths.used_backends(suite):
        start = 0
        for end, seed in held[b.name]:
            out.append((b, start, end, seed))
            start = end
    return out
