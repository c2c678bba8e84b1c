"""`kdio kernel build` on a fake source whose Makefile answers kbuild's
targets: the cache key, the progress lines, the merge check, and that a
failed build leaves nothing half-built. The real build is in
test_tree_smoke.py (integration)."""

import subprocess
import tarfile

import pytest

from kdio.kernel import kbuild, kconfig, ksource
from kdio.errors import BuildError, KconfigError, TreeError

# tinyconfig writes a base; olddefconfig gives the symbols with no prompt
# their values (DROP=1 drops PVH as a missing dependency would, and it
# always drops CONFIG_NOSUCH, a symbol the source lacks); vmlinux
# prints kbuild's short lines, or fails with FAIL=1.
FAKE_MAKEFILE = """VERSION = 6
PATCHLEVEL = 1
SUBLEVEL = 192
EXTRAVERSION =
tinyconfig defconfig:
\tmkdir -p $(O) && echo CONFIG_BASE=y > $(O)/.config
olddefconfig:
\tprintf 'CONFIG_CRYPTO_AEAD2=y\\nCONFIG_CRYPTO_SKCIPHER2=y\\n' >> $(O)/.config
\tif [ -f $(CURDIR)/DROP ]; then sed -i /CONFIG_PVH=/d $(O)/.config; fi
\tsed -i /CONFIG_NOSUCH/d $(O)/.config
vmlinux:
\t@echo '  CC      init/main.o'; echo '  CC [M]  drivers/block/brd.o'
\t@if [ -f $(CURDIR)/FAIL ]; then echo 'init/main.c:1:1: error: boom' >&2; exit 1; fi
\t@echo '  LD      vmlinux'; echo vmlinux > $(O)/vmlinux
modules:
\t@echo '  LD [M]  drivers/block/brd.ko'; echo >> $(CURDIR)/builds.log
"""
MERGE_SCRIPT = """#!/bin/sh
# merge_config.sh -m -O DIR BASE FRAGMENT, as the kernel's does it
cat "$4" "$5" > "$3/.config.new" && mv "$3/.config.new" "$3/.config"
"""


def fake_source(root):
    root.mkdir(parents=True)
    (root / "Makefile").write_text(FAKE_MAKEFILE)
    (root / "Kconfig").write_text("")
    script = root / "scripts/kconfig/merge_config.sh"
    script.parent.mkdir(parents=True)
    script.write_text(MERGE_SCRIPT)
    script.chmod(0o755)
    return root


def quiet(_msg):
    pass


@pytest.fixture
def src(tmp_path):
    return fake_source(tmp_path / "linux-6.1")


def test_makefile_version():
    text = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION = -rc1\nNAME = x\n"
    assert ksource.makefile_version(text) == "6.1.192-rc1"
    assert ksource.makefile_version("VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n"
                                    "EXTRAVERSION =\n") == "6.1.0"
    assert ksource.makefile_version("all:\n\ttrue\n") is None


def test_a_folder_that_is_no_source(tmp_path):
    with pytest.raises(TreeError, match="is not a kernel source folder"):
        ksource.open_source(tmp_path, tmp_path / "cache")
    with pytest.raises(TreeError, match="no such source folder or tarball"):
        ksource.open_source(tmp_path / "none", tmp_path / "cache")


def test_a_configured_source_is_refused(src, tmp_path):
    (src / ".config").write_text("CONFIG_X=y\n")
    with pytest.raises(TreeError, match="has a .config of its own") as e:
        ksource.open_source(src, tmp_path / "cache")
    assert "mrproper" in e.value.hint


def test_a_tarball_is_unpacked_once(src, tmp_path):
    tarball = tmp_path / "linux-source-6.1.tar.xz"
    with tarfile.open(tarball, "w:xz") as t:
        t.add(src, arcname="linux-source-6.1")
    said = []
    first = ksource.open_source(tarball, tmp_path / "cache", said.append)
    second = ksource.open_source(tarball, tmp_path / "cache", said.append)
    assert first == second and first.version == "6.1.192"
    assert first.root.parent == tmp_path / "cache/trees/src"
    assert len([m for m in said if m.startswith("unpacking")]) == 1
    assert not list(first.root.parent.glob("*.partial"))


def test_cache_key_follows_every_input(src, tmp_path):
    source = ksource.open_source(src, tmp_path)
    key = kbuild.cache_key(source, "tinyconfig", ["CONFIG_A=y"], "gcc 12")
    assert key.startswith("6.1.192-") and len(key) == len("6.1.192-") + 12
    assert key == kbuild.cache_key(source, "tinyconfig", ["CONFIG_A=y"], "gcc 12")
    for other in (kbuild.cache_key(source, "defconfig", ["CONFIG_A=y"], "gcc 12"),
                  kbuild.cache_key(source, "tinyconfig", ["CONFIG_A=m"], "gcc 12"),
                  kbuild.cache_key(source, "tinyconfig", ["CONFIG_A=y"], "gcc 13")):
        assert other != key


def test_a_base_file_counts_by_its_content(tmp_path):
    base = tmp_path / "my.config"
    base.write_text("CONFIG_A=y\n")
    first = kbuild.base_identity(base)
    base.write_text("CONFIG_A=m\n")
    assert kbuild.base_identity(base) != first
    assert kbuild.base_identity("defconfig") == "defconfig"
    with pytest.raises(TreeError, match="not tinyconfig or defconfig and no such file"):
        kbuild.base_identity(tmp_path / "none")


@pytest.mark.parametrize("line, step", [
    ("  CC      fs/ext4/inode.o", "CC fs/ext4/inode.o"),
    ("  CC [M]  drivers/block/brd.o", "CC [M] drivers/block/brd.o"),
    ("  LD      vmlinux", "LD vmlinux"),
    ("  HOSTCC  scripts/basic/fixdep", None),
    ("make[1]: Entering directory '/x'", None),
    ("fs/ext4/inode.c:1:1: warning: x", None)])
def test_short_steps_are_counted_as_objects(line, step):
    assert kbuild._short_step(line) == step


def test_build_then_nothing_to_do(src, tmp_path):
    said = []
    kb = kbuild.plan(src, cache=tmp_path / "cache", log=quiet)
    tree = kbuild.build(kb, said.append)
    assert tree == kb.out and (tree / "vmlinux").is_file()
    assert kb.out == tmp_path / "cache/trees/build" / kb.key
    merged = kconfig.read_config(tree / ".config")
    assert merged["CONFIG_BASE"] == "y" and merged["CONFIG_PVH"] == "y"
    assert any("kernel build: 4 objects" in m for m in said)
    assert not kb.partial.exists()
    said.clear()
    assert kbuild.build(kbuild.plan(src, cache=tmp_path / "cache", log=quiet), said.append) == tree
    assert said == [f"kernel {kb.key} is already built in {tree}: nothing to do"]
    assert (src / "builds.log").read_text() == "\n"


def test_progress_lines_come_while_make_runs(src, tmp_path, monkeypatch):
    monkeypatch.setattr(kbuild, "PROGRESS_EVERY_S", 0)
    said = []
    kbuild.build(kbuild.plan(src, cache=tmp_path / "cache", log=quiet), said.append)
    progress = [m for m in said if m.startswith("kernel build: ")]
    # one line per read of make's output (and one per second of silence):
    # the count only grows, and a line while make runs names its last step
    assert len(progress) >= 2
    counts = [int(m.split()[2]) for m in progress]
    assert counts == sorted(counts) and counts[-1] == 4
    assert any("(last: CC " in m or "(last: LD " in m for m in progress[:-1])
    assert "kernel build: 4 objects" in progress[-1]


def test_a_failed_build_leaves_nothing_but_its_log(src, tmp_path):
    (src / "FAIL").write_text("")
    kb = kbuild.plan(src, cache=tmp_path / "cache", log=quiet)
    with pytest.raises(BuildError, match="kernel build failed") as e:
        kbuild.build(kb, quiet)
    assert "init/main.c:1:1: error: boom" in str(e.value)
    assert str(kb.logs / f"{kb.key}.log") in e.value.hint
    assert not kb.out.exists() and not kb.partial.exists()
    assert (kb.logs / f"{kb.key}.config").is_file()


def test_an_option_lost_in_the_merge_is_named(src, tmp_path):
    (src / "DROP").write_text("")
    kb = kbuild.plan(src, cache=tmp_path / "cache", log=quiet)
    with pytest.raises(KconfigError, match="did not survive the merge") as e:
        kbuild.build(kb, quiet)
    assert "CONFIG_PVH=y needed by guest (not set)" in str(e.value)
    assert not kb.out.exists() and not kb.partial.exists()


def test_an_out_folder_that_is_not_this_build_is_refused(src, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    with pytest.raises(TreeError, match="exists and is not kdio's build"):
        kbuild.build(kbuild.plan(src, out=out, cache=tmp_path / "cache", log=quiet), quiet)


def test_a_given_out_folder_is_used(src, tmp_path):
    kb = kbuild.plan(src, out=tmp_path / "out", cache=tmp_path / "cache", log=quiet)
    assert kbuild.build(kb, quiet) == tmp_path / "out"
    assert (tmp_path / "out/vmlinux").is_file()


def test_a_git_source_is_known_by_its_commit_and_edits(src, tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(src), "-c", "user.name=k", "-c", "user.email=k@k",
                        *args], check=True, capture_output=True)
    plain = kbuild.plan(src, cache=tmp_path / "cache", log=quiet).key
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "x")
    committed = kbuild.plan(src, cache=tmp_path / "cache", log=quiet)
    assert committed.source.revision and "+" not in committed.source.revision
    (src / "Kconfig").write_text("# edited\n")
    edited = kbuild.plan(src, cache=tmp_path / "cache", log=quiet)
    assert edited.source.revision.startswith(committed.source.revision + "+")
    assert len({plain, committed.key, edited.key}) == 3


@pytest.mark.parametrize("text, line", [
    ("CONFIG_CRYPTO_STATS=y", "CONFIG_CRYPTO_STATS=y"),
    ("CRYPTO_STATS=y", "CONFIG_CRYPTO_STATS=y"),
    ("CONFIG_HARDENED_USERCOPY=n", "# CONFIG_HARDENED_USERCOPY is not set"),
    ("CONFIG_LOG_BUF_SHIFT=17", "CONFIG_LOG_BUF_SHIFT=17"),
    ('CONFIG_CMDLINE="a b"', 'CONFIG_CMDLINE="a b"')])
def test_settings_are_option_lines(text, line):
    (req,) = kconfig.parse_settings([text])
    assert req.line == line


@pytest.mark.parametrize("text", ["CONFIG_X", "CONFIG_X=yes", "config_x=y", "CONFIG_X=a b"])
def test_a_setting_that_is_no_setting_is_refused(text):
    with pytest.raises(KconfigError, match="is not an option setting") as e:
        kconfig.parse_settings([text])
    assert "--set CONFIG_NAME=VALUE" in e.value.hint


def test_a_setting_that_undoes_the_fragment_is_refused(src, tmp_path):
    with pytest.raises(KconfigError, match="undoes kdio's fragment: CONFIG_PVH=y is needed by "
                                           "guest"):
        kbuild.plan(src, cache=tmp_path / "cache", settings=["CONFIG_PVH=n"], log=quiet)


def test_settings_make_another_build_started_from_the_plain_one(src, tmp_path):
    cache = tmp_path / "cache"
    plain = kbuild.build(kbuild.plan(src, cache=cache, log=quiet), quiet)
    (plain / "from-the-plain-build").write_text("")
    kb = kbuild.plan(src, cache=cache, settings=["CONFIG_EXTRA=y", "CONFIG_BASE=n"], log=quiet)
    assert kb.key != plain.name and kb.seed == plain
    said = []
    tree = kbuild.build(kb, said.append)
    merged = kconfig.read_config(tree / ".config")
    assert merged["CONFIG_EXTRA"] == "y" and "CONFIG_BASE" not in merged
    assert (tree / "from-the-plain-build").exists() and (plain / kbuild.STAMP).exists()
    assert any(m.startswith("starting from the build without CONFIG_EXTRA=y") for m in said)
    stamp = (tree / kbuild.STAMP).read_text()
    assert "set CONFIG_EXTRA=y\nset # CONFIG_BASE is not set\n" in stamp
    assert kbuild.described(tree) == {"key": kb.key, "base": "tinyconfig",
                                      "set": ["CONFIG_EXTRA=y", "# CONFIG_BASE is not set"]}
    assert kbuild.described(plain)["set"] == [] and kbuild.described(tmp_path) is None
    assert kbuild.plan(src, cache=cache, settings=["CONFIG_EXTRA=y"], log=quiet).key != kb.key


def test_without_the_plain_build_settings_build_from_scratch(src, tmp_path):
    kb = kbuild.plan(src, cache=tmp_path / "cache", settings=["CONFIG_EXTRA=y"], log=quiet)
    assert kb.seed is None
    assert kconfig.read_config(kbuild.build(kb, quiet) / ".config")["CONFIG_EXTRA"] == "y"


def test_a_setting_that_does_not_take_effect_is_named(src, tmp_path):
    kb = kbuild.plan(src, cache=tmp_path / "cache", settings=["CONFIG_NOSUCH=y"], log=quiet)
    with pytest.raises(KconfigError, match="1 --set setting.s. did not take effect") as e:
        kbuild.build(kb, quiet)
    assert "CONFIG_NOSUCH=y (now not set)" in str(e.value)
    assert not kb.out.exists() and not kb.partial.exists()
