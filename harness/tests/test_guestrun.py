"""The guest runner, run here on a tiny plan: each check's record carries
the output format the plan gave it, so the host reads it as its tool prints."""

import json

from kdio import guestrun, results


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
