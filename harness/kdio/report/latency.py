"""The latency table: clat percentiles per I/O of every storage case, kdio
paths and fio side by side, generated from the result document.

kdio's figures are the module's (or kdio-kmap's) time of each I/O call,
bvec-async's from a request's submission to its completion; fio's are its
own clat_ns. Each figure is the median over the repetitions of the
repetition's percentile. In a counted run the nanoseconds are virtual:
guest instructions under QEMU icount, not time.
"""

from kdio.model import clat
from kdio.report import table
from kdio.errors import ConfigError

# The latency figures by the name kdio show --metric takes.
FIGURES = {"clat_p50": clat.metric_name(50.0), "clat_p90": clat.metric_name(90.0),
           "clat_p99": clat.metric_name(99.0), "clat_p99.9": clat.metric_name(99.9),
           "clat_mean": "clat_ns_mean", "clat_max": "clat_ns_max"}
COLUMNS = ("clat_p50", "clat_p90", "clat_p99", "clat_p99.9", "clat_max")


def _scaled(value, units):
    """value in the first of units ((limit, divisor, decimals, suffix),
    ascending, the last one unbounded) that it is below the limit of."""
    _, divisor, decimals, suffix = next(u for u in units if value < u[0])
    return f"{value / divisor:.{decimals}f} {suffix}"


NS_UNITS = ((1e4, 1, 0, "ns"), (1e6, 1e3, 1, "us"), (float("inf"), 1e6, 2, "ms"))
INSN_UNITS = ((1e4, 1, 0, "insn"), (1e6, 1e3, 1, "k insn"), (float("inf"), 1e6, 2, "M insn"))


def fmt(value, counted):
    """A latency: ns, us or ms of time; in a counted run, instructions."""
    return _scaled(value, INSN_UNITS if counted else NS_UNITS)


def metric(name, doc):
    """The table column of kdio show --metric NAME for doc; its title says
    when the nanoseconds are instructions."""
    if name not in FIGURES:
        raise ConfigError(f"unknown metric '{name}'", f"use one of: {', '.join(FIGURES)}")
    counted = table.counted(doc)
    title = f"{name} (insn)" if counted else name
    return table.Metric(title, FIGURES[name], lambda v: fmt(v, counted), ("storage",))


BINS_NOTE = ("a percentile is the middle of its histogram bin (within 1/128): fio's own can "
             "lie beyond fio's max, kdio's are kept within min..max")


def heading(doc):
    """What the figures are: two lines."""
    if table.counted(doc):
        what = ("latency per I/O in VIRTUAL ns: guest instructions under QEMU icount, not time; "
                "median of the repetitions (kdio: each timed call, bvec-async submission to "
                "completion; fio: its clat_ns)")
    else:
        what = ("latency per I/O, wall-clock: median of the repetitions (kdio: each timed call, "
                "bvec-async submission to completion; fio: its clat_ns)")
    return [what, BINS_NOTE]


def rows(doc):
    """One row per storage case with latency figures, in the run's order."""
    cols = [metric(name, doc) for name in COLUMNS]
    ios = table.Metric("I/Os", "clat_ns_n", "{:.0f}", ("storage",))
    out = []
    for r in doc["results"]:
        values = [table.metric_median(r, m) for m in cols]
        if all(v is None for v in values):
            continue
        out.append({"case": r["case"], "path": r["path"], "status": r["status"],
                    "I/Os": ios.show(table.metric_median(r, ios)),
                    **{m.title: m.show(v) for m, v in zip(cols, values)}})
    return out


def header(doc):
    return ("case", "status", "I/Os", *(metric(name, doc).title for name in COLUMNS))


def cells(doc, row):
    return [row["case"], row["status"], row["I/Os"],
            *(row[metric(name, doc).title] for name in COLUMNS)]


def render(doc):
    """The latency table as text, with its heading; "" if no case has one."""
    body = [cells(doc, r) for r in rows(doc)]
    if not body:
        return ""
    head = header(doc)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [head, *body]]
    return "\n".join([*heading(doc), *lines])


def markdown(doc):
    """The latency table as markdown lines, with its heading; [] if none."""
    body = [cells(doc, r) for r in rows(doc)]
    if not body:
        return []
    head = header(doc)
    what, note = heading(doc)
    return [what, "", note, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(row) + " |" for row in body)]
