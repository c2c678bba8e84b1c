"""kdio doctor: the package list, each kind of check (present and missing),
the report, the pre-flight that stops a run, and the CLI's exit codes."""

import json
import subprocess

import pytest

from kdio import cli
from kdio.guest import ipsecguest
from kdio.model import config
from kdio.run import bench, context, doctor
from kdio.errors import KdioError


def need(features, package, *checks):
    return doctor.Need("bench", tuple(features.split(",")), package,
                       tuple(tuple(c.split(":", 1)) for c in checks))


def test_the_package_list_parses_and_every_package_has_a_check():
    needs = doctor.read_needs()
    assert len(needs) >= 30
    assert all(n.checks for n in needs)
    packages = [n.package for n in needs]
    assert len(packages) == len(set(packages)), "a package listed twice"
    assert "libstrongswan-standard-plugins" in packages


def test_the_bootstrap_installs_what_the_list_names():
    """ci/bootstrap.sh's own selection (awk), against read_needs'."""
    for wanted, sets in (("bench", {"bench"}), ("test", {"bench", "test"})):
        got = subprocess.run(["sh", str(doctor.PACKAGES_FILE.parent / "bootstrap.sh"), wanted,
                              "--list"], capture_output=True, text=True, check=True).stdout
        assert got.split() == [n.package for n in doctor.read_needs() if n.set in sets]


def test_the_plugin_rows_are_exactly_what_charon_and_swanctl_load():
    listed = {p for n in doctor.read_needs() for kind, thing in n.checks if kind == "plugin"
              for p in thing.split(",")}
    loaded = set(ipsecguest.CHARON_PLUGINS.split()) | set(ipsecguest.SWANCTL_PLUGINS.split())
    assert listed == loaded
    assert f"load = {ipsecguest.CHARON_PLUGINS}" in ipsecguest.strongswan_conf()


@pytest.mark.parametrize("line, why", [
    ("bench bench fio", "no check"),
    ("bench nosuch fio cmd:fio", "unknown feature"),
    ("bench bench,nosuch fio cmd:fio", "unknown feature in a list"),
    ("later bench fio cmd:fio", "unknown set"),
    ("bench bench fio exe:fio", "unknown kind"),
    ("bench bench fio fio", "a check without a kind"),
])
def test_a_malformed_row_is_refused_with_its_line(tmp_path, line, why):
    f = tmp_path / "packages.txt"
    f.write_text("# comment\nbench bench gcc cmd:gcc\n" + line + "\n")
    with pytest.raises(KdioError) as e:
        doctor.read_needs(f)
    assert f"{f}:3:" in str(e.value), why


def test_each_kind_of_check_finds_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor, "PLUGIN_DIR", tmp_path)
    (tmp_path / "libstrongswan-gcm.so").write_text("")
    present = [need("bench", "p1", "cmd:sh"), need("bench", "p2", f"file:{tmp_path}"),
               need("bench", "p3", "py:json"), need("bench", "p4", "plugin:gcm")]
    assert doctor.package_findings("bench", present) == []
    absent = [need("bench", "q1", "cmd:kdio-no-such-command"),
              need("bench", "q2", f"file:{tmp_path}/none"),
              need("bench", "q3", "py:kdio_no_such_module"),
              need("bench", "q4", "plugin:gcm,openssl,aes"),
              need("lint", "q5", "cmd:kdio-no-such-command")]
    found = doctor.package_findings("bench", absent)
    assert [(f.package, f.what) for f in found] == [
        ("q1", "command kdio-no-such-command"), ("q2", f"{tmp_path}/none"),
        ("q3", "Python module kdio_no_such_module"),
        ("q4", f"strongSwan plugin(s) openssl, aes in {tmp_path}")]
    assert found[0].fix.endswith("apt-get install -y --no-install-recommends q1")


def test_sbin_commands_are_found_off_a_users_path(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert doctor.CHECKS["cmd"]("mkfs.ext4") is None


def test_install_command_has_sudo_unless_root():
    assert doctor.install_command(["a", "b"], euid=0) == \
        "apt-get install -y --no-install-recommends a b"
    assert doctor.install_command(["a"], euid=1000).startswith("sudo apt-get")


def test_features_expand_with_what_they_build_on():
    assert doctor.expand(["ipsec"]) == ["bench", "ipsec-xfrm", "ipsec-ike"]
    assert doctor.expand(["browser"]) == ["browser"]
    assert doctor.expand([]) == [f.name for f in doctor.FEATURES]
    with pytest.raises(KdioError) as e:
        doctor.expand(["ipsek"])
    assert "ipsec-ike" in e.value.hint


def fake_needs(monkeypatch, *needs):
    monkeypatch.setattr(doctor, "read_needs", lambda path=None: list(needs))


def test_preflight_refuses_in_one_sentence_with_the_fix(monkeypatch):
    fake_needs(monkeypatch, need("bench", "fio", "cmd:sh"),
               need("ipsec-ike", "libstrongswan-standard-plugins",
                    "cmd:kdio-no-such-command"))
    doctor.preflight(["bench"], "suite smoke")   # bench has what it needs
    with pytest.raises(doctor.MissingError) as e:
        doctor.preflight(["ipsec-ike"], "suite ipsec-smoke")
    assert str(e.value) == (
        "suite ipsec-smoke needs IPsec by IKE, strongSwan's charon (suites ipsec*), and this "
        "machine lacks command kdio-no-such-command (package libstrongswan-standard-plugins)")
    assert "apt-get install -y --no-install-recommends libstrongswan-standard-plugins" \
        in e.value.hint


def test_preflight_runs_no_machine_check(monkeypatch):
    fake_needs(monkeypatch)
    monkeypatch.setitem(doctor.MACHINE_CHECKS, "bench",
                        (lambda: pytest.fail("a machine check ran in the pre-flight"),))
    doctor.preflight(["bench"], "suite smoke")


def test_machine_checks_disk_and_host_mode(monkeypatch):
    monkeypatch.setattr(doctor, "_free_gib", lambda path: 0.5)
    found = doctor._disk("kernel", 4, "a build")()
    assert len(found) == 1 and "4 GiB free" in found[0].what and "0.5 GiB are" in found[0].what
    monkeypatch.setattr(doctor, "_free_gib", lambda path: 40)
    assert doctor._disk("kernel", 4, "a build")() == []
    monkeypatch.setattr(doctor.kernel, "apt_versions", lambda p: [])
    found = doctor._host_mode(euid=1000, release="0.0-kdio-none")
    assert [f.what.split(":")[0] for f in found][0] == "root"
    assert any("apt has no linux-headers-0.0-kdio-none" in f.fix for f in found)


def test_kernel_on_apt_names_what_apt_lists(monkeypatch, tmp_path):
    monkeypatch.setenv("KDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(doctor.kernel, "apt_versions", lambda p: ["6.1.999-1"])
    found = doctor._kernel_on_apt()
    assert len(found) == 1 and "apt-cache madison lists 6.1.999-1" in found[0].what
    spec = config.load_kernel("debian-6.1")
    monkeypatch.setattr(doctor.kernel, "apt_versions", lambda p: [spec.version])
    assert doctor._kernel_on_apt() == []


def test_render_says_ok_or_what_is_missing_and_the_fix():
    report = {"bench": [], "ipsec-ike": [doctor.Finding("ipsec-ike", "plugin gcm", "pkg-a",
                                                        "x"),
                                         doctor.Finding("ipsec-ike", "plugin vici", "pkg-b",
                                                        "x")],
              "host": [doctor.Finding("host", "root", None, "run as root")]}
    text = doctor.render(report, ["git is not installed"])
    assert "bench      ok" in text
    assert "ipsec-ike  MISSING" in text and "- plugin gcm (package pkg-a)" in text
    assert "fix: apt-get install -y --no-install-recommends pkg-a pkg-b" in text
    assert "fix: run as root" in text and "note: git is not installed" in text
    assert text.endswith("2 of 3 feature(s) lack something: ipsec-ike, host. Every package "
                         "kdio uses: make test-deps (sh ci/bootstrap.sh test)")
    assert doctor.render({"bench": []}).endswith("all 1 feature(s) have what they need")


def test_cli_exit_status_follows_the_findings(monkeypatch, capsys):
    assert cli.main(["doctor", "nosuch"]) == 2
    monkeypatch.setattr(doctor, "check", lambda names: {"bench": []})
    assert cli.main(["doctor", "bench"]) == 0
    assert capsys.readouterr().out.endswith("all 1 feature(s) have what they need\n")
    monkeypatch.setattr(doctor, "check", lambda names: {
        "bench": [doctor.Finding("bench", "command fio", "fio", "apt-get install fio")]})
    assert cli.main(["doctor", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out == {"bench": {"ok": False, "missing": [
        {"what": "command fio", "package": "fio", "fix": "apt-get install fio"}]}}


def test_a_suite_names_the_features_it_uses():
    assert bench.features(config.load_suite("smoke")) == ["bench"]
    assert bench.features(config.load_suite("ipsec-smoke")) == \
        ["bench", "crypto", "ipsec-xfrm", "ipsec-ike"]
    assert "counted" in bench.features(config.load_suite("ci"))
    assert bench.features(config.load_suite("smoke"), user_modules=("x",))[-1] == "driver"


def test_bench_stops_before_building_when_a_package_is_missing(monkeypatch, tmp_path):
    fake_needs(monkeypatch, need("bench", "kdio-missing-package", "cmd:kdio-no-such-command"))
    monkeypatch.setattr(bench, "open_kernel", lambda *a: pytest.fail("went past the pre-flight"))
    with pytest.raises(doctor.MissingError) as e:
        bench.run(bench.Options(suite="smoke", results_dir=tmp_path), log=lambda m: None)
    assert "suite smoke needs make bench" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_the_commit_is_recorded_or_said_to_be_unknown(monkeypatch, tmp_path):
    sha, why = context.git_commit()
    assert why is None and len(sha.split("-")[0]) == 40
    assert context.git_commit(tmp_path) == (
        "unknown", f"{tmp_path} is not a git checkout (a tarball or a copy)")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert context.git_commit() == (
        "unknown", "git is not installed (apt-get install git records the commit)")
    assert context.commit() == {
        "kdio_git_sha": "unknown",
        "kdio_git_sha_unknown": "git is not installed (apt-get install git records the commit)"}


def test_flame_graphs_need_npm_and_their_library(monkeypatch, tmp_path):
    monkeypatch.setenv("KDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(doctor, "_command", lambda name: name != "npm")
    found = doctor._flame_libs()
    assert len(found) == 1 and "npm" in found[0].what and "Node.js" in found[0].fix
    monkeypatch.setattr(doctor, "_command", lambda name: True)
    found = doctor._flame_libs()
    assert len(found) == 1 and "d3-flame-graph" in found[0].what
    assert "bootstrap" in found[0].fix
    (tmp_path / "npm/node_modules/d3-flame-graph").mkdir(parents=True)
    assert doctor._flame_libs() == []
