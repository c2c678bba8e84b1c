"""A profiled run's profiles as text: per case, its windows' instructions
split by layer, then its top functions (kdio profile RUN [CASE]); and the
report's "Where the cost goes": the layer table and a stacked bar per case,
drawn by gnuplot like every other plot."""

from pathlib import Path

from kdio.model import measure
from kdio.profile import layers, profile
from kdio.report import plot, table


def _pct(part, whole):
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def render_case(case_id, entry, rows, top=15):
    """One case: totals, the layer split and the top functions."""
    total = entry["in_insns"]
    windows = entry["windows"]
    lines = [f"{case_id}",
             f"  {entry['samples']} sample(s), {windows} window(s), "
             f"{measure.fmt_cost(total / windows) if windows else '-'} instructions per window "
             f"(counted: guest instructions, not time), "
             f"{entry['rep_bytes']} bytes moved by rep movs/stos"
             + (f", {entry['loads'] / windows:.0f} loads and {entry['stores'] / windows:.0f} "
                "stores per window" if windows and "loads" in entry else "")]
    if not windows:
        lines.append("  no timed window marked in this path: nothing to attribute")
        return "\n".join(lines)
    lines.append("  by layer:")
    for name, n in entry["layers"].items():
        lines.append(f"    {name:<8} {n:>14} {_pct(n, total)}  {layers.DESCRIPTION.get(name, '')}")
    lines.append("  top functions (self instructions in the windows; [rep]: the copy's "
                 "iterations, counted apart; loads and stores include them):")
    width = max([len(r.symbol) for r in rows[:top]] + [8])
    lines.append(f"    {'function':<{width}} {'module':<12} {'layer':<8} {'insns':>12} "
                 f"{'share':>7} {'loads':>10} {'stores':>10}  moved")
    for r in rows[:top]:
        moved = f"  {r.rep_bytes} B" if r.rep_bytes else ""
        mem = (f" {r.loads:>10} {r.stores:>10}" if not r.rep_iters else f" {'':>10} {'':>10}")
        lines.append(f"    {r.symbol:<{width}} {r.module:<12} {r.layer:<8} {r.insns:>12} "
                     f"{_pct(r.insns, total)}{mem}{moved}")
    if entry.get("stacks"):
        lines.append(f"  call stacks: {entry['stacks']} (folded; a flame graph in the report)")
    return "\n".join(lines)


def render(summary, profile_dir, case=None, top=15):
    """Every case of summary (or those whose id contains case)."""
    chosen = {k: v for k, v in summary["cases"].items() if case is None or case in k}
    out = []
    for case_id, entry in chosen.items():
        rows = profile.read_rows(profile_dir / entry["file"])
        out.append(render_case(case_id, entry, rows, top))
    verdict = ("profile checks: ok" if summary["ok"] else
               f"profile checks FAILED: {'; '.join(summary['problems'][:3])}")
    return "\n\n".join(out + [verdict])


def render_explain(d):
    """A differential profile (kdio.profile.diff.explain) as text."""
    pct = f"{100 * d['delta'] / d['base']:+.2f} %" if d["base"] else "-"
    lines = [f"where {d['case']} changed: {d['base']:.0f} -> {d['new']:.0f} instructions per "
             f"sample in its windows ({d['delta']:+.0f}, {pct}; counted, not time)"]
    if not d["changes"]:
        lines.append("  no function's count changed")
        return "\n".join(lines)
    width = max(len(c.symbol) for c in d["changes"])
    for c in d["changes"]:
        lines.append(f"    {c.symbol:<{width}} {c.module:<10} {c.layer:<8} {c.base:>12.0f} -> "
                     f"{c.new:>12.0f}  {c.delta:+12.0f}")
    if d["explained"] is not None:
        lines.append(f"  these {len(d['changes'])} function(s) account for "
                     f"{100 * d['explained']:.0f} % of the change")
    return "\n".join(lines)


# -- the report's "Where the cost goes" ---------------------------------------

PLOT_NAME = "where-the-cost-goes"
COLOURS = {"copy": "#1f77b4", "pinning": "#ff7f0e", "block": "#2ca02c", "fs": "#d62728",
           "syscall": "#9467bd", "crypto": "#8c564b", "kdio": "#e377c2", "clock": "#7f7f7f",
           "user": "#bcbd22", "kernel": "#17becf"}


def _short(case_id, shared):
    """A case id without the parameters (k=v) in shared."""
    path, *params = case_id.split("/")
    return "/".join([path] + [p for p in params if p not in shared])


def _shared_params(case_ids):
    """The k=v parameters every case of a path family that has them agrees
    on (size=32m when every sized case is 32m): left out of the labels."""
    values = {}
    for case_id in case_ids:
        for p in case_id.split("/")[1:]:
            key, _, value = p.partition("=")
            values.setdefault(key, set()).add(value)
    return {f"{k}={next(iter(v))}" for k, v in values.items() if len(v) == 1}


def layer_table(summary):
    """(headings, rows) of the report's layer table: per profiled case with
    windows, its instructions per window and each layer's share; the
    layers that hold something in some case, in kdio.profile.layers order."""
    cases = {k: v for k, v in summary["cases"].items() if v["windows"]}
    used = [name for name in layers.LAYERS
            if any(v["layers"].get(name) for v in cases.values())]
    heads = ["case", "insns/window"] + [f"{name} %" for name in used]
    rows, shared = [], _shared_params(cases)
    for case_id, v in cases.items():
        total = sum(v["layers"].values()) or 1
        rows.append([_short(case_id, shared), measure.fmt_cost(v["in_insns"] / v["windows"])]
                    + [f"{100 * v['layers'].get(name, 0) / total:.1f}" for name in used])
    return heads, rows


def unmarked(summary):
    """The profiled cases whose path has no timed window."""
    return [k for k, v in summary["cases"].items() if not v["windows"]]


def draw_layers(summary, out_dir):
    """A stacked bar per case (gnuplot, rowstacked histogram): each layer's
    share of the instructions in its timed windows. PNG and SVG paths, or
    [] when no case has a window."""
    heads, rows = layer_table(summary)
    if not rows:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    used = [h[:-2] for h in heads[2:]]
    data, gp = out_dir / f"{PLOT_NAME}.dat", out_dir / f"{PLOT_NAME}.gp"
    data.write_text("case " + " ".join(used) + "\n" + "".join(
        f"\"{r[0]}\" " + " ".join(r[2:]) + "\n" for r in rows))
    cols = ", \\\n     ".join(
        f"'{data.name}' using {i + 2}{':xtic(1)' if i == 0 else ''} "
        f"lc rgb '{COLOURS.get(name, '#000000')}' title '{name}'"
        for i, name in enumerate(used))
    head = ["set style data histogram", "set style histogram rowstacked",
            "set style fill solid 0.9 border -1", "set boxwidth 0.75",
            "set yrange [0:100]", "set ylabel '% of the instructions in the timed windows "
            "(counted)'", "set xtics rotate by 90 right noenhanced font ',8'",
            "set key outside right top noenhanced", "set grid ytics",
            "set title 'Where the cost goes: each case by layer (kdio profile RUN CASE for "
            "functions)' noenhanced", "set bmargin 22"]
    body = []
    for ext, term in plot.TERMINALS:
        term = term.replace("size 1000,600", f"size {max(1000, 40 * len(rows) + 300)},700")
        body += [f"set terminal {term}", f"set output '{PLOT_NAME}.{ext}'", f"plot {cols}"]
    gp.write_text("\n".join(head + body) + "\n")
    plot.gnuplot(gp, cwd=out_dir)
    return [out_dir / f"{PLOT_NAME}.{ext}" for ext, _ in plot.TERMINALS]


# -- per I/O: the copy apart from the overhead ---------------------------------

# Each storage path's fio reference for the overhead ratios: the synchronous
# methods against psync, the asynchronous one against io_uring at its depth.
FIO_REFERENCE = {"dio.bvec-async": "fio.io_uring"}
FIO_DEFAULT = "fio.psync"


def _io_key(params):
    return (params.get("op"), params.get("bs"), params.get("backend"), params.get("qd"))


def per_io(doc, summary):
    """Per profiled storage case: its instructions per I/O, split into the
    copy (the copy layer: rep movs/stos iterations, memcpy, copy_*_user)
    and the rest (the overhead), and its ratios to its fio reference (the
    figure's, as the run's table has it, and the overhead's). fio's window
    holds its job's start and end too (kdio.paths.fio.with_marks), so a fio
    case measured at two sizes is taken at the margin, (W2 - W1) / (n2 -
    n1) instructions per I/O, which leaves them out. Rows: dicts."""
    by_case = {r["case"]: r for r in doc["results"]}
    rows = []
    for case_id, e in summary["cases"].items():
        r = by_case.get(case_id)
        params = (r or {}).get("params", {})
        if not r or not e["windows"] or not params.get("bs") or not params.get("size"):
            continue
        ios = e["samples"] * params["size"] // params["bs"]
        copy = e["layers"].get(layers.COPY, 0)
        rows.append({"case": case_id, "path": r["path"], "key": _io_key(params),
                     "size": params["size"], "ios": ios, "insns": e["in_insns"], "copy": copy,
                     "moved": e["rep_bytes"], "margin": False, "result": r})
    _fio_margins(rows)
    refs = {}
    for row in rows:
        if row["path"].startswith("fio."):
            old = refs.get((row["path"], row["key"]))
            if old is None or row["margin"] or row["size"] > old["size"]:
                refs[(row["path"], row["key"])] = row
    out = []
    for row in rows:
        if row["path"].startswith("fio.") and refs.get((row["path"], row["key"])) is not row:
            continue
        per = {k: row[k] / row["ios"] for k in ("insns", "copy", "moved")}
        per["overhead"] = per["insns"] - per["copy"]
        ref_path = FIO_REFERENCE.get(row["path"], FIO_DEFAULT)
        ref = None if row["path"].startswith("fio.") else refs.get(
            (ref_path, row["key"] if ref_path == "fio.io_uring" else row["key"][:3] + (None,)))
        fig = over = None
        if ref:
            ref_over = (ref["insns"] - ref["copy"]) / ref["ios"]
            over = per["overhead"] / ref_over if ref_over else None
            same = next((x for x in rows if x["path"] == ref_path and x["key"] == ref["key"]
                         and x["size"] == row["size"]), None)
            if same:
                fig = table.ratio_value(row["result"], same["result"])
        out.append({"case": row["case"], "per_io": per, "margin": row["margin"],
                    "reference": ref_path if ref else None, "figure_ratio": fig,
                    "overhead_ratio": over})
    return out


def _fio_margins(rows):
    """fio rows measured at two sizes become one at the margin (in place):
    the larger size's row, its counts the difference of the two."""
    groups = {}
    for row in rows:
        if row["path"].startswith("fio."):
            groups.setdefault((row["path"], row["key"]), []).append(row)
    for group in groups.values():
        if len(group) < 2:
            continue
        small, big = sorted(group, key=lambda x: x["size"])[:: len(group) - 1]
        if big["ios"] <= small["ios"]:
            continue
        for k in ("ios", "insns", "copy", "moved"):
            big[k] -= small[k]
        big["margin"] = True


def render_per_io(table):
    """per_io()'s rows as text."""
    if not table:
        return ("no profiled storage case with timed windows (per I/O needs bs= and size=: "
                "the dio, kmap and fio paths)")
    width = max(len(t["case"]) for t in table)
    lines = ["per I/O (counted: guest instructions, not time); copy: the copy layer "
             "(rep iterations, memcpy, copy_*_user); overhead: the rest",
             f"{'case':<{width}} {'insns/IO':>10} {'copy':>10} {'overhead':>10} {'moved B':>9} "
             f"{'ratio':>7} {'overhead':>9}  reference"]
    for t in table:
        p = t["per_io"]

        def x(v):
            return f"{v:.2f}x" if v is not None else "-"
        ref = t["reference"] or ("(at the margin of two sizes)" if t["margin"] else "-")
        lines.append(f"{t['case']:<{width}} {p['insns']:>10.0f} {p['copy']:>10.0f} "
                     f"{p['overhead']:>10.0f} {p['moved']:>9.0f} {x(t['figure_ratio']):>7} "
                     f"{x(t['overhead_ratio']):>9}  {ref}")
    return "\n".join(lines)
