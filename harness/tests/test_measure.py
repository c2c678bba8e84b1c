"""Counted mode: which cases count, the cost of a sample, the QEMU line,
the counted table, and compare's refusal of mixed modes."""

import json
import dataclasses
import subprocess

import pytest

from kdio.model import config, family, measure
from kdio.paths import pathdef, paths
from kdio.plan import plan
from kdio.report import compare, table
from kdio.results import results
from kdio.run import bench
from kdio.vm import qemu
from kdio.errors import ConfigError

MATRIX = '''[[matrix]]
paths = ["dio.vmmap", "fio.psync"]
op = "write"
bs = "1m"
size = "8m"
backend = {backends}
'''


def suite(tmp_path, backends, mode="counted"):
    p = tmp_path / "s.toml"
    p.write_text(f'name="t"\nrepetitions=3\nfile_size="8m"\nmeasure="{mode}"\n'
                 + MATRIX.format(backends=backends))
    return config.load_suite(p)


def test_cpu_bound_backends_are_countable(tmp_path):
    plan.check_cases(suite(tmp_path, '["brd", "ext4-brd"]'))


def test_a_counted_suite_that_waits_on_a_device_is_refused_naming_the_cases(tmp_path):
    with pytest.raises(ConfigError) as e:
        plan.check_cases(suite(tmp_path, '["brd", "ext4", "blk"]'))
    text = str(e.value)
    assert "2 case(s) because backend ext4 waits on the virtio-blk device" in text
    assert "dio.vmmap/op=write/bs=1m/size=8m/backend=blk" in text
    assert "--measure wall" in e.value.hint


def test_the_same_suite_in_wall_mode_is_accepted(tmp_path):
    plan.check_cases(suite(tmp_path, '["brd", "ext4", "blk"]', mode="wall"))


def test_virtio_crypto_is_not_countable_and_cpu_drivers_are():
    crypto = config.load_suite("crypto")
    with pytest.raises(ConfigError, match="driver virtio waits on a device"):
        plan.check_cases(dataclasses.replace(crypto, measure=measure.COUNTED))
    plan.check_cases(config.load_suite("crypto-counted"))


def test_ipsec_cases_are_not_countable_and_say_why():
    """The ipsec and net families refuse counted mode; the same suite in
    wall mode plans."""
    ipsec = config.load_suite("ipsec-smoke")
    with pytest.raises(ConfigError) as e:
        plan.check_cases(dataclasses.replace(ipsec, measure=measure.COUNTED))
    # ip xfrm and IKE on two drivers, the mismatched keys, and no IPsec
    assert "6 case(s) because iperf3 runs for a time on the guest clock" in str(e.value)
    plan.check_cases(ipsec)


def test_unknown_measure_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="measure must be"):
        suite(tmp_path, '"brd"', mode="cycles")
    with pytest.raises(ConfigError, match="unknown measure"):
        measure.get("cycles")


def test_cost_of_a_sample():
    m = {"bytes": 1 << 20, "elapsed_ns": 1 << 19, "calls": 4}
    assert measure.cost(m, {}, "insn/byte") == 0.5
    assert measure.cost(m, {}, "insn/call") == (1 << 19) / 4
    assert measure.cost(m, {"msg": 1024}, "insn/msg") == (1 << 19) / 1024
    assert measure.cost({"elapsed_ns": 1000}, {"count": 10}, "insn/op") == 100
    # fio's busy time (its I/Os' latencies) is taken over its runtime
    assert measure.cost({"bytes": 100, "elapsed_ns": 1000, "busy_ns": 400}, {},
                        "insn/byte") == 4
    assert measure.cost({"bytes": 0, "elapsed_ns": 10}, {}, "insn/byte") is None
    assert measure.cost({}, {}, "insn/byte") is None


def test_units_by_path():
    unit = lambda name: measure.cost_unit(paths.PATHS[name].unit,
                                          family.of_path(paths.PATHS[name]))
    assert unit("dio.vmmap") == "insn/byte"
    assert unit("dio.null") == "insn/call"
    assert unit("xfer.read") == unit("base.memcpy") == "insn/msg"
    assert unit("crypto.zerocopy") == unit("base.afalg") == "insn/byte"
    assert unit("base.syscall") == "insn/op"


def test_counted_qemu_line_has_icount_and_one_cpu(tmp_path):
    s = config.load_suite("ci")
    cfg = bench.qemu_config(s, type("T", (), {"vmlinux": "/k/vmlinux"}), "/k/initrd", [],
                            "none", tmp_path)
    args = qemu.argv(cfg)
    assert args[args.index("-icount") + 1] == "shift=0,sleep=off"
    assert args[args.index("-smp") + 1] == "1"
    assert bench.choose_accel(s, cfg, print) == ("tcg", "counted mode: QEMU's icount runs "
                                                        "only under TCG")
    wall = bench.qemu_config(config.load_suite("smoke"),
                             type("T", (), {"vmlinux": "/k/vmlinux"}), "/k/initrd", [], "none",
                             tmp_path)
    assert "-icount" not in qemu.argv(wall)


def test_command_line_measure_overrides_the_suites():
    s = plan.load_suite("ci", "wall")
    assert s.measure is measure.WALL
    assert plan.load_suite("ci").measure is measure.COUNTED
    with pytest.raises(ConfigError):
        plan.load_suite("dio", "counted")


def test_counted_fio_with_requests_in_flight_runs_long_enough():
    env = pathdef.GuestEnv(tools_dir="/t", file_size=8 << 20, counted=True)
    qd8 = paths.PATHS["fio.io_uring"].argv({"op": "read", "bs": 1 << 20, "size": 8 << 20,
                                            "qd": 8, "backend": "brd"}, env)
    assert "--time_based" in qd8 and "--runtime=1s" in qd8
    wall = dataclasses.replace(env, counted=False)
    assert "--time_based" not in paths.PATHS["fio.io_uring"].argv(
        {"op": "read", "bs": 1 << 20, "size": 8 << 20, "qd": 8}, wall)


def test_ext4_brd_is_made_before_its_regions_are_laid_out():
    s = config.load_suite("ci")
    env = pathdef.GuestEnv(tools_dir="/t", file_size=s.file_size, counted=True)
    names = [st["name"] for st in plan.setup_steps(s, env)]
    assert names.index("make the file system of ext4-brd") < \
        names.index("lay out kdio region on ext4-brd")
    mkfs = next(st for st in plan.setup_steps(s, env) if st["name"].startswith("make"))
    assert "lazy_itable_init=0" in mkfs["argv"][2] and "/dev/ram1" in mkfs["argv"][2]


@pytest.fixture
def counted_doc(fixtures):
    s = dataclasses.replace(config.load_suite("smoke"), measure=measure.COUNTED)
    recs = results.read_records(fixtures / "records-smoke.jsonl")
    return {"schema_version": 1, "context": {"measure": measure.COUNTED.context()},
            "results": results.build_results(s, recs)}


def test_counted_results_are_costs(counted_doc):
    by_path = {}
    for r in counted_doc["results"]:
        by_path.setdefault(r["path"], set()).add(r["unit"])
    assert by_path == {"dio.null": {"insn/call"}, "dio.vmmap": {"insn/byte"},
                       "fio.psync": {"insn/byte"}}
    vm = next(r for r in counted_doc["results"] if r["path"] == "dio.vmmap")
    m = vm["metrics"]
    assert vm["samples"] == [e / b for e, b in zip(m["elapsed_ns"], m["bytes"])]


def test_counted_table_is_labelled_as_instructions(counted_doc):
    text = table.render(counted_doc)
    assert text.startswith("COUNTED run: figures are guest instructions")
    assert "cost/fio.psync" in text and "vs fio.psync" not in text
    assert "MB/s insn-time" in text and "insn/byte" in text


def test_compare_refuses_a_counted_run_against_a_wall_run(counted_doc):
    wall = {**counted_doc, "context": {"measure": measure.WALL.context()}}
    with pytest.raises(compare.MixedModesError, match="BASE is a counted run and NEW a wall"):
        compare.compare(counted_doc, wall)
    compare.compare(counted_doc, counted_doc)   # same mode: compared


def test_a_one_percent_rise_in_cost_is_a_regression_and_its_reverse_an_improvement():
    gate = dict(config.load_suite("ci").gate)
    gate.pop("baseline")
    s = compare.Settings(**gate)
    base = [1000.0, 1000.4, 999.7, 1000.2, 999.9]
    slow = [x * 1.01 for x in base]
    c = compare.judge("x", "insn/byte", base, slow, s)
    assert c.verdict == "regression" and c.change == pytest.approx(-0.01, abs=1e-4)
    assert compare.judge("x", "insn/byte", slow, base, s).verdict == "improvement"
    assert compare.judge("x", "insn/byte", base, [x * 1.002 for x in base], s).verdict == "same"


def test_module_parameter_that_did_not_take_effect_fails_setup(tmp_path):
    params = tmp_path / "kdio_dio" / "parameters"
    params.mkdir(parents=True)
    (params / "delay_us").write_text("0\n")
    (params / "work_loops").write_text("7\n")

    def run(item):
        step = plan.param_check_steps([item], sysfs=str(tmp_path))[0]
        return subprocess.run(step["argv"], capture_output=True, text=True)

    assert run("kdio_dio.work_loops=7").returncode == 0
    wrong = run("kdio_dio.work_loops=8")
    assert wrong.returncode == 1 and "kdio_dio.work_loops is 7, not 8" in wrong.stderr
    missing = run("kdio_dio.drop_writes=1")
    assert missing.returncode == 1
    assert "has no parameter drop_writes; it has: delay_us work_loops" in missing.stderr


def test_a_counted_guest_whose_clock_is_not_one_ghz_is_caught():
    good = ["tsc: Detected 999.993 MHz processor",
            "tsc: Refined TSC clocksource calibration: 999.999 MHz"]
    assert measure.guest_tsc_mhz(good) == 999.999
    assert measure.clock_problem(measure.COUNTED, good) is None
    bad = ["tsc: Refined TSC clocksource calibration: 2099.998 MHz"]
    assert "2099.998 MHz, not 1000" in measure.clock_problem(measure.COUNTED, bad)
    assert "names no TSC frequency" in measure.clock_problem(measure.COUNTED, [])
    assert measure.clock_problem(measure.WALL, bad) is None


def test_cli_compare_of_the_two_gate_baselines_is_refused_with_exit_2(capsys):
    from kdio import cli
    top = bench.TOP / "ci" / "baselines"
    assert cli.main(["compare", str(top / "ci-wall.json"), str(top / "ci.json")]) == 2
    assert "BASE is a wall run and NEW a counted run" in capsys.readouterr().err


def test_each_run_is_announced_as_wall_or_counted():
    from kdio import cli

    def doc(mode):
        return {"context": {"suite": {"name": "s"}, "accelerator": "tcg",
                            "measure": measure.MODES[mode].context()}}
    assert cli._banner(doc("counted")).startswith("=== suite s: COUNTED figures: guest "
                                                  "instructions")
    assert "WALL-CLOCK figures: time under TCG" in cli._banner(doc("wall"))
    assert "WALL-CLOCK" in cli._banner({"context": {"suite": {"name": "old"},
                                                    "accelerator": "kvm"}})


def test_every_shipped_counted_suite_is_countable():
    names = [p.stem for p in sorted(config.SUITES_DIR.glob("*.toml"))
             if config.load_suite(p.stem).measure.counted]
    assert {"ci", "dio-counted", "xfer-counted", "crypto-counted"} <= set(names)
    for name in names:
        plan.check_cases(config.load_suite(name))


def test_counted_plans_leave_timeouts_to_the_host():
    s = config.load_suite("ci")
    counted = plan.build(s, pathdef.GuestEnv(tools_dir="/t", file_size=s.file_size,
                                           counted=True), "r", ("kdio_dio.work_loops=1",))
    steps = counted["setup"] + counted["cases"] + counted["checks"]
    assert steps and all(st["timeout_s"] is None for st in steps)
    wall = plan.build(s, pathdef.GuestEnv(tools_dir="/t", file_size=s.file_size), "r")
    assert {c["timeout_s"] for c in wall["cases"]} == {plan.CASE_TIMEOUT_S}
    assert {st["timeout_s"] for st in wall["setup"]} == {plan.STEP_TIMEOUT_S}


def test_only_a_suite_without_crypto_skips_the_crypto_self_tests(tmp_path):
    def append(name):
        return bench.qemu_config(config.load_suite(name),
                                 type("T", (), {"vmlinux": "/k/vmlinux"}), "/k/initrd", [],
                                 "none", tmp_path).append.split()
    assert "cryptomgr.notests=1" in append("smoke")
    assert append("smoke")[:4] == ["console=ttyS0", "quiet", "panic=-1", "oops=panic"]
    # a crypto device, crypto cases, IPsec cases: the self-tests run
    for name in ("crypto-smoke", "crypto", "ipsec-smoke", "ci"):
        assert bench.uses_crypto(config.load_suite(name)), name
        assert "cryptomgr.notests=1" not in append(name), name


USER_CASE = "crypto.zerocopy/alg=cbc/driver=mydrv/key=128/msg=1424/count=8/qd=1"


def _user_driver_suite(tmp_path, declared=("mydrv",)):
    p = tmp_path / "u.toml"
    p.write_text('name="u"\nrepetitions=2\nmeasure="counted"\n[vm]\ncrypto=true\n'
                 '[[matrix]]\npaths=["crypto.zerocopy"]\nalg="cbc"\ndriver="mydrv"\nkey=128\n'
                 'msg="1424"\ncount=8\nqd=1\n')
    return plan.load_suite(str(p), countable_drivers=declared)


def _records(drivers, irqs=0):
    sample = {"type": "sample", "case": USER_CASE, "rc": 0,
              "stdout": '{"bytes": 22784, "elapsed_ns": 900000, "verified": true, '
                        f'"driver": "mydrv", "device_irqs": {json.dumps(irqs)}}}'}
    return [{"type": "crypto", "drivers": drivers}, {**sample, "rep": 0}, {**sample, "rep": 1}]


def test_a_users_driver_is_counted_only_when_declared(tmp_path):
    with pytest.raises(ConfigError, match="declare it with --countable-driver mydrv"):
        _user_driver_suite(tmp_path, declared=())
    assert _user_driver_suite(tmp_path).countable_drivers == ("mydrv",)


def test_a_declared_driver_is_counted_only_if_the_guest_confirms_it(tmp_path):
    """Planned, then judged by the guest's /proc/crypto and the device
    interrupts kdio-crypto counted: registered and none gives costs;
    absent, or interrupts, or no count is an error that says why (the
    checks' negative controls)."""
    suite = _user_driver_suite(tmp_path)
    drivers = {"mydrv": {"type": "skcipher", "module": "mydrv", "async": "yes"}}
    [ok] = results.build_results(suite, _records(drivers))
    assert ok["status"] == "ok" and ok["unit"] == "insn/byte"
    assert ok["samples"] == [pytest.approx(900000 / 22784)] * 2
    for drivers, irqs, why in ((drivers, 3, "took 3 device interrupt(s)"),
                               (drivers, None, "cannot be checked"),
                               ({}, 0, "not in the guest's /proc/crypto")):
        [bad] = results.build_results(suite, _records(drivers, irqs))
        assert bad["status"] == "error" and why in bad["message"], bad
        assert bad["samples"] == []


def test_the_guest_reads_its_crypto_drivers_from_proc_crypto(tmp_path):
    from kdio.guest import guestrun
    p = tmp_path / "crypto"
    p.write_text("name         : cbc(aes)\ndriver       : mydrv\nmodule       : mydrv\n"
                 "priority     : 50\ntype         : skcipher\nasync        : no\n\n"
                 "name         : aes\ndriver       : aes-generic\nmodule       : kernel\n"
                 "type         : cipher\n\n")
    rec = guestrun.crypto_drivers(str(p))
    assert rec["drivers"]["mydrv"]["async"] == "no"
    assert rec["drivers"]["aes-generic"] == {"type": "cipher", "module": "kernel", "async": None}
    assert "error" in guestrun.crypto_drivers(str(tmp_path / "none"))


def test_only_cases_keeps_the_named_cases_and_refuses_others(tmp_path):
    suite = _user_driver_suite(tmp_path)
    assert plan.only_cases(suite, ()) is suite
    assert [c.case_id for c in plan.only_cases(suite, (USER_CASE,)).cases] == [USER_CASE]
    with pytest.raises(ConfigError, match="has no case nope"):
        plan.only_cases(suite, ("nope",))
