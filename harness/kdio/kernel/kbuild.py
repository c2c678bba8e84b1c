"""Build a guest kernel from source: a base config with kdio's fragment
merged in, then vmlinux and modules, out of tree (O=).

A build is cached by a key made of the source's identity (its folder,
Makefile version and, in a git checkout, commit and edits), the base, the
fragment, the --set settings and the compiler: a second call with the same
ones finds the finished tree and builds nothing. The build runs in
<out>.partial, renamed to <out> when complete; a failed or interrupted build
removes it (its log is kept under <cache>/trees/logs/).

A build with --set settings (an A/B pair: the same tree with one option
changed) starts from a copy of the finished build without them, when the
cache has it: kbuild's per-option dependencies then rebuild only the objects
that read a changed option, as an incremental build in one's own tree does.
"""

import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kdio.kernel import kconfig, kernel, ksource
from kdio.errors import BuildError, TreeError

NAMED_BASES = ("tinyconfig", "defconfig")
STAMP = ".kdio-built"
ARCH = "x86_64"
PROGRESS_EVERY_S = 30
# kbuild's short-form lines that stand for one object made (CC fs/ext4/inode.o)
_OBJECT_STEPS = ("CC", "AS", "CC [M]", "AR", "LD", "LD [M]")


@dataclass(frozen=True)
class KernelBuild:
    """One build: the source, its base config, where it goes, its cache key."""
    source: ksource.Source
    base: str               # tinyconfig | defconfig | a config file's path
    out: Path               # the finished O= folder (the KERNEL= to use)
    key: str
    jobs: int
    logs: Path              # folder of build logs (kept after a failure)
    settings: tuple = ()    # kconfig.Requirements of --set, in order
    seed: Path = None       # a finished build to start from (the same without settings)

    @property
    def partial(self):
        return self.out.with_name(self.out.name + ".partial")


def _compiler():
    try:
        r = subprocess.run(["gcc", "--version"], capture_output=True, text=True)
    except OSError:
        raise BuildError("gcc is not installed", "install gcc (make test does)") from None
    return (r.stdout.splitlines() or ["gcc"])[0]


def base_identity(base):
    """A named base as it is; a base file by its content."""
    if base in NAMED_BASES:
        return base
    path = Path(base)
    if not path.is_file():
        raise TreeError(f"--base {base}: not {' or '.join(NAMED_BASES)} and no such file",
                        f"use --base {NAMED_BASES[0]} (the smallest that boots), "
                        f"--base {NAMED_BASES[1]}, or a .config file")
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


def cache_key(source, base_id, fragment_lines, compiler, setting_lines=()):
    """<version>-<12 hex digits> over everything the built tree depends on."""
    ident = "\n".join((str(source.root), source.version, base_id, *fragment_lines, compiler))
    if source.revision:  # a git checkout: its commit and edits too
        ident += "\n" + source.revision
    if setting_lines:
        ident += "\nset\n" + "\n".join(setting_lines)
    return f"{source.version}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def plan(src, base="tinyconfig", out=None, jobs=None, cache=None, settings=(), log=print):
    """The KernelBuild for src (unpacking a tarball source once); settings
    are `--set` lines (CONFIG_X=y|m|n|value) applied after the fragment."""
    cache = Path(cache or kernel.cache_dir())  # the one cache, shared with Debian kernels
    fragment = kconfig.load_fragment()
    reqs = kconfig.parse_settings(settings)
    kconfig.check_settings(reqs, fragment)
    source = ksource.open_source(src, cache, log)
    ident = (source, base_identity(base), kconfig.fragment_lines(fragment), _compiler())
    key = cache_key(*ident, [r.line for r in reqs])
    builds = cache / "trees" / "build"
    seed = builds / cache_key(*ident) if reqs else None
    out = Path(out).resolve() if out else builds / key
    return KernelBuild(source=source, base=str(base), out=out, key=key,
                       jobs=jobs or os.cpu_count() or 1, logs=cache / "trees" / "logs",
                       settings=reqs, seed=seed if seed and _is_built(seed) else None)


def _make_argv(kb, objdir, *args):
    """make in the source for objdir, at low priority (the host stays usable)."""
    return ["nice", "-n", "10", "make", "-C", str(kb.source.root), f"O={objdir}",
            f"ARCH={ARCH}", *args]


def _make(kb, objdir, *targets):
    return subprocess.run(_make_argv(kb, objdir, *targets), capture_output=True, text=True)


def _checked(r, what, kb):
    if r.returncode != 0:
        tail = ((r.stdout or "") + (r.stderr or "")).strip().splitlines()[-6:]
        raise BuildError(f"{what} failed:\n  " + "\n  ".join(tail),
                         f"run it by hand: make -C {kb.source.root} O=<dir> ARCH={ARCH} {what}")


def configure(kb, objdir, fragment, log=print):
    """objdir/.config: the base with the fragment and the --set settings
    merged in, every one of them checked to have taken effect."""
    objdir.mkdir(parents=True, exist_ok=True)
    if kb.base in NAMED_BASES:
        log(f"config: make {kb.base}")
        _checked(_make(kb, objdir, kb.base), kb.base, kb)
    else:
        shutil.copyfile(kb.base, objdir / ".config")
    (objdir / "kdio.config").write_text(kconfig.render(fragment)
                                        + "".join(r.line + "\n" for r in kb.settings))
    log("config: merging kdio's fragment (kdio kernel config)"
        + "".join(f", {r.line}" for r in kb.settings) + ", then make olddefconfig")
    r = subprocess.run([str(kb.source.root / "scripts/kconfig/merge_config.sh"), "-m",
                        "-O", str(objdir), str(objdir / ".config"), str(objdir / "kdio.config")],
                       cwd=kb.source.root, capture_output=True, text=True)
    _checked(r, "merge_config.sh", kb)
    _checked(_make(kb, objdir, "olddefconfig"), "olddefconfig", kb)
    kconfig.check_merged(kconfig.read_config(objdir / ".config"), fragment, objdir / ".config",
                         kb.settings)


def reconfigure(kb, objdir, fragment):
    """objdir's .config brought to the source's Kconfig (make olddefconfig),
    an earlier build's in place, the fragment checked again: what a build
    folder reused for another commit of the tree needs."""
    _checked(_make(kb, objdir, "olddefconfig"), "olddefconfig", kb)
    kconfig.check_merged(kconfig.read_config(objdir / ".config"), fragment, objdir / ".config",
                         kb.settings)


def seed_from(kb, objdir, log=print):
    """objdir as a copy of kb.seed, timestamps kept, so that make rebuilds
    only what the settings change."""
    log(f"starting from the build without {' '.join(r.line for r in kb.settings)}: "
        f"{kb.seed} (only the objects that read a changed option are rebuilt)")
    copy_build(kb.seed, objdir)


def copy_build(old, new):
    """new (which must not exist) as a copy of the finished build folder
    old, timestamps kept, its paths moved to new and its stamp removed."""
    r = subprocess.run(["cp", "-a", "--reflink=auto", str(old), str(new)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"copying {old} failed: {r.stderr.strip()}",
                         "free some disk space under the cache, then run again")
    (new / STAMP).unlink()
    move_paths(new, old, new)


def move_paths(objdir, old, new):
    """Rewrite old's folder to new in objdir's kbuild command and dependency
    files. Host tools (objtool) are built with absolute paths: left as they
    were, make would see changed commands, rebuild objtool, and with it every
    object that objtool checks, which is all of them."""
    was = re.compile(re.escape(str(old)) + r"(\.partial)?(?=/|$|\s)")
    for path in objdir.rglob("*"):
        if path.suffix not in (".cmd", ".d") or not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(errors="surrogateescape")
        moved = was.sub(str(new), text)
        if moved != text:
            stat = path.stat()
            path.write_text(moved, errors="surrogateescape")
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _short_step(line):
    """'CC fs/ext4/inode.o' from kbuild's '  CC      fs/ext4/inode.o', else None."""
    if not line.startswith("  "):
        return None
    words = line.split()
    for step in _OBJECT_STEPS:
        parts = step.split()
        if words[:len(parts)] == parts and len(words) == len(parts) + 1:
            return f"{step} {words[-1]}"
    return None


def _progress(count, t0, last):
    mins, secs = divmod(int(time.monotonic() - t0), 60)
    return f"kernel build: {count} objects, {mins}m{secs:02d}s" + (f" (last: {last})"
                                                                   if last else "")


class _Steps:
    """kbuild's output as it comes: written to the log, objects counted."""

    def __init__(self, out):
        self.out, self.count, self.last, self.pending = out, 0, None, b""

    def feed(self, chunk):
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        for raw in lines:
            self._line(raw.decode(errors="replace"))

    def close(self):
        if self.pending:
            self._line(self.pending.decode(errors="replace"))

    def _line(self, line):
        self.out.write(line + "\n")
        step = _short_step(line)
        if step:
            self.count, self.last = self.count + 1, step


def compile_tree(kb, objdir, log_path, log=print):
    """make vmlinux modules in objdir, a progress line every PROGRESS_EVERY_S."""
    argv = _make_argv(kb, objdir, f"-j{kb.jobs}", "vmlinux", "modules")
    log(f"+ {' '.join(argv)}  (log: {log_path})")
    t0 = shown = time.monotonic()
    with open(log_path, "w") as out:
        steps = _Steps(out)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                bufsize=0, start_new_session=True)
        try:
            fd = proc.stdout.fileno()
            while True:  # os.read, not readline: select sees the pipe, not a buffer
                ready, _, _ = select.select([fd], [], [], 1.0)
                chunk = os.read(fd, 65536) if ready else b""
                if ready and not chunk:
                    break
                steps.feed(chunk)
                if time.monotonic() - shown >= PROGRESS_EVERY_S:
                    log(_progress(steps.count, t0, steps.last))
                    shown = time.monotonic()
            steps.close()
        except BaseException:  # interrupted: stop make and its jobs before the folder goes
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        proc.wait()
    log(_progress(steps.count, t0, None) + f", make exited {proc.returncode}")
    if proc.returncode != 0:
        raise BuildError(f"kernel build failed (make exited {proc.returncode}):\n  "
                         + "\n  ".join(_error_lines(log_path)),
                         f"the whole log is {log_path}, the merged config beside it; fix the "
                         f"source or the base config and run again")
    return steps.count


def _error_lines(log_path):
    lines = Path(log_path).read_text(errors="replace").splitlines()
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines)[:8]


def described(tree):
    """{key, base, set} of a tree kdio built (its stamp), else None: what a
    run's context records of how its kernel was configured."""
    stamp = Path(tree) / STAMP
    if not stamp.is_file():
        return None
    lines = stamp.read_text().splitlines()
    fields = dict(ln.split(" ", 1) for ln in lines[1:] if " " in ln and not ln.startswith("set "))
    return {"key": lines[0], "base": fields.get("base"),
            "set": [ln[4:] for ln in lines if ln.startswith("set ")]}


def _is_built(out, key=None):
    stamp = out / STAMP
    return stamp.exists() and (key is None or stamp.read_text().split("\n", 1)[0] == key)


def _finished(kb):
    if _is_built(kb.out, kb.key):
        return True
    if kb.out.exists():
        raise TreeError(f"{kb.out} exists and is not kdio's build {kb.key}",
                        "choose another --out, or delete that folder")
    return False


def build(kb, log=print):
    """Build kb unless it is already built; return its tree folder."""
    if _finished(kb):
        log(f"kernel {kb.key} is already built in {kb.out}: nothing to do")
        return kb.out
    kb.logs.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(kb.partial, ignore_errors=True)
    t0 = time.monotonic()
    try:
        fragment = kconfig.load_fragment()
        if kb.seed:
            seed_from(kb, kb.partial, log)
        configure(kb, kb.partial, fragment, log)
        shutil.copyfile(kb.partial / ".config", kb.logs / f"{kb.key}.config")
        count = compile_tree(kb, kb.partial, kb.logs / f"{kb.key}.log", log)
        (kb.partial / STAMP).write_text(f"{kb.key}\nsource {kb.source.root}\nbase {kb.base}\n"
                                        + "".join(f"set {r.line}\n" for r in kb.settings)
                                        + f"objects {count}\n")
        kb.partial.rename(kb.out)
    except BaseException:
        shutil.rmtree(kb.partial, ignore_errors=True)
        raise
    log(f"kernel {kb.key} built in {kb.out} ({time.monotonic() - t0:.0f} s)")
    return kb.out
