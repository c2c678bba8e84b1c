"""The result document, one pure function of (run, suite, context, records,
outcome): the partial document written while the guest runs and the final
one agree on everything the records tell, both follow the schema, and the
inputs are never changed."""

import copy
import dataclasses
import json

import pytest

from kdio.model import config, measure
from kdio.results import document, results
from kdio.run import bench
from kdio.vm import vm
from kdio.run import progress as progress_module
from kdio.run.progress import Progress
from kdio.errors import SchemaError


def context(**more):
    return {"kdio_git_sha": "abc", "kernel": {"name": "debian-6.1", "release": "r",
                                              "version": "v"},
            "qemu_version": "7.2", "accelerator": "tcg", "guest": {"cpus": 2, "memory_mib": 1024},
            "host_cpu": "cpu", "date": "2026-11-22", "command_line": "kdio bench",
            "suite": {"name": "smoke"}, "measure": measure.WALL.context(),
            "module_params": [], "user_modules": [], **more}


@pytest.fixture
def smoke():
    return config.load_suite("smoke")


@pytest.fixture
def records(fixtures):
    return results.read_records(fixtures / "records-smoke.jsonl")


@pytest.fixture
def good(fixtures):
    return vm.VmOutcome(0, False, 30.04, (fixtures / "console-good.log").read_text())


def test_the_document_mid_run_and_at_the_end_agree(smoke, records, good):
    mid = document.build("r1", smoke, context(), records)
    end = document.build("r1", smoke, context(), records, good)
    results.validate(mid)
    results.validate(end)
    assert (mid["status"], mid["failure"]) == ("running", None)
    assert (end["status"], end["failure"]) == ("ok", None)
    same = lambda doc: {k: v for k, v in doc.items() if k not in ("status", "failure")}
    end_context = dict(end["context"])
    assert end_context.pop("vm_elapsed_s") == 30.0
    assert {**same(end), "context": end_context} == same(mid)
    assert mid["context"]["guest"]["release"] == "6.1.0-56-amd64"
    assert mid["context"]["dio_align"] == {"ext4": 512}
    assert len(mid["results"]) == len(smoke.cases) and len(mid["checks"]) == 4


def test_it_is_pure(smoke, records, good):
    ctx, recs = context(user_modules=[{"module": "m", "source": "s", "loaded": None,
                                       "message": None}]), copy.deepcopy(records)
    before = copy.deepcopy((ctx, recs))
    first = document.build("r1", smoke, ctx, recs, good)
    assert (ctx, recs) == before
    assert document.build("r1", smoke, ctx, recs, good) == first


def test_what_only_the_end_tells_fails_the_run(smoke, records, fixtures):
    """A user module's failed load comes from the console: known at the
    end only, it is the reason the run failed."""
    text = (fixtures / "console-good.log").read_text() + \
        "kdio: user module m.ko failed: insmod: ERROR: -22\n"
    ctx = context(user_modules=[{"module": "m", "source": "s", "loaded": None,
                                 "message": None}])
    mid = document.build("r1", smoke, ctx, records)
    end = document.build("r1", smoke, ctx, records, vm.VmOutcome(0, False, 1.0, text))
    assert mid["context"]["user_modules"][0]["loaded"] is None and mid["status"] == "running"
    assert end["context"]["user_modules"][0] == {"module": "m", "source": "s", "loaded": False,
                                                 "message": "insmod: ERROR: -22"}
    assert end["status"] == "failed"
    assert end["failure"]["reason"] == "user module m failed to load: insmod: ERROR: -22"
    assert end["setup_failures"] == [end["failure"]["reason"]]


def test_a_counted_guest_whose_clock_does_not_count_is_a_failure_mid_run_too(smoke, records):
    counted = dataclasses.replace(smoke, measure=measure.COUNTED)
    doc = document.build("r1", counted, context(measure=measure.COUNTED.context()), records)
    assert doc["context"]["measure"]["guest_tsc_mhz"] != measure.TSC_MHZ
    assert doc["setup_failures"][0].startswith("counted mode: ")


def test_a_document_that_lost_a_field_does_not_validate(smoke, records):
    doc = document.build("r1", smoke, context(), records)
    del doc["run_id"]
    with pytest.raises(SchemaError, match="run_id"):
        results.validate(doc)


def test_progress_and_finish_write_the_documents_build_gives(tmp_path, smoke, records, good,
                                                            fixtures):
    share, ctx = tmp_path / "guest", context()
    share.mkdir()
    (share / "records.jsonl").write_text((fixtures / "records-smoke.jsonl").read_text())
    progress = Progress("r1", smoke, ctx, share, tmp_path, log=lambda line: None)
    assert progress() == records
    written = json.loads((tmp_path / "result.json").read_text())
    assert written == json.loads(results.dump(document.build("r1", smoke, ctx, records)))
    done = bench.finish("r1", smoke, ctx, good, records, tmp_path)
    assert done == document.build("r1", smoke, ctx, records, good)
    assert results.load(tmp_path / "result.json") == json.loads(results.dump(done))


def _streams(smoke, records, n=2):
    """records as n shards' guests would have written them (kdio.plan.shard):
    each its guest and setup records, its own cases' samples, its checks
    (the data check in every shard) and an end."""
    from kdio.plan import shard
    shards = shard.split(smoke, n)
    streams = []
    for s in shards:
        mine = {c.case_id for c in s.suite.cases}
        streams.append([r for r in records
                        if r.get("type") in ("guest", "setup", "end")
                        or r.get("type") == "sample" and r["case"] in mine
                        or r.get("type") == "check"
                        and (r["name"].startswith("data-") or r["name"] in s.suite.checks)])
    return shards, streams


def _sharded_context(shards):
    from kdio.plan import shard
    return context(jobs=shard.context(len(shards), "--jobs 2", None, shards))


def test_two_shards_records_give_one_document_with_every_case(smoke, records, good):
    shards, streams = _streams(smoke, records)
    ctx = _sharded_context(shards)
    doc = document.build_sharded("r1", smoke, ctx, streams, [good, good])
    results.validate(doc)
    assert (doc["status"], doc["failure"]) == ("ok", None)
    single = document.build("r1", smoke, context(), records, good)
    assert doc["results"] == single["results"]   # every case, every repetition
    assert all(len(r["samples"]) == 3 for r in doc["results"]) and len(doc["results"]) == 12
    names = [c["name"] for c in doc["checks"]]
    assert names.count("data-ext4 (shard 1)") == names.count("data-ext4 (shard 2)") == 1
    assert sorted(c["shard"] for c in doc["checks"]) == [1, 1, 2, 2, 2]  # data, fuzz | data, 2 tables
    assert [s["cases"] for s in doc["context"]["jobs"]["shards"]] == \
        [[c.case_id for c in s.suite.cases] for s in shards]
    assert doc["context"]["vm_elapsed_s"] == 30.0
    assert document.build_sharded("r1", smoke, ctx, streams)["status"] == "running"


def test_a_crashed_shard_fails_the_run_by_name_and_keeps_every_sample(smoke, records, good,
                                                                       fixtures):
    """Shard 2's guest dies after its first repetition: the run failed,
    naming shard 2, with shard 1's samples all kept and shard 2's first."""
    shards, (first, second) = _streams(smoke, records)
    cut = [r for r in second if r.get("type") in ("guest", "setup")
           or r.get("type") == "sample" and r["rep"] == 0]
    crashed = vm.VmOutcome(-9, False, 12.0, (fixtures / "console-truncated.log").read_text())
    doc = document.build_sharded("r1", smoke, _sharded_context(shards), [first, cut],
                                 [good, crashed])
    results.validate(doc)
    assert doc["status"] == "failed"
    assert doc["failure"]["reason"].startswith("shard 2 (guest-2): ")
    by_case = {r["case"]: r for r in doc["results"]}
    assert all(len(by_case[c.case_id]["samples"]) == 3 for c in shards[0].suite.cases)
    assert all(len(by_case[c.case_id]["samples"]) == 1 for c in shards[1].suite.cases)
    assert [s["vm_elapsed_s"] for s in doc["context"]["jobs"]["shards"]] == [30.0, 12.0]


def test_a_shard_whose_check_failed_fails_the_run(smoke, records, good):
    shards, streams = _streams(smoke, records)
    streams[1] = [dict(r, rc=1) if r.get("type") == "check" and r["name"] == "data-ext4"
                  else r for r in streams[1]]
    doc = document.build_sharded("r1", smoke, _sharded_context(shards), streams, [good, good])
    assert doc["status"] == "failed"
    assert doc["failure"]["reason"].startswith("shard 2 (guest-2): check data-ext4 failed")


def test_progress_rewrites_result_json_at_most_every_few_seconds_and_at_the_end(
        tmp_path, smoke, fixtures, monkeypatch):
    share, ctx = tmp_path / "guest", context()
    share.mkdir()
    lines = (fixtures / "records-smoke.jsonl").read_text().splitlines(keepends=True)
    body = [line for line in lines if '"type": "end"' not in line]
    assert len(body) == len(lines) - 1
    writes = []
    progress = Progress("r1", smoke, ctx, share, tmp_path, log=lambda line: None,
                              on_records=lambda records: writes.append(len(records)))
    clock = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    with open(share / "records.jsonl", "w") as f:
        f.writelines(body[:5])
    progress()
    assert writes == [5]                       # the first records at once
    with open(share / "records.jsonl", "a") as f:
        f.writelines(body[5:8])
    clock[0] += 1
    assert len(progress()) == 8 and writes == [5]   # read, but not rewritten yet
    clock[0] += Progress.WRITE_EVERY_S
    progress()
    assert writes == [5, 8]                    # the records held back are written later
    progress()
    assert writes == [5, 8]                    # nothing new: nothing written
    with open(share / "records.jsonl", "a") as f:
        f.writelines(body[8:] + [line for line in lines if '"type": "end"' in line])
    clock[0] += 0.5
    progress()
    assert writes == [5, 8, len(lines)]        # the guest's end record: written at once


def test_the_guest_context_splits_the_boot(smoke):
    recs = [{"type": "guest", "release": "r", "uptime_s": 4.0, "ready_s": 2.5},
            {"type": "setup", "name": "lay out", "rc": 0, "wall_s": 0.75},
            {"type": "setup", "name": "lay out fio", "rc": 0, "wall_s": 0.25},
            {"type": "sample", "case": smoke.cases[0].case_id, "rep": 0, "rc": 0,
             "stdout": "", "stderr": "", "wall_s": 0.5}]
    guest = document.build("r1", smoke, context(), recs)["context"]["guest"]
    assert (guest["ready_s"], guest["boot_s"], guest["setup_s"], guest["first_sample_s"]) == \
        (2.5, 4.0, 1.0, 5.5)
    early = document.build("r1", smoke, context(), recs[:2])["context"]["guest"]
    assert early["boot_s"] == 4.0 and "first_sample_s" not in early
    doc = document.build("r1", smoke, context(), recs, vm.VmOutcome(0, False, 9.0, ""))
    results.validate(doc)
    doc["context"]["guest"]["first_sample_s"] = "soon"
    with pytest.raises(SchemaError):
        results.validate(doc)
