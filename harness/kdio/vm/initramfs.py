"""The guest's initramfs: busybox, harness/kdio/guest/init and kernel modules.

The archive is an uncompressed newc cpio (no emulated decompression at boot);
XZ-compressed modules (6.12) are decompressed into it.
/kdio/modules.order lists the .ko files in insmod order with their
parameters; /init loads them before it mounts anything from the host.
/kdio/runner.zip, if given a runner, is the guest runner with the stdlib
modules it imports (kdio.vm.runnerzip); /init copies it into the chroot.
"""

import lzma
import shutil
import subprocess
import tempfile
from pathlib import Path

from kdio import where
from kdio.vm import runnerzip
from kdio.errors import BuildError

GUEST_DIR = where.GUEST
BUSYBOX = Path("/bin/busybox")


def _install_busybox(root):
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin/busybox")
    applets = subprocess.run([str(BUSYBOX), "--list-full"], capture_output=True,
                             text=True, check=True).stdout.split()
    for applet in applets:
        if applet == "bin/busybox":  # listed too: never link it over itself
            continue
        link = root / applet
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to("/bin/busybox")


def _install_modules(root, modules):
    """modules: list of (path, params string) in load order; a params string
    starting with '?' marks the module optional (its load may fail), one
    starting with '!' a user's module (its load is reported either way)."""
    moddir = root / "kdio/modules"
    moddir.mkdir(parents=True)
    lines = []
    for path, params in modules:
        path = Path(path)
        name = path.name[:-3] if path.suffix == ".xz" else path.name
        if name in {line.split()[0].lstrip("?!") for line in lines}:
            continue
        if path.suffix == ".xz":  # busybox insmod takes no compressed modules
            (moddir / name).write_bytes(lzma.decompress(path.read_bytes()))
        else:
            shutil.copy2(path, moddir / name)
        mark = params[:1] if params[:1] in ("?", "!") else ""
        lines.append(f"{mark}{name} {params[len(mark):]}".rstrip())
    (root / "kdio/modules.order").write_text("\n".join(lines) + "\n")


def build(out, modules, runner=None):
    """Write the initramfs to out; modules is [(ko_path, params), ...],
    runner the guest runner to zip into /kdio/runner.zip (None: no zip)."""
    if not BUSYBOX.exists():
        raise BuildError(f"{BUSYBOX} is missing", "install busybox-static (make test does)")
    with tempfile.TemporaryDirectory(prefix="kdio-initramfs-") as tmp:
        root = Path(tmp)
        _install_busybox(root)
        for d in ("proc", "sys", "dev", "host", "tmp"):
            (root / d).mkdir(exist_ok=True)
        shutil.copy2(GUEST_DIR / "init", root / "init")
        (root / "init").chmod(0o755)
        _install_modules(root, modules)
        if runner:
            runnerzip.build(root / "kdio/runner.zip", runner)
        files = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True,
                               check=True).stdout
        with open(out, "wb") as f:
            r = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                               input=files.encode(), stdout=f, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise BuildError(f"cpio failed: {r.stderr.decode().strip()}", "install cpio")
    return Path(out)
