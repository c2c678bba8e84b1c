"""Guest kernels from Debian's apt: download, unpack, and prepare for boot.

Packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`
into <cache>/kernels/<release>/ -- nothing is installed on the host. A
finished unpack leaves a stamp file, so a second run downloads nothing.
Several kdio processes sharing one cache (two CI jobs, several hosts' jobs
on one machine) take turns by a lock on the release's folder: the second
waits for the first's unpack and uses it.
"""

import contextlib
import fcntl
import lzma
import zlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.errors import FetchError

XZ_MAGIC = b"\xfd7zXZ\x00"
STAMP = ".unpacked"


@dataclass(frozen=True)
class KernelTree:
    """Where the pieces of one unpacked kernel are."""
    spec: object
    root: Path

    @property
    def base(self):
        return self.root.parent

    @property
    def headers_dir(self):
        return self.root / "usr/src" / self.spec.headers

    @property
    def headers_common_dir(self):
        return self.root / "usr/src" / self.spec.headers_common

    @property
    def bzimage(self):
        return self.root / "boot" / f"vmlinuz-{self.spec.release}"

    @property
    def vmlinux(self):
        return self.base / "vmlinux"

    @property
    def build_name(self):
        """The folder under build/ that this kernel's modules build in."""
        return self.spec.release

    @property
    def modules_dir(self):
        return self.root / "lib/modules" / self.spec.release


def cache_dir():
    """The download cache (kdio.where.cache)."""
    return where.cache()


def _run(argv, what, hint, cwd=None):
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise FetchError(f"{what} failed: {' | '.join(tail)}", hint)
    return r.stdout


def _upstream(version):
    return version.rsplit("-", 1)[0]


def pick_version(wanted, available):
    """The version of a package to download: wanted if apt has it, else the
    newest of the same upstream release, else the newest (None if apt has no
    version at all). available is newest first, as apt-cache madison lists."""
    if wanted in available:
        return wanted
    if not available:
        return None
    same = [v for v in available if _upstream(v) == _upstream(wanted)]
    return (same or available)[0]


def apt_versions(package):
    r = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True)
    return [line.split("|")[1].strip() for line in r.stdout.splitlines()
            if line.count("|") >= 2 and line.split("|")[0].strip() == package]


def _resolve(spec, missing, log):
    """package=version for each missing package. linux-kbuild-X.Y is one
    package for every ABI of a series and Debian keeps only its newest
    build, so for it a rebuild of the same upstream release stands in for
    the pinned one; the ABI-named packages must match exactly."""
    out = []
    for p in missing:
        version = spec.version
        if p == spec.kbuild:
            version = pick_version(spec.version, apt_versions(p)) or spec.version
            if version != spec.version:
                log(f"{p} {spec.version} is no longer on apt: using {version}")
        out.append(f"{p}={version}")
    return out


def _download(spec, debs_dir, log):
    debs_dir.mkdir(parents=True, exist_ok=True)
    missing = [p for p in spec.packages if not list(debs_dir.glob(f"{p}_*.deb"))]
    if not missing:
        return
    log(f"downloading {len(missing)} kernel package(s) for {spec.release}")
    hint = (f"check that {spec.version} is still on apt (apt-cache policy {spec.image}); "
            f"if not, update the kernel file {spec.name}.toml to the current ABI")
    wanted = _resolve(spec, missing, log)
    r = subprocess.run(["apt-get", "download", *wanted], cwd=debs_dir,
                       capture_output=True, text=True)
    if r.returncode != 0 and ("Unable to locate" in r.stderr + r.stdout or
                              "was not found" in r.stderr + r.stdout):
        log("apt lists look stale: running apt-get update")
        _run(["apt-get", "update", "-q"], "apt-get update", "check the network and apt sources")
        wanted = _resolve(spec, missing, log)
        r = subprocess.run(["apt-get", "download", *wanted], cwd=debs_dir,
                           capture_output=True, text=True)
    if r.returncode != 0:
        raise FetchError(f"apt-get download {' '.join(wanted)} failed: "
                         f"{r.stderr.strip().splitlines()[-1:]}", hint)


def _unpack(debs_dir, root, log):
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for deb in sorted(debs_dir.glob("*.deb")):
        log(f"unpacking {deb.name}")
        _run(["dpkg-deb", "-x", str(deb), str(tmp)], f"dpkg-deb -x {deb.name}",
             f"delete {debs_dir} and run again to download a fresh copy")
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)


def _unxz(payload):
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)


def _unzstd(payload):
    # zstd stops at the end of the frame; the bytes after it make it exit
    # non-zero, so the ELF check below is what decides.
    r = subprocess.run(["zstd", "-d", "-c", "-q"], input=payload, capture_output=True)
    return r.stdout


def _gunzip(payload):
    return zlib.decompressobj(wbits=31).decompress(payload)


# Payload formats of bzImages: Debian's 6.1 is XZ, 6.12 zstd; a kernel built
# with the default config is gzip.
PAYLOADS = ((XZ_MAGIC, _unxz), (b"\x28\xb5\x2f\xfd", _unzstd), (b"\x1f\x8b\x08", _gunzip))


def extract_vmlinux(bzimage, out):
    """Write the ELF vmlinux inside a compressed bzImage to out.

    Booting the ELF by PVH skips the decompressor, which TCG emulates slowly.
    """
    data = Path(bzimage).read_bytes()
    for magic, decompress in PAYLOADS:
        start = data.find(magic)
        if start < 0:
            continue
        try:
            elf = decompress(data[start:])
        except (lzma.LZMAError, zlib.error, OSError):
            continue
        if elf.startswith(b"\x7fELF"):
            tmp = Path(str(out) + ".tmp")
            tmp.write_bytes(elf)
            tmp.rename(out)
            return
    raise FetchError(f"{bzimage}: no XZ, zstd or gzip payload holding an ELF image",
                     "add this kernel's compression to PAYLOADS in kernel.py "
                     "(zstd needs the zstd package: make test installs it)")


@contextlib.contextmanager
def locked(lock_file, what, log):
    """Hold an exclusive lock on lock_file (made if missing); say so when
    another process holds it and this one waits."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another kdio, which is {what}")
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def fetch(spec, log=print):
    """Download and unpack one kernel (once); return its KernelTree."""
    base = cache_dir() / "kernels" / spec.release
    tree = KernelTree(spec=spec, root=base / "root")
    if (base / STAMP).exists():
        return tree
    with locked(base.with_name(base.name + ".lock"), f"fetching {spec.release}", log):
        if not (base / STAMP).exists():
            _fetch(spec, base, tree, log)
    return tree


def _fetch(spec, base, tree, log):
    _download(spec, base / "debs", log)
    _unpack(base / "debs", tree.root, log)
    _run(["depmod", "-b", str(tree.root), spec.release], "depmod",
         "install kmod (make test installs it)")
    log(f"extracting vmlinux from {tree.bzimage.name}")
    extract_vmlinux(tree.bzimage, tree.vmlinux)
    (base / STAMP).write_text(spec.version + "\n")


def _show_depends(tree, names):
    """modprobe --show-depends's lines for names, split into words."""
    for name in names:
        out = _run(["modprobe", "-d", str(tree.root), "-S", tree.spec.release,
                    "--show-depends", name],
                   f"modprobe --show-depends {name}",
                   f"check that {name} exists in {tree.spec.release}")
        yield from (line.split() for line in out.splitlines())


def module_load_order(tree, names):
    """Paths of the .ko files for names and their dependencies, in insmod order.

    Built-in modules are skipped; each file appears once, dependencies first.
    """
    order = []
    for words in _show_depends(tree, names):
        if len(words) >= 2 and words[0] == "insmod" and words[1] not in order:
            order.append(words[1])
    return [Path(p) for p in order]


def builtin_modules(tree, names):
    """Those of names (and their dependencies) built into the kernel: they
    need no insmod (modprobe reads modules.builtin)."""
    return list(dict.fromkeys(words[1] for words in _show_depends(tree, names)
                              if len(words) >= 2 and words[0] == "builtin"))
