"""Trends: each stored series over its runs, and the change points in it.

A change point is a step: the runs before it and the runs after it are two
flat stretches apart. Counted figures make that the common case (a
kernel's or a driver's change moves a path's cost by a fixed amount, and
its repeats agree within about 0.1 %), so kdio finds steps with a rule
that this determinism allows instead of E-divisive means (Apache Otava's,
MongoDB's), which is built for noisy series and needs no such floor:

- each run is one value, its median (its samples share one boot; between
  boots is where the noise is);
- a split of a stretch of runs is a change point when both sides hold at
  least min_runs runs, their ranges do not overlap, and the gap between
  them is at least the minimum effect of the lower side's median;
- the split with the widest gap is taken, and each side searched again
  (binary segmentation), so several steps are found in one series.

Counted series: the counted gate's minimum effect (0.5 %), two runs a side.
Wall-clock series, whose boots differ by 20-50 % under TCG, are judged
more strictly: 10 % and three runs a side. A ramp (each run a little
above the last) has no gap between any two sides and is no step; nor is a
single odd run, which cannot make a side of its own.
"""

import re
import statistics
from dataclasses import dataclass

from kdio.report import compare, table


@dataclass(frozen=True)
class Rule:
    threshold: float     # the gap, as a share of the lower side's median
    min_runs: int        # runs on each side of a change point


COUNTED = Rule(0.005, 2)
WALL = Rule(0.10, 3)


@dataclass(frozen=True)
class Step:
    index: int           # the first run after the change
    before: float        # the median of the runs before it (back to the last step)
    after: float         # and after it (up to the next)
    change: float        # signed, as compare's: negative is worse
    gap: float           # the gap between the two sides' ranges, a share of the lower side


def rule_for(measure):
    return COUNTED if measure == "counted" else WALL


def _split(values, lo, hi, rule):
    """(k, gap) of the best split of values[lo:hi], or None."""
    best = None
    for k in range(lo + rule.min_runs, hi - rule.min_runs + 1):
        left, right = values[lo:k], values[k:hi]
        low, high = (left, right) if max(left) < min(right) else (right, left)
        if max(low) >= min(high):
            continue                                   # the ranges overlap
        base = statistics.median(low)
        gap = (min(high) - max(low)) / base if base else 0.0
        if gap >= rule.threshold and (best is None or gap > best[1]):
            best = (k, gap)
    return best


def change_points(values, unit, rule):
    """The Steps in a series of run medians, in order."""
    found = []

    def search(lo, hi):
        split = _split(values, lo, hi, rule)
        if split is None:
            return
        k, gap = split
        found.append((k, gap))
        search(lo, k)
        search(k, hi)

    search(0, len(values))
    cuts = sorted(found)
    bounds = [0, *(k for k, _ in cuts), len(values)]
    sign = -1.0 if compare.lower_is_better(unit) else 1.0
    steps = []
    for i, (k, gap) in enumerate(cuts):
        before = statistics.median(values[bounds[i]:k])
        after = statistics.median(values[k:bounds[i + 2]])
        steps.append(Step(k, before, after, sign * (after / before - 1.0) if before else 0.0,
                          gap))
    return steps


BY = ("date", "commit", "kernel")


def _release_key(release):
    """A kernel release in version order: 6.1.0-56 before 6.1.0-100, 6.12."""
    return tuple(int(n) for n in re.findall(r"[0-9]+", release or ""))


def trends(series, by="date"):
    """{key: (points, steps)} of store.Store.series()'s result, each series
    judged by its measure's rule, its runs in the order by says: "date" and
    "commit" as they ran (a commit's place is its run's date), "kernel" by
    kernel release, then date (so a step is a kernel's)."""
    out = {}
    for key, points in series.items():
        if by == "kernel":
            points = sorted(points, key=lambda p: (_release_key(p.kernel), p.date, p.run))
        unit, measure = key[2], points[-1].measure
        out[key] = (points, change_points([p.median for p in points], unit, rule_for(measure)))
    return out


SHOWN_AROUND = 1    # runs shown on either side of a change point in a long series
SHOWN_ALL = 12      # a series this long or shorter is shown whole


def render(judged):
    """kdio trend's text: a block per series, its change points marked."""
    lines = []
    for (suite, case, unit), (points, steps) in judged.items():
        measure = points[-1].measure
        lines.append(f"{suite} {case} ({unit}, {measure}): {len(points)} run(s), "
                     f"{len(steps)} change point(s)")
        at = {s.index: s for s in steps}
        shown = set(range(len(points))) if len(points) <= SHOWN_ALL else {
            0, len(points) - 1, *(i for s in steps
                                  for i in range(s.index - 1 - SHOWN_AROUND,
                                                 s.index + 1 + SHOWN_AROUND))}
        rows, last = [], -1
        for i, p in enumerate(points):
            if i not in shown:
                continue
            if i > last + 1:
                rows.append(("", f"... {i - last - 1} run(s)", "", "", "", ""))
            mark = ""
            if i in at:
                s = at[i]
                mark = (f"<- change {s.change * 100:+.2f} % "
                        f"({'worse' if s.change < 0 else 'better'}: {s.before:.6g} -> "
                        f"{s.after:.6g})")
            rows.append((p.date, p.run_id, p.kernel or "-", (p.commit or "-")[:12],
                         f"{p.median:.6g}", mark))
            last = i
        lines += ["  " + line for line in table.aligned(
            ("date", "run", "kernel", "kdio commit", "median", ""), rows)]
        lines.append("")
    return "\n".join(lines).rstrip()
