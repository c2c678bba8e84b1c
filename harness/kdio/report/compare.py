"""Compare two runs case by case, and decide whether NEW is slower than BASE.

Statistics (pure functions, no I/O):
- change: median(NEW) / median(BASE) - 1, signed so that negative is worse
  (lower throughput, or more ns per call).
- significance: the exact Mann-Whitney U test (one-sided, in the direction
  of the change), enumerated over every split of the pooled samples, which
  is exact for the few repetitions a VM run gives and assumes nothing about
  the shape of the noise. With 3 against 3 samples the smallest p is 0.05;
  with 5 against 5 it is 0.004: use 5 repetitions for a gate.
- verdict: 'regression' or 'improvement' only when p < alpha AND the change
  is at least the minimum effect (threshold); otherwise 'unstable' when either
  side's coefficient of variation exceeds cv_limit (too noisy to judge), else
  'same'. Cases that errored or are missing on one side are listed apart.
- geometric mean of the median ratios over the cases compared.

normalize=True compares each case's per-repetition ratio to its baseline
measured in the same repetition of the same run (fio psync, or fio io_uring
at qd > 1), which cancels what the host and the VM add to both: the right
mode for a gate run on machines whose absolute speed varies.
"""

import itertools
import math
import statistics
from dataclasses import asdict, dataclass, replace

from kdio.model import config, measure
from kdio.paths import paths
from kdio.report import table
from kdio.errors import KdioError

LOWER_IS_BETTER = {"ns/call", "cost-ratio", *measure.COST_UNITS}


class MixedModesError(KdioError):
    """The two runs were measured in different modes (wall vs counted)."""


@dataclass(frozen=True)
class Settings:
    alpha: float = 0.05
    threshold: float = 0.10     # minimum effect: 10 %
    cv_limit: float = 0.15
    normalize: bool = False
    across_toolchains: bool = False   # judge cases whose toolchain or user space changed


@dataclass(frozen=True)
class CaseChange:
    case: str
    unit: str
    base_median: float
    new_median: float
    change: float               # signed: negative is worse
    p_value: float
    base_cv: float
    new_cv: float
    n_base: int
    n_new: int
    verdict: str                # regression | improvement | unstable | same | toolchain changed
    changed: tuple = ()         # the components in its window whose versions differ


def mann_whitney_p(worse, better):
    """Exact one-sided p-value that `worse` is stochastically smaller than
    `better`: U counts the pairs (x from worse, y from better) with x < y
    (ties count half); p is the share of all splits of the pooled samples
    whose U is at least the observed one."""
    def u_stat(xs, ys):
        return sum(1.0 if x < y else 0.5 if x == y else 0.0 for x in xs for y in ys)
    observed = u_stat(worse, better)
    pooled, n = list(worse) + list(better), len(worse)
    splits = at_least_as_extreme = 0
    for idx in itertools.combinations(range(len(pooled)), n):
        chosen = set(idx)
        xs = [pooled[i] for i in idx]
        ys = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        splits += 1
        if u_stat(xs, ys) >= observed:
            at_least_as_extreme += 1
    return at_least_as_extreme / splits


def _cv(samples):
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / mean if len(samples) > 1 and mean else 0.0


def judge(case, unit, base, new, settings):
    """The CaseChange of one case from its two sample lists."""
    sign = -1.0 if lower_is_better(unit) else 1.0
    mb, mn = statistics.median(base), statistics.median(new)
    change = sign * (mn / mb - 1.0) if mb else 0.0
    if sign > 0:
        worse, better = (new, base) if change < 0 else (base, new)
    else:
        worse, better = ([-x for x in new], [-x for x in base]) if change < 0 else \
            ([-x for x in base], [-x for x in new])
    p = mann_whitney_p(worse, better)
    cvb, cvn = _cv(base), _cv(new)
    if p < settings.alpha and abs(change) >= settings.threshold:
        verdict = "regression" if change < 0 else "improvement"
    elif max(cvb, cvn) > settings.cv_limit:
        verdict = "unstable"
    else:
        verdict = "same"
    return CaseChange(case, unit, mb, mn, change, p, cvb, cvn, len(base), len(new), verdict)


def lower_is_better(unit):
    return unit in LOWER_IS_BETTER


def normalized_samples(doc):
    """{case: (unit, samples)} with each throughput (wall) or cost (counted)
    sample divided by its reference's sample of the same repetition
    (paths.reference): 'ratio' is higher-is-better, 'cost-ratio' lower."""
    out, refs = {}, table.References(doc["results"])
    for r in doc["results"]:
        if r.get("baseline") or r["status"] != "ok":
            continue
        ref = refs.find(r, paths.reference(r))
        if table.has_ratio(r, ref) and len(ref["samples"]) == len(r["samples"]):
            out[r["case"]] = ("cost-ratio" if measure.is_cost(r["unit"]) else "ratio",
                              [a / b for a, b in zip(r["samples"], ref["samples"])])
    return out


def check_same_mode(base_doc, new_doc):
    """Refuse to compare a counted run with a wall run: instructions and
    time are different units, and no ratio between them means anything."""
    base, new = measure.mode_of(base_doc), measure.mode_of(new_doc)
    if base != new:
        raise MixedModesError(
            f"BASE is a {base} run and NEW a {new} run: {measure.COUNTED_FIGURES} "
            "cannot be compared with wall-clock time",
            f"compare two {base} runs, or run NEW again with --measure {base}")


WALL_WHY = ("both runs are wall-clock, which varies by 20-50 % between boots under TCG: "
            "the wall defaults")
COUNTED_WHY = ("both runs are counted, whose figures repeat within about 0.1 %: the counted "
               "gate's settings (suite ci's [gate])")


def counted_settings():
    """The counted gate's judgement (suite ci's [gate]), not normalized."""
    gate = config.gate_settings()
    gate.pop("normalize", None)
    return Settings(**gate)


def default_settings(base_doc, new_doc):
    """(Settings, why) two runs are judged by when the user names none:
    counted runs by the counted gate's, wall runs by Settings()'s. Raises
    MixedModesError for a counted run against a wall run."""
    check_same_mode(base_doc, new_doc)
    if measure.mode_of(base_doc) == measure.COUNTED.name:
        return counted_settings(), COUNTED_WHY
    return Settings(), WALL_WHY


def _samples(doc, normalize):
    if normalize:
        return normalized_samples(doc)
    return {r["case"]: (r["unit"], r["samples"]) for r in doc["results"]
            if r["status"] == "ok" and len(r["samples"]) >= 2}


def _axes(doc):
    """{axis: what a run set on it, in words}: the configuration an A/B may
    differ in (kdio bench's --kernel, --module-param, --append, --sysctl)."""
    ctx = doc.get("context", {})
    config = ctx.get("config") or {}
    kernel = ctx.get("kernel") or {}
    return {"kernel": " ".join(x for x in (kernel.get("release"), kernel.get("tree")) if x),
            "module parameters": " ".join(ctx.get("module_params") or []),
            "command line": " ".join(config.get("append") or {}),
            "sysctls": " ".join(f"{k}={v}" for k, v in (config.get("sysctl") or {}).items()),
            "guests": str((ctx.get("jobs") or {}).get("jobs") or "")}


TOOLCHAIN = ("gcc", "binutils")   # build kdio's modules and tools
TOOLCHAIN_CHANGED = "toolchain changed"


def _versions(doc):
    """{component: version} a run recorded: the host's gcc and binutils,
    the guest's glibc, fio, libaio and liburing."""
    ctx = doc.get("context", {})
    return {**(ctx.get("toolchain") or {}), **(ctx.get("userspace") or {})}


def component_changes(base_doc, new_doc):
    """{component: (BASE's version, NEW's)} of the components whose
    recorded versions differ, and the components only one run recorded."""
    base, new = _versions(base_doc), _versions(new_doc)
    changed = {k: (base[k], new[k]) for k in sorted(base.keys() & new.keys())
               if base[k] != new[k]}
    return changed, sorted(base.keys() ^ new.keys())


def components(path):
    """The components whose code runs in a path's counted window."""
    p = paths.PATHS.get(path)
    if p is None:
        return (*TOOLCHAIN, "glibc")
    return (*(TOOLCHAIN if p.built else ()), *p.user_code)


def differences(base_doc, new_doc):
    """[(axis, BASE's, NEW's)] of the axes on which the two runs differ."""
    base, new = _axes(base_doc), _axes(new_doc)
    return [(axis, base[axis], new[axis]) for axis in base if base[axis] != new[axis]]


def compare(base_doc, new_doc, settings=None, why=""):
    """Every case's CaseChange, the cases that could not be compared, and the
    geometric mean of the median ratios (NEW/BASE, >1 is faster), judged by
    settings (None: the runs' measure's, default_settings) and why those.
    Raises MixedModesError for a counted run against a wall run."""
    if settings is None:
        settings, why = default_settings(base_doc, new_doc)
    check_same_mode(base_doc, new_doc)
    base, new = _samples(base_doc, settings.normalize), _samples(new_doc, settings.normalize)
    changed, unrecorded = component_changes(base_doc, new_doc)
    path_of = {r["case"]: r["path"] for r in new_doc["results"]}
    changes = []
    for c in (c for c in base if c in new):
        change = judge(c, base[c][0], base[c][1], new[c][1], settings)
        moved = tuple(k for k in components(path_of.get(c)) if k in changed)
        if moved:
            change = replace(change, changed=moved, verdict=change.verdict
                             if settings.across_toolchains else TOOLCHAIN_CHANGED)
        changes.append(change)
    skipped = sorted(set(base) ^ set(new))
    ratios = [1.0 + c.change for c in changes if 1.0 + c.change > 0]
    geomean = math.exp(statistics.fmean(math.log(x) for x in ratios)) if ratios else None
    return {"settings": asdict(settings), "settings_why": why,
            "differs": [list(d) for d in differences(base_doc, new_doc)],
            "components": {k: list(v) for k, v in changed.items()},
            "components_unrecorded": unrecorded, "cases": [asdict(c) for c in changes],
            "not_compared": skipped, "geomean": geomean,
            "regressions": [c.case for c in changes if c.verdict == "regression"],
            "improvements": [c.case for c in changes if c.verdict == "improvement"],
            "unstable": [c.case for c in changes if c.verdict == "unstable"],
            "toolchain_changed": [c.case for c in changes if c.verdict == TOOLCHAIN_CHANGED]}


def render_differs(result):
    """The line that says what BASE and NEW differed in."""
    differs = result.get("differs") or []
    if not differs:
        return ("BASE and NEW ran the same configuration (" + ", ".join(_axes({})) + ")")
    return "BASE and NEW differ in: " + "; ".join(
        f"{axis} {base or '(none)'} -> {new or '(none)'}" for axis, base, new in differs)


def render_components(result):
    """The lines that name the toolchain and user-space versions that
    differ, and what was done with the cases they take part in."""
    lines = []
    moved = result.get("components") or {}
    for name, (base, new) in moved.items():
        lines.append(f"{name} differs: BASE {base or 'not installed'}, NEW {new or 'not installed'}")
    if moved:
        cases = [c for c in result["cases"] if c.get("changed")]
        lines.append(
            f"{len(cases)} case(s) run that code in their windows: "
            + ("judged anyway (--across-toolchains)" if result["settings"].get("across_toolchains")
               else f"'{TOOLCHAIN_CHANGED}', not judged (--across-toolchains judges them)"))
    if result.get("components_unrecorded"):
        lines.append("versions recorded by one run only (not compared): "
                     + ", ".join(result["components_unrecorded"]))
    return lines


def render_text(result, markdown=False):
    head = ("case", "base", "new", "change", "p", "n base/new", "cv base/new", "verdict")
    rows = [(c["case"], f"{c['base_median']:.6g}", f"{c['new_median']:.6g}",
             f"{c['change'] * 100:+.2f}%", f"{c['p_value']:.3f}", f"{c['n_base']}/{c['n_new']}",
             f"{c['base_cv'] * 100:.0f}%/{c['new_cv'] * 100:.0f}%", c["verdict"])
            for c in result["cases"]]
    lines = [render_differs(result), ""]
    if markdown:
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows)]
        lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()
                  for r in [head, *rows]]
    g = result["geomean"]
    s = result["settings"]
    lines += ["", f"geometric mean NEW/BASE: {g:.3f}" if g else "geometric mean: -",
              f"regressions: {len(result['regressions'])}, unstable: {len(result['unstable'])}, "
              f"not compared: {len(result['not_compared'])} "
              f"(alpha {s['alpha']}, minimum effect {s['threshold'] * 100:g}%, "
              f"cv limit {s['cv_limit'] * 100:g}%"
              + (", normalized to the same run's baseline)" if s["normalize"] else ")")]
    if result.get("settings_why"):
        lines.append(f"settings: {result['settings_why']}")
    lines += render_components(result)
    return "\n".join(lines)
