"""The latency table and the --metric columns, from a recorded smoke run:
kdio's paths and fio side by side, labelled as instructions in a counted
run."""

import json
import statistics

import pytest

from kdio import cli
from kdio.model import config
from kdio.report import latency, table
from kdio.results import results
from kdio.errors import ConfigError


def smoke_doc(fixtures, mode="wall"):
    suite = config.load_suite("smoke")
    return {"context": {"measure": {"mode": mode}},
            "results": results.build_results(suite, results.read_records(
                fixtures / "records-smoke.jsonl"))}


def test_every_storage_case_has_a_row_in_the_runs_order(fixtures):
    doc = smoke_doc(fixtures)
    rows = latency.rows(doc)
    assert [r["case"] for r in rows] == [r["case"] for r in doc["results"]]
    assert len(rows) == 12
    assert {r["path"] for r in rows} == {"dio.null", "dio.vmmap", "fio.psync"}
    assert all(r["I/Os"] in ("128", "8") for r in rows)


def test_figures_are_medians_of_the_repetitions(fixtures):
    doc = smoke_doc(fixtures)
    r = next(r for r in doc["results"] if r["case"] == "dio.vmmap/op=write/bs=64k/size=8m")
    p99 = statistics.median(io["clat_ns"]["percentile"]["99.000000"] for io in r["io"])
    assert len(r["io"]) == 3
    row = next(x for x in latency.rows(doc) if x["case"] == r["case"])
    assert row["clat_p99"] == latency.fmt(p99, counted=False)


def test_units_scale_with_the_figure():
    assert latency.fmt(932, False) == "932 ns"
    assert latency.fmt(929792, False) == "929.8 us"
    assert latency.fmt(10027008, False) == "10.03 ms"
    assert latency.fmt(932, True) == "932 insn"
    assert latency.fmt(10027008, True) == "10.03 M insn"


def test_counted_figures_are_labelled_instructions(fixtures):
    text = latency.render(smoke_doc(fixtures, "counted"))
    head, note, columns = text.splitlines()[:3]
    assert "VIRTUAL ns: guest instructions" in head and "not time" in head
    assert "middle of its histogram bin" in note
    assert "clat_p99 (insn)" in columns and " ns " not in text and "insn" in text
    wall = latency.render(smoke_doc(fixtures))
    assert "wall-clock" in wall.splitlines()[0] and "insn" not in wall


def test_metric_column_beside_throughput(fixtures):
    doc = smoke_doc(fixtures)
    text = table.render(doc, (latency.metric("clat_p99", doc),))
    header, *body = text.splitlines()
    assert header.split()[:7] == ["case", "status", "median", "n", "spread", "cv", "clat_p99"]
    assert len(body) == 12 and all(" us" in ln or " ns" in ln or " ms" in ln for ln in body)
    with pytest.raises(ConfigError, match="unknown metric 'clat_p42'"):
        latency.metric("clat_p42", doc)


def test_show_prints_the_latency_table_or_says_there_is_none(fixtures, tmp_path, capsys):
    doc = {"schema_version": 1, "run_id": "r", "status": "ok", "failure": None,
           "context": {"kdio_git_sha": "a", "kernel": {"name": "k", "release": "r",
                                                       "version": "v"},
                       "qemu_version": "7.2", "accelerator": "tcg",
                       "guest": {"cpus": 2, "memory_mib": 1024}, "host_cpu": "c",
                       "date": "2026-12-01T10:00:00+00:00", "command_line": "kdio",
                       "suite": {"name": "smoke"}},
           "results": smoke_doc(fixtures)["results"]}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc))
    assert cli.main(["show", str(path), "--latency"]) == 0
    out = capsys.readouterr().out
    assert out.count("dio.vmmap/") == 4 and out.count("fio.psync/") == 4
    assert cli.main(["show", str(path), "--metric", "clat_p50,clat_max"]) == 0
    assert "clat_p50" in capsys.readouterr().out
    doc["results"] = [r for r in doc["results"] if r["path"] == "dio.null"]
    for r in doc["results"]:
        r["metrics"] = {k: v for k, v in r["metrics"].items() if not k.startswith("clat")}
    path.write_text(json.dumps(doc))
    assert cli.main(["show", str(path), "--latency"]) == 2
    assert "no storage case has latency figures" in capsys.readouterr().err
