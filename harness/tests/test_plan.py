import pytest

from kdio import backends, config, paths, plan
from kdio.errors import ConfigError

ENV = paths.GuestEnv(tools_dir="/opt/kdio/bin", file_size=8 << 20)


def suite_with(tmp_path, matrix, file_size="8m", extra=""):
    p = tmp_path / "s.toml"
    p.write_text(f'name="t"\nrepetitions=3\nfile_size="{file_size}"\n{extra}\n{matrix}')
    return config.load_suite(p)


def opt(argv, flag):
    return argv[argv.index(flag) + 1]


def test_smoke_plan_commands():
    doc = plan.build(config.load_suite("smoke"), ENV, "run1")
    assert doc["repetitions"] == 3 and len(doc["cases"]) == 12
    by_id = {c["case"]: c["argv"] for c in doc["cases"]}
    vm_read = by_id["dio.vmmap/op=read/bs=64k/size=8m"]
    assert vm_read[0] == "/opt/kdio/bin/kdio-dio" and "-V" in vm_read
    assert opt(vm_read, "-f") == "/run/kdio/scratch/kdio.dat" and opt(vm_read, "-O") == "0"
    fio_read = by_id["fio.psync/op=read/bs=64k/size=8m"]
    assert "--filename=/run/kdio/scratch/fio.dat" in fio_read and "--direct=1" in fio_read
    # setup lays the pattern on both regions with the seed the cases use
    assert [opt(s["argv"], "-f") for s in doc["setup"]] == ["/run/kdio/scratch/kdio.dat",
                                                              "/run/kdio/scratch/fio.dat"]
    assert {opt(s["argv"], "-S") for s in doc["setup"]} == {opt(vm_read, "-S")}
    assert [c["name"] for c in doc["checks"]] == ["data-ext4", "badinput", "xfer-badinput", "fuzz"]


MATRIX_BLK = '''[[matrix]]
paths = ["dio.bvec-async", "fio.io_uring"]
op = "write"
bs = "64k"
size = "8m"
qd = [1, 16]
backend = ["blk", "brd"]
'''


def test_raw_backends_split_the_device_between_kdio_and_fio(tmp_path):
    s = suite_with(tmp_path, MATRIX_BLK, extra="[vm]\nmemory_mib = 2048")
    doc = plan.build(s, ENV, "r")
    by_id = {c["case"]: c["argv"] for c in doc["cases"]}
    kdio = by_id["dio.bvec-async/op=write/bs=64k/size=8m/qd=16/backend=blk"]
    assert opt(kdio, "-f") == "/dev/vdb" and opt(kdio, "-O") == "0" and opt(kdio, "-q") == "16"
    fio = by_id["fio.io_uring/op=write/bs=64k/size=8m/qd=16/backend=brd"]
    assert "--filename=/dev/ram0" in fio and f"--offset={8 << 20}" in fio
    assert "--iodepth=16" in fio
    assert "-q" not in by_id["dio.bvec-async/op=write/bs=64k/size=8m/qd=1/backend=blk"]
    assert len(doc["setup"]) == 4


def test_brd_needs_guest_memory(tmp_path):
    s = suite_with(tmp_path, MATRIX_BLK, file_size="512m", extra="[vm]\nmemory_mib = 1024")
    with pytest.raises(ConfigError, match="memory_mib >= "):
        plan.check_cases(s)


def test_sync_path_takes_no_queue_depth(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.vmmap"]\nop="write"\nbs="4k"\nsize="1m"\nqd=4\n')
    with pytest.raises(ConfigError, match="synchronous"):
        plan.check_cases(s)


def test_unknown_backend(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.vmmap"]\nop="write"\nbs="4k"\nsize="1m"\nbackend="nfs"\n')
    with pytest.raises(ConfigError, match="unknown backend 'nfs'"):
        plan.check_cases(s)


def test_unknown_path(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.nope"]\nop="write"\nbs="4k"\nsize="1m"\n')
    with pytest.raises(ConfigError, match="unknown path 'dio.nope'"):
        plan.check_cases(s)


def test_unknown_check(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.null"]\nop="write"\nbs="4k"\nsize="1m"\n',
                   extra='checks = ["speed"]')
    with pytest.raises(ConfigError, match="unknown check 'speed'"):
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


def test_backend_regions_do_not_overlap():
    for b in backends.BACKENDS.values():
        k, f = b.target("kdio", 8 << 20), b.target("fio", 8 << 20)
        assert (k.path != f.path) or (k.offset + (8 << 20) <= f.offset)
