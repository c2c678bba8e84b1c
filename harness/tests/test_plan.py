import pytest

from kdio.model import backends, config
from kdio.paths import pathdef
from kdio.plan import plan
from kdio.errors import ConfigError

ENV = pathdef.GuestEnv(tools_dir="/opt/kdio/bin", file_size=8 << 20)


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
    # setup lays the pattern on both regions with a seed no kdio write uses
    assert [opt(s["argv"], "-f") for s in doc["setup"]] == ["/run/kdio/scratch/kdio.dat",
                                                              "/run/kdio/scratch/fio.dat"]
    assert {opt(s["argv"], "-S") for s in doc["setup"]} == {str(ENV.seed)}
    assert [c["name"] for c in doc["checks"]] == ["data-ext4", "badinput", "xfer-badinput", "fuzz"]
    # each check says what its tool prints, for kdio.results.results to read it so
    assert [c["output"] for c in doc["checks"]] == ["jsonl", "ktap", "ktap", "ktap"]
    bad = doc["checks"][1]["argv"]
    assert opt(bad, "-N") == plan.NODIO_FILE and opt(bad, "-T") == "/opt/kdio/bin/kdio-dio"


def seeds_by_rep(doc, case_id):
    case = next(c for c in doc["cases"] if c["case"] == case_id)
    return [int(opt(a, "-S")) for a in case["argv_by_rep"]]


def test_every_write_has_a_seed_of_its_own_and_reads_expect_the_last():
    doc = plan.build(config.load_suite("smoke"), ENV, "run1")
    w64 = seeds_by_rep(doc, "dio.vmmap/op=write/bs=64k/size=8m")
    w1m = seeds_by_rep(doc, "dio.vmmap/op=write/bs=1m/size=8m")
    writes = w64 + w1m
    assert len(set(writes)) == 6 and ENV.seed not in writes
    # the 1 MiB write runs after the 64 KiB one in every repetition: reads see it
    for read in ("dio.vmmap/op=read/bs=64k/size=8m", "dio.vmmap/op=read/bs=1m/size=8m"):
        assert seeds_by_rep(doc, read) == w1m
    data = next(c for c in doc["checks"] if c["name"] == "data-ext4")
    assert "-c" in data["argv"]
    assert int(opt(data["argv"], "-S")) == w1m[-1]     # the last writer's seed
    assert opt(data["argv"], "-s") == str(8 << 20)
    # the runner's first repetition runs argv
    case = next(c for c in doc["cases"] if c["case"] == "dio.vmmap/op=read/bs=1m/size=8m")
    assert case["argv"] == case["argv_by_rep"][0]
    assert "argv_by_rep" not in next(c for c in doc["cases"] if c["case"].startswith("fio."))
    assert "argv_by_rep" not in next(c for c in doc["cases"] if c["case"].startswith("dio.null"))


def test_read_before_any_write_expects_setup_then_the_write(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.bvec"]\nop=["read", "write"]\n'
                             'bs="1m"\nsize="8m"\n')
    doc = plan.build(s, ENV, "r")
    writes = seeds_by_rep(doc, "dio.bvec/op=write/bs=1m/size=8m")
    reads = seeds_by_rep(doc, "dio.bvec/op=read/bs=1m/size=8m")
    assert reads == [ENV.seed, writes[0], writes[1]]


def test_shorter_last_write_leaves_two_segments_to_check(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.bvec"]\nop="write"\nbs="1m"\n'
                             'size=["8m", "2m"]\n', extra='checks = ["data"]')
    doc = plan.build(s, ENV, "r")
    big = seeds_by_rep(doc, "dio.bvec/op=write/bs=1m/size=8m")
    small = seeds_by_rep(doc, "dio.bvec/op=write/bs=1m/size=2m")
    data = {c["name"]: c["argv"] for c in doc["checks"] if c["name"].startswith("data")}
    assert sorted(data) == ["data-ext4", f"data-ext4@{2 << 20}"]
    assert int(opt(data["data-ext4"], "-S")) == small[-1]
    assert opt(data["data-ext4"], "-s") == str(2 << 20)
    tail = data[f"data-ext4@{2 << 20}"]
    assert int(opt(tail, "-S")) == big[-1] and opt(tail, "-O") == str(2 << 20)
    assert opt(tail, "-s") == str(6 << 20)


def test_read_of_a_partly_written_region_is_refused(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.bvec"]\nop="write"\nbs="1m"\n'
                             'size="2m"\n[[matrix]]\npaths=["dio.bvec"]\nop="read"\n'
                             'bs="1m"\nsize="8m"\n')
    with pytest.raises(ConfigError, match="written only in part") as e:
        plan.build(s, ENV, "r")
    assert "write case at least as large" in e.value.hint


def test_expected_error_write_keeps_the_seed_its_range_holds(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths=["dio.bvec", "dio.kvec-kmalloc"]\n'
                             'op=["write", "read"]\nbs="1m"\nsize="8m"\n')
    doc = plan.build(s, ENV, "r")
    bvec = seeds_by_rep(doc, "dio.bvec/op=write/bs=1m/size=8m")
    assert seeds_by_rep(doc, "dio.kvec-kmalloc/op=write/bs=1m/size=8m") == bvec
    assert seeds_by_rep(doc, "dio.bvec/op=read/bs=1m/size=8m") == bvec


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


def test_fio_cases_run_in_batches_per_backend_each_case_once():
    suite = config.load_suite("dio")
    doc = plan.build(suite, pathdef.GuestEnv(tools_dir="/t", file_size=suite.file_size), "r")
    fio_cases = [c["case"] for c in doc["cases"] if c["case"].startswith("fio.")]
    in_batches = [cid for b in doc["batches"].values() for cid in b["cases"]]
    assert fio_cases and sorted(in_batches) == sorted(fio_cases)   # every fio case once
    assert not any(c.get("batch") for c in doc["cases"] if not c["case"].startswith("fio."))
    for bid, b in doc["batches"].items():
        assert 2 <= len(b["cases"]) <= plan.FIO_BATCH_MAX
        members = [c for c in doc["cases"] if c.get("batch") == bid]
        assert [c["case"] for c in members] == b["cases"]     # in case order
        assert len({c["argv"][2] for c in members}) == 1   # one file: one backend
        # one fio process: its jobs named as the members say, one after the other
        assert b["argv"].count("--stonewall") == len(members)
        assert [a for a in b["argv"] if a.startswith("--name=")] == \
            [f"--name={c['fio_job']}" for c in members]
        assert b["argv"].count("--output-format=json+") == 1


def test_a_lone_fio_case_runs_alone(tmp_path):
    s = suite_with(tmp_path, '[[matrix]]\npaths = ["dio.bvec", "fio.psync"]\n'
                             'op = "write"\nbs = "64k"\nsize = "1m"\n')
    doc = plan.build(s, ENV, "r")
    assert doc["batches"] == {} and not any("batch" in c for c in doc["cases"])
