"""A built kernel tree as the guest kernel: telling a tree from a name, the
checks of a tree (not a tree, not built, no Module.symvers, another
architecture) and the install of its modules, on small fake trees."""

import gzip
from pathlib import Path

import pytest

from kdio.kernel import builttree
from kdio.model import config
from kdio.report import report
from kdio.run import bench
from kdio.errors import KconfigError, TreeError

RELEASE = "6.1.192-kdio"
GUEST_MODULES = ("virtio_pci", "ext4")


def elf_header(machine, bits=64):
    head = bytearray(64)
    head[:4] = b"\x7fELF"
    head[4] = 2 if bits == 64 else 1
    head[5] = 1
    head[18:20] = machine.to_bytes(2, "little")
    return bytes(head)


# modules_install as kbuild does it, for a tree with no real modules
FAKE_KBUILD_MAKEFILE = f"""
modules_install:
\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules/{RELEASE}/kernel/drivers/block
\tcp brd.ko $(INSTALL_MOD_PATH)/lib/modules/{RELEASE}/kernel/drivers/block/
\techo kernel/drivers/block/brd.ko > $(INSTALL_MOD_PATH)/lib/modules/{RELEASE}/modules.order
\techo kernel/fs/ext4/ext4.ko > $(INSTALL_MOD_PATH)/lib/modules/{RELEASE}/modules.builtin
\tdepmod -b $(INSTALL_MOD_PATH) {RELEASE}
\techo run >> installs.log
"""


def fake_tree(root, config_text=None, image="vmlinux", machine=62, symvers=True):
    """A folder laid out like a built kernel tree (files only, no kernel)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".config").write_text(config_text if config_text is not None
                                  else (Path(__file__).parent / "fixtures/kconfig"
                                        / "debian-6.1.config").read_text()
                                  + "CONFIG_X86_64=y\n")
    (root / "include/config").mkdir(parents=True)
    (root / "include/config/kernel.release").write_text(RELEASE + "\n")
    if image == "vmlinux":
        (root / "vmlinux").write_bytes(elf_header(machine) + b"\0" * 64)
    elif image == "bzImage":
        (root / "arch/x86/boot").mkdir(parents=True)
        payload = gzip.compress(elf_header(machine) + b"\0" * 64)
        (root / "arch/x86/boot/bzImage").write_bytes(b"MZ" + b"\0" * 600 + payload)
    if symvers:
        (root / "Module.symvers").write_text("")
        (root / "modules.order").write_text("drivers/block/brd.ko\n")
    (root / "Makefile").write_text(FAKE_KBUILD_MAKEFILE)
    (root / "brd.ko").write_bytes(b"\0")
    return root


@pytest.mark.parametrize("name, is_tree", [
    ("debian-6.1", False), ("../kernels/mine.toml", False), ("/tmp/mine.toml", False),
    ("./linux", True), ("/usr/src/linux-6.1", True), ("build/", True)])
def test_a_path_is_a_tree_and_a_name_is_a_kernel_file(name, is_tree):
    assert builttree.is_tree_path(name) is is_tree


def test_an_existing_folder_is_a_tree_without_a_slash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "linux").mkdir()
    assert builttree.is_tree_path("linux")
    assert not builttree.is_tree_path("debian-6.1")


def test_a_good_tree(tmp_path):
    spec = builttree.open_tree(fake_tree(tmp_path / "linux"), GUEST_MODULES)
    assert spec.name == "tree-linux" and spec.release == RELEASE and spec.version == "6.1.192"
    assert spec.image == tmp_path / "linux/vmlinux" and spec.guest_modules == GUEST_MODULES


def test_no_such_folder(tmp_path):
    with pytest.raises(TreeError, match="no such folder") as e:
        builttree.open_tree(tmp_path / "nothing", GUEST_MODULES)
    assert "debian-6.1" in e.value.hint


def test_a_folder_that_is_not_a_tree(tmp_path):
    with pytest.raises(TreeError, match="is not a kernel tree: it has no .config") as e:
        builttree.open_tree(tmp_path, GUEST_MODULES)
    assert "kdio kernel build" in e.value.hint


def test_a_configured_tree_that_was_not_built(tmp_path):
    tree = fake_tree(tmp_path / "t")
    (tree / "include/config/kernel.release").unlink()
    with pytest.raises(TreeError, match="configured but not built"):
        builttree.open_tree(tree, GUEST_MODULES)


def test_a_tree_with_no_kernel_image(tmp_path):
    with pytest.raises(TreeError, match="no vmlinux and no arch/x86/boot/bzImage"):
        builttree.open_tree(fake_tree(tmp_path / "t", image=None), GUEST_MODULES)


def test_a_tree_without_module_symvers(tmp_path):
    with pytest.raises(TreeError, match="has no Module.symvers") as e:
        builttree.open_tree(fake_tree(tmp_path / "t", symvers=False), GUEST_MODULES)
    assert "make modules" in e.value.hint


def test_a_tree_configured_for_another_architecture(tmp_path):
    tree = fake_tree(tmp_path / "t", config_text="CONFIG_ARM64=y\nCONFIG_64BIT=y\n",
                     machine=183)
    with pytest.raises(TreeError, match="built for arm64, not x86_64") as e:
        builttree.open_tree(tree, GUEST_MODULES)
    assert "ARCH=x86_64" in e.value.hint


def test_a_vmlinux_for_another_machine(tmp_path):
    tree = fake_tree(tmp_path / "t", machine=183)
    with pytest.raises(TreeError, match="64-bit arm64 image, not x86_64"):
        builttree.open_tree(tree, GUEST_MODULES)


def test_elf_machine(tmp_path):
    (tmp_path / "a").write_bytes(elf_header(3, bits=32))
    (tmp_path / "b").write_bytes(b"MZ not an elf at all")
    assert builttree.elf_machine(tmp_path / "a") == (False, 3)
    assert builttree.elf_machine(tmp_path / "b") is None


def test_stage_installs_the_modules_once(tmp_path):
    spec = builttree.open_tree(fake_tree(tmp_path / "t"), GUEST_MODULES)
    staged = builttree.stage(spec, cache=tmp_path / "cache", log=lambda m: None)
    assert (staged.root / "lib/modules" / RELEASE / "modules.dep").is_file()
    assert staged.vmlinux == spec.image and staged.headers_dir == spec.path
    assert staged.headers_common_dir is None
    again = builttree.stage(spec, cache=tmp_path / "cache", log=lambda m: None)
    assert again == staged
    assert (spec.path / "installs.log").read_text() == "run\n"
    assert not list((tmp_path / "cache/trees/staged").glob("*.partial"))


def test_staged_modules_give_the_insmod_order(tmp_path):
    from kdio.kernel import kernel
    spec = builttree.open_tree(fake_tree(tmp_path / "t"), GUEST_MODULES)
    staged = builttree.stage(spec, cache=tmp_path / "cache", log=lambda m: None)
    order = kernel.module_load_order(staged, ["brd", "ext4"])  # ext4 built in: no insmod
    assert [p.name for p in order] == ["brd.ko"]
    assert kernel.builtin_modules(staged, ["brd", "ext4"]) == ["ext4"]


def test_stage_extracts_vmlinux_from_a_bzimage(tmp_path):
    spec = builttree.open_tree(fake_tree(tmp_path / "t", image="bzImage"), GUEST_MODULES)
    staged = builttree.stage(spec, cache=tmp_path / "cache", log=lambda m: None)
    assert staged.vmlinux.read_bytes().startswith(elf_header(62))


def test_a_failed_install_leaves_nothing_staged(tmp_path):
    tree = fake_tree(tmp_path / "t")
    (tree / "Makefile").write_text("modules_install:\n\t@echo 'cp: no space left' >&2; false\n")
    spec = builttree.open_tree(tree, GUEST_MODULES)
    with pytest.raises(TreeError, match="modules_install of .* failed"):
        builttree.stage(spec, cache=tmp_path / "cache", log=lambda m: None)
    assert not list((tmp_path / "cache/trees/staged").iterdir())


def test_bench_checks_the_tree_config_before_anything_is_built(tmp_path, monkeypatch):
    tree = fake_tree(tmp_path / "t", config_text="CONFIG_X86_64=y\nCONFIG_MODULES=y\n")
    monkeypatch.setattr(bench.build, "build_all", lambda *a: pytest.fail("built"))
    with pytest.raises(KconfigError) as e:
        bench.open_kernel(str(tree), config.load_suite("smoke"))
    assert "CONFIG_VIRTIO_BLK=y needed by guest (not set)" in str(e.value)
    assert "CONFIG_BLK_DEV_RAM" not in str(e.value)  # smoke has no RAM disk


def test_bench_still_takes_kernel_names():
    spec = bench.open_kernel("debian-6.1", config.load_suite("smoke"))
    assert spec.name == "debian-6.1" and spec.packages


def test_run_ids_name_a_tree_by_its_folder(tmp_path):
    assert builttree.label(str(tmp_path / "linux")) == "tree-linux"
    assert builttree.label("debian-6.1") == "debian-6.1"


def test_a_tree_spec_goes_into_the_result_context(tmp_path):
    spec = builttree.open_tree(fake_tree(tmp_path / "linux"), GUEST_MODULES)
    ctx = bench.kernel_context(spec)
    assert ctx == {"name": "tree-linux", "release": RELEASE, "version": "6.1.192",
                   "tree": str(spec.path)}
    (spec.path / ".kdio-built").write_text("6.1.192-k\nsource /s\nbase tinyconfig\n"
                                           "set CONFIG_CRYPTO_STATS=y\nobjects 9\n")
    ctx = bench.kernel_context(spec)
    assert ctx["built"] == {"key": "6.1.192-k", "base": "tinyconfig",
                            "set": ["CONFIG_CRYPTO_STATS=y"]}
    assert report._kernel_row(ctx).endswith(
        f"tree {spec.path}, built on tinyconfig + kdio's fragment + CONFIG_CRYPTO_STATS=y")


def test_kdio_kernel_check_prints_each_missing_option(tmp_path, capsys):
    from kdio import cli
    tree = fake_tree(tmp_path / "t", config_text="CONFIG_X86_64=y\nCONFIG_MODULES=y\n")
    assert cli.main(["kernel", "check", str(tree), "--suite", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "CONFIG_VIRTIO_BLK=y needed by guest (not set)" in err
    assert "kdio: what to do: add the lines above" in err
