"""kdio hosts without ssh: the host list, the plan, parallel's command line,
the job log and the merge, from a job log and run folder recorded by the
two-host run (tests/test_hosts_ssh.py), and the host job script on this
machine."""

import json
import os
import shutil
import subprocess

import pytest

from kdio import cli
from kdio.remote import hosts

TOP_CHECKOUT = "/srv/kdio"
PAIRS_SUITES = ["tests/fixtures/suites/hosts-a.toml", "tests/fixtures/suites/hosts-b.toml",
                "smoke", "dio"]


def recorded_hosts():
    return [hosts.parse_host("hosta", "/c/clone-a"), hosts.parse_host("hostb", "/c/clone-b"),
            hosts.parse_host("deadhost", "/c/clone-a"),
            hosts.parse_host("hostc", "/c/no-checkout")]


def recorded_pairs():
    return hosts.plan(PAIRS_SUITES, ["debian-6.1"], recorded_hosts(), "t")


def test_sshlogins_in_parallels_syntax_are_taken():
    h = hosts.parse_host("2/user@build-1.lab", TOP_CHECKOUT)
    assert (h.slots, h.login, h.checkout, h.local) == (2, "user@build-1.lab", TOP_CHECKOUT, False)
    assert hosts.parse_host(":", TOP_CHECKOUT).local
    assert hosts.parse_host("host", TOP_CHECKOUT).slots == 1


@pytest.mark.parametrize("bad", ["ssh -p 22 host", "@grp/host", "host:22", "a/host", ""])
def test_bad_sshlogin_says_what_to_do(bad):
    with pytest.raises(hosts.HostsError) as e:
        hosts.parse_host(bad, TOP_CHECKOUT)
    assert "bad sshlogin" in str(e.value) and "--ssh" in e.value.hint


def test_zero_slots_and_relative_checkout_are_refused():
    with pytest.raises(hosts.HostsError, match="0 job slots"):
        hosts.parse_host("0/host", TOP_CHECKOUT)
    with pytest.raises(hosts.HostsError, match="not an absolute path"):
        hosts.parse_host("host", "kdio")


def test_hosts_file_gives_each_host_its_checkout(tmp_path):
    f = tmp_path / "hosts"
    f.write_text("# build farm\nhosta /c/a\n\n2/me@hostb   # default checkout\n:  /here\n")
    got = hosts.read_hosts_file(f, TOP_CHECKOUT)
    assert [(h.sshlogin, h.checkout, h.slots) for h in got] == [
        ("hosta", "/c/a", 1), ("2/me@hostb", TOP_CHECKOUT, 2), (":", "/here", 1)]
    f.write_text("hosta /c/a extra\n")
    with pytest.raises(hosts.HostsError, match=r"hosts:1: .* more than"):
        hosts.read_hosts_file(f, TOP_CHECKOUT)
    with pytest.raises(hosts.HostsError, match="hosts file .*missing"):
        hosts.read_hosts_file(tmp_path / "missing", TOP_CHECKOUT)


def test_plan_deals_pairs_round_robin_by_slots():
    two, one = hosts.parse_host("2/a", "/k"), hosts.parse_host("b", "/k")
    pairs = hosts.plan(["dio", "smoke"], ["debian-6.1", "debian-6.12"], [two, one], "s")
    assert [(p.run_id, p.host.login) for p in pairs] == [
        ("s-dio-debian-6.1", "a"), ("s-dio-debian-6.12", "a"),
        ("s-smoke-debian-6.1", "b"), ("s-smoke-debian-6.12", "a")]
    with pytest.raises(hosts.HostsError, match="no host given"):
        hosts.plan(["dio"], ["debian-6.1"], [], "s")
    with pytest.raises(hosts.HostsError, match="same run id"):
        hosts.plan(["dio", "dio"], ["debian-6.1"], [one], "s")


def test_a_suite_file_is_named_by_its_stem_in_the_run_id():
    assert [p.run_id for p in recorded_pairs()] == [
        "t-hosts-a-debian-6.1", "t-hosts-b-debian-6.1", "t-smoke-debian-6.1", "t-dio-debian-6.1"]


def test_plan_tsv_is_what_the_job_script_reads():
    pairs = recorded_pairs()[:1]
    assert hosts.plan_tsv(pairs, ["--no-plots", "--measure=wall"]) == (
        "t-hosts-a-debian-6.1\t/c/clone-a\ttests/fixtures/suites/hosts-a.toml\tdebian-6.1\t"
        "--no-plots\t--measure=wall\n")
    with pytest.raises(hosts.HostsError, match="empty option"):
        hosts.plan_tsv(pairs, [""])


def test_command_pins_each_pair_to_its_host_and_returns_its_folders():
    argv = hosts.command(recorded_pairs(), recorded_hosts(), ssh="ssh -F cfg", job_timeout=600)
    assert argv[:2] == ["parallel", "--hostgroups"]
    flags = list(zip(argv, argv[1:]))
    logins = [v for k, v in flags if k == "--sshlogin"]
    assert logins == ["@h1/hosta", "@h2/hostb", "@h3/deadhost", "@h4/hostc"]
    for pair in (("--ssh", "ssh -F cfg"), ("--env", "KDIO_CACHE"), ("--timeout", "600"),
                 ("--joblog", "joblog"), ("--workdir", "..."), ("--transferfile", "plan.tsv"),
                 ("--transferfile", "hostjob.sh"), ("--return", "results/{}"),
                 ("--return", "plots/{}"), ("-j1", "--ssh")):
        assert pair in flags, pair
    assert "--cleanup" in argv and ("--tagstring", "[{}]") in flags
    assert argv[argv.index(":::") + 1:] == [
        "t-hosts-a-debian-6.1@h1", "t-hosts-b-debian-6.1@h2", "t-smoke-debian-6.1@h3",
        "t-dio-debian-6.1@h4"]
    bare = hosts.command(recorded_pairs(), recorded_hosts(), plots=False)
    assert "--timeout" not in bare and "plots/{}" not in bare and "results/{}" in bare


def test_joblog_gives_each_jobs_host_and_exit(fixtures):
    jobs = hosts.read_joblog(fixtures / "hosts" / "joblog")
    assert {s: (j["host"], j["exit"], j["signal"]) for s, j in jobs.items()} == {
        1: ("hosta", 0, 0), 2: ("hostb", 0, 0), 3: ("deadhost", 255, 0), 4: ("hostc", 3, 0)}
    assert jobs[1]["runtime_s"] == pytest.approx(195.877)
    assert "t-hosts-a-debian-6.1" in jobs[1]["command"]
    assert hosts.read_joblog(fixtures / "hosts" / "none") == {}


def merged_dir(fixtures, tmp_path, doc=None):
    """A merged folder as the recorded run left it: hosts-a came back,
    hosts-b's folder did not, the other two hosts failed."""
    d = tmp_path / "t-hosts"
    (d / "results" / "t-hosts-a-debian-6.1").mkdir(parents=True)
    (d / "logs").mkdir()
    shutil.copy(fixtures / "hosts" / "joblog", d / "joblog")
    src = fixtures / "hosts" / "result-hosts-a.json"
    dest = d / "results" / "t-hosts-a-debian-6.1" / "result.json"
    dest.write_text(json.dumps(doc) if doc else src.read_text())
    shutil.copy(fixtures / "hosts" / "dead.err", d / "logs" / "t-smoke-debian-6.1.err")
    shutil.copy(fixtures / "hosts" / "no-checkout.err", d / "logs" / "t-dio-debian-6.1.err")
    return d


def test_merge_keeps_the_ok_share_and_fails_exactly_the_others(fixtures, tmp_path):
    summary, ok_docs = hosts.merge(recorded_pairs(), merged_dir(fixtures, tmp_path))
    got = [(p["host"], p["ran_on"], p["exit"], p["status"], p["cases"]) for p in summary["pairs"]]
    assert got == [("hosta", "hosta", 0, "ok", 2), ("hostb", "hostb", 0, "failed", 0),
                   ("deadhost", "deadhost", 255, "failed", 0), ("hostc", "hostc", 3, "failed", 0)]
    a, b, dead, missing = summary["pairs"]
    assert a["run"] == "results/t-hosts-a-debian-6.1" and a["reason"] is None
    assert b["reason"] == "no run folder came back"
    assert dead["reason"].startswith("exit 255: ssh failed")
    assert dead["reason"].endswith("its stderr: ssh: connect to host 127.0.0.1 port 59157: "
                                   "Connection refused")
    assert "exit 3: no kdio checkout" in missing["reason"]
    assert "kdio-hosts: error: no kdio checkout at" in missing["reason"]
    assert (summary["status"], summary["ok"], summary["failed"]) == ("failed", 1, 3)
    docs = ok_docs["tests/fixtures/suites/hosts-a.toml"]
    assert [r["case"] for r in docs[0]["results"]] == [
        "dio.null/op=write/bs=64k/size=4m", "dio.vmmap/op=write/bs=64k/size=4m"]
    assert list(ok_docs) == ["tests/fixtures/suites/hosts-a.toml"]
    text = hosts.render(summary)
    assert "1 pair(s) ok, 3 failed, on 4 host(s)" in text and "results/t-hosts-a" in text


def test_a_failed_run_that_came_back_is_kept_and_says_why(fixtures, tmp_path):
    doc = json.loads((fixtures / "hosts" / "result-hosts-a.json").read_text())
    doc["status"] = "failed"
    doc["failure"] = {"reason": "guest kernel panicked", "last_case": doc["results"][1]["case"]}
    d = merged_dir(fixtures, tmp_path, doc)
    log = (d / "joblog").read_text().replace("\t0\t0\tsh \"${KDIO_HOSTS_LOCAL:-.}/hostjob.sh\" "
                                             "t-hosts-a", "\t1\t0\tsh \"${KDIO_HOSTS_LOCAL:-.}"
                                             "/hostjob.sh\" t-hosts-a")
    (d / "joblog").write_text(log)
    summary, ok_docs = hosts.merge(recorded_pairs(), d)
    a = summary["pairs"][0]
    assert (a["exit"], a["status"], a["cases"]) == (1, "failed", 2)
    assert a["run"] == "results/t-hosts-a-debian-6.1"  # the partial run is kept
    assert "run failed: guest kernel panicked" in a["reason"]
    assert ok_docs == {}


def test_an_invalid_result_is_a_failed_share(fixtures, tmp_path):
    summary, _ = hosts.merge(recorded_pairs(), merged_dir(fixtures, tmp_path, {"x": 1}))
    assert summary["pairs"][0]["status"] == "failed"
    assert "result.json not valid" in summary["pairs"][0]["reason"]


def test_a_job_that_never_ran_is_failed(fixtures, tmp_path):
    d = merged_dir(fixtures, tmp_path)
    (d / "joblog").unlink()
    summary, _ = hosts.merge(recorded_pairs(), d)
    assert all(p["status"] == "failed" for p in summary["pairs"])
    assert summary["pairs"][3]["reason"].startswith("the job did not run")


def _path_with(tmp_path, **scripts):
    for name, text in scripts.items():
        p = tmp_path / name
        p.write_text(text)
        p.chmod(0o755)
    return str(tmp_path)


def test_missing_tools_say_what_to_install(tmp_path, monkeypatch):
    remote = [hosts.parse_host("hosta", "/k")]
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    with pytest.raises(hosts.HostsError, match="GNU parallel is not installed") as e:
        hosts.preflight(remote)
    assert "bootstrap" in e.value.hint
    monkeypatch.setenv("PATH", _path_with(tmp_path, parallel="#!/bin/sh\necho moreutils\n"))
    with pytest.raises(hosts.HostsError, match="not GNU parallel"):
        hosts.preflight(remote)
    gnu = "#!/bin/sh\necho 'GNU parallel 20221122'\n"
    monkeypatch.setenv("PATH", _path_with(tmp_path, parallel=gnu))
    hosts.preflight([hosts.parse_host(":", "/k")])  # this machine: no ssh needed
    with pytest.raises(hosts.HostsError, match="ssh command 'ssh' not found"):
        hosts.preflight(remote)
    monkeypatch.setenv("PATH", _path_with(tmp_path, parallel=gnu, ssh="#!/bin/sh\n"))
    with pytest.raises(hosts.HostsError, match="rsync is not installed"):
        hosts.preflight(remote)
    with pytest.raises(hosts.HostsError, match="given twice: hosta"):
        hosts.preflight(remote * 2)


def _job(tmp_path, plan, run_id):
    (tmp_path / "plan.tsv").write_text(plan)
    return subprocess.run(["sh", str(hosts.JOB_SCRIPT), run_id, str(tmp_path)],
                          capture_output=True, text=True, env=dict(os.environ))


def test_job_script_refuses_a_missing_checkout_and_an_unknown_job(tmp_path):
    r = _job(tmp_path, f"r1\t{tmp_path}/none\tsmoke\tdebian-6.1\n", "r1")
    assert r.returncode == 3 and f"no kdio checkout at {tmp_path}/none" in r.stderr
    r = _job(tmp_path, f"r1\t{tmp_path}/none\tsmoke\tdebian-6.1\n", "r2")
    assert r.returncode == 4 and "no job r2 in" in r.stderr


def test_job_script_runs_bench_with_the_plans_fields(tmp_path):
    """A fake checkout whose bootstrap and python record what they were given."""
    co = tmp_path / "co"
    (co / "ci").mkdir(parents=True)
    (co / "harness" / "kdio").mkdir(parents=True)
    (co / "harness" / "kdio" / "cli.py").write_text("")
    (co / "ci" / "bootstrap.sh").write_text(f"echo bootstrap > {tmp_path}/called\n")
    plan = f"r1\t{co}\tmy suite\tdebian-6.1\t--no-plots\n"
    script = hosts.JOB_SCRIPT.read_text().replace("exec /usr/bin/python3", "exec echo")
    fake = tmp_path / "hostjob.sh"
    fake.write_text(script)
    (tmp_path / "plan.tsv").write_text(plan)
    r = subprocess.run(["sh", str(fake), "r1", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "called").read_text() == "bootstrap\n"
    assert r.stdout.splitlines()[-1] == (f"-m kdio bench --suite my suite --kernel debian-6.1 "
                                         f"--run-id r1 --results-dir {tmp_path}/results --no-plots")


def test_cli_turns_a_bad_sshlogin_into_a_message(capsys):
    assert cli.main(["hosts", "--host", "2/a, b c@", "--suite", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "bad sshlogin 'c@'" in err and "what to do" in err


def test_cli_bench_options_reach_every_host():
    args = cli.parser().parse_args(["hosts", "--host", ":", "--measure", "counted",
                                    "--module-param", "kdio_dio.delay_us=5", "--no-plots"])
    assert cli._bench_args(args) == ["--module-param=kdio_dio.delay_us=5", "--measure=counted",
                                     "--no-plots"]


def test_reason_quotes_what_the_job_said_not_parallels_return_noise(fixtures, tmp_path):
    said = {f: hosts._last_error(fixtures / "hosts" / f)
            for f in ("dead.err", "no-checkout.err", "gone.err")}
    assert said["dead.err"] == "ssh: connect to host 127.0.0.1 port 59157: Connection refused"
    assert said["no-checkout.err"].startswith("kdio-hosts: error: no kdio checkout at ")
    assert said["gone.err"] == "client_loop: send disconnect: Broken pipe"  # not rsync's
    (tmp_path / "e").write_text("rsync: x\nmake: *** [all] Error 2\n\n")
    assert hosts._last_error(tmp_path / "e") == "make: *** [all] Error 2"
    assert hosts._last_error(tmp_path / "none") is None


# The kdio of a fake checkout: writes the recorded result as its run, and
# exits as the plan's kernel says (debian-ok 0, else 1 with no result).
FAKE_KDIO = """import pathlib, shutil, sys
a = sys.argv
out = pathlib.Path(a[a.index("--results-dir") + 1]) / a[a.index("--run-id") + 1]
if a[a.index("--kernel") + 1] != "debian-ok":
    sys.exit("kdio: error: fake kernel refused")
out.mkdir(parents=True)
shutil.copy(sys.argv[0].replace("__main__.py", "result.json"), out / "result.json")
"""


def _fake_checkout(dest, fixtures):
    (dest / "ci").mkdir(parents=True)
    (dest / "ci" / "bootstrap.sh").write_text("exit 0\n")
    k = dest / "harness" / "kdio"
    k.mkdir(parents=True)
    for name, text in (("cli.py", ""), ("__init__.py", ""), ("__main__.py", FAKE_KDIO)):
        (k / name).write_text(text)
    shutil.copy(fixtures / "hosts" / "result-hosts-a.json", k / "result.json")


def test_run_on_this_machine_with_real_parallel(fixtures, tmp_path):
    """sshlogin ':' through GNU parallel itself: the job writes into the
    merged folder (nothing to return), the job log is read back."""
    if not shutil.which("parallel"):
        pytest.fail("GNU parallel is not installed: sh ci/bootstrap.sh")
    _fake_checkout(tmp_path / "co", fixtures)
    local = hosts.parse_host("2/:", str(tmp_path / "co"))
    pairs = hosts.plan(["dio"], ["debian-ok", "debian-bad"], [local], "l")
    summary, ok_docs = hosts.run(pairs, [local], tmp_path / "out", log=lambda m: None)
    got = [(p["run_id"], p["ran_on"], p["exit"], p["status"], p["cases"])
           for p in summary["pairs"]]
    assert got == [("l-dio-debian-ok", ":", 0, "ok", 2), ("l-dio-debian-bad", ":", 1, "failed", 0)]
    assert "kdio: error: fake kernel refused" in summary["pairs"][1]["reason"]
    assert len(ok_docs["dio"]) == 1
    logs = tmp_path / "out" / "logs"
    assert (logs / "l-dio-debian-ok").read_text().startswith(
        "kdio-hosts: l-dio-debian-ok: suite dio, kernel debian-ok, checkout ")
    assert (logs / "l-dio-debian-bad.err").read_text() == "kdio: error: fake kernel refused\n"
    saved = json.loads((tmp_path / "out" / "hosts.json").read_text())
    assert saved["pairs"] == summary["pairs"] and saved["parallel_exit"] == 1


def test_cli_draws_the_cross_kernel_table_over_the_runs_that_came_back(fixtures, tmp_path,
                                                                      monkeypatch, capsys):
    doc = json.loads((fixtures / "hosts" / "result-hosts-a.json").read_text())
    docs = []
    for name in ("debian-6.1", "debian-6.12"):
        d = json.loads(json.dumps(doc))
        d["context"]["kernel"]["name"] = name
        docs.append(d)
    seen = {}

    def fake_run(pairs, every, out_dir, bench_args, ssh, job_timeout, log):
        seen.update(pairs=pairs, out_dir=out_dir, ssh=ssh)
        summary = {"status": "failed", "ok": 2, "failed": 1, "hosts": ["a", "b"],
                   "pairs": [{"suite": p.suite, "kernel": p.kernel, "host": p.host.sshlogin,
                              "exit": 0, "status": "ok", "cases": 2, "run": p.run_id,
                              "reason": None} for p in pairs]}
        return summary, {"hosts-a": docs}

    monkeypatch.setattr(hosts, "run", fake_run)
    rc = cli.main(["hosts", "--host", "a b", "--suite", "hosts-a", "--kernel",
                   "debian-6.1,debian-6.12", "--run-id", "x", "--results-dir", str(tmp_path),
                   "--ssh", "ssh -F cfg"])
    assert rc == 1  # a share failed
    assert [(p.run_id, p.host.login) for p in seen["pairs"]] == [
        ("x-hosts-a-debian-6.1", "a"), ("x-hosts-a-debian-6.12", "b")]
    assert seen["out_dir"] == tmp_path / "x-hosts" and seen["ssh"] == "ssh -F cfg"
    table = (tmp_path / "x-hosts" / "hosts-a-kernels" / "kernels.md").read_text()
    assert "debian-6.12/debian-6.1" in table and "dio.vmmap/op=write/bs=64k/size=4m" in table
    assert "2 pair(s) ok, 1 failed, on 2 host(s)" in capsys.readouterr().out


def test_job_output_is_split_by_its_tag(tmp_path):
    with hosts.JobOutput(tmp_path) as out:
        for line in ("[r1]\tbuilding", "[r2]\tbooting", "[r1]\tdone", "parallel: Warning: x"):
            out.write(line, "")
        out.write("[r2]\tkdio: error: boom", ".err")
    assert (tmp_path / "r1").read_text() == "building\ndone\n"
    assert (tmp_path / "r2").read_text() == "booting\n"
    assert (tmp_path / "r2.err").read_text() == "kdio: error: boom\n"
    assert (tmp_path / "parallel").read_text() == "parallel: Warning: x\n"


def test_a_job_past_its_timeout_is_failed_as_killed(fixtures, tmp_path):
    """parallel --timeout logs exit -1 and signal 15 for the job it killed."""
    d = merged_dir(fixtures, tmp_path)
    rows = [ln.split("\t") for ln in (d / "joblog").read_text().splitlines()]
    for f in rows:
        if f[0] == "1":     # hosta's job, in the order the jobs ended
            f[6], f[7] = "-1", "15"
    (d / "joblog").write_text("".join("\t".join(f) + "\n" for f in rows))
    summary, ok_docs = hosts.merge(recorded_pairs(), d)
    a = summary["pairs"][0]
    assert (a["exit"], a["signal"], a["status"]) == (-1, 15, "failed")
    assert a["reason"].startswith("killed by signal 15 (job timeout, or stopped)")
    assert "tests/fixtures/suites/hosts-a.toml" not in ok_docs
