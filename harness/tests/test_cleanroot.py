"""The clean-root proof (integration): a bare Debian 12 root (mmdebstrap
minbase), this checkout copied in without .git, kdio doctor before and after
ci/bootstrap.sh, and the smoke and ipsec-smoke suites booted from inside it,
so their fio, charon and python are the root's. A package the project forgot
fails here, on every machine. The tests run in order on one root:

1. bare, with python3 only: kdio doctor ipsec fails, naming strongSwan's
   plugins (negative control);
2. bootstrapped from a list without libstrongswan-standard-plugins:
   doctor still fails, and make bench SUITE=ipsec-smoke stops before it
   boots, in one sentence (negative control: the proof can fail);
3. bootstrapped from ci/packages.txt: the one package is added and every
   feature but host mode (the running kernel's) is ok;
4. both suites boot and pass, recording the commit as unknown (no git, no
   .git).
"""

import json

import pytest

from kdio.run import cleanroot

pytestmark = pytest.mark.integration
PLUGINS_PACKAGE = "libstrongswan-standard-plugins"
WITHOUT = "ci/packages-without-plugins.txt"   # the test-only list, in the root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    where = tmp_path_factory.mktemp("cleanroot")
    with cleanroot.Root(cleanroot.base_tarball(), cleanroot.checkout_top(), parent=where) as r:
        r.log = where / "cleanroot.log"
        yield r


def run(root, argv, timeout=1800, **kw):
    r = root.run(argv, root.log, timeout=timeout, **kw)
    r.shown = f"exit {r.returncode}; the end of its output:\n{r.stdout[-3000:]}\n(log {root.log})"
    return r


def doctor(root, *args):
    return run(root, ["python3", "-m", "kdio", "doctor", *args], timeout=120,
               cwd=f"{cleanroot.CHECKOUT}/harness")


def test_doctor_on_a_bare_root_names_the_plugins(root):
    r = run(root, ["sh", "-c", "apt-get update -q && apt-get install -y -q "
                               "--no-install-recommends python3"], timeout=600)
    assert r.returncode == 0, r.shown
    r = doctor(root, "ipsec")
    assert r.returncode == 1, r.shown
    assert "strongSwan plugin(s) gcm, openssl" in r.stdout, r.shown
    assert f"(package {PLUGINS_PACKAGE})" in r.stdout, r.shown
    assert "command qemu-system-x86_64 (package qemu-system-x86)" in r.stdout, r.shown


def test_a_list_without_the_plugins_fails_the_proof(root):
    listed = (root.path / "kdio/ci/packages.txt").read_text()
    assert PLUGINS_PACKAGE in listed
    (root.path / "kdio" / WITHOUT).write_text(
        "".join(line for line in listed.splitlines(keepends=True)
                if PLUGINS_PACKAGE not in line))
    r = run(root, ["sh", "ci/bootstrap.sh", "test"], extra_env={"KDIO_PACKAGES": WITHOUT})
    assert r.returncode == 0, r.shown
    r = doctor(root, "ipsec")
    assert r.returncode == 1, r.shown
    assert "ipsec-ike   MISSING" in r.stdout and "bench       ok" in r.stdout, r.shown
    assert f"strongSwan plugin(s) gcm, openssl in /usr/lib/ipsec/plugins (package " \
           f"{PLUGINS_PACKAGE})" in r.stdout, r.shown
    # make bench installs first (ci/bootstrap.sh bench): from the same list
    r = run(root, ["make", "bench", "SUITE=ipsec-smoke"], timeout=600,
            extra_env={"KDIO_PACKAGES": WITHOUT})
    assert r.returncode != 0, r.shown
    assert ("kdio: error: suite ipsec-smoke needs IPsec by IKE, strongSwan's charon (suites "
            "ipsec*), and this machine lacks strongSwan plugin(s) gcm, openssl") in r.stdout, r.shown
    assert f"install it: apt-get install -y --no-install-recommends {PLUGINS_PACKAGE}" \
        in r.stdout, r.shown
    assert "accelerator:" not in r.stdout and "downloading" not in r.stdout, r.shown


def test_the_bootstrap_gives_every_feature_what_it_needs(root):
    boot = run(root, ["sh", "ci/bootstrap.sh", "test"])
    assert boot.returncode == 0, boot.shown
    assert f"installing Debian packages: {PLUGINS_PACKAGE}\n" in boot.stdout, boot.shown
    text = doctor(root)   # as a user reads it (and the log keeps it)
    assert "feature(s) lack something:" in text.stdout or "all 14" in text.stdout, text.shown
    r = doctor(root, "--json")
    report = json.loads(r.stdout)
    lacking = {name: f["missing"] for name, f in report.items() if not f["ok"]}
    # Host mode needs the running kernel's headers and module support: this
    # machine's, which no package in the root gives. The flame graphs'
    # library comes with Node.js's npm, which the machine has and a bare
    # Debian root does not: the bootstrap says so and goes on, and doctor
    # names npm, with no Debian package to install.
    assert set(lacking) <= {"host", "flamegraph"}, r.shown
    assert all(m["package"] is None for m in lacking.get("host", [])), r.shown
    if "flamegraph" in lacking:
        assert "npm is not installed, so PROFILE=stacks runs draw no flame graphs" \
            in boot.stdout, boot.shown
        assert [m["package"] for m in lacking["flamegraph"]] == [None], r.shown
        assert "npm" in lacking["flamegraph"][0]["what"], r.shown
    assert len(report) == 14


def test_smoke_suites_boot_from_the_clean_root(root):
    r = run(root, ["make", "bench", "SUITE=smoke ipsec-smoke"], timeout=2400)
    assert r.returncode == 0, r.shown
    docs = [json.loads(p.read_text())
            for p in sorted((root.path / "kdio/results").glob("*/result.json"))]
    assert sorted(d["context"]["suite"]["name"] for d in docs) == ["ipsec-smoke", "smoke"]
    for d in docs:
        assert d["status"] == "ok", r.shown
        assert not [x["case"] for x in d["results"] if x["status"] == "error"], r.shown
        assert d["context"]["kdio_git_sha"] == "unknown"
        assert "git is not installed" in d["context"]["kdio_git_sha_unknown"]
    assert "kdio's commit: unknown, git is not installed" in r.stdout, r.shown
