"""What a run found, before its tables: the lines a report and the
terminal open with.

- the cases: how many ok, and the others by status;
- per family and ratio, the geometric mean of its cases' ratios to their
  reference, and how many of those ratios are significant: in wall mode a
  ratio whose two sides' samples overlap (min to max) is not, as most are
  under TCG's 20-50 %; in counted mode each ratio is judged by the counted
  gate's rule (exact Mann-Whitney p < 0.01 and at least 0.5 % apart);
- the checks, ok or not;
- what looks wrong: a cv over 50 %, a case with one sample.
"""

import math
import statistics

from kdio.model import family, measure
from kdio.paths import paths
from kdio.report import compare, table

CV_SUSPICIOUS = 0.5


def _significant(r, ref, gate):
    """Is r's ratio to ref more than noise (see the module's doc)? gate:
    the counted gate's settings in a counted run, else None."""
    a, b = r["samples"], ref["samples"]
    if len(a) < 2 or len(b) < 2:
        return False
    if gate:
        c = compare.judge(r["case"], r["unit"], b, a, gate)
        return c.verdict in ("regression", "improvement")
    return max(a) < min(b) or max(b) < min(a)


def ratio_lines(doc):
    """A line per family and ratio with its geometric mean."""
    counted = table.counted(doc)
    gate = compare.counted_settings() if counted else None   # read once, not per ratio
    refs = table.References(doc["results"])
    out = []
    for fam in family.FAMILIES.values():
        for ratio in fam.ratios:
            pairs = [(r, refs.find(r, ratio)) for r in doc["results"]
                     if paths.family_of(r) is fam]
            pairs = [(r, ref) for r, ref in pairs if table.ratio_value(r, ref)]
            if not pairs:
                continue
            values = [table.ratio_value(r, ref) for r, ref in pairs]
            geo = math.exp(statistics.fmean(math.log(v) for v in values))
            sig = sum(_significant(r, ref, gate) for r, ref in pairs)
            what = "cost" if counted else "throughput"
            rule = ("the counted gate's rule: p < 0.01 and 0.5 % apart" if counted
                    else "significant: its samples and its reference's do not overlap")
            out.append(f"{fam.name}: {what} / {ratio.label}: geometric mean {geo:.3f}x over "
                       f"{len(pairs)} case(s); {sig} significant, {len(pairs) - sig} not "
                       f"significant ({rule})")
    return out


def suspicious(doc):
    """What looks wrong in the figures."""
    out = []
    for r in doc["results"]:
        s = r["summary"]
        if not s:
            continue
        if s.get("n") == 1 or len(r["samples"]) == 1:
            out.append(f"{r['case']}: one sample only, no spread to judge it by")
        elif s.get("cv") is not None and s["cv"] > CV_SUSPICIOUS:
            out.append(f"{r['case']}: cv {s['cv'] * 100:.0f} % (samples "
                       f"{min(r['samples']):.4g} to {max(r['samples']):.4g}): its median "
                       "means little")
    return out


def lines(doc):
    """The headline: cases, ratios, checks, what looks wrong."""
    by_status = {}
    for r in doc["results"]:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    ok = by_status.pop("ok", 0)
    mode = measure.mode_of(doc)
    out = [f"{ok} of {len(doc['results'])} case(s) ok"
           + "".join(f", {n} {status}" for status, n in sorted(by_status.items()))
           + (f" ({measure.COUNTED_FIGURES}: costs, lower is better)" if mode == "counted"
              else " (wall-clock time under the run's accelerator)")]
    out += ratio_lines(doc)
    checks = doc.get("checks") or []
    failed = [c["name"] for c in checks if not c.get("ok")]
    if checks:
        out.append(f"checks: {len(checks) - len(failed)} of {len(checks)} ok"
                   + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    odd = suspicious(doc)
    if odd:
        out.append(f"look at: {len(odd)} case(s)")
        out += [f"  {x}" for x in odd]
    return out
