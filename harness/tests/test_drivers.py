"""A user's own modules: built against the guest kernel or taken prebuilt,
loaded before kdio's, each load recorded; crypto cases by any driver name.

Integration: real module builds, and real boots with the test driver
fixture (tests/fixtures/testdrv: cbc(aes) under the driver name
kdio-test-cbc-aes) and a module whose load fails (testdrv-fail)."""

import pytest

from kdio.kernel import drivers, kernel
from kdio.model import config
from kdio.results import console
from kdio.run import bench
from kdio.vm import initramfs
from kdio.errors import BuildError, ConfigError

FIX = bench.TOP / "harness" / "tests" / "fixtures"
TEST_DRIVER = "kdio-test-cbc-aes"

SUITE = f'''name = "userdrv"
description = "the test driver against generic, by driver name"
repetitions = 2
checks = []

[vm]
cpus = 2
memory_mib = 1024
disk_mib = 64
timeout_s = 600
crypto = true

[[matrix]]
paths = ["crypto.zerocopy", "crypto.bounce", "base.afalg"]
alg = "cbc"
driver = ["{TEST_DRIVER}", "generic", "mydrv-not-loaded"]
key = 128
msg = ["1424", "64k"]
count = 16
qd = [1, 8]
'''


def test_user_module_lines_on_the_console():
    text = ("x\nkdio: user module a.ko loaded\n[ 1.0] kdio: user module b.ko failed: "
            "insmod: can't insert 'b.ko': No such device \n")
    assert console.user_modules(text) == [
        {"module": "a", "loaded": True, "message": None},
        {"module": "b", "loaded": False,
         "message": "insmod: can't insert 'b.ko': No such device"}]


def test_user_modules_are_marked_in_the_load_order(tmp_path):
    ko = tmp_path / "mine.ko"
    ko.write_bytes(b"\0")
    initramfs._install_modules(tmp_path, [(ko, "!"), (tmp_path / "mine.ko", "")])
    assert (tmp_path / "kdio/modules.order").read_text() == "!mine.ko\n"


def test_a_path_that_is_neither_folder_nor_ko_is_refused(tmp_path):
    tree = type("T", (), {"spec": type("S", (), {"release": "r"})})
    with pytest.raises(ConfigError, match="no such folder or .ko file"):
        drivers.prepare([str(tmp_path / "nothing")], tree)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no Kbuild or Makefile"):
        drivers.prepare([str(tmp_path / "empty")], tree)
    fake = tmp_path / "fake.ko"
    fake.write_text("not an ELF")
    with pytest.raises(ConfigError, match="not a kernel module"):
        drivers.prepare([str(fake)], tree)


@pytest.fixture(scope="module")
def tree61():
    return kernel.fetch(config.load_kernel("debian-6.1"), print)


@pytest.mark.integration
def test_a_module_folder_builds_and_a_broken_one_says_why(tree61):
    built = drivers.prepare([str(FIX / "testdrv")], tree61)
    assert [m.name for m in built] == ["kdio_testcbc"] and built[0].ko.exists()
    with pytest.raises(BuildError) as e:
        drivers.prepare([str(FIX / "testdrv-broken")], tree61)
    assert "does not build against 6.1.0-56-amd64" in str(e.value)
    assert "this_symbol_does_not_exist" in str(e.value)


@pytest.mark.integration
def test_a_ko_built_for_another_kernel_is_refused(tree61):
    ko = drivers.prepare([str(FIX / "testdrv")], tree61)[0].ko
    other = kernel.fetch(config.load_kernel("debian-6.12"), print)
    with pytest.raises(ConfigError, match="was built for kernel 6.1.0-56-amd64, the guest "
                                          "runs 6.12"):
        drivers.prepare([str(ko)], other)
    assert drivers.prepare([str(ko)], tree61)[0].ko == ko


@pytest.fixture(scope="module")
def userdrv_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("userdrv")
    suite = out / "userdrv.toml"
    suite.write_text(SUITE)
    doc, _ = bench.run(bench.Options(suite=str(suite), results_dir=out, run_id="u",
                                     user_modules=(str(FIX / "testdrv"),)), log=print)
    return doc


@pytest.mark.integration
def test_the_users_driver_is_loaded_measured_by_name_and_verified(userdrv_run):
    doc = userdrv_run
    assert doc["status"] == "ok", doc["failure"]
    assert doc["context"]["user_modules"] == [
        {"module": "kdio_testcbc", "source": str(FIX / "testdrv"), "loaded": True,
         "message": None}]
    mine = [r for r in doc["results"] if r["params"]["driver"] == TEST_DRIVER]
    assert len(mine) == 12
    for r in mine:
        assert r["status"] == "ok", (r["case"], r["message"])
        assert r["message"] == f"driver {TEST_DRIVER}"
        assert r["metrics"]["verified"] == [1, 1]


@pytest.mark.integration
def test_a_driver_that_is_not_registered_is_skipped_naming_what_is(userdrv_run):
    missing = [r for r in userdrv_run["results"]
               if r["params"]["driver"] == "mydrv-not-loaded"]
    assert len(missing) == 12
    for r in missing:
        assert r["status"] == "skipped"
        assert "driver mydrv-not-loaded is not available for cbc(aes)" in r["message"]
        assert "/proc/crypto offers cbc(aes) from:" in r["message"]
        assert TEST_DRIVER in r["message"]


@pytest.mark.integration
def test_a_user_module_that_does_not_load_fails_the_run_with_insmods_message(tmp_path):
    doc, _ = bench.run(bench.Options(suite="smoke", results_dir=tmp_path, run_id="f",
                                     user_modules=(str(FIX / "testdrv-fail"),)), log=print)
    assert doc["status"] == "failed"
    reason = doc["failure"]["reason"]
    assert reason.startswith("user module kdio_testfail failed to load: insmod:")
    assert "No such device" in reason
    assert doc["context"]["user_modules"][0]["loaded"] is False
