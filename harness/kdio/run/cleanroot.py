"""A clean Debian 12 root: the machine a new user starts from, to prove that
ci/bootstrap.sh installs everything kdio needs.

base_tarball() makes a minimal root once (mmdebstrap --variant=minbase
bookworm, with this machine's apt sources) and caches it as a tarball.
Root unpacks a fresh copy of it, copies the checkout in without .git (as a
tarball's checkout is), and runs commands in it by chroot. Each command runs
in a mount namespace of its own (unshare), where /proc, /sys, /dev and the
shared folders are mounted: they are gone when the command ends, however it
ends, so deleting the root can never reach through a mount into this
machine's /dev or cache.
"""

import glob
import os
import shlex
import signal
import shutil
import subprocess
import tempfile
from pathlib import Path

from kdio import where
from kdio.kernel import kernel
from kdio.errors import KdioError

SUITE = "bookworm"
SOURCES = ("/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list")),
           *sorted(glob.glob("/etc/apt/sources.list.d/*.sources")))
CHECKOUT = "/kdio"            # the checkout's copy, inside the root
CACHE = "/kdio-cache"         # this machine's kdio cache, shared (kernels, disks)
APT_ARCHIVES = "/var/cache/apt/archives"   # shared: packages downloaded once
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
       "KDIO_CACHE": CACHE}


class CleanRootError(KdioError):
    """The clean root could not be made or entered."""


def base_tarball(log=print):
    """<cache>/cleanroot/bookworm-minbase.tar, made once with mmdebstrap."""
    out = kernel.cache_dir() / "cleanroot" / f"{SUITE}-minbase.tar"
    if out.exists():
        return out
    if not shutil.which("mmdebstrap"):
        raise CleanRootError("mmdebstrap is not installed", "make test-deps installs it")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.tar")
    sources = [s for s in SOURCES if Path(s).exists() and Path(s).stat().st_size]
    argv = ["mmdebstrap", "--variant=minbase", "--mode=root", "--quiet",
            "--aptopt=Acquire::Check-Valid-Until \"false\"", SUITE, str(partial), *sources]
    log(f"clean root: {shlex.join(argv)}")
    r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        partial.unlink(missing_ok=True)
        raise CleanRootError(f"mmdebstrap failed: {r.stderr.strip()[-400:]}",
                             "check that apt reaches Debian's archive (apt-get update)")
    partial.rename(out)
    return out


def checkout_files(top):
    """The checkout's files as git sees them (tracked, and new ones not
    ignored): what a tarball of the working tree holds."""
    r = subprocess.run(["git", "-C", str(top), "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"], capture_output=True, text=True, check=True)
    return [f for f in r.stdout.split("\0") if f and (Path(top) / f).exists()]


class Root:
    """A fresh clean root in a temporary folder (under parent), removed on
    exit; run() runs a command in it."""

    def __init__(self, tarball, top, parent=None):
        self.tarball, self.top, self.parent = Path(tarball), Path(top), parent
        self.path = None

    def __enter__(self):
        self.path = Path(tempfile.mkdtemp(prefix="kdio-cleanroot-", dir=self.parent))
        try:
            subprocess.run(["tar", "-xf", str(self.tarball), "-C", str(self.path)], check=True)
            shutil.copy2("/etc/resolv.conf", self.path / "etc/resolv.conf")
            dest = self.path / CHECKOUT.lstrip("/")
            for name in checkout_files(self.top):
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.top / name, dest / name)
            (self.path / CACHE.lstrip("/")).mkdir()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)

    def script(self, argv, cwd=CHECKOUT):
        """The shell script that mounts, chroots and runs argv."""
        r = shlex.quote(str(self.path))
        mounts = [f"mount -t proc proc {r}/proc", f"mount --rbind /sys {r}/sys",
                  f"mount --rbind /dev {r}/dev",
                  f"mount --bind {shlex.quote(str(kernel.cache_dir()))} {r}{CACHE}"]
        if Path(APT_ARCHIVES).is_dir():
            mounts.append(f"mkdir -p {r}{APT_ARCHIVES} && "
                          f"mount --bind {APT_ARCHIVES} {r}{APT_ARCHIVES}")
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in ENV.items())
        return (" && ".join(mounts) + f" && exec chroot {r} env -i {env} sh -c "
                + shlex.quote(f"cd {cwd} && exec {shlex.join(argv)}"))

    def run(self, argv, log_path, timeout=None, extra_env=None, cwd=CHECKOUT):
        """argv in the root (from cwd, the checkout's copy by default), its
        output to log_path; the CompletedProcess, with the output in .stdout."""
        kernel.cache_dir().mkdir(parents=True, exist_ok=True)
        if extra_env:
            argv = ["env", *(f"{k}={v}" for k, v in extra_env.items()), *argv]
        script = self.script(argv, cwd)
        with open(log_path, "a") as log:
            log.write(f"\n$ {shlex.join(argv)}\n")
            log.flush()
            proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--",
                                     "sh", "-c", script], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)   # QEMU too: the namespace ends
                out, _ = proc.communicate()
                log.write(out + f"\n(killed after {timeout} s)\n")
                raise CleanRootError(f"{shlex.join(argv)} in the clean root ran over "
                                     f"{timeout} s", f"see {log_path}")
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.write(out)
        return subprocess.CompletedProcess(argv, proc.returncode, out)


def checkout_top():
    return where.TOP
