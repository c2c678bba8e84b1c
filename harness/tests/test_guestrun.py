"""The guest runner, run here on a tiny plan: each check's record carries
the output format the plan gave it, so the host reads it as its tool prints."""

import json

from kdio.guest import guestrun
from kdio.results import results


def test_check_records_say_their_output_format(tmp_path):
    ktap = "KTAP version 1\n1..1\nok 1 a # expected=0 got=0\n"
    plan = {"repetitions": 1, "cases": [], "setup": [],
            "checks": [{"name": "badinput", "argv": ["printf", ktap], "output": "ktap"},
                       {"name": "data-ext4", "argv": ["echo", '{"mode": "check", "errno": 0}']}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert guestrun.run(str(tmp_path / "plan.json")) == 0
    records = [r for r in results.read_records(tmp_path / "records.jsonl")
               if r["type"] == "check"]
    assert [(r["name"], r["output"]) for r in records] == [("badinput", "ktap"),
                                                          ("data-ext4", "jsonl")]
    assert [results.check_result(r)["ok"] for r in records] == [True, True]


def test_a_batch_runs_once_per_repetition_and_gives_each_member_a_sample(tmp_path):
    runs = tmp_path / "runs"
    batch_cmd = ["/bin/sh", "-c", f"echo run >> {runs}; echo REPORT"]
    plan = {"repetitions": 2, "setup": [], "checks": [],
            "cases": [{"case": "a", "argv": ["echo", "A"]},
                      {"case": "f1", "argv": ["false"], "batch": "b0", "fio_job": "kdio-0"},
                      {"case": "c", "argv": ["echo", "C"]},
                      {"case": "f2", "argv": ["false"], "batch": "b0", "fio_job": "kdio-1"}],
            "batches": {"b0": {"cases": ["f1", "f2"], "jobs": ["kdio-0", "kdio-1"],
                               "argv": batch_cmd}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert guestrun.run(str(tmp_path / "plan.json")) == 0
    samples = [r for r in results.read_records(tmp_path / "records.jsonl")
               if r["type"] == "sample"]
    # where its first case comes: a, f1, f2 (one batch), c; twice
    assert [(r["case"], r["rep"]) for r in samples] == [
        ("a", 0), ("f1", 0), ("f2", 0), ("c", 0), ("a", 1), ("f1", 1), ("f2", 1), ("c", 1)]
    assert runs.read_text().split() == ["run", "run"]          # once per repetition
    fio = [r for r in samples if r["case"].startswith("f")]
    assert [r["fio_job"] for r in fio] == ["kdio-0", "kdio-1"] * 2
    assert all(r["stdout"].strip() == "REPORT" and r["batch"] == "b0" for r in fio)


def test_a_batch_report_is_split_so_each_case_keeps_its_own_job(tmp_path):
    bins = {str(i): 1 for i in range(4000)}      # json+ bins: a large report
    doc = {"fio version": "fio-3.33",
           "jobs": [{"jobname": f"kdio-{i}", "write": {"bw_bytes": i, "clat_ns": {"bins": bins}}}
                    for i in range(3)]}
    report = tmp_path / "report.json"
    report.write_text("fio: a warning first\n" + json.dumps(doc))
    assert len(report.read_text()) > guestrun.OUTPUT_TAIL     # more than one record keeps
    plan = {"repetitions": 1, "setup": [], "checks": [],
            "cases": [{"case": f"f{i}", "argv": ["false"], "batch": "b", "fio_job": f"kdio-{i}"}
                      for i in range(3)],
            "batches": {"b": {"cases": ["f0", "f1", "f2"], "jobs": ["kdio-0", "kdio-1", "kdio-2"],
                              "argv": ["cat", str(report)]}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    guestrun.run(str(tmp_path / "plan.json"))
    samples = [r for r in results.read_records(tmp_path / "records.jsonl") if r["type"] == "sample"]
    own = [json.loads(r["stdout"]) for r in samples]
    assert [[j["jobname"] for j in d["jobs"]] for d in own] == [["kdio-0"], ["kdio-1"], ["kdio-2"]]
    assert [d["jobs"][0]["write"]["bw_bytes"] for d in own] == [0, 1, 2]


def test_a_batch_that_printed_no_whole_report_leaves_each_case_the_output():
    assert guestrun.split_fio_report("fio: engine psync not loadable\n", ["kdio-0"]) is None
    assert guestrun.split_fio_report('{"jobs": [{"jobname": "kdio-0"', ["kdio-0"]) is None
    # a job the report lacks: that case gets a report without it (the host says so)
    only = guestrun.split_fio_report('{"jobs": [{"jobname": "kdio-0"}]}', ["kdio-0", "kdio-1"])
    assert json.loads(only["kdio-1"])["jobs"] == []


def test_the_guest_record_says_when_init_was_ready(tmp_path, monkeypatch):
    (tmp_path / "plan.json").write_text(json.dumps({"repetitions": 1, "cases": [],
                                                    "setup": [], "checks": []}))
    monkeypatch.setenv("kdio_ready_s", "2.75")
    assert guestrun.run(str(tmp_path / "plan.json")) == 0
    guest = results.read_records(tmp_path / "records.jsonl")[0]
    assert guest["type"] == "guest" and guest["ready_s"] == 2.75
    monkeypatch.setenv("kdio_ready_s", "")  # /init gave none: no figure, no crash
    assert guestrun.guest_info(guestrun.Kmsg())["ready_s"] is None


def test_the_runner_imports_no_more_than_it_needs():
    """/init starts it with python3 -I -S over 9p, where every module is
    seconds of cold lookups under TCG: platform and site stay out."""
    import subprocess
    import sys
    code = ("import sys, runpy; runpy.run_path(sys.argv[1]); "
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, guestrun.__file__],
                         capture_output=True, text=True, check=True).stdout.split()
    assert "platform" not in out and "site" not in out
    assert {"json", "subprocess"} <= set(out)


def test_init_starts_python_isolated_without_site():
    from pathlib import Path
    init = (Path(guestrun.__file__).parents[1] / "guest/init").read_text()
    run = [line for line in init.splitlines() if line.startswith("chroot $H /usr/bin/python3")]
    assert run == ['chroot $H /usr/bin/python3 -I -S "$kdio_runner" "$kdio_plan"']
    assert "export kdio_ready_s" in init
