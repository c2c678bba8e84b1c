"""gnuplot plots generated from a result document, never edited by hand.

Throughput cases are grouped as their family's plot axes say (kdio.model.family;
storage: by (op, backend, qd), MB/s against block size): one plot per group,
one line per path, fio's baselines dashed, error bars from the min and max
of the repetitions; and one plot of each path's ratio to its family's
reference (storage: fio psync at qd 1, fio io_uring above). Each plot is
written as PNG and SVG with its data file and gnuplot script beside it, so
it can be redrawn or restyled by hand.
"""

import statistics
import subprocess
from pathlib import Path

from kdio.paths import paths
from kdio.report import ipsec, table
from kdio.model.sizes import format_size
from kdio.errors import KdioError

MB = 1e6
TERMINALS = (("png", "pngcairo size 1000,600 font 'sans,10'"),
             ("svg", "svg size 1000,600 dynamic font 'sans,10'"))


class PlotError(KdioError):
    """gnuplot is missing or rejected a script."""


def _group_key(r):
    """The plot r is drawn in, as its family groups its cases."""
    return paths.family_of(r).plot_key(r["params"])


def _series(r):
    """The line a case is drawn on: its path, and its family's series
    parameters (crypto: the driver)."""
    more = [str(r["params"][k]) for k in paths.family_of(r).plot.series]
    return " ".join([r["path"], *more])


def _x(r):
    return r["params"][paths.family_of(r).plot.x]


# The units drawn against size, and how each is scaled and labelled.
PLOTTED = {"bytes/s": (MB, "MB/s"),
           "insn/byte": (1, "guest instructions per byte (counted, lower is better)"),
           "insn/msg": (1, "guest instructions per message (counted, lower is better)")}


def _plotted(r):
    return (r["unit"] in PLOTTED and r["status"] == "ok" and bool(r["summary"])
            and paths.family_of(r).plot is not None)


def throughput_groups(doc):
    """{(op, backend, qd): {path: [(bs, median, min, max), ...]}} of ok cases:
    throughput in wall runs, cost in counted runs."""
    groups = {}
    for r in doc["results"]:
        if not _plotted(r):
            continue
        s, scale = r["summary"], PLOTTED[r["unit"]][0]
        series = groups.setdefault(_group_key(r), {}).setdefault(_series(r), [])
        series.append((_x(r), s["median"] / scale, s["min"] / scale, s["max"] / scale))
    return {k: {p: sorted(v) for p, v in g.items()} for k, g in groups.items()}


def _ylabels(doc):
    """{group: the figure axis of its size plot}."""
    return {_group_key(r): PLOTTED[r["unit"]][1] for r in doc["results"] if _plotted(r)}


def _families(doc):
    """{group: the family whose cases it holds}."""
    return {_group_key(r): paths.family_of(r) for r in doc["results"] if _plotted(r)}


def ratio_groups(doc):
    """{group: {path: [(x, ratio), ...]}} against the baseline the end table
    uses for each case (paths.reference)."""
    groups, base_of, refs = {}, {}, table.References(doc["results"])
    for r in doc["results"]:
        if not _plotted(r) or r.get("baseline"):
            continue
        key, ratio = _group_key(r), paths.reference(r)
        value = table.ratio_value(r, refs.find(r, ratio))
        if value is not None:
            groups.setdefault(key, {}).setdefault(_series(r), []).append((_x(r), value))
            base_of[key] = ratio.label
    return {k: {p: sorted(v) for p, v in g.items()} for k, g in groups.items()}, base_of


def latency_groups(doc):
    """{path: [(msg, p50, p99), ...]} for the cases that measured latency."""
    found = {}
    for r in doc["results"]:
        m = r.get("metrics") or {}
        p50 = [v for v in m.get("lat_p50_ns", []) if v is not None]
        p99 = [v for v in m.get("lat_p99_ns", []) if v is not None]
        if r["status"] == "ok" and p50 and p99 and paths.family_of(r).plot:
            found.setdefault(r["path"], []).append(
                (_x(r), statistics.median(p50) / 1e3, statistics.median(p99) / 1e3))
    return {p: sorted(v) for p, v in found.items()}


def _name(kind, fam, key):
    return f"{kind}-{fam.plot_name(key)}"


def _title(suite, fam, key):
    return f"{suite}: {fam.plot.title(key)}"


def _write_data(path, series, columns):
    lines = []
    for name, points in series.items():
        lines.append(f"# {name}")
        lines += [" ".join(f"{v:g}" for v in pt[:columns]) for pt in points]
        lines += ["", ""]  # two blank lines: a new gnuplot data block
    Path(path).write_text("\n".join(lines) + "\n")


DECADE = 10.0   # values spanning more than this factor get a log y axis


def _y_axis(series, baseline_of, logy):
    """gnuplot's y axis: a ratio plot's is logarithmic and centred on 1, so
    that 2x and 0.5x sit as far from it; a plot whose values span more than
    a decade is logarithmic (the small sizes off the floor); else linear
    from 0."""
    values = [v for points in series.values() for pt in points for v in pt[1:] if v > 0]
    if baseline_of and values:
        m = max(max(values), 1 / min(values)) * 1.15
        return f"set logscale y\nset yrange [{1 / m:g}:{m:g}]"
    if logy or (values and max(values) > DECADE * min(values)):
        return "set logscale y"
    return "set yrange [0:*]"


def _script(out_base, data, title, ylabel, series, errorbars, baseline_of, xlabel="size",
            logy=False):
    plots = []
    for i, name in enumerate(series):
        dashed = " dt 2" if name.startswith(("fio.", "ipsec.none")) else ""
        if errorbars:
            plots.append(f"'{data}' index {i} using 1:2:3:4 with yerrorlines lw 2{dashed} "
                         f"title '{name}'")
        else:
            plots.append(f"'{data}' index {i} using 1:2 with linespoints lw 2{dashed} "
                         f"title '{name}'")
    if baseline_of:
        plots.append(f"1 with lines lc 'black' dt 3 title '{baseline_of} = 1'")
    sizes = sorted({pt[0] for points in series.values() for pt in points})
    tics = ", ".join(f"'{format_size(int(b))}' {b}" for b in sizes)
    head = [f"set title '{title}' noenhanced", f"set xlabel '{xlabel}'",
            f"set ylabel '{ylabel}'", "set logscale x 2", f"set xtics ({tics})",
            "set offsets graph 0.05, graph 0.05, graph 0.05, 0", "set grid",
            "set key outside right top noenhanced", _y_axis(series, baseline_of, logy)]
    body = []
    for ext, term in TERMINALS:
        body += [f"set terminal {term}", f"set output '{out_base}.{ext}'",
                 "plot " + ", \\\n     ".join(plots)]
    return "\n".join(head + body) + "\n"


def gnuplot(script_path, cwd=None):
    try:
        r = subprocess.run(["gnuplot", str(script_path)], capture_output=True, text=True,
                           cwd=cwd)
    except OSError:
        raise PlotError("gnuplot is not installed", "install gnuplot-nox (make test does)") from None
    if r.returncode != 0:
        raise PlotError(f"gnuplot failed on {script_path}: {r.stderr.strip()[-300:]}",
                        "this is a harness bug: report it with the result file")


def _draw(out_dir, name, title, ylabel, series, errorbars, baseline_of=None, **style):
    data, gp = out_dir / f"{name}.dat", out_dir / f"{name}.gp"
    _write_data(data, series, 4 if errorbars else 2)
    gp.write_text(_script(out_dir / name, data, title, ylabel, series, errorbars, baseline_of,
                          **style))
    gnuplot(gp)
    return [out_dir / f"{name}.{ext}" for ext, _ in TERMINALS]


def draw_all(doc, out_dir):
    """Draw every plot of doc into out_dir; return the PNG/SVG paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = []
    suite = doc["context"]["suite"]["name"]
    counted = table.counted(doc)
    kind, what = ("cost", "counted cost") if counted else ("throughput", "median")
    ylabels, fams = _ylabels(doc), _families(doc)
    for key, series in sorted(throughput_groups(doc).items()):
        fam = fams[key]
        drawn += _draw(out_dir, _name(kind, fam, key),
                       f"{_title(suite, fam, key)} ({what}, min-max bars)", ylabels[key], series,
                       errorbars=True, xlabel=fam.plot.xlabel)
    ratios, base_of = ratio_groups(doc)
    for key, series in sorted(ratios.items()):
        fam = fams[key]
        label = f"cost / {base_of[key]} cost (counted)" if counted else f"x {base_of[key]}"
        what = "cost ratio" if counted else "ratio"
        drawn += _draw(out_dir, _name("ratio", fam, key),
                       f"{_title(suite, fam, key)}: {what} to {base_of[key]}", label,
                       series, errorbars=False, baseline_of=base_of[key],
                       xlabel=fam.plot.xlabel)
    for key, series in sorted(ipsec.plot_groups(doc).items()):
        drawn += _draw(out_dir, "-".join(["ipsec", key[0], f"flows{key[1]}"]),
                       ipsec.plot_title(suite, key), "Mbit/s (received payload)", series,
                       errorbars=True, xlabel="UDP payload")
    latency = latency_groups(doc)
    if latency:
        series = {f"{p} {q}": [(x, v[i]) for x, *v in pts]
                  for p, pts in latency.items() for i, q in enumerate(("p50", "p99"))}
        drawn += _draw(out_dir, "latency", f"{suite}: producer-to-consumer latency",
                       "microseconds", series, errorbars=False, xlabel="message size", logy=True)
    return drawn
