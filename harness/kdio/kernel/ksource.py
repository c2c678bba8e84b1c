"""Kernel sources for `kdio kernel build`: a source folder as it is, or a
source tarball (Debian's linux-source-X.Y puts one in /usr/src) unpacked
once into <cache>/trees/src/.

A source is known by its folder, its top Makefile's version and, in a git
checkout, its commit and uncommitted changes; the unpack
goes to a temporary folder renamed when complete, so an interrupted unpack
leaves nothing that looks finished.
"""

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio.errors import TreeError

TARBALL_SUFFIXES = (".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tar")


@dataclass(frozen=True)
class Source:
    """One kernel source folder and the version its Makefile names."""
    root: Path
    version: str        # e.g. 6.1.192, from VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION
    revision: str = ""  # a git checkout's commit and a hash of its changes; "" if no git


def makefile_version(makefile_text):
    """'6.1.192' from a top Makefile's VERSION, PATCHLEVEL, SUBLEVEL and
    EXTRAVERSION lines (None when one of the first three is missing)."""
    fields = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"):
        m = re.search(rf"^{key}\s*=[ \t]*(\S*)", makefile_text, re.M)
        fields[key] = m.group(1) if m else None
    if None in (fields["VERSION"], fields["PATCHLEVEL"], fields["SUBLEVEL"]):
        return None
    version = f"{fields['VERSION']}.{fields['PATCHLEVEL']}.{fields['SUBLEVEL']}"
    return version + (fields["EXTRAVERSION"] or "")


def _check_source_dir(root):
    makefile = root / "Makefile"
    text = makefile.read_text(errors="replace") if makefile.is_file() else ""
    version = makefile_version(text)
    if version is None or not (root / "Kconfig").is_file():
        raise TreeError(f"{root} is not a kernel source folder (no top Makefile with "
                        f"VERSION/PATCHLEVEL/SUBLEVEL, or no Kconfig)",
                        "give the top folder of a Linux source, or its tarball "
                        "(apt-get install linux-source-6.1 gives "
                        "/usr/src/linux-source-6.1.tar.xz)")
    if (root / ".config").exists():
        raise TreeError(f"{root} has a .config of its own: an O= build needs a clean source",
                        f"run 'make -C {root} mrproper' (it deletes that .config and "
                        f"the in-tree build), or give a clean copy of the source")
    return Source(root=root, version=version, revision=git_revision(root))


def git_revision(root):
    """'<commit>' or '<commit>+<hash of git diff HEAD>' of a git checkout, so a
    new commit or an edit makes a new build; '' for a folder with no .git."""
    if not (root / ".git").exists():
        return ""
    def git(*args):
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True).stdout
    head = git("rev-parse", "HEAD").decode().strip()
    diff = git("diff", "HEAD")
    return head + (f"+{hashlib.sha256(diff).hexdigest()[:12]}" if diff else "")


def _tarball_key(path):
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:12]


def _unpack(tarball, dest, log):
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log(f"unpacking {tarball} into {dest} (once)")
    try:
        r = subprocess.run(["tar", "-xf", str(tarball), "-C", str(partial)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise TreeError(f"tar -xf {tarball} failed: {r.stderr.strip()[-300:]}",
                            "check that the tarball is whole (reinstall its package)")
        tops = [p for p in partial.iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise TreeError(f"{tarball} does not hold one top folder",
                            "unpack it by hand and give the source folder")
        tops[0].rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def open_source(src, cache, log=print):
    """The Source for src: a source folder, or a tarball unpacked (once) under
    <cache>/trees/src/."""
    src = Path(src)
    if src.is_file() and src.name.endswith(TARBALL_SUFFIXES):
        stem = re.sub(r"\.tar(\.\w+)?$", "", src.name)
        dest = Path(cache) / "trees" / "src" / f"{stem}-{_tarball_key(src)}"
        if not dest.is_dir():
            _unpack(src, dest, log)
        return _check_source_dir(dest)
    if src.is_dir():
        return _check_source_dir(src.resolve())
    raise TreeError(f"{src}: no such source folder or tarball",
                    "give a kernel source folder or a .tar.xz of one "
                    "(apt-get install linux-source-6.1)")
