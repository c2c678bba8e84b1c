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
