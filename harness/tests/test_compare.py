"""The regression statistics on synthetic samples, and the CLI exit status
on recorded results."""

import copy
import dataclasses
import json

import pytest

from kdio import cli, where
from kdio.model import config
from kdio.report import compare
from kdio.results import results

S = compare.Settings()


def test_exact_mann_whitney():
    assert compare.mann_whitney_p([1, 2, 3], [4, 5, 6]) == pytest.approx(1 / 20)
    assert compare.mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(1 / 252)
    assert compare.mann_whitney_p([4, 5, 6], [1, 2, 3]) == 1.0
    assert compare.mann_whitney_p([1, 1, 1], [1, 1, 1]) == 1.0


def test_clear_slowdown_is_a_regression():
    c = compare.judge("x", "bytes/s", [100, 102, 98, 101, 99], [80, 81, 79, 82, 78], S)
    assert c.verdict == "regression" and c.change == pytest.approx(-0.2)
    assert c.p_value < 0.01


def test_three_against_three_is_never_significant_at_five_percent():
    c = compare.judge("x", "bytes/s", [100, 101, 102], [50, 51, 52], S)
    assert c.p_value == pytest.approx(0.05) and c.verdict == "same"


def test_small_change_is_not_flagged_even_if_significant():
    c = compare.judge("x", "bytes/s", [100, 100.5, 101, 101.5, 102], [95, 95.5, 96, 96.5, 97], S)
    assert c.p_value < 0.05 and c.verdict == "same"


def test_noisy_overlapping_case_is_unstable():
    c = compare.judge("x", "bytes/s", [60, 100, 140, 90, 110], [70, 130, 95, 85, 120], S)
    assert c.verdict == "unstable"


def test_lower_is_better_units():
    c = compare.judge("null", "ns/call", [300, 301, 302, 303, 304], [400, 401, 402, 403, 404], S)
    assert c.verdict == "regression" and c.change < 0
    c = compare.judge("null", "ns/call", [400, 401, 402, 403, 404], [300, 301, 302, 303, 304], S)
    assert c.verdict == "improvement"


@pytest.fixture
def smoke_doc(fixtures):
    suite = config.load_suite("smoke")
    return {"schema_version": 1, "results": results.build_results(
        suite, results.read_records(fixtures / "records-smoke.jsonl"))}


def test_a_run_against_itself_has_no_regression(smoke_doc):
    out = compare.compare(smoke_doc, smoke_doc)
    assert out["regressions"] == [] and out["geomean"] == pytest.approx(1.0)
    assert len(out["cases"]) == 12


def test_normalized_compare_sees_a_slower_module_not_a_slower_machine(smoke_doc):
    slow_module = copy.deepcopy(smoke_doc)
    slow_machine = copy.deepcopy(smoke_doc)
    # a module four times slower: in the recorded run (a busy 2-core host) vm_mmap's
    # per-repetition ratio to fio psync spread from 0.81x to 2.69x at 1 MiB write
    for r in slow_module["results"]:
        if r["path"] == "dio.vmmap":
            r["samples"] = [v * 0.25 for v in r["samples"]]
    for r in slow_machine["results"]:
        r["samples"] = [v * 0.5 for v in r["samples"]]
    settings = compare.Settings(normalize=True, alpha=0.06)  # 3 reps: smallest p is 0.05
    out = compare.compare(smoke_doc, slow_module, settings)
    vmmap = sorted(r["case"] for r in smoke_doc["results"] if r["path"] == "dio.vmmap")
    assert len(vmmap) == 4 and sorted(out["regressions"]) == vmmap
    assert compare.compare(smoke_doc, slow_machine, settings)["regressions"] == []


def test_cli_exit_status(tmp_path, smoke_doc, capsys):
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(smoke_doc))
    slow = copy.deepcopy(smoke_doc)
    for r in slow["results"]:
        r["samples"] = [v * 0.5 if r["unit"] == "bytes/s" else v * 2 for v in r["samples"]]
    new.write_text(json.dumps(slow))
    assert cli.main(["compare", str(base), str(base)]) == 0
    assert cli.main(["compare", "--alpha", "0.06", str(base), str(new),
                     "--json-out", str(tmp_path / "c.json")]) == 1
    assert "regression" in capsys.readouterr().out
    assert json.loads((tmp_path / "c.json").read_text())["regressions"]
    assert cli.main(["compare", str(base), str(tmp_path / "missing.json")]) == 2


def _baseline_with(tmp_path, name, scale, case_part):
    """The committed counted baseline, written to tmp_path/name with the
    samples of the cases whose id holds case_part scaled by scale."""
    doc = results.load(where.TOP / "ci/baselines/ci.json")
    hit = [r for r in doc["results"] if case_part in r["case"] and r["status"] == "ok"]
    assert len(hit) == 1
    hit[0]["samples"] = [v * scale for v in hit[0]["samples"]]
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path, hit[0]["case"]


def test_a_plain_compare_of_two_counted_runs_uses_the_counted_gate_and_flags_five_percent(
        tmp_path, capsys):
    base, _ = _baseline_with(tmp_path, "base.json", 1.0, "dio.null")
    new, case = _baseline_with(tmp_path, "new.json", 1.05, "dio.null")
    assert cli.main(["compare", str(base), str(new), "--json-out", str(tmp_path / "c.json")]) == 1
    out = capsys.readouterr().out
    assert "counted gate's settings" in out and "minimum effect 0.5%" in out
    saved = json.loads((tmp_path / "c.json").read_text())
    assert saved["regressions"] == [case] and saved["settings"]["threshold"] == 0.005
    # negative control: the wall defaults' 10 % minimum effect calls it the same
    assert cli.main(["compare", "--threshold", "10", str(base), str(new)]) == 0
    out = capsys.readouterr().out
    assert "--threshold as given" in out and "minimum effect 10%" in out


def test_two_wall_runs_are_judged_by_the_wall_defaults(smoke_doc):
    settings, why = compare.default_settings(smoke_doc, smoke_doc)
    assert settings == compare.Settings() and "wall-clock" in why
    assert compare.compare(smoke_doc, smoke_doc)["settings_why"] == why


def _with_versions(doc, gcc="gcc (Debian 12.2.0-14+deb12u1) 12.2.0", fio="fio 3.33-3"):
    doc = copy.deepcopy(doc)
    doc["context"]["toolchain"] = {"gcc": gcc, "binutils": "GNU ld (GNU Binutils) 2.40"}
    doc["context"]["userspace"] = {"glibc": "libc6 2.36-9+deb12u13", "fio": fio,
                                   "libaio": "libaio1 0.3.113-4", "liburing": "liburing2 2.3-3"}
    return doc


@pytest.mark.parametrize("component, edit", [("fio", {"fio": "fio 3.35-1"}),
                                             ("gcc", {"gcc": "gcc (Debian 13.2.0-4) 13.2.0"})])
def test_a_changed_toolchain_or_user_space_is_named_not_judged(component, edit, capsys):
    recorded = results.load(where.TOP / "ci/baselines/ci.json")
    base = _with_versions(recorded)
    new = _with_versions(recorded, **edit)
    for r in new["results"]:   # and every case 5 % dearer: what the version change did
        r["samples"] = [v * 1.05 for v in r["samples"]]
    out = compare.compare(base, new)
    fio_cases = {c["case"] for c in out["cases"] if c["case"].startswith("fio.")}
    rest = {c["case"] for c in out["cases"]} - fio_cases
    assert len(fio_cases) == 2 and len(rest) == 26
    touched, untouched = (fio_cases, rest) if component == "fio" else (rest, fio_cases)
    assert set(out["toolchain_changed"]) == touched
    assert set(out["regressions"]) == untouched, "the cases that do not run it are judged"
    assert out["components"] == {component: [base["context"]["toolchain" if component == "gcc"
                                                              else "userspace"][component],
                                             list(edit.values())[0]]}
    text = compare.render_text(out)
    assert f"{component} differs: BASE" in text and "'toolchain changed', not judged" in text
    judged = compare.compare(base, new, dataclasses.replace(compare.default_settings(
        base, new)[0], across_toolchains=True))
    assert judged["toolchain_changed"] == [] and len(judged["regressions"]) == 28
    # negative control: the same versions on both sides judge every case
    same = compare.compare(base, _with_versions(new))
    assert same["toolchain_changed"] == [] and len(same["regressions"]) == 28
