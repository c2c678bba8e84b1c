"""Real boots of the default guest kernel, of 6.12 and of 6.1 PREEMPT_RT
under QEMU: the smoke
suite runs the vm_mmap path and fio psync, then reads the data back from
user space and runs the ioctl bad-input matrix. Every storage record has
its latency histogram, one sample per I/O, and fio's own tool reads the
run's fio export. Asserts correctness, never speed."""

import pytest

from kdio.report import export
from kdio.results import console, dmesg, ktap, results
from kdio.run import bench, reparse

pytestmark = pytest.mark.integration

# Rows of kdio-badinput's table (userspace/checks/badinput/*.c): one KTAP result
# each; 60 ioctl rows, then kdio-dio's 24 refusals (test_tools.REFUSAL_ROWS).
BADINPUT_ROWS = 84
REFUSAL_ROWS = 24
EXPECTED_ERRNOS = {"EFAULT", "EPROTO", "EINVAL", "ENAMETOOLONG", "ENOENT", "EISDIR",
                   "ENODATA", "ENOTTY", "EACCES", "EPERM"}


@pytest.fixture(scope="module", params=["debian-6.1", "debian-6.12", "debian-6.1-rt"])
def smoke_run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    doc, run_dir = bench.run(bench.Options(suite="smoke", kernel=request.param, results_dir=out,
                                           run_id=f"smoke-{request.param}"), log=print)
    return doc, run_dir


def test_run_finished_and_file_is_valid(smoke_run):
    doc, run_dir = smoke_run
    assert doc["status"] == "ok", doc["failure"]
    saved = results.load(run_dir / "result.json")
    results.validate(saved)
    assert saved["context"]["accelerator"] in ("kvm", "tcg")
    assert saved["context"]["guest"]["release"] == saved["context"]["kernel"]["release"]
    assert (run_dir / "result.csv").read_text().count("\n") == 1 + len(saved["results"])
    # kdio parse: the run read again offline gives back the same bytes
    assert results.dump(reparse.rebuild(run_dir)) == (run_dir / "result.json").read_text()


def test_every_case_measured_three_times(smoke_run):
    doc, _ = smoke_run
    assert len(doc["results"]) == 12
    for r in doc["results"]:
        assert r["status"] == "ok", (r["case"], r["message"])
        assert len(r["samples"]) == 3 and all(v > 0 for v in r["samples"])


def test_module_read_back_matches_what_it_wrote(smoke_run):
    doc, _ = smoke_run
    reads = [r for r in doc["results"] if r["path"] == "dio.vmmap" and r["params"]["op"] == "read"]
    assert len(reads) == 2
    for r in reads:
        assert r["metrics"]["bad_blocks"] == [0, 0, 0]
        assert r["metrics"]["bytes"] == [r["params"]["size"]] * 3


def test_fio_moved_the_same_bytes(smoke_run):
    doc, _ = smoke_run
    fio = [x for x in doc["results"] if x["path"] == "fio.psync"]
    assert len(fio) == 4
    for r in fio:
        assert r["metrics"]["io_bytes"] == [r["params"]["size"]] * 3


def _ordered(io):
    c, p = io["clat_ns"], io["clat_ns"]["percentile"]
    return 0 < p["50.000000"] <= p["90.000000"] <= p["99.000000"] <= p["99.900000"] <= c["max"]


def test_every_kdio_storage_record_has_ordered_clat_one_sample_per_io(smoke_run):
    doc, _ = smoke_run
    kdio = [r for r in doc["results"] if r["path"] in ("dio.null", "dio.vmmap")]
    assert len(kdio) == 8
    for r in kdio:
        ios = r["params"]["size"] // r["params"]["bs"]
        assert len(r["io"]) == 3, r["case"]
        for io in r["io"]:
            assert _ordered(io), (r["case"], io["clat_ns"]["percentile"], io["clat_ns"]["max"])
            assert io["clat_ns"]["N"] == sum(io["clat_ns"]["bins"].values()) == \
                io["total_ios"] == ios, r["case"]
        assert r["metrics"]["clat_ns_n"] == [ios] * 3 and r["metrics"]["calls"] == [ios] * 3


def test_fio_records_keep_fios_own_clat_beside(smoke_run):
    doc, _ = smoke_run
    fio = [r for r in doc["results"] if r["path"] == "fio.psync"]
    assert len(fio) == 4
    for r in fio:
        ios = r["params"]["size"] // r["params"]["bs"]
        assert [io["clat_ns"]["N"] for io in r["io"]] == [ios] * 3
        assert [sum(io["clat_ns"]["bins"].values()) for io in r["io"]] == [ios] * 3
        assert all(len(io["clat_ns"]["percentile"]) == 4 for io in r["io"])


def test_fios_tool_reads_the_runs_export(smoke_run, tmp_path):
    from test_export import clat2csv, csv_problems
    doc, _ = smoke_run
    out = export.fio_document(doc)
    assert len(out["jobs"]) == 36
    rc, said, tables = clat2csv(out, tmp_path)
    assert rc == 0 and len(tables) == 36, said
    assert csv_problems(doc, out, tables) == []


def test_data_check_and_bad_input_matrix(smoke_run, summary):
    doc, run_dir = smoke_run
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["data-ext4"]["ok"], checks["data-ext4"]["detail"]
    assert checks["badinput"]["ok"], checks["badinput"]["detail"]
    records = results.read_records(run_dir / "guest" / "records.jsonl")
    bad = next(r for r in records if r.get("type") == "check" and r["name"] == "badinput")
    lines = ktap.leaves(ktap.parse(bad["stdout"]))
    assert len(lines) == BADINPUT_ROWS and all(ln.ok for ln in lines)
    # nothing skipped in the guest: -R is given and the scratch disk is small
    assert [ln.name for ln in lines if ln.skipped] == []
    assert all(ln.passed for ln in lines)
    assert "skipped" not in checks["badinput"]["detail"]
    seen = {ln.fields["got"] for ln in lines if ln.fields.get("got", "0") != "0"}
    assert EXPECTED_ERRNOS <= seen
    # kdio-dio's refusals, each with its message: exit 1 with a JSON line, or a usage error
    refusals = [ln for ln in lines if ln.name.startswith("dio-")]
    assert len(refusals) == REFUSAL_ROWS
    assert all(ln.diagnostics[-1].startswith((f"{ln.name}: exit 1: ", f"{ln.name}: exit 2: "))
               for ln in refusals)
    release = doc["context"]["kernel"]["release"]
    summary.append(f"{release}: {checks['badinput']['detail']} ioctl bad-input checks "
                   f"({len(seen)} distinct errnos: {' '.join(sorted(seen))}); "
                   f"channels: {checks['xfer-badinput']['detail']}; "
                   f"fuzz: {checks['fuzz']['detail']}; kernel reports from kdio modules: "
                   f"{len(console.read((run_dir / 'console.log').read_text()).our_reports)}")


def test_channel_bad_inputs_and_fuzz(smoke_run):
    doc, _ = smoke_run
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["xfer-badinput"]["ok"], checks["xfer-badinput"]["detail"]
    assert checks["fuzz"]["ok"], checks["fuzz"]["detail"]
    assert " 0 hangs" in checks["fuzz"]["detail"]


def test_no_kernel_report_from_our_modules(smoke_run):
    _, run_dir = smoke_run
    text = (run_dir / "console.log").read_text()
    assert console.read(text).our_reports == ()
    records = results.read_records(run_dir / "guest" / "records.jsonl")
    kmsg = [ln for r in records for ln in r.get("kmsg", [])]
    assert dmesg.ours(kmsg) == []
