"""Result documents built from recorded guest records."""

import json

import pytest

from kdio.model import config
from kdio.paths import paths
from kdio.plan import plan
from kdio.results import results
from kdio.run import bench
from kdio.vm import vm
from kdio.errors import SchemaError

from ktap_samples import MALFORMED


@pytest.fixture
def smoke():
    return config.load_suite("smoke")


def context():
    return {"kdio_git_sha": "abc", "kernel": {"name": "debian-6.1", "release": "r", "version": "v"},
            "qemu_version": "7.2", "accelerator": "tcg", "guest": {"cpus": 2, "memory_mib": 1024},
            "host_cpu": "cpu", "date": "2026-11-22", "command_line": "kdio bench", "suite": {}}


def doc_for(records, suite):
    return {"schema_version": 1, "run_id": "r1", "status": "running", "failure": None,
            "context": context(), "results": results.build_results(suite, records)}


def test_smoke_records_give_valid_complete_results(fixtures, smoke):
    records = results.read_records(fixtures / "records-smoke.jsonl")
    doc = doc_for(records, smoke)
    results.validate(doc)
    assert len(doc["results"]) == len(smoke.cases)
    for r in doc["results"]:
        assert r["status"] == "ok", r
        assert len(r["samples"]) == 3 and r["summary"]["n"] == 3
        assert r["summary"]["min"] <= r["summary"]["median"] <= r["summary"]["max"]
    vm_read = next(r for r in doc["results"] if r["case"] == "dio.vmmap/op=read/bs=64k/size=8m")
    assert vm_read["unit"] == "bytes/s" and vm_read["metrics"]["bad_blocks"] == [0, 0, 0]
    fio_w = next(r for r in doc["results"] if r["path"] == "fio.psync")
    assert fio_w["baseline"] and fio_w["metrics"]["io_bytes"] == [8 << 20] * 3


def test_panic_keeps_samples_measured_before(fixtures, smoke):
    records = results.read_records(fixtures / "records-panic.jsonl")
    by_case = {r["case"]: r for r in doc_for(records, smoke)["results"]}
    assert by_case["dio.vmmap/op=write/bs=64k/size=8m"]["samples"]
    assert "only 1 of 3" in by_case["dio.vmmap/op=write/bs=64k/size=8m"]["message"]
    assert by_case["fio.psync/op=read/bs=1m/size=8m"]["status"] == "skipped"


def test_torn_last_line_is_ignored(tmp_path, fixtures):
    text = (fixtures / "records-smoke.jsonl").read_text().splitlines()
    p = tmp_path / "records.jsonl"
    p.write_text("\n".join(text[:5]) + "\n" + text[5][:40])
    assert len(results.read_records(p)) == 5


def test_finish_marks_panic_failed_and_writes_files(tmp_path, fixtures, smoke):
    records = results.read_records(fixtures / "records-panic.jsonl")
    doc = doc_for(records, smoke)
    outcome = vm.VmOutcome(0, False, 5.0, (fixtures / "console-panic.log").read_text())
    bench.finish(doc["run_id"], smoke, doc["context"], outcome, records, tmp_path)
    saved = results.load(tmp_path / "result.json")
    assert saved["status"] == "failed"
    assert saved["failure"] == {"reason": "guest kernel panic: sysrq triggered crash",
                                "last_case": "crash/sysrq"}
    assert (tmp_path / "result.csv").read_text().startswith("suite,case,path")
    assert not list(tmp_path.glob(".*.tmp"))


def test_finish_good_run(tmp_path, fixtures, smoke):
    records = results.read_records(fixtures / "records-smoke.jsonl")
    doc = doc_for(records, smoke)
    outcome = vm.VmOutcome(0, False, 30.0, (fixtures / "console-good.log").read_text())
    done = bench.finish(doc["run_id"], smoke, doc["context"], outcome, records, tmp_path)
    assert done["status"] == "ok"
    assert done["context"]["guest"]["release"] == "6.1.0-56-amd64"
    rows = (tmp_path / "result.csv").read_text().splitlines()
    assert len(rows) == 1 + len(smoke.cases)


def test_our_kernel_warning_makes_the_sample_an_error(fixtures, smoke):
    records = results.read_records(fixtures / "records-smoke.jsonl")
    sample = next(r for r in records if r.get("case") == "dio.vmmap/op=write/bs=64k/size=8m")
    sample["kmsg"] = ["WARNING: CPU: 0 PID: 9 at dio_vmmap.c:1 kdio_vmmap_run+0x1/0x2 [kdio_dio]"]
    r = next(x for x in doc_for(records, smoke)["results"] if x["case"] == sample["case"])
    assert r["status"] == "error" and "kernel report from kdio_dio" in r["message"]


def test_dio_error_output_is_an_error_result():
    raw = {"rc": 1, "stdout": json.dumps({"tool": "kdio-dio", "errno": 22, "errno_name": "EINVAL",
                                          "error": "block size 1000 is not a multiple of 512"}),
           "stderr": "", "timed_out": False}
    s = paths.PATHS["dio.vmmap"].parse(raw, {"op": "write"})
    assert s.status == "error" and s.errno == "EINVAL" and "512" in s.message


def test_timeout_sample(smoke):
    raw = {"rc": None, "stdout": "", "stderr": "", "timed_out": True}
    s = paths.PATHS["fio.psync"].parse(raw, {"op": "read"})
    assert s.status == "error" and s.errno == "ETIMEDOUT"


def test_fio_error_report_keeps_errno(fixtures):
    raw = {"rc": 1, "stdout": (fixtures / "fio-error-enospc.json").read_text(), "stderr": "",
           "timed_out": False}
    s = paths.PATHS["fio.psync"].parse(raw, {"op": "write"})
    assert s.status == "error" and s.errno == "ENOSPC"


def test_load_refuses_unknown_schema_version(tmp_path):
    p = tmp_path / "result.json"
    p.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(SchemaError, match="schema_version 99"):
        results.load(p)


def test_validate_rejects_bad_status(fixtures, smoke):
    doc = doc_for([], smoke)
    doc["results"][0]["status"] = "fine"
    with pytest.raises(SchemaError, match="status"):
        results.validate(doc)


def kdio_line(**kw):
    """A kdio-dio line: 16 calls of 62500 ns each, their histogram with them."""
    base = {"tool": "kdio-dio", "bytes": 1 << 20, "elapsed_ns": 1_000_000, "calls": 16,
            "bad_blocks": 0, "first_bad_offset": None, "clat_samples": 16,
            "clat_min_ns": 62500, "clat_max_ns": 62500, "clat_sum_ns": 1_000_000,
            "clat_bins": {"62720": 16}, "dio_align": 512, "errno": 0,
            "errno_name": None, "error": None}
    base.update(kw)
    return json.dumps(base)


def test_known_errno_is_an_expected_error_and_other_errnos_are_not(tmp_path):
    (tmp_path / "s.toml").write_text('name="t"\nrepetitions=2\nfile_size="1m"\n[[matrix]]\n'
                                     'paths=["dio.kvec-kmalloc"]\nop="write"\nbs="64k"\nsize="1m"\n')
    suite = config.load_suite(tmp_path / "s.toml")
    case = suite.cases[0]
    efault = kdio_line(errno=14, errno_name="EFAULT", error="Bad address", bytes=0)
    einval = kdio_line(errno=22, errno_name="EINVAL", error="Invalid argument", bytes=0)
    raw = lambda out: {"type": "sample", "case": case.case_id, "rc": 1, "stdout": out,
                       "stderr": "", "timed_out": False, "kmsg": []}
    r = results.build_results(suite, [raw(efault), raw(efault)])[0]
    assert r["status"] == "expected-error" and r["errno"] == "EFAULT" and r["samples"] == []
    r = results.build_results(suite, [raw(efault), raw(einval)])[0]
    assert r["status"] == "error" and r["errno"] == "EINVAL"
    ok = {**raw(kdio_line()), "rc": 0}
    r = results.build_results(suite, [ok, ok])[0]
    assert r["status"] == "ok" and "EFAULT is the known result" in r["message"]


def test_alignment_is_collected_per_backend(smoke, fixtures):
    records = results.read_records(fixtures / "records-smoke.jsonl")
    assert results.dio_alignment(smoke, records) == {"ext4": 512}


def test_module_params_only_for_our_modules(tmp_path):
    from pathlib import Path
    from kdio.errors import ConfigError
    kos = (Path("/b/kdio_dio.ko"),)
    assert plan.our_module_params(("kdio_dio.delay_us=200", "kdio_dio.x=1"), kos) == \
        {"kdio_dio": "delay_us=200 x=1"}
    for bad in ("ext4.foo=1", "kdio_dio.delay_us", "delay_us=1"):
        with pytest.raises(ConfigError):
            plan.our_module_params((bad,), kos)


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    results.write_atomic(target, "old\n")

    def no_space(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(results.os, "fsync", no_space)
    with pytest.raises(results.ResultsWriteError) as e:
        results.write_atomic(target, "new\n")
    assert "No space left" in str(e.value) and "records.jsonl" in e.value.hint
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_timeout_marks_the_run_failed_and_keeps_samples(tmp_path, fixtures, smoke):
    records = results.read_records(fixtures / "records-panic.jsonl")
    records = [r for r in records if r.get("type") != "end"]
    doc = doc_for(records, smoke)
    outcome = vm.VmOutcome(-9, True, 600.0, (fixtures / "console-truncated.log").read_text())
    bench.finish(doc["run_id"], smoke, doc["context"], outcome, records, tmp_path)
    saved = results.load(tmp_path / "result.json")
    assert saved["status"] == "failed" and "timeout" in saved["failure"]["reason"]
    assert any(r["samples"] for r in saved["results"])


def check_raw(*lines, rc=0):
    return {"type": "check", "name": "data-ext4", "rc": rc,
            "stdout": "\n".join(json.dumps(ln) for ln in lines), "kmsg": []}


def ktap_raw(*results, rc=0, kmsg=()):
    """A bad-input tool's record: its KTAP lines, plan included."""
    text = "\n".join(["KTAP version 1", f"1..{len(results)}", *results]) + "\n"
    return {"type": "check", "name": "badinput", "output": "ktap", "rc": rc,
            "stdout": text, "kmsg": list(kmsg)}


def test_skipped_bad_input_lines_pass_but_are_counted_and_named():
    r = results.check_result(ktap_raw("ok 1 a # expected=EINVAL got=EINVAL",
                                      "ok 2 rofs # SKIP no -R ROFILE given"))
    assert r["ok"] and r["detail"].startswith("1/2 ok, 1 skipped (rofs)")


def test_a_wrong_line_or_no_line_fails_the_check():
    r = results.check_result(ktap_raw("ok 1 a # expected=0 got=0",
                                      "not ok 2 wrong-abi # expected=EDOM got=EPROTO", rc=1))
    assert not r["ok"] and "wrong-abi: expected=EDOM got=EPROTO" in r["detail"]
    assert not results.check_result(ktap_raw())["ok"]     # 1..0: no test ran
    assert not results.check_result(check_raw())["ok"]


def test_a_not_ok_line_fails_the_check_even_with_exit_0():
    r = results.check_result(ktap_raw("not ok 1 wrong-abi # expected=EDOM got=EPROTO"))
    assert not r["ok"] and r["detail"] == "0/1 ok; wrong-abi: expected=EDOM got=EPROTO"


@pytest.mark.parametrize("stdout, says", MALFORMED)
def test_malformed_ktap_fails_the_check_and_says_why(stdout, says):
    raw = {**ktap_raw(), "stdout": stdout, "stderr": "kdio-badinput: oops"}
    r = results.check_result(raw)
    assert not r["ok"] and r["detail"].startswith("output is not KTAP: ")
    assert says in r["detail"] and "kdio-badinput: oops" in r["detail"]


def test_a_kernel_report_fails_a_ktap_check():
    oops = ["BUG: kernel NULL pointer dereference", "RIP: 0010:kdio_dio_ioctl+0x1/0x2 [kdio_dio]"]
    r = results.check_result(ktap_raw("ok 1 a # expected=0 got=0", kmsg=oops))
    assert not r["ok"] and "kernel report: BUG: kernel NULL pointer" in r["detail"]


def test_a_data_check_with_bad_blocks_fails_and_says_how_many():
    line = {"tool": "kdio-verify", "mode": "check", "size": 8 << 20, "block_size": 1 << 20,
            "seed": 30, "bad_blocks": 8, "first_bad_offset": 0, "errno": 0}
    r = results.check_result(check_raw(line, rc=1))
    assert not r["ok"]
    assert r["detail"] == "0/1 ok; check: 8/8 bad blocks, first at offset 0 (seed 30)"
    # bad blocks fail the check even if the tool's exit code did not say so
    assert not results.check_result(check_raw(line, rc=0))["ok"]


FUZZ_FOUND = """\
KTAP version 1
1..1
    KTAP version 1
    1..2
    # kdio_dio: errnos OK=4
    ok 1 kdio_dio # calls=4 hangs=0 undocumented=0 crashes=0
    # kdio_xfer: undocumented-errno: mmap mmap at iteration 3 gave EINVAL; kdio-fuzz -s 1 -n 4 -v shows it as the last call
    # kdio_xfer: errnos OK=5 EINVAL=1
    not ok 2 kdio_xfer # calls=6 hangs=0 undocumented=1 crashes=0
# kdio-fuzz: seed 1, 10 iterations in 3 ms, 1 finding(s)
not ok 1 kdio-fuzz # calls=10 distinct_errnos=2 hangs=0 undocumented=1 crashes=0
"""


def test_fuzz_findings_are_named_in_the_detail():
    raw = {"type": "check", "name": "fuzz", "output": "ktap", "rc": 1, "stdout": FUZZ_FOUND,
           "kmsg": []}
    r = results.check_result(raw)
    assert not r["ok"]
    assert r["detail"] == ("1/2 ok; kdio_xfer: calls=6 hangs=0 undocumented=1 crashes=0 "
                           "(kdio_xfer: undocumented-errno: mmap mmap at iteration 3 gave "
                           "EINVAL; kdio-fuzz -s 1 -n 4 -v shows it as the last call); "
                           "10 calls, 2 distinct errnos, 0 hangs, 1 undocumented, 0 crashes")
    # a failed result is told with its own diagnostic, not the run's header before it
    header = FUZZ_FOUND.replace("    # kdio_dio: errnos OK=4\n",
                                "    # kdio-fuzz: seed 1, 10 iterations\n    # kdio_dio: errnos OK=4\n")
    header = header.replace("    ok 1 kdio_dio", "    not ok 1 kdio_dio")
    r = results.check_result({**raw, "stdout": header})
    assert "kdio_dio: calls=4 hangs=0 undocumented=0 crashes=0 (kdio_dio: errnos OK=4)" in r["detail"]
    clean = FUZZ_FOUND.replace("not ok", "ok").replace("undocumented=1", "undocumented=0")
    r = results.check_result({**raw, "rc": 0, "stdout": clean})
    assert r["ok"] and " 0 hangs" in r["detail"]


def test_every_check_says_what_its_tool_prints():
    assert set(plan.CHECK_OUTPUT) == set(plan.CHECKS)
    assert set(plan.CHECK_OUTPUT.values()) == set(results.CHECK_READERS)


def test_record_tail_reads_only_what_was_added_and_waits_for_a_torn_line(tmp_path):
    path = tmp_path / "records.jsonl"
    tail = results.RecordTail(path)
    assert tail() == []                                   # not there yet
    path.write_text('{"n": 1}\n{"n": 2}\n{"n": 3')        # the guest is mid-write
    assert [r["n"] for r in tail()] == [1, 2]
    with open(path, "a") as f:
        f.write('}\n{"n": 4}\n')
    assert [r["n"] for r in tail()] == [1, 2, 3, 4]
    assert [r["n"] for r in tail()] == [1, 2, 3, 4]       # nothing new, nothing twice
    assert tail() == results.read_records(path)
    with open(path, "a") as f:
        f.write('garbage\n{"n": 5}\n')                   # damaged: stop, as read_records does
    assert [r["n"] for r in tail()] == [1, 2, 3, 4] == [r["n"] for r in results.read_records(path)]
    with open(path, "a") as f:
        f.write('{"n": 6}\n')
    assert [r["n"] for r in tail()] == [1, 2, 3, 4]       # and stays stopped on the next poll
