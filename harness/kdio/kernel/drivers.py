"""A user's own kernel modules (their drivers): built against the guest
kernel, or taken prebuilt, and loaded into the guest before kdio's modules.

A folder with a Kbuild (or Makefile) file is copied to
build/<release>/user/<name>/ and built there with the kernel's kbuild, as
kdio's own modules are; its .ko files load in its modules.order. A .ko file
is taken as it is once its vermagic names the guest kernel's release.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.errors import BuildError, ConfigError

BUILD_DIR = where.BUILD


@dataclass(frozen=True)
class UserModule:
    source: str         # what the user named: a folder or a .ko
    ko: Path            # the module file to load

    @property
    def name(self):
        return self.ko.stem


def _vermagic(ko):
    r = subprocess.run(["modinfo", "-F", "vermagic", str(ko)], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        raise ConfigError(f"{ko}: not a kernel module (modinfo found no vermagic)",
                          "give a .ko built for the guest kernel, or its source folder")
    return r.stdout.split()[0]


def _prebuilt(ko, release):
    built_for = _vermagic(ko)
    if built_for != release:
        raise ConfigError(f"{ko} was built for kernel {built_for}, the guest runs {release}",
                          "rebuild it against that kernel, or give its source folder and "
                          "kdio builds it")
    return [UserModule(str(ko), ko)]


def _kbuild_argv(tree, out):
    argv = ["make", "--no-print-directory", "-C", str(tree.headers_dir)]
    common = getattr(tree, "headers_common_dir", None)
    if common and Path(common, "Makefile").exists():
        argv += ["-f", str(Path(common, "Makefile"))]
    return argv + [f"M={out}", "modules"]


def _built_in_order(out):
    """The folder's .ko files, in its modules.order where kbuild wrote one."""
    order = out / "modules.order"
    names = [Path(line.strip()).stem for line in order.read_text().splitlines()
             if line.strip()] if order.exists() else []
    kos = {k.stem: k for k in out.rglob("*.ko")}
    return [kos[n] for n in names if n in kos] + sorted(k for n, k in kos.items()
                                                        if n not in names)


def _from_source(folder, tree, log):
    if not any((folder / f).exists() for f in ("Kbuild", "Makefile")):
        raise ConfigError(f"{folder}: no Kbuild or Makefile",
                          "give a module source folder with a Kbuild file (obj-m := name.o), "
                          "or a built .ko")
    out = BUILD_DIR / tree.spec.release / "user" / folder.name
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(folder, out, ignore=shutil.ignore_patterns("*.o", "*.ko", "*.mod*", ".*.cmd"))
    log(f"building user module folder {folder} for {tree.spec.release}")
    argv = _kbuild_argv(tree, out)
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        text = (r.stdout + r.stderr).splitlines()
        errors = [ln for ln in text if "error" in ln.lower()][:8] or text[-8:]
        raise BuildError(f"{folder} does not build against {tree.spec.release}:\n  "
                         + "\n  ".join(errors),
                         f"fix the module source; the build ran: {' '.join(argv)}")
    kos = _built_in_order(out)
    if not kos:
        raise BuildError(f"{folder} built, but left no .ko", "check its Kbuild's obj-m line")
    return [UserModule(str(folder), ko) for ko in kos]


def prepare(sources, tree, log=print):
    """The user's modules for tree, in load order: each source is a module
    folder (built here) or a .ko (checked against the guest's release)."""
    modules = []
    for source in sources:
        p = Path(source).resolve()
        if p.is_dir():
            modules += _from_source(p, tree, log)
        elif p.suffix == ".ko" and p.is_file():
            modules += _prebuilt(p, tree.spec.release)
        else:
            raise ConfigError(f"module {source}: no such folder or .ko file",
                              "give a module source folder with a Kbuild file, or a .ko")
    names = [m.name for m in modules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"module(s) named twice: {', '.join(twice)}",
                          "give each module once")
    return tuple(modules)
