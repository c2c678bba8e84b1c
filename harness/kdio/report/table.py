"""The table printed at the end of a run, generated from the result document.

Each throughput case shows its median, the spread of its repetitions
((max-min)/median as ±half, and the coefficient of variation), and its
ratios to the baselines measured in the same run, the ratio columns of its
family (kdio.model.family): for storage, fio psync at the same op, bs, size and
backend, and fio io_uring at the same op, bs, size, backend and queue depth.
"""

from dataclasses import dataclass

from kdio.model import family, measure, stats
from kdio.paths import paths

MB = 1e6


@dataclass(frozen=True)
class Metric:
    """A metric column: the median of a per-repetition metric, shown for the
    cases of `families` (names; None: every family). fmt is a format string
    or a function of the value."""
    title: str
    name: str
    fmt: object
    families: tuple = None

    def applies(self, r):
        return self.families is None or paths.family_of(r).name in self.families

    def show(self, value):
        if value is None:
            return "-"
        return self.fmt(value) if callable(self.fmt) else self.fmt.format(value)


# Wall-clock metrics: in a counted run they are virtual-time figures and are
# not shown (the cost column says it, in instructions).
METRIC_COLUMNS = (Metric("ops/s", "ops_per_s", "{:.0f}", ("crypto",)),
                  Metric("Mbit/s", "mbit_s", "{:.1f}", ("ipsec", "net")),
                  Metric("pkt/s", "pps", "{:.0f}", ("ipsec", "net")),
                  Metric("loss", "lost_pct", "{:.1f}%", ("ipsec", "net")),
                  Metric("msg/s", "msgs_per_s", "{:.0f}"),
                  Metric("p99", "lat_p99_ns", "{:.0f} ns"))


def _key(fam, ratio, path, params, fixed_values):
    return (path, tuple(fam.value(params, k) for k in ratio.keys), fixed_values)


class References:
    """The reference cases of one document's results, indexed per Ratio, so
    that looking one up for every case is linear in the number of cases."""

    def __init__(self, results):
        self.results = results
        self._index = {}

    def _by_ratio(self, fam, ratio):
        if ratio not in self._index:
            index = {}
            for ref in self.results:
                if ref["summary"]:
                    fixed = tuple(ref["params"].get(k) for k, _ in ratio.fixed)
                    index.setdefault(_key(fam, ratio, ref["path"], ref["params"], fixed),
                                     []).append(ref)
            self._index[ratio] = index
        return self._index[ratio]

    def find(self, r, ratio):
        """The measured reference case of r for ratio (never r), or None:
        only a ratio of r's own family applies to it."""
        fam = paths.family_of(r)
        if ratio is None or ratio not in fam.ratios:
            return None
        key = _key(fam, ratio, ratio.path or r["path"], r["params"],
                   tuple(v for _, v in ratio.fixed))
        return next((ref for ref in self._by_ratio(fam, ratio).get(key, ()) if ref is not r),
                    None)


def _fmt_value(r):
    s = r["summary"]
    if r["status"] == "expected-error":
        return f"{r['errno']} (expected)"
    if not s:
        return "-"
    if measure.is_cost(r["unit"]):
        return f"{measure.fmt_cost(s['median']):>11} {r['unit']}"
    if r["unit"] == "bytes/s":
        return f"{s['median'] / MB:9.1f} MB/s"
    if r["unit"] == "ops/s":
        return f"{s['median']:9.0f} ops/s"
    return f"{s['median']:9.1f} {r['unit']}"


def has_ratio(r, ref):
    """Can r be divided by its reference ref: throughputs (wall) or costs
    (counted, lower is better), and only between figures of one unit."""
    comparable = r["unit"] == "bytes/s" or measure.is_cost(r["unit"])
    return comparable and bool(r["summary"]) and ref is not None and ref["unit"] == r["unit"]


def ratio_value(r, ref):
    """The median of r over its reference's, or None (has_ratio)."""
    if not has_ratio(r, ref):
        return None
    return stats.ratio(r["summary"]["median"], ref["summary"]["median"])


def _ratio(refs, r, ratio):
    value = ratio_value(r, refs.find(r, ratio))
    if value is None:
        return "-"
    return f"{value:.3f}x" if measure.is_cost(r["unit"]) else f"{value:.2f}x"


def counted(doc):
    """Is doc a counted run (figures are instruction costs)?"""
    return measure.mode_of(doc) == "counted"


def ratio_heading(doc, label):
    """A ratio column's heading: a cost ratio in counted runs, so that
    nobody reads it as a speed-up."""
    return f"cost/{label}" if counted(doc) else f"vs {label}"


RATE_TITLE = "MB/s insn-time"


def _rate(r):
    """An insn/byte cost as a rate at 1 instruction per ns: labelled as
    instruction-time, never a throughput."""
    s = r["summary"]
    value = measure.rate_in_insn_time(s["median"], r["unit"]) if s else None
    return f"{value:.1f}" if value is not None else "-"


def metric_median(r, metric):
    if r["status"] != "ok" or not metric.applies(r):
        return None
    values = [v for v in (r.get("metrics") or {}).get(metric.name, []) if v is not None]
    if not values:
        return None
    return stats.summary(values)["median"]


def columns(doc, extra=()):
    """The ratio and metric columns this document has figures for, then the
    extra Metric columns asked for (kdio show --metric)."""
    refs = References(doc["results"])
    ratios = [ratio.label for ratio in family.RATIOS
              if any(ratio_value(r, refs.find(r, ratio)) is not None for r in doc["results"])]
    if counted(doc):
        rate = any(r["unit"] == "insn/byte" for r in doc["results"])
        return ratios, ([Metric(RATE_TITLE, None, None)] if rate else []) + list(extra)
    metrics = [m for m in METRIC_COLUMNS
               if any(metric_median(r, m) is not None for r in doc["results"])]
    return ratios, metrics + list(extra)


def rows(doc, extra=()):
    refs = References(doc["results"])
    out = []
    for r in doc["results"]:
        s = r["summary"]
        spread = stats.spread(s)
        row = {"case": r["case"], "status": r["status"], "value": _fmt_value(r),
               "n": s["n"] if s else 0,
               "spread": f"±{spread * 50:.0f}%" if spread is not None else "-",
               "cv": f"{s['cv'] * 100:.1f}%" if s else "-"}
        for ratio in family.RATIOS:
            row[ratio.label] = _ratio(refs, r, ratio)
        for m in (*METRIC_COLUMNS, *extra):
            row[m.title] = m.show(metric_median(r, m))
        row[RATE_TITLE] = _rate(r)
        out.append(row)
    return out


GROUP_NOTES = 3


def _common_params(group):
    first = group[0]
    same = [f"path={first['path']}"] if all(r["path"] == first["path"] for r in group) else []
    return same + [f"{k}={v}" for k, v in first["params"].items()
                   if all(r["params"].get(k) == v for r in group)]


def notes(doc, with_status=False):
    """One line per case with a message; a message shared by more than
    GROUP_NOTES cases (the driver a crypto case used, say) is one line that
    names how many cases and the parameters they have in common."""
    groups = {}
    for r in doc["results"]:
        if r["message"]:
            groups.setdefault((r["status"], r["message"]), []).append(r)
    out = []
    for (status, message), group in groups.items():
        text = f"{status}: {message}" if with_status else message
        if len(group) > GROUP_NOTES:
            common = " ".join(_common_params(group)) or "no parameter in common"
            out.append(f"{len(group)} cases ({common}): {text}")
        else:
            out += [f"{r['case']}: {text}" for r in group]
    return out


def aligned(head, rows):
    """head and rows as lines of left-aligned columns, two spaces apart."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    return ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
            for line in [head, *rows]]


def render(doc, extra=()):
    """The end table; extra: Metric columns to add (kdio show --metric)."""
    ratios, metrics = columns(doc, extra)
    header = ("case", "status", "median", "n", "spread", "cv", *(m.title for m in metrics),
              *(ratio_heading(doc, path) for path in ratios))
    table = rows(doc, extra)
    body = [(r["case"], r["status"], r["value"], str(r["n"]), r["spread"], r["cv"],
             *(r[m.title] for m in metrics), *(r[path] for path in ratios)) for r in table]
    lines = aligned(header, body)
    lines_notes = [f"  {n}" for n in notes(doc)]
    head = [COUNTED_HEAD] if counted(doc) else []
    if counted(doc):
        lines_notes += [f"  driver {name}: {how}" for name, how in
                        (doc["context"].get("countable_drivers") or {}).items()]
    return "\n".join(head + lines + (["notes:"] + lines_notes if lines_notes else []))


COUNTED_HEAD = ("COUNTED run: figures are guest instructions (QEMU icount, 1 virtual ns = 1 "
                "instruction), lower is better; not wall-clock time")
