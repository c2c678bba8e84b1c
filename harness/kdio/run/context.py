"""A run's context, built in one place (build) for every target (a guest,
several, or host mode): kdio's commit, the host's CPU and kernel, the date,
the command line, the suite, its measure and the module parameters, around
what only the target knows (kdio.run.bench: the kernel, QEMU and the guest;
kdio.run.host: the machine and its devices).
"""

import datetime
import platform
import shlex
import subprocess
import sys

from kdio import where



def git_commit(top=where.TOP):
    """(kdio's commit, with -dirty if tracked files changed; None) or
    ("unknown", why) when it cannot be known: git is not installed, or
    the checkout is not a git one (a tarball, a copy)."""
    def git(*args):
        r = subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    try:
        sha = git("rev-parse", "--verify", "HEAD")
    except FileNotFoundError:
        return "unknown", "git is not installed (apt-get install git records the commit)"
    if not sha:
        return "unknown", f"{top} is not a git checkout (a tarball or a copy)"
    return sha + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else ""), None


def commit():
    """The context's kdio_git_sha, and why it is 'unknown' when it is."""
    sha, why = git_commit()
    return {"kdio_git_sha": sha, **({"kdio_git_sha_unknown": why} if why else {})}


def host_cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _first_line(argv):
    """The first line argv prints, or why there is none."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        return f"not found ({e.strerror})"
    return (r.stdout.splitlines() or ["?"])[0].strip()


def toolchain():
    """The compiler and binutils that build kdio's modules and tools (and a
    kernel tree): their code is in every kdio case's counted window."""
    return {"gcc": _first_line(["gcc", "--version"]), "binutils": _first_line(["ld", "--version"])}


def shared(suite, module_params):
    """The keys every target's context has, in the order they are written
    after the target's own."""
    return {
        "host_cpu": host_cpu(), "host_kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": "kdio " + shlex.join(sys.argv[1:]),
        "suite": {"name": suite.name, "repetitions": suite.repetitions,
                  "file_size": suite.file_size},
        "measure": suite.measure.context(),
        "module_params": list(module_params),
        "toolchain": toolchain(),
    }


def build(req, own, user_modules=(), target=None, tail=None):
    """The context of req's run: its target's name (host mode's "host"; a
    guest run has none), kdio's commit, the target's own keys (own: the
    kernel, the emulator or its absence, the guest or the machine, the
    backends), the keys every target shares, the user's modules, and the
    target's tail (a guest's passthrough and split)."""
    return {**({"target": target} if target else {}), **commit(), **own,
            **shared(req.suite, req.module_params), "user_modules": list(user_modules),
            **(tail or {})}


def stamp():
    """The time part of every run id: the one place a run id is minted from."""
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def run_id(given, *parts):
    """given, or a new run id: the stamp, then parts ("smoke", "host")."""
    return given or "-".join([stamp(), *parts])
