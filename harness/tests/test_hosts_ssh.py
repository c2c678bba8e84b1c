"""kdio hosts end to end on this machine: an sshd of the test's own on
127.0.0.1 (host key, config and authorized key in tmp_path), two 'hosts'
(ssh aliases to it) each with its own clone of the repository under test
(its committed HEAD), and three hosts that fail: one on a port nothing
listens on, one without a checkout, and one that goes away mid-run (its ssh
goes through a proxy that dies after 20 s, while its checkout's kdio
hangs). The two good shares run real boots of tiny suites on debian-6.1;
the failed ones must be marked failed, the partial folder that came back
kept, the rest kept, and the merged folder valid."""

import getpass
import json
import os
import socket
import subprocess
import time

import pytest

from kdio.kernel import kernel
from kdio.results import results
from kdio.run import bench
from kdio.store import store

pytestmark = pytest.mark.integration

SUITES = ["tests/fixtures/suites/hosts-a.toml", "tests/fixtures/suites/hosts-b.toml",
          "smoke", "dio", "xfer"]
# The kdio of the host that goes away: starts its run folder, then hangs.
HANGING_KDIO = """import pathlib, sys, time
a = sys.argv
out = pathlib.Path(a[a.index("--results-dir") + 1]) / a[a.index("--run-id") + 1]
out.mkdir(parents=True)
(out / "console.log").write_text("kdio: init (then the host went away)\\n")
print("started", flush=True)
time.sleep(60)
"""
CASES = {"hosts-a": ["dio.null/op=write/bs=64k/size=4m", "dio.vmmap/op=write/bs=64k/size=4m"],
         "hosts-b": ["dio.vmmap/op=write/bs=64k/size=4m", "dio.vmmap/op=read/bs=64k/size=4m"]}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _sshd_config(d, port):
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n")


def _ssh_config(d, port, dead_port):
    (d / "ssh_config").write_text(
        f"Host hosta hostb hostc\n  HostName 127.0.0.1\n  Port {port}\n"
        f"Host deadhost\n  HostName 127.0.0.1\n  Port {dead_port}\n"
        f"Host gonehost\n  ProxyCommand timeout 20 ssh -F {d / 'ssh_config'} -W "
        f"127.0.0.1:{port} hosta\n"
        f"Host *\n  User {getpass.getuser()}\n  IdentityFile {d / 'user_key'}\n"
        "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
        "  LogLevel ERROR\n  BatchMode yes\n  ConnectTimeout 5\n")
    return d / "ssh_config"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """An sshd child on a free loopback port; the ssh config naming its hosts."""
    d = tmp_path_factory.mktemp("ssh")
    _keygen(d / "host_key")
    _keygen(d / "user_key")
    port, dead_port = _free_port(), _free_port()
    _sshd_config(d, port)
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
    proc = subprocess.Popen(["/usr/sbin/sshd", "-f", str(d / "sshd_config"), "-D", "-e"],
                            stderr=open(d / "sshd.log", "w"))
    cfg = _ssh_config(d, port, dead_port)
    for _ in range(50):
        if subprocess.run(["ssh", "-F", str(cfg), "hosta", "true"],
                          capture_output=True).returncode == 0:
            break
        assert proc.poll() is None, (d / "sshd.log").read_text()
        time.sleep(0.2)
    else:
        pytest.fail(f"sshd did not take a login: {(d / 'sshd.log').read_text()}")
    yield cfg
    proc.terminate()
    proc.wait(timeout=10)


def _clone(dest):
    head = subprocess.run(["git", "-C", str(bench.TOP), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(bench.TOP), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", head], check=True)
    return head


def _hanging_checkout(dest):
    (dest / "ci").mkdir(parents=True)
    (dest / "ci" / "bootstrap.sh").write_text("exit 0\n")
    (dest / "harness" / "kdio").mkdir(parents=True)
    for name, text in (("cli.py", ""), ("__init__.py", ""), ("__main__.py", HANGING_KDIO)):
        (dest / "harness" / "kdio" / name).write_text(text)


@pytest.fixture(scope="module")
def hosts_run(sshd, tmp_path_factory, pg_cluster):
    d = tmp_path_factory.mktemp("hosts")
    team_store = pg_cluster.database()
    head = _clone(d / "clone-a")
    _clone(d / "clone-b")
    _hanging_checkout(d / "hanging")
    hosts_file = d / "hosts"
    hosts_file.write_text(f"hosta {d / 'clone-a'}\nhostb {d / 'clone-b'}\n"
                          f"deadhost {d / 'clone-a'}  # nothing listens on its port\n"
                          f"hostc {d / 'no-checkout'}\n"
                          f"gonehost {d / 'hanging'}\n")
    env = dict(os.environ, KDIO_CACHE=str(kernel.cache_dir()))
    started = time.monotonic()
    proc = subprocess.run(
        ["/usr/bin/python3", "-m", "kdio", "hosts", "--hosts-file", str(hosts_file),
         "--ssh", f"ssh -F {sshd}", "--suite", ",".join(SUITES), "--kernel", "debian-6.1",
         "--run-id", "t", "--results-dir", str(d / "results"), "--no-plots",
         "--job-timeout", "900", "--store", team_store],
        cwd=bench.TOP / "harness", env=env, capture_output=True, text=True)
    print(proc.stdout[-6000:], proc.stderr[-3000:])
    print(f"kdio hosts took {time.monotonic() - started:.0f} s")
    (d / "store.url").write_text(team_store)
    return proc, d, head


def test_exit_status_says_a_share_failed(hosts_run):
    proc, _, _ = hosts_run
    assert proc.returncode == 1, proc.stderr
    assert "2 pair(s) ok, 3 failed, on 5 host(s)" in proc.stdout


def test_failed_hosts_mark_exactly_their_pairs(hosts_run):
    _, d, _ = hosts_run
    summary = json.loads((d / "results/t-hosts/hosts.json").read_text())
    by_suite = {p["suite"].rsplit("/", 1)[-1]: p for p in summary["pairs"]}
    assert [p["status"] for p in summary["pairs"]] == ["ok", "ok", "failed", "failed", "failed"]
    dead, missing = by_suite["smoke"], by_suite["dio"]
    assert (dead["host"], dead["exit"], dead["run"], dead["cases"]) == ("deadhost", 255, None, 0)
    assert "unreachable" in dead["reason"] and "Connection refused" in dead["reason"]
    assert (missing["host"], missing["exit"], missing["cases"]) == ("hostc", 3, 0)
    assert f"no kdio checkout at {d / 'no-checkout'}" in missing["reason"]
    assert summary["status"] == "failed" and (summary["ok"], summary["failed"]) == (2, 3)


def test_a_host_gone_mid_run_fails_its_pair_and_keeps_what_came_back(hosts_run):
    _, d, _ = hosts_run
    merged = d / "results/t-hosts"
    gone = json.loads((merged / "hosts.json").read_text())["pairs"][4]
    assert (gone["host"], gone["exit"], gone["status"], gone["cases"]) == ("gonehost", 255,
                                                                          "failed", 0)
    assert gone["run"] == "results/t-xfer-debian-6.1" and "no result.json" in gone["reason"]
    assert (merged / gone["run"] / "console.log").read_text().startswith("kdio: init (then")
    assert gone["runtime_s"] >= 20  # it was running when the connection went


def test_good_hosts_ran_their_share_from_their_own_checkout(hosts_run):
    _, d, head = hosts_run
    merged = d / "results/t-hosts"
    summary = json.loads((merged / "hosts.json").read_text())
    for pair, host, clone in zip(summary["pairs"], ("hosta", "hostb"), ("clone-a", "clone-b")):
        assert (pair["host"], pair["ran_on"], pair["exit"]) == (host, host, 0), pair
        doc = results.load(merged / pair["run"] / "result.json")
        results.validate(doc)
        assert doc["status"] == "ok"
        name = doc["context"]["suite"]["name"]
        assert [r["case"] for r in doc["results"]] == CASES[name] and pair["cases"] == 2
        assert all(r["status"] == "ok" and len(r["samples"]) == 1 for r in doc["results"])
        assert doc["context"]["kdio_git_sha"] == head
        assert (d / clone / "build").is_dir()  # each host built in its own checkout
        assert f"checkout {d / clone} on" in (merged / "logs" / pair["run_id"]).read_text()


def test_the_runs_that_came_back_are_in_the_teams_store(hosts_run):
    proc, d, _ = hosts_run
    with store.Store((d / "store.url").read_text()) as s:
        stored = sorted((r[2], r[5], r[7]) for r in s.runs())
    # the two good pairs, whole; the pair whose host went away left no result.json
    assert stored == [("t-hosts-a-debian-6.1", "ok", 2), ("t-hosts-b-debian-6.1", "ok", 2)], \
        proc.stdout[-3000:]
    assert "store postgresql:///kdio_" in proc.stdout and "2 run(s) added" in proc.stdout
