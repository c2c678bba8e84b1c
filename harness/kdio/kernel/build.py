"""Build the kdio modules against a guest kernel's headers, and the tools.

Modules build out of tree in build/<kernel>/modules (the sources are copied
there by modules/Makefile), so several kernels can be built side by side.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.errors import BuildError

TOP = where.TOP
BUILD_DIR = TOP / "build"


@dataclass(frozen=True)
class Artifacts:
    modules: tuple  # .ko paths, in load order
    tools_dir: Path


def _make(argv, what):
    r = subprocess.run(["make", "--no-print-directory", *argv], capture_output=True, text=True)
    out = r.stdout + r.stderr
    if r.returncode != 0:
        errors = [ln for ln in out.splitlines() if "error" in ln.lower()][:8]
        raise BuildError(f"{what} failed:\n  " + "\n  ".join(errors or out.splitlines()[-8:]),
                         f"run the command by hand to see the whole log: make {' '.join(argv)}")
    warnings = [ln for ln in out.splitlines() if "warning:" in ln]
    return warnings


def build_modules(tree, log=print):
    """Build every module in modules/Kbuild for the kernel in tree (a Debian
    kernel's headers, or a built kernel tree)."""
    out = BUILD_DIR / tree.build_name / "modules"
    log(f"building modules for {tree.spec.release}")
    common = [f"KCOMMON={tree.headers_common_dir}"] if tree.headers_common_dir else []
    warnings = _make(["-C", str(TOP / "modules"), f"KDIR={tree.headers_dir}", *common,
                      f"BUILD={out}"], f"module build for {tree.spec.release}")
    for w in warnings:
        log(f"  {w}")
    kos = tuple(sorted(out.glob("*.ko")))
    if not kos:
        raise BuildError(f"the module build left no .ko in {out}", "check modules/Kbuild")
    return kos, warnings


def build_tools(log=print):
    """Build the userspace tools with the host compiler."""
    out = BUILD_DIR / "userspace"
    log("building userspace tools")
    warnings = _make(["-C", str(TOP / "userspace"), f"BUILD={out}"], "userspace build")
    return out, warnings


def build_plugin(log=print):
    """Build kdio's QEMU plugin (plugin/, the profiler) with the host's
    compiler: the path of the shared object."""
    out = BUILD_DIR / "plugin"
    log("building the profiler's QEMU plugin")
    _make(["-C", str(TOP / "plugin"), f"BUILD={out}"], "plugin build")
    return out / "kdio_profile.so"


def build_all(tree, log=print):
    kos, _ = build_modules(tree, log)
    tools, _ = build_tools(log)
    return Artifacts(modules=kos, tools_dir=tools)
