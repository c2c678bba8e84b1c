import pytest

from kdio.model import config
from kdio.errors import ConfigError


# Smoke boots that check correctness only, with one repetition to stay short.
CORRECTNESS_ONLY = {"ipsec-smoke"}


def test_every_shipped_suite_loads():
    names = sorted(p.stem for p in config.SUITES_DIR.glob("*.toml"))
    assert "dio" in names and "smoke" in names
    for name in names:
        suite = config.load_suite(name)
        assert suite.cases and (suite.repetitions >= 3 or name in CORRECTNESS_ONLY)


def test_smoke_suite_expands_matrix_in_interleaved_order():
    suite = config.load_suite("smoke")
    ids = [c.case_id for c in suite.cases]
    assert len(ids) == 3 * 2 * 2
    assert ids[:3] == ["dio.null/op=write/bs=64k/size=8m", "dio.vmmap/op=write/bs=64k/size=8m",
                       "fio.psync/op=write/bs=64k/size=8m"]
    # every write comes before the reads of the same block size
    assert ids.index("dio.vmmap/op=write/bs=64k/size=8m") < ids.index("dio.vmmap/op=read/bs=64k/size=8m")


def test_default_kernel_is_generic_6_1():
    k = config.load_kernel("debian-6.1")
    assert k.release.endswith("-amd64") and "cloud" not in k.release
    assert k.packages[0].startswith("linux-image-6.1")
    assert "9p" in k.guest_modules


def write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_missing_suite_names_the_choices():
    with pytest.raises(ConfigError) as e:
        config.load_suite("no-such-suite")
    assert "dio" in e.value.hint


def test_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="s.toml"):
        config.load_suite(write(tmp_path, "name = \n"))


def test_missing_key(tmp_path):
    with pytest.raises(ConfigError, match="missing 'repetitions'"):
        config.load_suite(write(tmp_path, 'name = "x"\n[[matrix]]\npaths=["dio.null"]\n'))


def test_unknown_vm_key(tmp_path):
    text = 'name="x"\nrepetitions=3\n[vm]\ncpu=2\n[[matrix]]\npaths=["dio.null"]\nop="write"\n'
    with pytest.raises(ConfigError, match=r"\[vm\]"):
        config.load_suite(write(tmp_path, text))


def test_duplicate_cases(tmp_path):
    entry = '[[matrix]]\npaths=["dio.null"]\nop="write"\nbs="4k"\nsize="1m"\n'
    with pytest.raises(ConfigError, match="listed twice"):
        config.load_suite(write(tmp_path, 'name="x"\nrepetitions=3\n' + entry + entry))


def test_gate_suites_have_a_committed_baseline_of_their_own_mode():
    from kdio.model import measure
    from kdio.results import results
    from kdio.run import bench
    for name, mode, normalize in (("ci", "counted", False), ("ci-wall", "wall", True)):
        suite = config.load_suite(name)
        assert suite.measure.name == mode and suite.repetitions >= 5
        assert suite.gate["normalize"] is normalize
        baseline = results.load(bench.TOP / suite.gate["baseline"])
        assert measure.mode_of(baseline) == mode


def suite_file(tmp_path, extra):
    p = tmp_path / "s.toml"
    p.write_text('name="t"\nrepetitions=1\nchecks=["badinput"]\n' + extra +
                 '\n[[matrix]]\npaths=["dio.null"]\nop="write"\nbs="4k"\nsize="1m"\n')
    return p


def test_check_args_are_test_only_lists_for_the_suites_own_checks(tmp_path):
    s = config.load_suite(suite_file(tmp_path, '[check_args]\nbadinput = ["-W", "wrong-abi"]'))
    assert s.check_args == {"badinput": ("-W", "wrong-abi")}
    assert config.load_suite(suite_file(tmp_path, "")).check_args == {}
    with pytest.raises(ConfigError, match="not in checks"):
        config.load_suite(suite_file(tmp_path, '[check_args]\nfuzz = ["-U", "EINVAL"]'))
    with pytest.raises(ConfigError, match="list of strings"):
        config.load_suite(suite_file(tmp_path, '[check_args]\nbadinput = "-W x"'))
