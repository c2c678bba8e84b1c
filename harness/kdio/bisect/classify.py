"""Which end of a bisect a step's figures lie closer to.

The two ends are measured first; the cases whose figures differ by the
gate's rule (kdio.report.compare.judge) are the ones bisected. A step's
position on a case is where its median lies on the line from the good end's
median (0) to the bad end's (1); the step's position is the mean of its
cases' positions, and it is bad at 0.5 or beyond. A case the step did not
measure makes it a skip (git's 125): it cannot be judged. Positions far
outside [0, 1], or cases far apart, mean the range holds more than one
change (a regression and a partial fix, say): the step says so.
"""

import os
import statistics
from dataclasses import dataclass

from kdio.report import compare

GOOD, BAD, SKIP = 0, 1, 125      # git bisect run's exit codes
OUTSIDE = 0.5                    # a position this far beyond an end is not between them
APART = 0.75                     # cases this far apart disagree about the step
# Test-only fault knob: a classifier that answers "good" whatever it sees
# (the bisect tests' negative control must then fail).
FAULT_ENV = "KDIO_TEST_BISECT_CLASSIFIER"


@dataclass(frozen=True)
class End:
    """One end's case figures: {case: (unit, samples)}."""
    rev: str
    figures: dict

    def median(self, case):
        return statistics.median(self.figures[case][1])


def figures(doc):
    """{case: (unit, samples)} of a run's ok cases."""
    return {r["case"]: (r["unit"], r["samples"]) for r in doc["results"]
            if r["status"] == "ok" and r["samples"]}


def differing(good, bad, settings):
    """The CaseChanges of the cases both ends measured, and of those the
    ones whose figures differ by the gate's rule (regression or
    improvement), as (all, differing)."""
    changes = [compare.judge(case, unit, samples, bad.figures[case][1], settings)
               for case, (unit, samples) in good.figures.items() if case in bad.figures]
    return changes, [c for c in changes if c.verdict in ("regression", "improvement")]


@dataclass(frozen=True)
class Verdict:
    code: int                    # GOOD, BAD or SKIP
    position: float              # mean position, 0 good .. 1 bad (None when skipped)
    positions: dict              # {case: position}
    why: str                     # one line: how it was decided
    mixed: str = ""              # why the range seems to hold more than one change, if it does

    @property
    def word(self):
        return {GOOD: "good", BAD: "bad", SKIP: "skip"}[self.code]


def position(good_median, bad_median, median):
    return (median - good_median) / (bad_median - good_median)


def classify(good, bad, cases, step):
    """The Verdict of a step's figures ({case: (unit, samples)}) on cases."""
    missing = [c for c in cases if c not in step]
    if missing:
        return Verdict(SKIP, None, {}, f"not measured: {', '.join(missing)}")
    pos = {c: position(good.median(c), bad.median(c), statistics.median(step[c][1]))
           for c in cases}
    mean = statistics.fmean(pos.values())
    code = BAD if mean >= 0.5 else GOOD
    if os.environ.get(FAULT_ENV) == "always-good":
        code = GOOD
    mixed = ""
    beyond = {c: p for c, p in pos.items() if p < -OUTSIDE or p > 1 + OUTSIDE}
    if beyond:
        c, p = next(iter(beyond.items()))
        mixed = (f"{c} lies at {p:.2f} of the way from good to bad, beyond an end: the range "
                 "holds more than one change")
    elif max(pos.values()) - min(pos.values()) >= APART:
        mixed = (f"its cases lie {min(pos.values()):.2f} to {max(pos.values()):.2f} of the way "
                 "from good to bad: they changed in different commits")
    how = (f"position {mean:.2f} on the line from the good end (0) to the bad end (1)"
           + (f", the mean of {len(pos)} cases' positions" if len(pos) > 1 else "")
           + f": {'bad (0.5 or more)' if code == BAD else 'good (below 0.5)'}")
    return Verdict(code, mean, pos, how, mixed)
