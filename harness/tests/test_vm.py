"""vm.run against a fake QEMU process: console tee, timeout, polling."""

import sys
from pathlib import Path

from kdio.vm import vm

FAKE = str(Path(__file__).resolve().parent / "fake_qemu.py")


def run_fake(tmp_path, *fake_args, timeout_s=20, poll=None):
    console = tmp_path / "console.log"
    lines, logged = [], []
    out = vm.run([sys.executable, FAKE, *map(str, fake_args)], console, timeout_s,
                 on_line=lines.append, poll=poll, log=logged.append, interval=0.05)
    return out, console, lines, logged


def test_console_is_teed_and_command_printed(tmp_path, fixtures):
    src = fixtures / "console-good.log"
    out, console, lines, logged = run_fake(tmp_path, src)
    assert out.returncode == 0 and not out.timed_out
    assert console.read_text() == src.read_text()
    assert lines == src.read_text().splitlines()
    assert logged[0].startswith("+ ") and FAKE in logged[0]


def test_hang_is_killed_at_timeout(tmp_path, fixtures):
    out, console, _, _ = run_fake(tmp_path, fixtures / "console-truncated.log", "--hang",
                                  timeout_s=1.5)
    assert out.timed_out and out.returncode != 0
    assert out.elapsed_s < 30
    assert "kdio: guest ready" in console.read_text()


def test_poll_sees_records_written_during_the_run(tmp_path, fixtures):
    dest = tmp_path / "records.jsonl"
    seen = []
    run_fake(tmp_path, fixtures / "console-good.log", "--records",
             fixtures / "records-smoke.jsonl", dest, poll=lambda: seen.append(dest.exists()))
    assert seen and seen[-1] is True


def test_nonzero_exit_is_reported(tmp_path, fixtures):
    out, _, _, _ = run_fake(tmp_path, fixtures / "console-panic.log", "--exit", 1)
    assert out.returncode == 1 and not out.timed_out


def test_missing_qemu_binary_is_a_clear_error(tmp_path):
    import pytest
    from kdio.errors import VmError
    with pytest.raises(VmError) as e:
        vm.run(["/nonexistent/qemu"], tmp_path / "c.log", 5, log=lambda m: None)
    assert "qemu-system-x86" in e.value.hint
