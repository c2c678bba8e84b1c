"""The table printed at the end of a run, generated from the result document.

Each throughput case shows its median, the spread of its repetitions
((max-min)/median as ±half, and the coefficient of variation), and its
ratios to the baselines measured in the same run: fio psync at the same op,
bs, size and backend, and fio io_uring at the same op, bs, size, backend and
queue depth.
"""

from kdio import stats

MB = 1e6
RATIOS = (("fio.psync", ("op", "bs", "size", "backend")),
          ("fio.io_uring", ("op", "bs", "size", "backend", "qd")),
          ("base.memcpy", ("msg",)))
DEFAULTS = {"backend": "ext4", "qd": 1}
METRIC_COLUMNS = (("msg/s", "msgs_per_s", "{:.0f}"), ("p99", "lat_p99_ns", "{:.0f} ns"))


def reference(r):
    """(baseline path, matching keys) a result is judged against: memcpy at
    the same message size for channels, fio psync at qd 1 and fio io_uring
    at the same qd above it for storage."""
    p = r["params"]
    if "msg" in p:
        return RATIOS[2]
    return RATIOS[0] if p.get("qd", 1) == 1 else RATIOS[1]


def _key(r, keys):
    return tuple(r["params"].get(k, DEFAULTS.get(k)) for k in keys)


def baselines(results):
    """{(path, key): median} for every measured baseline case."""
    found = {}
    for r in results:
        if r.get("baseline") and r["summary"]:
            for path, keys in RATIOS:
                if r["path"] == path:
                    found[(path, _key(r, keys))] = r["summary"]["median"]
    return found


def _fmt_value(r):
    s = r["summary"]
    if r["status"] == "expected-error":
        return f"{r['errno']} (expected)"
    if not s:
        return "-"
    if r["unit"] == "bytes/s":
        return f"{s['median'] / MB:9.1f} MB/s"
    if r["unit"] == "ops/s":
        return f"{s['median']:9.0f} ops/s"
    return f"{s['median']:9.1f} {r['unit']}"


def _ratio(r, base, path, keys):
    s = r["summary"]
    if r["unit"] != "bytes/s" or not s or r["path"] == path:
        return "-"
    value = stats.ratio(s["median"], base.get((path, _key(r, keys))))
    return f"{value:.2f}x" if value is not None else "-"


def _metric_median(r, name):
    values = [v for v in (r.get("metrics") or {}).get(name, []) if v is not None]
    if not values or r["status"] != "ok":
        return None
    return stats.summary(values)["median"]


def columns(doc):
    """The ratio and metric columns this document has figures for."""
    present = {r["path"] for r in doc["results"] if r.get("baseline") and r["summary"]}
    ratios = [path for path, _ in RATIOS if path in present]
    metrics = [c for c in METRIC_COLUMNS
               if any(_metric_median(r, c[1]) is not None for r in doc["results"])]
    return ratios, metrics


def rows(doc):
    base = baselines(doc["results"])
    out = []
    for r in doc["results"]:
        s = r["summary"]
        spread = stats.spread(s)
        row = {"case": r["case"], "status": r["status"], "value": _fmt_value(r),
               "n": s["n"] if s else 0,
               "spread": f"±{spread * 50:.0f}%" if spread is not None else "-",
               "cv": f"{s['cv'] * 100:.1f}%" if s else "-",
               "note": r["message"] or ""}
        for path, keys in RATIOS:
            row[path] = _ratio(r, base, path, keys)
        for title, name, fmt in METRIC_COLUMNS:
            value = _metric_median(r, name)
            row[title] = fmt.format(value) if value is not None else "-"
        out.append(row)
    return out


def render(doc):
    ratios, metrics = columns(doc)
    header = ("case", "status", "median", "n", "spread", "cv", *(m[0] for m in metrics),
              *(f"vs {path}" for path in ratios))
    table = rows(doc)
    body = [(r["case"], r["status"], r["value"], str(r["n"]), r["spread"], r["cv"],
             *(r[m[0]] for m in metrics), *(r[path] for path in ratios)) for r in table]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [header, *body]]
    notes = [f"  {r['case']}: {r['note']}" for r in table if r["note"]]
    return "\n".join(lines + (["notes:"] + notes if notes else []))
