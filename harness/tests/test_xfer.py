"""Channel results from a recorded run of the xfer suite."""

import json

import pytest

from kdio.model import config
from kdio.paths import paths
from kdio.report import plot, table
from kdio.results import results


@pytest.fixture
def xfer_doc(fixtures):
    suite = config.load_suite("xfer")
    return {"run_id": "x", "context": {"suite": {"name": "xfer"}},
            "results": results.build_results(suite, results.read_records(
                fixtures / "records-xfer.jsonl"))}


def test_every_channel_case_is_ok_with_latency(xfer_doc):
    suite = config.load_suite("xfer")
    assert len(xfer_doc["results"]) == len(suite.cases)
    channels = [r for r in xfer_doc["results"] if r["path"].startswith("xfer.")]
    assert len(channels) == sum(1 for c in suite.cases if c.path.startswith("xfer.")) > 0
    for r in xfer_doc["results"]:
        assert r["status"] == "ok", (r["case"], r["message"])
        if r["path"].startswith("xfer."):
            m = r["metrics"]
            assert m["gaps"] == [0, 0, 0] and m["bad"] == [0, 0, 0]
            assert all(a <= b for a, b in zip(m["lat_p50_ns"], m["lat_p99_ns"]))


def test_table_ratio_is_to_memcpy_at_the_same_size(xfer_doc):
    rows = {r["case"]: r for r in table.rows(xfer_doc)}
    by_case = {r["case"]: r["summary"]["median"] for r in xfer_doc["results"]}
    want = by_case["xfer.mmap/msg=64k/count=2000"] / by_case["base.memcpy/msg=64k/count=2000"]
    assert rows["xfer.mmap/msg=64k/count=2000"]["base.memcpy"] == f"{want:.2f}x"
    ratios, metrics = table.columns(xfer_doc)
    assert ratios == ["base.memcpy"] and [m.title for m in metrics] == ["msg/s", "p99"]
    assert rows["base.syscall/count=1000000"]["value"].strip().endswith("ops/s")


def test_channel_plots(xfer_doc, tmp_path):
    drawn = {p.name for p in plot.draw_all(xfer_doc, tmp_path)}
    assert {"throughput-channels.png", "ratio-channels.png", "latency.png"} <= drawn


def sample(**kw):
    line = {"tool": "kdio-xfer", "bytes": 6400, "elapsed_ns": 1000, "msgs_per_s": 1e8,
            "lat_p50_ns": 10, "lat_p99_ns": 20, "lat_max_ns": 30, "gaps": 0, "bad": 0,
            "drops": 0, "errno": 0}
    line.update(kw)
    return {"rc": 0, "stdout": json.dumps(line), "stderr": "", "timed_out": False}


def test_counted_drops_are_reported_and_uncounted_gaps_are_errors():
    parse = paths.PATHS["xfer.netlink"].parse
    s = parse(sample(gaps=5, drops=5), {})
    assert s.status == "ok" and "5 message(s) dropped" in s.message
    s = parse(sample(gaps=6, drops=5), {})
    assert s.status == "error" and s.errno == "EILSEQ"
    assert parse(sample(bad=1), {}).status == "error"
