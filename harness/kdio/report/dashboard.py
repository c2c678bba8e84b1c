"""The dashboard: one static HTML page made from the store (it reads
nothing else), that opens offline: per series, its medians over its runs
(oldest left) as an inline SVG line, each change point a red line with the
two runs on either side linked (their reports) and, when both were
profiled, to the differential profile of the case between them: a page of
its own beside the dashboard (<name>-where/N.html), made when the
dashboard is, with the command that prints it again.
"""

import html
import os
from pathlib import Path

from kdio.errors import KdioError
from kdio.profile import diff as profile_diff
from kdio.report import trend
from kdio.results import results

WIDTH, HEIGHT, PAD, LEFT = 700, 120, 8, 70   # LEFT: room for the y axis's two labels
AXIS = 16           # the x axis's labels under the plot


def _label(point, by):
    """A run's name on the x axis: its date, kdio commit or kernel release."""
    if by == "commit":
        return (point.commit or "-")[:12]
    if by == "kernel":
        return point.kernel or "-"
    return point.date[:10]


def _report_of(point, out_dir):
    """A link to the run's report.html, relative to the page, or None."""
    if not point.source:
        return None
    page = Path(point.source).parent / "report.html"
    return os.path.relpath(page, out_dir) if page.exists() else None


def _profiled(point):
    return bool(point.source) and profile_diff.home(point.source).is_dir()


def _svg(points, steps, by):
    values = [p.median for p in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or abs(hi) or 1.0
    n = len(values)

    def x(i):
        return LEFT + (WIDTH - LEFT - PAD) * (i / (n - 1) if n > 1 else 0.5)

    def y(v):
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((v - lo) / span)

    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [f"<svg class='series' width='{WIDTH}' height='{HEIGHT + AXIS}' "
             f"viewBox='0 0 {WIDTH} {HEIGHT + AXIS}' role='img'>",
             f"<text x='{LEFT - 4}' y='{y(hi) + 4:.1f}' text-anchor='end' font-size='11'>"
             f"{hi:.6g}</text>",
             f"<text x='{LEFT - 4}' y='{y(lo) + 4:.1f}' text-anchor='end' font-size='11'>"
             f"{lo:.6g}</text>" if hi != lo else "",
             f"<polyline fill='none' stroke='#2a6' stroke-width='1.5' points='{line}'/>"]
    for s in steps:
        cx = (x(s.index - 1) + x(s.index)) / 2
        parts.append(f"<line class='change' x1='{cx:.1f}' x2='{cx:.1f}' y1='0' y2='{HEIGHT}' "
                     f"stroke='#d22' stroke-width='2'><title>change {s.change * 100:+.2f} %"
                     "</title></line>")
    parts += [f"<circle cx='{x(i):.1f}' cy='{y(p.median):.1f}' r='2' fill='#2a6'>"
              f"<title>{html.escape(p.run_id)} {html.escape(p.date)}, kernel "
              f"{html.escape(_label(p, 'kernel'))}, kdio {html.escape(_label(p, 'commit'))}: "
              f"{p.median:.6g}</title></circle>" for i, p in enumerate(points)] if n <= 200 else []
    # the x axis: the first and last runs, and those on either side of each change
    marks = sorted({0, n - 1, *(i for s in steps for i in (s.index - 1, s.index))})
    for i in marks:
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f"<text class='x' x='{x(i):.1f}' y='{HEIGHT + AXIS - 3}' "
                     f"text-anchor='{anchor}' font-size='10'>"
                     f"{html.escape(_label(points[i], by))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _run_link(point, out_dir):
    link = _report_of(point, out_dir)
    name = html.escape(point.run_id)
    return f"<a href='{html.escape(link)}'>{name}</a>" if link else name


def _where_page(before, after, case, out_dir, name, home):
    """Write the differential profile of case between two profiled runs as
    the page out_dir/name; its link, or why there is none."""
    cmd = f"kdio compare {before.source} {after.source} --explain '{case}'"
    try:
        d = profile_diff.explain(profile_diff.home(before.source),
                                 profile_diff.home(after.source), case)
    except KdioError as e:
        return f"not known ({html.escape(str(e))})"
    esc = html.escape
    pct = f"{100 * d['delta'] / d['base']:+.2f} %" if d["base"] else "-"
    rows = "".join(
        f"<tr><td>{esc(c.symbol)}</td><td>{esc(c.module)}</td><td>{esc(c.layer)}</td>"
        f"<td>{c.base:,.0f}</td><td>{c.new:,.0f}</td><td>{c.delta:+,.0f}</td></tr>"
        for c in d["changes"])
    table = (f"<table><tr><th>function</th><th>module</th><th>layer</th><th>{esc(before.run_id)}"
             f"</th><th>{esc(after.run_id)}</th><th>change</th></tr>{rows}</table>"
             if rows else "<p id='none'>no function's count changed</p>")
    share = (f"<p>these {len(d['changes'])} function(s) account for "
             f"{100 * d['explained']:.0f} % of the change</p>"
             if d["changes"] and d["explained"] is not None else "")
    here = (out_dir / name).parent
    back = os.path.relpath(out_dir / home, here)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>where {esc(case)} "
            f"changed</title><style>body{{font-family:sans-serif;margin:2em}}"
            "h1{font-size:130%}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 8px}td+td+td+td{text-align:right}"
            f"code{{font-size:90%;overflow-wrap:anywhere}}</style></head><body>"
            f"<h1>Where {esc(case)} changed</h1>"
            f"<p>Between {_run_link(before, here)} ({esc(before.date)}) and "
            f"{_run_link(after, here)} ({esc(after.date)}): {d['base']:,.0f} &rarr; "
            f"{d['new']:,.0f} instructions per sample in the case's timed windows "
            f"({d['delta']:+,.0f}, {pct}; counted, not time). The functions whose count "
            f"changed most, per sample:</p>{table}{share}"
            f"<p>Again in a terminal: <code>{esc(cmd)}</code></p>"
            f"<p><a href='{esc(back)}'>the dashboard</a></p></body></html>\n")
    path = out_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    results.write_atomic(path, page)
    return f"<a class='where' href='{esc(name)}'>the differential profile</a>"


def _step_item(points, s, case, unit, out_dir, where_name, home):
    before, after = points[s.index - 1], points[s.index]
    text = (f"{'worse' if s.change < 0 else 'better'} by {abs(s.change) * 100:.2f} %: "
            f"{s.before:.6g} &rarr; {s.after:.6g} {html.escape(unit)}, between "
            f"{_run_link(before, out_dir)} and {_run_link(after, out_dir)}; where: ")
    if _profiled(before) and _profiled(after):
        text += _where_page(before, after, case, out_dir, where_name, home)
    else:
        text += "not known (a run of the two was not profiled)"
    return f"<li class='step'>{text}</li>"


def page(judged, out_dir, title="kdio: results over time", name="dashboard.html", by="date"):
    """The HTML of the dashboard out_dir/name for trend.trends()'s series;
    each change point's differential profile is written beside it, to
    <name's stem>-where/N.html. by: what the x axis names (trend.BY)."""
    where_dir = f"{Path(name).stem}-where"
    steps_total = sum(len(s) for _, s in judged.values())
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p id='summary'>{len(judged)} series, {steps_total} change point(s) "
             f"(counted: a gap of {trend.COUNTED.threshold * 100:g} % between "
             f"{trend.COUNTED.min_runs}+ runs a side; wall: {trend.WALL.threshold * 100:g} %, "
             f"{trend.WALL.min_runs}+ runs)</p>"]
    order = sorted(judged.items(), key=lambda kv: (-len(kv[1][1]), kv[0]))
    counter = iter(range(1, 1 + steps_total))
    for (suite, case, unit), (points, steps) in order:
        first, last = points[0], points[-1]
        parts.append(
            f"<section class='case'><h2>{html.escape(suite)} {html.escape(case)}</h2>"
            f"<p>{html.escape(unit)}, {html.escape(last.measure)}: {len(points)} run(s) by "
            f"{by}, from {html.escape(_label(first, by))} to {html.escape(_label(last, by))}; last "
            f"{last.median:.6g} ({_run_link(last, out_dir)})</p>{_svg(points, steps, by)}")
        if steps:
            parts.append("<ul>" + "".join(
                _step_item(points, s, case, unit, out_dir,
                           f"{where_dir}/{next(counter)}.html", name)
                for s in steps) + "</ul>")
        parts.append("</section>")
    style = ("body{font-family:sans-serif;margin:2em}h2{font-size:105%;margin:1.2em 0 0.2em}"
             "svg.series{border:1px solid #ddd;background:#fafafa}li.step{color:#900}"
             "code{font-size:90%}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def write(judged, out, by="date"):
    """Write the dashboard to out; return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results.write_atomic(out, page(judged, out.parent.resolve(), name=out.name, by=by))
    return out
