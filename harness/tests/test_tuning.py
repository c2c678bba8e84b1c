"""--append and --sysctl made into the guest's checks (kdio.plan.tuning):
what is refused before any boot, and the shell the guest runs."""

import subprocess

import pytest

from kdio.errors import ConfigError
from kdio.plan import tuning


@pytest.mark.parametrize("item, said", [
    ("a b", "bad kernel parameter"),
    ('foo="x"', "bad kernel parameter"),
    ("foo=", "bad kernel parameter"),
    ("kdio_plan=/x", "kdio's own"),
    ("console=ttyS1", "kdio's own"),
    ("preempt=lazy", "kdio reads back preempt as one of: none, voluntary, full"),
    ("init_on_alloc=2", "kdio reads back init_on_alloc"),
])
def test_a_kernel_parameter_kdio_cannot_pass_or_check_is_refused_before_the_boot(item, said):
    with pytest.raises(ConfigError, match=said):
        tuning.split_kernel_param(item)


def test_parameters_are_words_each_given_once():
    assert tuning.kernel_params(["mitigations=off init_on_alloc=0", "nosmt"]) == \
        ("mitigations=off", "init_on_alloc=0", "nosmt")
    with pytest.raises(ConfigError, match="given twice: preempt"):
        tuning.kernel_params(["preempt=none", "preempt=full"])
    with pytest.raises(ConfigError, match="given twice: vm.dirty_ratio"):
        tuning.sysctls(["vm.dirty_ratio=10", "vm.dirty_ratio=20"])
    with pytest.raises(ConfigError, match="bad sysctl"):
        tuning.sysctls(["vm.dirty_ratio"])


def test_every_step_refuses_the_run_and_is_valid_shell():
    steps = (tuning.kernel_param_steps(["mitigations=off", "preempt=full", "init_on_alloc=0",
                                        "iommu.strict=1", "brd.rd_size=4096", "nosmt"])
             + tuning.sysctl_steps(["net.ipv4.tcp_rmem=4096 87380 6291456"]))
    assert len(steps) == 7 and all(s["refuses"] for s in steps)
    for s in steps:
        check = subprocess.run(["sh", "-n", "-c", s["argv"][2]], capture_output=True, text=True)
        assert check.returncode == 0, (s["name"], check.stderr)
    broken = subprocess.run(["sh", "-n", "-c", steps[0]["argv"][2] + "\nif"],
                            capture_output=True)
    assert broken.returncode != 0, "sh -n must catch a broken script"
    assert "/sys/module/brd/parameters/rd_size" in steps[4]["argv"][2]
    assert "'4096 87380 6291456'" in steps[6]["argv"][2]


def test_the_context_says_how_each_parameter_was_checked():
    ctx = tuning.context(("preempt=none", "nosmt", "brd.rd_size=4096"), ("vm.dirty_ratio=10",))
    assert "/sys/kernel/debug/sched/preempt" in ctx["append"]["preempt=none"]
    assert ctx["append"]["nosmt"] == "not in the kernel log's 'Unknown kernel command line " \
                                     "parameters'"
    assert "/sys/module/brd/parameters/rd_size" in ctx["append"]["brd.rd_size=4096"]
    assert ctx["sysctl"] == {"vm.dirty_ratio": "10"}
