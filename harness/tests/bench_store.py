"""Not a test: the store's benchmark, whose figures docs/results.md quotes
(wall-clock). Run from harness/: python3 tests/bench_store.py

On an SQLite file and on a PostgreSQL server of its own (postgres.py: a
temporary cluster on a Unix socket, fsync off): one ci run added (the
committed baseline, median of 5), 100 runs added in one process, the store's
size per run; then 1,000 runs x 30 series (7 with a 1 % step, the rest with
+-0.05 % noise) added, read back and judged, the dashboard written, and its
load time in headless Chromium (the page's own performance.now() at its
load event, in a copy of it)."""

import copy
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kdio import where                        # noqa: E402
from kdio.report import dashboard, trend      # noqa: E402
from kdio.results import results              # noqa: E402
from kdio.store import store                  # noqa: E402
from postgres import Cluster                  # noqa: E402

BASE = results.load(where.TOP / "ci/baselines/ci.json")


def runs(n, series=28, step_at=None, seed=1):
    """n runs of the baseline, 6 hours apart; with series=30 two cases
    copied; from run step_at on, every dio.bvec case 1 % dearer."""
    base = copy.deepcopy(BASE)
    for i, r in enumerate(copy.deepcopy(base["results"][:series - len(base["results"])])):
        r["case"] += f"/copy={i}"
        base["results"].append(r)
    rng = random.Random(seed)
    for k in range(n):
        d = copy.deepcopy(base)
        d["run_id"] = f"n{k:04d}"
        d["context"]["date"] = (datetime(2026, 1, 1, tzinfo=timezone.utc)
                                + timedelta(hours=6 * k)).isoformat()
        for r in d["results"]:
            step = 1.01 if step_at is not None and k >= step_at and \
                r["case"].startswith("dio.bvec") else 1.0
            r["samples"] = [v * step * (1 + rng.uniform(-0.0005, 0.0005)) for v in r["samples"]]
        yield d


def adds(make, size):
    docs = list(runs(200))
    singles = []
    for i in range(5):
        target = make()
        with store.Store(target) as s:
            s.add(docs[199])                  # the schema made, one run there
            t0 = time.perf_counter()
            s.add(docs[198 - i])
            singles.append(time.perf_counter() - t0)
    target = make()
    with store.Store(target) as s:
        s.add(docs[199])
        before = size(target, s)
        t0 = time.perf_counter()
        for d in docs[:100]:
            s.add(d)
        hundred = time.perf_counter() - t0
        per_run = (size(target, s) - before) / 100
    return (f"add one ci run {statistics.median(singles) * 1000:.1f} ms (median of 5, "
            f"{min(singles) * 1000:.1f}-{max(singles) * 1000:.1f}); 100 runs "
            f"{hundred:.2f} s; {per_run / 1024:.1f} KiB per run")


def thousand(target, out):
    t0 = time.perf_counter()
    with store.Store(target) as s:
        for d in runs(1000, series=30, step_at=500):
            s.add(d)
    added = time.perf_counter() - t0
    t0 = time.perf_counter()
    with store.Store(target) as s:
        series = s.series()
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    judged = trend.trends(series)
    judging = time.perf_counter() - t0
    t0 = time.perf_counter()
    dashboard.write(judged, out)
    page = time.perf_counter() - t0
    steps = sum(len(st) for _, st in judged.values())
    return (f"1,000 runs x {len(series)} series: added {added:.1f} s, read {read:.2f} s, "
            f"change points {judging:.2f} s ({steps} found), page {page:.2f} s "
            f"({out.stat().st_size // 1024} KiB)")


def load_ms(page, tmp, times=5):
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace(
        "</body>", "<script>addEventListener('load', () => { document.title = 'LOAD ' + "
                   "performance.now().toFixed(0); });</script></body>"))
    out = []
    for i in range(times):
        r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={tmp}/chromium-{i}", "--dump-dom", probe.as_uri()],
                           capture_output=True, text=True, timeout=120)
        out.append(r.stdout.split("<title>LOAD ")[1].split("</title>")[0])
    return out


def main():
    tmp = Path(tempfile.mkdtemp(prefix="kdio-bench-store-"))
    names = iter(range(1000))
    print("SQLite:", adds(lambda: str(tmp / f"s{next(names)}.sqlite"),
                          lambda t, s: os.path.getsize(t)))
    page = tmp / "dashboard.html"
    print("SQLite:", thousand(str(tmp / "big.sqlite"), page))
    cluster = Cluster().init()
    cluster.start()
    try:
        print("PostgreSQL:", adds(cluster.database, lambda t, s: s.db.q(
            "SELECT pg_database_size(current_database())").fetchone()[0]))
        print("PostgreSQL:", thousand(cluster.database(), tmp / "dashboard-pg.html"))
    finally:
        cluster.remove()
    print("Chromium: the page's load event (ms after navigation starts):",
          ", ".join(load_ms(page, tmp)))


if __name__ == "__main__":
    main()
