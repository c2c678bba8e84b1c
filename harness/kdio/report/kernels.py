"""One suite on several kernels: the cross-kernel table and plot.

Each kernel's run is an ordinary run folder; this module only reads their
result documents and lines the cases up: the median of each case on each
kernel, and its ratio to the first kernel named (the reference).
"""

import subprocess
from pathlib import Path

from kdio.report.plot import PlotError

MB = 1e6


def _median(r):
    if r["status"] == "expected-error":
        return r["errno"]
    return r["summary"]["median"] if r["summary"] else None


def matrix(docs):
    """[(case, unit, [value per kernel])] over the cases of the first run."""
    per_kernel = [{r["case"]: r for r in d["results"]} for d in docs]
    out = []
    for r in docs[0]["results"]:
        values = [_median(k[r["case"]]) if r["case"] in k else None for k in per_kernel]
        out.append((r["case"], r["unit"], values))
    return out


def _fmt(value, unit):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value / MB:.1f}" if unit == "bytes/s" else f"{value:.1f}"


def _ratio(value, ref):
    if isinstance(value, (int, float)) and isinstance(ref, (int, float)) and ref:
        return f"{value / ref:.2f}x"
    return "-"


def rows(docs):
    names = [d["context"]["kernel"]["name"] for d in docs]
    head = ["case", "unit", *names, *(f"{n}/{names[0]}" for n in names[1:])]
    body = []
    for case, unit, values in matrix(docs):
        shown_unit = "MB/s" if unit == "bytes/s" else unit
        body.append([case, shown_unit, *(_fmt(v, unit) for v in values),
                     *(_ratio(v, values[0]) for v in values[1:])])
    return head, body


def render(docs, markdown=False):
    head, body = rows(docs)
    if markdown:
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                         + ["| " + " | ".join(r) + " |" for r in body]) + "\n"
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()
                     for r in [head, *body])


def plot(docs, out_dir):
    """A clustered histogram: each throughput case's ratio to the first kernel."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [d["context"]["kernel"]["name"] for d in docs]
    lines = []
    for case, unit, values in matrix(docs):
        if unit == "bytes/s" and all(isinstance(v, (int, float)) for v in values) and values[0]:
            lines.append(" ".join([f'"{case}"'] + [f"{v / values[0]:.4f}" for v in values]))
    data, gp = out_dir / "kernels.dat", out_dir / "kernels.gp"
    data.write_text("\n".join(lines) + "\n")
    cols = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{n}'" for i, n in enumerate(names))
    script = [f"set title 'ratio to {names[0]}, same suite on each kernel' noenhanced",
              "set style data histogram", "set style histogram clustered gap 1",
              "set style fill solid 0.8 border -1", "set xtics rotate by -60 noenhanced font ',7'",
              "set key outside right top noenhanced", "set grid y", "set yrange [0:*]",
              "set bmargin 16"]
    drawn = []
    for ext, term in (("png", "pngcairo size 1400,700 font 'sans,10'"),
                      ("svg", "svg size 1400,700 dynamic font 'sans,10'")):
        script += [f"set terminal {term}", f"set output '{out_dir / ('kernels.' + ext)}'",
                   f"plot {cols}"]
        drawn.append(out_dir / f"kernels.{ext}")
    gp.write_text("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", str(gp)], capture_output=True, text=True)
    if r.returncode != 0:
        raise PlotError(f"gnuplot failed on {gp}: {r.stderr.strip()[-300:]}",
                        "this is a harness bug: report it with the result files")
    return drawn
