"""The table printed at the end of a run, generated from the result document.

Each throughput case shows its median, the spread of its repetitions
((max-min)/median, and the coefficient of variation), and its ratio to the
baseline measured in the same run with the same op, bs, size and qd.
"""

from kdio import stats

MB = 1e6
MATCH_KEYS = ("op", "bs", "size", "qd")


def _key(r):
    return tuple(r["params"].get(k) for k in MATCH_KEYS)


def baselines(results):
    """{(op, bs, size, qd): {baseline path: median}} for baseline cases."""
    found = {}
    for r in results:
        if r.get("baseline") and r["summary"]:
            found.setdefault(_key(r), {})[r["path"]] = r["summary"]["median"]
    return found


def _fmt_value(r):
    s = r["summary"]
    if not s:
        return "-"
    if r["unit"] == "bytes/s":
        return f"{s['median'] / MB:9.1f} MB/s"
    return f"{s['median']:9.1f} {r['unit']}"


def rows(doc, baseline_path="fio.psync"):
    base = baselines(doc["results"])
    out = []
    for r in doc["results"]:
        s = r["summary"]
        spread = stats.spread(s)
        ratio = None
        if r["unit"] == "bytes/s" and s and not r.get("baseline"):
            ratio = stats.ratio(s["median"], base.get(_key(r), {}).get(baseline_path))
        out.append({
            "case": r["case"], "status": r["status"], "value": _fmt_value(r),
            "n": s["n"] if s else 0,
            "spread": f"±{spread * 50:.0f}%" if spread is not None else "-",
            "cv": f"{s['cv'] * 100:.1f}%" if s else "-",
            "ratio": f"{ratio:.2f}x" if ratio is not None else "-",
            "note": r["message"] or "",
        })
    return out


def render(doc, baseline_path="fio.psync"):
    header = ("case", "status", "median", "n", "spread", "cv", f"vs {baseline_path}")
    body = [(r["case"], r["status"], r["value"], str(r["n"]), r["spread"], r["cv"], r["ratio"])
            for r in rows(doc, baseline_path)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [header, *body]]
    notes = [f"  {r['case']}: {r['note']}" for r in rows(doc, baseline_path) if r["note"]]
    return "\n".join(lines + (["notes:"] + notes if notes else []))
