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
