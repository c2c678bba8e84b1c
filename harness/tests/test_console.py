"""Verdicts on recorded console logs: a good run, a panic, a truncated log."""

from kdio.results import console


def test_good_run(fixtures):
    v = console.read((fixtures / "console-good.log").read_text())
    assert v.finished and v.reason == ""
    assert v.guest_release == "6.1.0-56-amd64"
    assert v.last_case == "fio.psync/op=read/bs=1m/size=8m"
    assert v.our_reports == ()


def test_panic_names_the_case(fixtures):
    v = console.read((fixtures / "console-panic.log").read_text())
    assert not v.finished
    assert v.reason == "guest kernel panic: sysrq triggered crash"
    assert v.last_case == "crash/sysrq"
    assert v.our_reports == ()  # the platform's sysrq crash names no kdio module


def test_truncated_log(fixtures):
    v = console.read((fixtures / "console-truncated.log").read_text())
    assert not v.finished
    assert "before the guest powered off" in v.reason
    assert v.last_case == "dio.vmmap/op=write/bs=1m/size=8m"


def test_timeout_wins_over_truncation(fixtures):
    v = console.read((fixtures / "console-truncated.log").read_text(), timed_out=True)
    assert "timeout" in v.reason


def test_runner_failure_and_init_failure():
    assert "status 1" in console.read("kdio: poweroff runner-exit=1\n").reason
    v = console.read("kdio: init 6.1.0-56-amd64\nkdio: poweroff failed: mount host root\n")
    assert v.reason == "guest init failed at mount host root"
