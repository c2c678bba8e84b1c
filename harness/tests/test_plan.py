import pytest

from kdio import config, paths, plan
from kdio.errors import ConfigError

ENV = paths.GuestEnv(tools_dir="/opt/kdio/bin")


def suite_with(tmp_path, matrix, file_size="8m"):
    p = tmp_path / "s.toml"
    p.write_text(f'name="t"\nrepetitions=3\nfile_size="{file_size}"\n{matrix}')
    return config.load_suite(p)


def test_smoke_plan_commands():
    doc = plan.build(config.load_suite("smoke"), ENV, "run1")
    assert doc["repetitions"] == 3 and len(doc["cases"]) == 12
    by_id = {c["case"]: c["argv"] for c in doc["cases"]}
    vm_read = by_id["dio.vmmap/op=read/bs=64k/size=8m"]
    assert vm_read[0] == "/opt/kdio/bin/kdio-dio" and "-V" in vm_read
    assert vm_read[vm_read.index("-f") + 1] == ENV.dio_file
    fio_read = by_id["fio.psync/op=read/bs=64k/size=8m"]
    assert "--filename=" + ENV.fio_file in fio_read and "--direct=1" in fio_read
    # setup writes both data files with the same seed the cases use
    assert [s["argv"][-1] for s in doc["setup"]] == [ENV.dio_file, ENV.fio_file]


def test_unknown_path(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.nope"]\nop="write"\nbs="4k"\nsize="1m"\n')
    with pytest.raises(ConfigError, match="unknown path 'dio.nope'"):
        plan.check_cases(s)


def test_case_larger_than_data_file(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.vmmap"]\nop="read"\nbs="1m"\nsize="16m"\n')
    with pytest.raises(ConfigError, match="file_size"):
        plan.check_cases(s)


def test_size_not_multiple_of_bs(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.vmmap"]\nop="read"\nbs="3k"\nsize="1m"\n')
    with pytest.raises(ConfigError, match="multiple"):
        plan.check_cases(s)


def test_missing_op(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.vmmap"]\nbs="4k"\nsize="1m"\n')
    with pytest.raises(ConfigError, match="no 'op'"):
        plan.check_cases(s)
