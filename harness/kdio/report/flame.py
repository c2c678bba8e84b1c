"""Flame graphs of a profiled run's call stacks (--profile stacks): one
page per path, at its reference size, from the folded stacks in
RUN/profile/<case>.folded.

They are drawn by d3-flame-graph, the library perf's own flame-graph
report uses: an SVG drawn in the page, zoomable by click, with each
frame's instructions on hover. It comes from npm (ci/npm pins it; the
bootstrap installs it into the cache); the pages open offline, since its
files are copied beside them (plots/<run>/flame/lib/).
"""

import html
import json
import shutil
from pathlib import Path

from kdio import where
from kdio.errors import KdioError
from kdio.profile import profile

DIR = "flame"
LIBS = ("d3/dist/d3.min.js", "d3-flame-graph/dist/d3-flamegraph.umd.min.js",
        "d3-flame-graph/dist/d3-flamegraph.css")
# A path's reference case: the first of its cases at one of these sizes
# (bs= for dio, msg= for crypto and memcpy), else its first case.
REFERENCE_SIZES = ("64k", "1424", "1m", "4k", "64")


def lib_dir():
    return where.cache() / "npm" / "node_modules"


def missing_libs():
    """The library files that are not installed (relative to lib_dir())."""
    return [f for f in LIBS if not (lib_dir() / f).exists()]


def tree(folded):
    """{"name", "value", "children"} of folded stacks ({(f1, f2, ...): n}),
    value the instructions under a frame (its own and its callees'), as
    d3-flame-graph reads it."""
    root = {"name": "all", "value": 0, "children": {}}
    for stack, n in folded.items():
        node = root
        node["value"] += n
        for name in stack:
            node = node["children"].setdefault(name, {"name": name, "value": 0,
                                                      "children": {}})
            node["value"] += n

    def listed(node):
        kids = sorted(node["children"].values(), key=lambda k: -k["value"])
        return {"name": node["name"], "value": node["value"],
                "children": [listed(k) for k in kids]}
    return listed(root)


def references(summary):
    """{path: case id} of the profiled cases with stacks: each path's
    reference case."""
    by_path = {}
    for case_id, entry in summary["cases"].items():
        if entry.get("stacks") and entry["windows"]:
            by_path.setdefault(case_id.split("/")[0], []).append(case_id)
    out = {}
    for path, cases in by_path.items():
        def rank(case_id):
            params = dict(p.partition("=")[::2] for p in case_id.split("/")[1:])
            size = params.get("bs") or params.get("msg")
            return REFERENCE_SIZES.index(size) if size in REFERENCE_SIZES else len(REFERENCE_SIZES)
        out[path] = min(cases, key=rank)
    return out


PAGE = """<!DOCTYPE html>
<html><head><meta charset='utf-8'><title>{title}</title>
<link rel='stylesheet' href='lib/d3-flamegraph.css'>
<style>body{{font-family:sans-serif;margin:1em}} p{{max-width:70em}}</style>
</head><body>
<h2>{title}</h2>
<p>{about}</p>
<div id='chart'></div>
<script src='lib/d3.min.js'></script>
<script src='lib/d3-flamegraph.umd.min.js'></script>
<script>
const data = {data};
const chart = flamegraph.default().width(Math.max(960, window.innerWidth - 40))
  .cellHeight(18).minFrameSize(1).title('')
  .label(d => d.data.name + ': ' + d.value.toLocaleString() + ' instructions ('
         + (100 * d.value / data.value).toFixed(1) + ' %)');
d3.select('#chart').datum(data).call(chart);
</script>
</body></html>
"""


def page(case_id, entry, folded):
    """The HTML page of one case's flame graph."""
    about = (f"Where {case_id}'s instructions go, by call stack: counted guest instructions "
             f"in its timed windows ({entry['samples']} sample(s), {entry['windows']} "
             f"window(s), {entry['in_insns']:,} instructions; costs, not time), from kdio's "
             "QEMU plugin. A frame's width is its instructions and its callees'; click one to "
             "zoom. Stacks come from a shadow stack per task kept on call and ret: a tail "
             "call's caller is not a frame of its own, and a task's frames from before the "
             "plugin first saw it are missing."
             + (" fio's windows hold its job's start and end besides its I/O: the fork and "
                "exec of the marker commands (do_execve, page faults) are theirs."
                if case_id.startswith("fio.") else ""))
    return PAGE.format(title=html.escape(f"Flame graph: {case_id}"), about=html.escape(about),
                       data=json.dumps(tree(folded), separators=(",", ":")))


def draw(summary, profile_dir, out_dir):
    """A page per path with stacks (plots/<run>/flame/<case>.html) and the
    library files beside them; the pages' paths, [] when the run has no
    stacks. Raises KdioError when the library is not installed."""
    refs = references(summary)
    if not refs:
        return []
    missing = missing_libs()
    if missing:
        raise KdioError(f"the flame graphs' library is not installed ({lib_dir() / missing[0]} "
                        "is missing)", "run sh ci/bootstrap.sh bench (make deps), which installs "
                        "it with npm, then kdio plots RUN")
    out = Path(out_dir) / DIR
    (out / "lib").mkdir(parents=True, exist_ok=True)
    for f in LIBS:
        shutil.copy2(lib_dir() / f, out / "lib" / Path(f).name)
    pages = []
    for case_id in refs.values():
        entry = summary["cases"][case_id]
        folded = profile.read_folded(Path(profile_dir) / entry["stacks"])
        dst = out / f"{profile.slug(case_id)}.html"
        dst.write_text(page(case_id, entry, folded))
        pages.append(dst)
    return pages
