"""A/B of the guest's configuration, booted: kdio regress with a BASE
command line (mitigations=off, which takes dio.null's per-call cost from
72 to 70 instructions) against NEW's default flags the case and names the
setting; the same setting on both sides (A/A) flags nothing; a sysctl
that took its value is recorded. Negative controls: a parameter the
kernel does not know, and a sysctl the kernel refuses, each stop the run
before its first case, with the name; a device's driver declared
countable is refused by its device interrupts."""

import contextlib
import io
import json

import pytest

from kdio import cli, where
from kdio.report import compare
from kdio.results import results

pytestmark = pytest.mark.integration

SUITE = str(where.TOP / "harness/tests/fixtures/suites/config-ab.toml")
NULL = "dio.null/op=write/bs=4k/size=8m/backend=brd"
SETTING = "mitigations=off"


@pytest.fixture(scope="module")
def ab(tmp_path_factory):
    """(exit code, output, results folder) of kdio regress, BASE with
    mitigations=off, NEW without."""
    out = tmp_path_factory.mktemp("ab")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["regress", "--suite", SUITE, "--base-append", SETTING,
                         "--profile", "off", "--results-dir", str(out), "--run-id", "ab"])
    print(printed.getvalue())
    return code, printed.getvalue(), out


def test_a_command_line_setting_that_moves_a_case_is_flagged_and_named(ab):
    code, text, out = ab
    assert code == 1, text[-2000:]
    assert f"BASE and NEW differ in: command line {SETTING} -> (none)" in text
    assert f"REGRESSION: {NULL}" in text
    base = results.load(out / "ab-base" / "result.json")
    assert list(base["context"]["config"]["append"]) == [SETTING]
    assert "read back from /sys/devices/system/cpu/vulnerabilities" in \
        base["context"]["config"]["append"][SETTING]
    saved = json.loads((out / "ab-new" / "compare.json").read_text())
    assert saved["differs"] == [["command line", SETTING, ""]]
    assert (out / "ab-new" / "compare.md").read_text().startswith("BASE and NEW differ in")


def test_the_same_setting_on_both_sides_flags_nothing(ab, tmp_path):
    _, _, out = ab
    assert cli.main(["bench", "--suite", SUITE, "--append", SETTING, "--sysctl",
                     "vm.dirty_ratio=10", "--results-dir", str(tmp_path), "--run-id", "again",
                     "--no-plots", "--jobs", "1"]) == 0
    again = results.load(tmp_path / "again" / "result.json")
    assert again["context"]["config"]["sysctl"] == {"vm.dirty_ratio": "10"}
    result = compare.compare(results.load(out / "ab-base" / "result.json"), again)
    assert len(result["cases"]) == 3
    assert result["regressions"] == [] and result["improvements"] == [], \
        compare.render_text(result)
    assert result["differs"] == [["sysctls", "", "vm.dirty_ratio=10"]]


@pytest.mark.parametrize("flag, value, said", [
    ("--append", "test_unknown_knob=1",
     "the kernel does not know test_unknown_knob: it passed test_unknown_knob=1 to init"),
    ("--sysctl", "vm.dirty_ratio=101",
     "the kernel refused sysctl vm.dirty_ratio=101: sysctl: setting key \"vm.dirty_ratio\": "
     "Invalid argument; it is 20"),
])
def test_a_setting_that_did_not_take_refuses_the_run(tmp_path, capsys, flag, value, said):
    assert cli.main(["bench", "--suite", SUITE, flag, value, "--results-dir", str(tmp_path),
                     "--run-id", "refused", "--no-plots"]) == 1
    doc = results.load(tmp_path / "refused" / "result.json")
    assert doc["status"] == "failed" and said in doc["failure"]["reason"]
    assert all(r["status"] == "skipped" for r in doc["results"]), "measured after a refusal"
    assert said in capsys.readouterr().out


def test_a_driver_declared_countable_that_takes_device_interrupts_is_refused(tmp_path, capsys):
    """virtio-crypto, declared CPU-only: its requests complete by the
    device's interrupt, and kdio_crypto counts them in the timed run."""
    suite = str(where.TOP / "harness/tests/fixtures/suites/countable-virtio.toml")
    assert cli.main(["bench", "--suite", suite, "--countable-driver", "virtio",
                     "--results-dir", str(tmp_path), "--run-id", "virtio", "--no-plots"]) == 1
    [r] = results.load(tmp_path / "virtio" / "result.json")["results"]
    assert r["status"] == "error" and r["samples"] == []
    assert "declared countable, took" in r["message"] and "device interrupt(s)" in r["message"]
    assert "declared CPU-only by the user" in capsys.readouterr().out
