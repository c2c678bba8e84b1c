"""The run report, report.md and report.html, generated from result.json.

Context first (what ran where), then the failure if any, the checks, the
table of every case, the latency per I/O of the storage cases, the notes
(expected errors, skipped cases and why), and the plots. HTML is rendered
from the same pieces as the markdown.
"""

import html
import os
import re
from pathlib import Path

from kdio.report import headline, ipsec, latency, table
from kdio.report import flame
from kdio.report import profile as profile_report
from kdio.results.results import write_atomic

CONTEXT_ROWS = (("kernel", lambda c: _kernel_row(c["kernel"])),
                ("accelerator", lambda c: f"{c['accelerator']} ({c.get('accelerator_reason', '')})"),
                ("guest", lambda c: f"{c['guest']['cpus']} CPUs, {c['guest']['memory_mib']} MiB, "
                                    f"disk cache={c['guest'].get('disk_cache')}, "
                                    f"boot {c['guest'].get('boot_s')} s"),
                ("backends", lambda c: "; ".join(f"{k}: {v}" for k, v in c.get("backends", {}).items())),
                ("direct-I/O alignment", lambda c: ", ".join(f"{k} {v} B" for k, v in
                                                             c.get("dio_align", {}).items())),
                ("measure", lambda c: _measure_row(c["measure"])),
                ("guests at once", lambda c: _jobs_row(c["jobs"])),
                ("host CPU", lambda c: c["host_cpu"]),
                ("QEMU", lambda c: c["qemu_version"]),
                ("kdio", lambda c: c["kdio_git_sha"] + (f" ({c['kdio_git_sha_unknown']})"
                                                  if c.get("kdio_git_sha_unknown") else "")),
                ("date", lambda c: c["date"]),
                ("command", lambda c: c["command_line"]))


def _kernel_row(k):
    row = f"{k['release']} ({k['version']})"
    if k.get("tree"):
        row += f", tree {k['tree']}"
    if k.get("built"):
        row += f", built on {k['built']['base']} + kdio's fragment" + "".join(
            f" + {line}" for line in k["built"]["set"])
    return row


def _jobs_row(j):
    """--jobs: how many guests, why, the wall-mode warning, each shard's cases."""
    row = f"{j['jobs']} ({j['reason']})"
    if j.get("warning"):
        row += f"; WARNING: {j['warning']}"
    return row + "".join(f"; shard {s['shard']}: {len(s['cases'])} cases, VM "
                         f"{s.get('vm_elapsed_s')} s" for s in j.get("shards", []))


def _measure_row(m):
    if m["mode"] != "counted":
        return "wall-clock time"
    return (f"counted: {m['figures']}; QEMU -icount {m['icount']}, {m['cpus']} vCPU; "
            "instruction costs, not time")


def _columns(doc):
    """(row keys, headings) of the results table, as the end table has them."""
    ratios, metrics = table.columns(doc)
    keys = ("case", "status", "value", "n", "spread", "cv", *(m.title for m in metrics), *ratios)
    heads = ("case", "status", "median", "n", "spread", "cv", *(m.title for m in metrics),
             *(table.ratio_heading(doc, p) for p in ratios))
    return keys, heads


def _context(doc):
    c = doc["context"]
    rows = []
    for name, get in CONTEXT_ROWS:
        try:
            rows.append((name, str(get(c))))
        except (KeyError, TypeError):
            continue
    return rows


def _status_line(doc):
    if doc["status"] == "ok":
        return "Run finished: every case ran."
    f = doc.get("failure") or {}
    return f"RUN FAILED: {f.get('reason')}" + (f" (during {f['last_case']})" if f.get("last_case") else "")


def _is_layer_plot(p):
    return Path(p).stem == profile_report.PLOT_NAME


def _flames(plots):
    """The flame graph pages among a run's drawn files."""
    return [p for p in plots if str(p).endswith(".html") and Path(p).parent.name == flame.DIR]


def _profile_intro(doc, summary):
    verdict = ("its checks passed" if summary["ok"] else
               f"its checks FAILED: {'; '.join(summary['problems'][:2])}")
    return (f"Counted instructions in each case's timed windows, split by layer, from the "
            f"profiler's QEMU plugin ({verdict}). `kdio profile {doc['run_id']} CASE` lists a "
            "case's functions.")


def _profile_markdown(doc, summary, plots, base_dir):
    heads, rows = profile_report.layer_table(summary)
    out = ["", "## Where the cost goes", "", _profile_intro(doc, summary), ""]
    out += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out += [f"![{Path(p).stem}]({os.path.relpath(p, base_dir)})" for p in plots
            if _is_layer_plot(p) and str(p).endswith(".png")]
    none = profile_report.unmarked(summary)
    if none:
        out += ["", "No timed window marked in these paths (nothing to attribute): "
                + ", ".join(none)]
    flames = _flames(plots)
    if flames:
        out += ["", "Flame graphs (call stacks, each path at its reference size; they open "
                "offline): " + ", ".join(f"[{Path(p).stem}]({os.path.relpath(p, base_dir)})"
                                         for p in flames)]
    return out


def _plot_files(plots):
    return [p for p in plots if str(p).endswith(".png") and not _is_layer_plot(p)]


def markdown(doc, plots, base_dir, profile=None):
    out = [f"# kdio run {doc['run_id']}: suite {doc['context']['suite']['name']}", "",
           _status_line(doc), "", "## What the run found", ""]
    out += [f"- {line.strip()}" for line in headline.lines(doc)]
    out += ["", "## Plots", ""]
    out += [f"![{Path(p).stem}]({os.path.relpath(p, base_dir)})" for p in _plot_files(plots)]
    out += ["", "## The run", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in _context(doc)]
    out += ["", "## Checks", ""] + [f"- {c['name']}: {'ok' if c['ok'] else 'FAILED'} ({c['detail']})"
                                     for c in doc.get("checks", [])]
    keys, heads = _columns(doc)
    out += ["", "## Results", "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    out += ["| " + " | ".join(str(r[k]).strip() for k in keys) + " |" for r in table.rows(doc)]
    lat = latency.markdown(doc)
    if lat:
        out += ["", "## Latency", ""] + lat
    esp = ipsec.report_lines(doc)
    if esp:
        out += ["", "## IPsec ESP: the DMA device against AES-NI", ""] + esp
    notes = table.notes(doc, with_status=True)
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    if profile:
        out += _profile_markdown(doc, profile, plots, base_dir)
    return "\n".join(out) + "\n"


def _html_table(headings, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(x).strip())}</td>" for x in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(p, base_dir):
    return (f"<figure><img src='{html.escape(os.path.relpath(p, base_dir))}' "
            f"alt='{html.escape(Path(p).stem)}'><figcaption>{html.escape(Path(p).stem)}"
            "</figcaption></figure>")


def _profile_html(doc, summary, plots, base_dir):
    heads, rows = profile_report.layer_table(summary)
    intro = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(_profile_intro(doc, summary)))
    parts = ["<h2>Where the cost goes</h2>", f"<p>{intro}</p>",
             _html_table(heads, rows)]
    parts += [_figure(p, base_dir) for p in plots
              if _is_layer_plot(p) and str(p).endswith(".svg")]
    none = profile_report.unmarked(summary)
    if none:
        parts.append("<p>No timed window marked in these paths (nothing to attribute): "
                     f"{html.escape(', '.join(none))}</p>")
    flames = _flames(plots)
    if flames:
        parts.append("<h3>Flame graphs</h3><p>Call stacks of each path at its reference size "
                     "(d3-flame-graph; click a frame to zoom, or open a graph on its own).</p>")
        for p in flames:
            rel = html.escape(os.path.relpath(p, base_dir))
            parts.append(f"<p><a href='{rel}'>{html.escape(Path(p).stem)}</a></p>"
                         f"<iframe src='{rel}' title='{html.escape(Path(p).stem)}' "
                         "style='width:100%;height:560px;border:1px solid #ccc'></iframe>")
    return parts


def html_page(doc, plots, base_dir, profile=None):
    title = f"kdio run {doc['run_id']}: suite {doc['context']['suite']['name']}"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='status'>{html.escape(_status_line(doc))}</p>",
             "<section id='headline'><h2>What the run found</h2><ul>"]
    parts += [f"<li>{html.escape(line.strip())}</li>" for line in headline.lines(doc)]
    parts += ["</ul></section><h2>Plots</h2>"]
    parts += [_figure(p, base_dir) for p in _plot_files(plots)]
    parts += ["<h2>The run</h2>", _html_table(("", ""), _context(doc)), "<h2>Checks</h2><ul>"]
    parts += [f"<li>{html.escape(c['name'])}: {'ok' if c['ok'] else 'FAILED'} "
              f"({html.escape(c['detail'])})</li>" for c in doc.get("checks", [])]
    keys, heads = _columns(doc)
    parts += ["</ul><h2>Results</h2>",
              _html_table(heads, [[r[k] for k in keys] for r in table.rows(doc)])]
    lat_rows = latency.rows(doc)
    if lat_rows:
        parts += ["<h2>Latency</h2>"]
        parts += [f"<p>{html.escape(line)}</p>" for line in latency.heading(doc)]
        parts += [_html_table(latency.header(doc), [latency.cells(doc, r) for r in lat_rows])]
    esp = ipsec.report_lines(doc)
    if esp:  # its markdown table as preformatted text
        parts += ["<h2>IPsec ESP: the DMA device against AES-NI</h2>",
                  f"<pre>{html.escape(chr(10).join(esp))}</pre>"]
    notes = table.notes(doc, with_status=True)
    if notes:
        parts += ["<h2>Notes</h2><ul>"] + [f"<li>{html.escape(n)}</li>" for n in notes] + ["</ul>"]
    if profile:
        parts += _profile_html(doc, profile, plots, base_dir)
    # Record in the page how many plots the browser could load: viewers see
    # missing plots at once, and tests read it back from the rendered DOM.
    script = ("<script>window.addEventListener('load',function(){var i=document.images,n=0;"
              "for(var k=0;k<i.length;k++)if(i[k].complete&&i[k].naturalWidth>0)n++;"
              "document.body.setAttribute('data-images-loaded',n+'/'+i.length);});</script>")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:90%}"
             "img{max-width:100%}.status{font-weight:bold}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style>{script}</head><body>{''.join(parts)}</body></html>\n")


def write(doc, plots, run_dir, profile=None):
    """Write report.md and report.html into run_dir; return their paths.
    profile: the run's profile summary (kdio.profile.profile.build), for
    the section "Where the cost goes"."""
    run_dir = Path(run_dir)
    md, page = run_dir / "report.md", run_dir / "report.html"
    write_atomic(md, markdown(doc, plots, run_dir, profile))
    write_atomic(page, html_page(doc, plots, run_dir, profile))
    return md, page
