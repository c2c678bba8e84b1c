"""A built kernel tree as the guest kernel: `kdio bench --kernel <path>`.

The path is the folder make ran in: the source itself, or its O= build
folder. This module tells a tree from a kernel name, checks that the tree
is built, for x86_64, with modules, and installs its modules into the cache
(make modules_install INSTALL_MOD_PATH=...) so that modprobe can give their
insmod order, as it does for Debian's packages (kernel.module_load_order).
Built-in modules need no insmod: modprobe reports them as built in.
"""

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio.kernel import kconfig, kernel
from kdio.errors import TreeError

STAMP = ".staged"
EM_X86_64 = 62
ELF_MACHINES = {3: "i386", 8: "mips", 20: "powerpc", 21: "powerpc64", 22: "s390",
                40: "arm", 62: "x86_64", 183: "arm64", 243: "riscv", 258: "loongarch"}
# .config symbols that say which architecture a tree is for, most specific first
CONFIG_ARCHES = (("CONFIG_X86_64", "x86_64"), ("CONFIG_X86_32", "i386"),
                 ("CONFIG_ARM64", "arm64"), ("CONFIG_ARM", "arm"), ("CONFIG_RISCV", "riscv"),
                 ("CONFIG_PPC64", "powerpc64"), ("CONFIG_PPC", "powerpc"),
                 ("CONFIG_S390", "s390"), ("CONFIG_MIPS", "mips"),
                 ("CONFIG_LOONGARCH", "loongarch"))
BUILD_HINT = "build it with 'make vmlinux modules' (or let 'kdio kernel build SRC' do it)"


@dataclass(frozen=True)
class TreeSpec:
    """A built tree, as bench and the results need to know a kernel."""
    name: str               # tree-<folder name>
    release: str            # include/config/kernel.release
    version: str            # the kernel version the release starts with
    path: Path              # the folder make ran in
    image: Path             # vmlinux, else arch/x86/boot/bzImage
    guest_modules: tuple    # modules /init loads first (fragment.toml)

    @property
    def config_path(self):
        return self.path / ".config"


@dataclass(frozen=True)
class StagedTree:
    """A tree whose modules are installed under root; the interface of
    kernel.KernelTree that build.py and bench.py use."""
    spec: TreeSpec
    root: Path              # <root>/lib/modules/<release>/ holds the modules
    vmlinux: Path           # the ELF QEMU boots through PVH

    @property
    def headers_dir(self):  # external modules build with make -C <tree> M=...
        return self.spec.path

    @property
    def headers_common_dir(self):
        return None

    @property
    def build_name(self):
        return f"{self.spec.name}-{self.spec.release}"


def is_tree_path(name):
    """Does a --kernel value name a tree? Yes if it holds a '/' or is a
    folder, unless it is a kernel file (*.toml)."""
    name = str(name)
    return not name.endswith(".toml") and ("/" in name or Path(name).is_dir())


def elf_machine(path):
    """(64-bit?, e_machine) from an ELF header, or None if path is no ELF."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    order = "little" if head[5] == 1 else "big"
    return head[4] == 2, int.from_bytes(head[18:20], order)


def _config_arch(config):
    return next((arch for sym, arch in CONFIG_ARCHES if config.get(sym) == "y"), "unknown")


def check_arch(tree, config):
    """Raise TreeError unless the tree's .config and vmlinux are x86_64."""
    arch = _config_arch(config)
    hint = ("build the tree for x86_64 (make ARCH=x86_64 ...), or let "
            "'kdio kernel build SRC' build one: the guest is an x86_64 QEMU machine")
    if arch != "x86_64":
        raise TreeError(f"{tree} is built for {arch}, not x86_64 (its .config has no "
                        f"CONFIG_X86_64=y)", hint)
    vmlinux = tree / "vmlinux"
    machine = elf_machine(vmlinux) if vmlinux.is_file() else None
    if machine and machine != (True, EM_X86_64):
        shown = ELF_MACHINES.get(machine[1], f"ELF machine {machine[1]}")
        raise TreeError(f"{vmlinux} is a {'64' if machine[0] else '32'}-bit {shown} image, "
                        f"not x86_64 (its .config says x86_64: the tree is half rebuilt?)",
                        hint)


def _kernel_image(tree):
    for rel in ("vmlinux", "arch/x86/boot/bzImage"):
        if (tree / rel).is_file():
            return tree / rel
    raise TreeError(f"{tree} has no vmlinux and no arch/x86/boot/bzImage: it is not built",
                    BUILD_HINT)


def _check_modules_built(tree):
    for name in ("Module.symvers", "modules.order"):
        if not (tree / name).is_file():
            raise TreeError(f"{tree} has no {name}: its modules were not built, and kdio "
                            f"builds its own modules against it",
                            f"run 'make modules' in it (CONFIG_MODULES=y), or {BUILD_HINT}")


def open_tree(path, guest_modules):
    """The TreeSpec of the built tree at path; TreeError if it is not one."""
    tree = Path(path)
    if not tree.is_dir():
        raise TreeError(f"{path}: no such folder (a --kernel with a '/' is a kernel tree)",
                        "give the folder a kernel was built in, or a kernel name from "
                        "harness/kernels (debian-6.1)")
    tree = tree.resolve()
    if not (tree / ".config").is_file():
        raise TreeError(f"{tree} is not a kernel tree: it has no .config",
                        "give the folder make ran in (the source, or its O= build folder); "
                        "'kdio kernel build SRC' builds one from a source")
    config = kconfig.read_config(tree / ".config")
    check_arch(tree, config)
    release_file = tree / "include/config/kernel.release"
    if not release_file.is_file():
        raise TreeError(f"{tree} is configured but not built (no include/config/kernel.release)",
                        BUILD_HINT)
    release = release_file.read_text().strip()
    image = _kernel_image(tree)
    if config.get("CONFIG_MODULES") == "y":  # without it, the config check says so
        _check_modules_built(tree)
    version = re.match(r"[\d.]*", release).group(0).rstrip(".") or release
    return TreeSpec(name=f"tree-{tree.name}", release=release, version=version, path=tree,
                    image=image, guest_modules=tuple(guest_modules))


def _stage_key(spec):
    parts = [str(spec.path), spec.release]
    for f in (spec.path / "Module.symvers", spec.path / "modules.order", spec.image):
        st = f.stat()
        parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def _install_modules(spec, root):
    r = subprocess.run(["make", "-C", str(spec.path), "modules_install",
                        f"INSTALL_MOD_PATH={root}"], capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-4:]
        raise TreeError(f"make modules_install of {spec.path} failed:\n  " + "\n  ".join(tail),
                        f"run it by hand: make -C {spec.path} modules_install "
                        f"INSTALL_MOD_PATH=/tmp/x")
    if not (root / "lib/modules" / spec.release / "modules.dep").is_file():
        raise TreeError(f"make modules_install of {spec.path} left no modules.dep for "
                        f"{spec.release}", "install kmod (depmod), then run again")


def stage(spec, cache=None, log=print):
    """Install spec's modules (and a vmlinux, if it has only a bzImage) into
    <cache>/trees/staged/ once per build of the tree; return a StagedTree."""
    cache = Path(cache or kernel.cache_dir())
    dest = cache / "trees" / "staged" / f"{spec.release}-{_stage_key(spec)}"
    bzimage_only = spec.image.name != "vmlinux"
    if not (dest / STAMP).exists():
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            log(f"installing the modules of {spec.path} into {dest}")
            _install_modules(spec, partial / "root")
            if bzimage_only:
                log(f"extracting vmlinux from {spec.image}")
                kernel.extract_vmlinux(spec.image, partial / "vmlinux")
            (partial / STAMP).write_text(f"{spec.path}\n")
            shutil.rmtree(dest, ignore_errors=True)
            partial.rename(dest)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return StagedTree(spec=spec, root=dest / "root",
                      vmlinux=dest / "vmlinux" if bzimage_only else spec.image)


def label(name):
    """A --kernel value as it can appear in a run id: a tree by its folder."""
    return f"tree-{Path(name).resolve().name}" if is_tree_path(name) else name
