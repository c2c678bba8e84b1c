"""kdio parse: a run folder read again, offline, gives back the document the
run wrote, byte for byte, for a good run, a crashed one and one that timed
out; what it cannot read is refused in words. (The smoke boot parses its
real run again too: test_smoke.)"""

import pytest

from kdio import cli
from kdio.model import config, measure
from kdio.results import document, results
from kdio.run import reparse
from kdio.vm import vm


def context():
    return {"kdio_git_sha": "abc", "kernel": {"name": "debian-6.1", "release": "r",
                                              "version": "v"},
            "qemu_version": "7.2", "accelerator": "tcg", "guest": {"cpus": 2, "memory_mib": 1024},
            "host_cpu": "cpu", "date": "2026-11-22", "command_line": "kdio bench",
            "suite": {"name": "smoke", "repetitions": 3, "file_size": 8 << 20},
            "measure": measure.WALL.context(), "module_params": [], "user_modules": []}


def run_folder(tmp_path, fixtures, console_log, timed_out=False, records="records-smoke.jsonl"):
    """A run folder as kdio bench leaves it, its result.json written by
    the run's own document.build."""
    run_dir = tmp_path / "run"
    (run_dir / "guest").mkdir(parents=True)
    (run_dir / "guest/records.jsonl").write_text((fixtures / records).read_text())
    text = (fixtures / console_log).read_text()
    (run_dir / "console.log").write_text(text)
    doc = document.build("r1", config.load_suite("smoke"), context(),
                         results.read_records(run_dir / "guest/records.jsonl"),
                         vm.VmOutcome(-9 if timed_out else 0, timed_out, 30.04, text))
    results.write_final(doc, run_dir)
    return run_dir, doc


@pytest.mark.parametrize("console_log, timed_out, status", [
    ("console-good.log", False, "ok"),
    ("console-truncated.log", False, "failed"),
    ("console-truncated.log", True, "failed"),
])
def test_a_run_read_again_gives_the_same_bytes(tmp_path, fixtures, console_log, timed_out,
                                               status):
    run_dir, doc = run_folder(tmp_path, fixtures, console_log, timed_out)
    assert doc["status"] == status
    again = reparse.rebuild(run_dir)
    assert results.dump(again) == (run_dir / "result.json").read_text()
    if timed_out:
        assert again["failure"]["reason"] == reparse.TIMED_OUT


def test_parse_rewrites_only_what_changed_and_keeps_the_old(tmp_path, fixtures, capsys):
    run_dir, doc = run_folder(tmp_path, fixtures, "console-good.log")
    assert cli.main(["parse", "--no-plots", str(run_dir)]) == 0
    assert "the same bytes" in capsys.readouterr().out
    assert not (run_dir / "result.previous.json").exists()
    # records that lost their last sample: the document differs, the old one is kept
    lines = (run_dir / "guest/records.jsonl").read_text().splitlines(keepends=True)
    last = max(i for i, ln in enumerate(lines) if '"type": "sample"' in ln)
    (run_dir / "guest/records.jsonl").write_text("".join(lines[:last] + lines[last + 1:]))
    before = (run_dir / "result.json").read_text()
    cli.main(["parse", "--no-plots", str(run_dir)])
    assert "differs" in capsys.readouterr().out
    assert (run_dir / "result.previous.json").read_text() == before
    assert (run_dir / "result.json").read_text() != before


def test_what_cannot_be_read_again_is_refused(tmp_path, fixtures, capsys):
    run_dir, doc = run_folder(tmp_path, fixtures, "console-good.log")
    (run_dir / "console.log").unlink()
    with pytest.raises(reparse.ReparseError) as e:
        reparse.rebuild(run_dir)
    assert "console.log is missing" in str(e.value)
    doc["context"]["target"] = "host"
    results.write_atomic(run_dir / "result.json", results.dump(doc))
    with pytest.raises(reparse.ReparseError) as e:
        reparse.rebuild(run_dir)
    assert "host-mode run" in str(e.value)
    assert cli.main(["parse", str(tmp_path / "nowhere")]) == 2
    assert "result.json" in capsys.readouterr().err


def test_a_run_of_a_suite_file_asks_for_the_file(tmp_path, fixtures):
    run_dir, doc = run_folder(tmp_path, fixtures, "console-good.log")
    doc["context"]["suite"]["name"] = "my-own"
    results.write_atomic(run_dir / "result.json", results.dump(doc))
    with pytest.raises(reparse.ReparseError) as e:
        reparse.rebuild(run_dir)
    assert "ran suite my-own, which is not one of harness/suites" in str(e.value)
    assert "--suite FILE" in e.value.hint
