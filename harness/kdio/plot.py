"""gnuplot plots generated from a result document, never edited by hand.

Throughput cases are grouped by (op, backend, qd): one plot per group with
MB/s against block size, one line per path, baselines dashed, error bars
from the min and max of the repetitions; and one plot of each path's ratio
to its baseline (fio psync at qd 1, fio io_uring above). Each plot is
written as PNG and SVG with its data file and gnuplot script beside it, so
it can be redrawn or restyled by hand.
"""

import subprocess
from pathlib import Path

from kdio import table
from kdio.sizes import format_size
from kdio.errors import KdioError

MB = 1e6
TERMINALS = (("png", "pngcairo size 1000,600 font 'sans,10'"),
             ("svg", "svg size 1000,600 dynamic font 'sans,10'"))


class PlotError(KdioError):
    """gnuplot is missing or rejected a script."""


def _group_key(r):
    p = r["params"]
    return (p.get("op"), p.get("backend", "ext4"), p.get("qd", 1))


def throughput_groups(doc):
    """{(op, backend, qd): {path: [(bs, median, min, max), ...]}} of ok cases."""
    groups = {}
    for r in doc["results"]:
        if r["unit"] != "bytes/s" or r["status"] != "ok" or not r["summary"]:
            continue
        s = r["summary"]
        series = groups.setdefault(_group_key(r), {}).setdefault(r["path"], [])
        series.append((r["params"]["bs"], s["median"] / MB, s["min"] / MB, s["max"] / MB))
    return {k: {p: sorted(v) for p, v in g.items()} for k, g in groups.items()}


def ratio_groups(doc):
    """{(op, backend, qd): {path: [(bs, ratio), ...]}} against the baseline
    the end table uses for that queue depth."""
    base = table.baselines(doc["results"])
    groups = {}
    for r in doc["results"]:
        if r["unit"] != "bytes/s" or r["status"] != "ok" or r.get("baseline") or not r["summary"]:
            continue
        op, backend, qd = key = _group_key(r)
        path, keys = table.RATIOS[0] if qd == 1 else table.RATIOS[1]
        ref = base.get((path, table._key(r, keys)))
        if ref:
            groups.setdefault(key, {}).setdefault(r["path"], []).append(
                (r["params"]["bs"], r["summary"]["median"] / ref))
    return {k: {p: sorted(v) for p, v in g.items()} for k, g in groups.items()}, \
        {k: (table.RATIOS[0][0] if k[2] == 1 else table.RATIOS[1][0]) for k in groups}


def _name(kind, key):
    op, backend, qd = key
    return f"{kind}-{op}-{backend}-qd{qd}"


def _write_data(path, series, columns):
    lines = []
    for name, points in series.items():
        lines.append(f"# {name}")
        lines += [" ".join(f"{v:g}" for v in pt[:columns]) for pt in points]
        lines += ["", ""]  # two blank lines: a new gnuplot data block
    Path(path).write_text("\n".join(lines) + "\n")


def _script(out_base, data, title, ylabel, series, errorbars, baseline_of):
    plots = []
    for i, name in enumerate(series):
        dashed = " dt 2" if name.startswith("fio.") else ""
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
    head = [f"set title '{title}' noenhanced", "set xlabel 'block size'",
            f"set ylabel '{ylabel}'", "set logscale x 2", f"set xtics ({tics})",
            "set offsets graph 0.05, graph 0.05, graph 0.05, 0", "set grid",
            "set key outside right top noenhanced", "set yrange [0:*]"]
    body = []
    for ext, term in TERMINALS:
        body += [f"set terminal {term}", f"set output '{out_base}.{ext}'",
                 "plot " + ", \\\n     ".join(plots)]
    return "\n".join(head + body) + "\n"


def _gnuplot(script_path):
    try:
        r = subprocess.run(["gnuplot", str(script_path)], capture_output=True, text=True)
    except OSError:
        raise PlotError("gnuplot is not installed", "install gnuplot-nox (make test does)") from None
    if r.returncode != 0:
        raise PlotError(f"gnuplot failed on {script_path}: {r.stderr.strip()[-300:]}",
                        "this is a harness bug: report it with the result file")


def _draw(out_dir, name, title, ylabel, series, errorbars, baseline_of=None):
    data, gp = out_dir / f"{name}.dat", out_dir / f"{name}.gp"
    _write_data(data, series, 4 if errorbars else 2)
    gp.write_text(_script(out_dir / name, data, title, ylabel, series, errorbars, baseline_of))
    _gnuplot(gp)
    return [out_dir / f"{name}.{ext}" for ext, _ in TERMINALS]


def draw_all(doc, out_dir):
    """Draw every plot of doc into out_dir; return the PNG/SVG paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = []
    suite = doc["context"]["suite"]["name"]
    for key, series in sorted(throughput_groups(doc).items()):
        op, backend, qd = key
        drawn += _draw(out_dir, _name("throughput", key),
                       f"{suite}: {op}, {backend}, qd {qd} (median, min-max bars)", "MB/s",
                       series, errorbars=True)
    ratios, base_of = ratio_groups(doc)
    for key, series in sorted(ratios.items()):
        op, backend, qd = key
        drawn += _draw(out_dir, _name("ratio", key),
                       f"{suite}: {op}, {backend}, qd {qd}: ratio to {base_of[key]}",
                       f"x {base_of[key]}", series, errorbars=False, baseline_of=base_of[key])
    return drawn


