"""kdio export --format fio: a recorded smoke run as fio's json+ document,
read by fio's own fio_jsonplus_clat2csv (Debian's fio package), whose CSV
must agree with the run's records; with the bins removed or broken, it
must not."""

import csv
import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from kdio import cli
from kdio.model import config
from kdio.report import export
from kdio.results import results

CLAT2CSV = Path("/usr/bin/fio_jsonplus_clat2csv")
PYTHON = "/usr/bin/python3"    # the tool's modules (six) are Debian's


def run_doc(fixtures, mode="wall"):
    suite = config.load_suite("smoke")
    return {"schema_version": 1, "run_id": "r1", "status": "ok", "failure": None,
            "context": {"kdio_git_sha": "a", "kernel": {"name": "debian-6.1",
                                                        "release": "6.1.0-56-amd64",
                                                        "version": "v"},
                        "qemu_version": "7.2", "accelerator": "tcg",
                        "guest": {"cpus": 2, "memory_mib": 1024}, "host_cpu": "c",
                        "date": "2026-12-01T10:00:00+00:00", "command_line": "kdio",
                        "suite": {"name": "smoke"}, "measure": {"mode": mode}},
            "results": results.build_results(suite, results.read_records(
                fixtures / "records-smoke.jsonl"))}


def clat2csv(doc, tmp_path, *flags):
    """Run fio's tool on doc; (exit code, output, {job: CSV rows})."""
    src, stub = tmp_path / "fio.json", tmp_path / "lat.csv"
    src.write_text(json.dumps(doc))
    r = subprocess.run([PYTHON, str(CLAT2CSV), str(src), str(stub), *flags],
                       capture_output=True, text=True)
    tables = {}
    for j in range(len(doc["jobs"])):
        f = tmp_path / f"lat_job{j}.csv"
        if f.exists():
            rows = list(csv.reader(f.read_text().splitlines(), skipinitialspace=True))
            tables[j] = [dict(zip(rows[0], row)) for row in rows[1:] if row]
    return r.returncode, r.stdout + r.stderr, tables


def _job_problems(j, rows, op, io, clamped):
    """What job j's CSV rows (fio's tool) say against the record's io entry;
    clamped: the record's percentiles are kdio's, kept within [min, max]."""
    latency = io["clat_ns"]
    mine = [r for r in rows if r.get(f"{op}_clat_ns_count")]
    if len(mine) != len(latency["bins"]):
        return [f"job {j}: {len(mine)} {op} clat rows for {len(latency['bins'])} bins"]
    if int(mine[-1][f"{op}_clat_ns_cumulative"]) != io["total_ios"]:
        return [f"job {j}: the rows do not add up to the {io['total_ios']} I/Os"]
    out = []
    for key, ns in latency["percentile"].items():
        reach = Fraction(float(key)) / 100 * latency["N"]
        found = int(next(r for r in mine if int(r[f"{op}_clat_ns_cumulative"]) >= reach)["nsec"])
        if clamped:
            found = min(max(found, latency["min"]), latency["max"])
        if found != ns:
            out.append(f"job {j}: p{key} is {found} ns in the CSV, {ns} ns in the record")
    return out


def csv_problems(doc, exported, tables):
    """Every way the tool's CSVs disagree with doc's records: one CSV per
    job, one row per bin, adding up to the I/Os, percentiles as recorded."""
    records = {r["case"]: r for r in doc["results"]}
    out = []
    for j, job in enumerate(exported["jobs"]):
        opts = job["job options"]
        io = records[job["jobname"]]["io"][int(opts["kdio_repetition"]) - 1]
        if j not in tables:
            out.append(f"job {j}: no CSV")
            continue
        out += _job_problems(j, tables[j], opts["rw"], io,
                             clamped=not opts["kdio_path"].startswith("fio."))
    return out


@pytest.fixture
def exported(fixtures):
    doc = run_doc(fixtures)
    return doc, export.fio_document(doc)


def test_every_ok_repetition_of_every_storage_case_is_a_job(exported):
    doc, out = exported
    assert len(doc["results"]) == 12 and len(out["jobs"]) == 36
    assert out["kdio"]["cases"] == 12 and out["kdio"]["times"] == "wall-clock ns"
    names = [(job["jobname"], job["job options"]["kdio_repetition"]) for job in out["jobs"]]
    assert names[:4] == [("dio.null/op=write/bs=64k/size=8m", "1"),
                         ("dio.null/op=write/bs=64k/size=8m", "2"),
                         ("dio.null/op=write/bs=64k/size=8m", "3"),
                         ("dio.vmmap/op=write/bs=64k/size=8m", "1")]
    job = out["jobs"][3]
    assert job["job options"]["ioengine"] == "dio.vmmap" and job["job options"]["bs"] == "65536"
    assert job["write"]["total_ios"] == job["write"]["clat_ns"]["N"] == 128
    assert job["read"]["total_ios"] == 0 and "bins" not in job["read"]["clat_ns"]
    assert job["write"]["clat_ns"]["stddev"] > 0
    assert out["jobs"][6]["job options"]["ioengine"] == "psync"


def test_fios_tool_reads_the_export_as_the_records_say(exported, tmp_path):
    doc, out = exported
    rc, said, tables = clat2csv(out, tmp_path)
    assert rc == 0, said
    assert len(tables) == 36 and said.count("generated") == 36
    assert csv_problems(doc, out, tables) == []
    rc, said, _ = clat2csv(out, tmp_path, "--validate")
    assert rc == 0 and said.count("validated") == 36, said


def test_without_bins_the_tools_check_fails(exported, tmp_path):
    doc, out = exported
    for job in out["jobs"]:
        for side in export.DIRECTIONS:
            job[side]["clat_ns"].pop("bins", None)
    rc, said, tables = clat2csv(out, tmp_path)
    assert rc == 0 and len(tables) == 36 and all(rows == [] for rows in tables.values())
    problems = csv_problems(doc, out, tables)
    assert len(problems) == 36 and "job 0: 0 write clat rows for" in problems[0]


def test_broken_bins_fail_the_tool_or_its_check(exported, tmp_path):
    doc, out = exported
    bins = out["jobs"][3]["write"]["clat_ns"]["bins"]
    first = next(iter(bins))
    bins[first] += 1                     # one sample more than the record's I/Os
    rc, said, tables = clat2csv(out, tmp_path)
    assert rc == 0
    assert csv_problems(doc, out, tables) == \
        ["job 3: the rows do not add up to the 128 I/Os"]
    bins["not-a-number"] = 1
    rc, said, _ = clat2csv(out, tmp_path)
    assert rc != 0 and "invalid literal for int()" in said


def test_counted_runs_say_the_times_are_instructions(fixtures):
    out = export.fio_document(run_doc(fixtures, "counted"))
    assert out["kdio"]["measure"] == "counted"
    assert "guest instructions" in out["kdio"]["times"] and "not time" in out["kdio"]["times"]


def test_cli_writes_the_export_beside_the_result(fixtures, tmp_path, capsys):
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    (run_dir / "result.json").write_text(json.dumps(run_doc(fixtures)))
    assert cli.main(["export", "--format", "fio", str(run_dir)]) == 0
    written = json.loads((run_dir / "fio.json").read_text())
    assert len(written["jobs"]) == 36
    assert "36 jobs from 12 storage cases" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        cli.main(["export", "--format", "csv", str(run_dir)])
    assert e.value.code == 2
