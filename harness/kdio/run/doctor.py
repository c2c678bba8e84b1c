"""What each feature of kdio needs, and whether this machine has it.

The needs that a package fixes are data: ci/packages.txt names, for each
Debian package the bootstrap installs, the feature that needs it and how to
tell that it is there (a command, a file, a Python module, strongSwan
plugins). The needs no package fixes (kernel packages on apt, free disk,
QEMU's devices, host mode's kernel) are the functions in MACHINE_CHECKS.

kdio doctor reports every feature; bench and host mode call preflight()
with the features a suite uses, so a run that would fail for a missing
package stops before it builds or boots anything.
"""

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.kernel import kernel
from kdio.model import config
from kdio.errors import KdioError

PACKAGES_FILE = where.PACKAGES
PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")
SBIN_DIRS = ("/usr/sbin", "/sbin")   # mkfs.ext4, depmod: not on a user's PATH
GIB = 1 << 30


@dataclass(frozen=True)
class Feature:
    name: str
    title: str
    builds_on: tuple = ()


# In the order kdio doctor prints them; a feature's check includes the
# features it builds on.
FEATURES = (
    Feature("bench", "make bench: modules, a QEMU guest, fio, plots"),
    Feature("counted", "counted mode (MEASURE=counted, make regress): QEMU icount", ("bench",)),
    Feature("kernel", "kernel trees: make kernel, KERNEL=<tree>", ("bench",)),
    Feature("driver", "your own driver: MODULES=<folder or .ko>, built against the guest "
            "kernel's headers (bench's)", ("bench",)),
    Feature("crypto", "crypto suites: virtio-crypto, AES-NI, AF_ALG", ("bench",)),
    Feature("ipsec-xfrm", "IPsec by ip xfrm, iperf3 across (suites ipsec*)", ("bench",)),
    Feature("ipsec-ike", "IPsec by IKE, strongSwan's charon (suites ipsec*)", ("bench",)),
    Feature("host", "host mode: TARGET=host, the running kernel"),
    Feature("hosts", "many hosts: HOSTS=, GNU parallel over ssh", ("bench",)),
    Feature("lint", "make lint: sparse, shellcheck, pyflakes", ("bench",)),
    Feature("flamegraph", "flame graphs of a profiled run's call stacks (PROFILE=stacks): "
            "d3-flame-graph, installed with npm into the cache", ("counted",)),
    Feature("browser", "the report page's check in headless Chromium", ()),
    Feature("postgresql", "a team's store of runs on a PostgreSQL server (--store "
            "postgresql://...): psycopg2", ()),
    Feature("test", "make test: pytest, sshd, the clean-root proof", ("bench",)),
)
BY_NAME = {f.name: f for f in FEATURES}
GROUPS = {"ipsec": ("ipsec-xfrm", "ipsec-ike")}


class MissingError(KdioError):
    """Something a feature needs is not on this machine."""


@dataclass(frozen=True)
class Need:
    """One row of ci/packages.txt."""
    set: str
    features: tuple
    package: str
    checks: tuple   # ("cmd", "fio"), ("plugin", "gcm,openssl"), ...


@dataclass(frozen=True)
class Finding:
    """One thing missing: what, the package that has it (None when no
    package does), and the command that fixes it."""
    feature: str
    what: str
    package: str = None
    fix: str = ""


def read_needs(path=PACKAGES_FILE):
    """The rows of the package list, checked."""
    needs = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        checks = tuple(tuple(c.split(":", 1)) for c in fields[3:])
        if (len(fields) < 4 or fields[0] not in ("bench", "test")
                or any(f not in BY_NAME for f in fields[1].split(","))
                or any(len(c) != 2 or c[0] not in CHECKS for c in checks)):
            raise KdioError(f"{path}:{n}: not 'set feature package kind:thing ...': {line!r}",
                            "fix the line: set bench or test, a feature of kdio doctor, "
                            f"checks of kinds {', '.join(CHECKS)}")
        needs.append(Need(fields[0], tuple(fields[1].split(",")), fields[2], checks))
    return needs


def _command(name):
    path = os.environ.get("PATH", os.defpath) + os.pathsep + os.pathsep.join(SBIN_DIRS)
    return shutil.which(name, path=path) is not None


def _plugins(names):
    """The strongSwan plugins of names that are not installed."""
    return [p for p in names.split(",") if not (PLUGIN_DIR / f"libstrongswan-{p}.so").exists()]


# kind -> (what is missing, given the thing; None when it is there)
CHECKS = {
    "cmd": lambda t: None if _command(t) else f"command {t}",
    "file": lambda t: None if Path(t).exists() else t,
    "py": lambda t: None if importlib.util.find_spec(t) else f"Python module {t}",
    "plugin": lambda t: (f"strongSwan plugin(s) {', '.join(_plugins(t))} in {PLUGIN_DIR}"
                         if _plugins(t) else None),
}


def install_command(packages, euid=None):
    euid = os.geteuid() if euid is None else euid
    return (("" if euid == 0 else "sudo ")
            + "apt-get install -y --no-install-recommends " + " ".join(packages))


def package_findings(feature, needs):
    """What the packages of feature's rows should have put here and did not."""
    found = []
    for need in (n for n in needs if feature in n.features):
        gone = [w for w in (CHECKS[kind](thing) for kind, thing in need.checks) if w]
        if gone:
            found.append(Finding(feature, "; ".join(gone), need.package,
                                 install_command([need.package])))
    return found


def _free_gib(path):
    """Free space where path is, or would be made."""
    path = Path(path)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free / GIB


def _disk(feature, gib, why):
    def check():
        free = _free_gib(kernel.cache_dir())
        if free >= gib:
            return []
        return [Finding(feature, f"{gib} GiB free in {kernel.cache_dir()} ({why}); "
                                 f"{free:.1f} GiB are", None,
                        "free some space there, or point KDIO_CACHE=<folder> at a larger disk")]
    return check


def _kernel_on_apt(name="debian-6.1"):
    """The default guest kernel's packages: unpacked in the cache, or on apt."""
    spec = config.load_kernel(name)
    if (kernel.cache_dir() / "kernels" / spec.release / kernel.STAMP).exists():
        return []
    listed = kernel.apt_versions(spec.image)
    if spec.version in listed:
        return []
    return [Finding("bench", f"kernel package {spec.image} {spec.version} on apt (apt-cache "
                             f"madison lists {', '.join(listed) or 'no version'})", None, "apt-get update; if apt still lacks it, Debian has moved on: set "
                    f"harness/kernels/{name}.toml to the current ABI (apt-cache policy "
                    "linux-image-amd64)")]


def _qemu_lists(feature, option, item, what):
    """QEMU's `option help` names item (a device, an accelerator)."""
    def check():
        if not _command("qemu-system-x86_64"):
            return []   # bench's own finding names QEMU
        r = subprocess.run(["qemu-system-x86_64", option, "help"], capture_output=True,
                           text=True)
        if item in r.stdout:
            return []
        return [Finding(feature, f"{what}: qemu-system-x86_64 {option} help does not list "
                                 f"{item}", None, "install Debian's qemu-system-x86, which has it")]
    return check


def _host_mode(euid=None, release=None):
    euid = os.geteuid() if euid is None else euid
    release = release or os.uname().release
    found = []
    if euid != 0:
        found.append(Finding("host", "root: host mode loads modules and writes devices", None,
                             "run as root (sudo make bench TARGET=host ...)"))
    if not Path("/proc/modules").exists():
        found.append(Finding("host", f"module support in the running kernel {release} "
                                     "(no /proc/modules)", None,
                             "boot a kernel with CONFIG_MODULES, or run in a guest "
                             "(TARGET=guest, the default)"))
    if not Path(f"/lib/modules/{release}/build").exists():
        package = f"linux-headers-{release}"
        found.append(Finding("host", f"headers of the running kernel {release} "
                                     f"(/lib/modules/{release}/build)", None,
                             install_command([package], euid) + ", or give KDIR=<headers>"
                             if kernel.apt_versions(package) else
                             f"apt has no {package}: give KDIR=<the headers this kernel was "
                             "built with> (make bench TARGET=host KDIR=...)"))
    return found


# Disk space, as measured in the cache after a clean make test: an unpacked
# Debian kernel is about 0.5 GiB and a run's disks up to 0.5 GiB; the 6.1
# source unpacked and two tinyconfig builds of it took 1.9 GiB (a defconfig
# build takes more).
KERNEL_BUILD_GIB = 4
def _flame_libs():
    """npm, and the flame graphs' library the bootstrap installs with it."""
    from_here = "sh ci/bootstrap.sh bench (make deps) installs it with npm"
    if not _command("npm"):
        return [Finding("flamegraph", "npm (Node.js's package manager), which installs the "
                        "flame graphs' library", None, f"install Node.js and npm, then {from_here}")]
    lib = kernel.cache_dir() / "npm" / "node_modules" / "d3-flame-graph"
    if not lib.exists():
        return [Finding("flamegraph", f"the flame graphs' library ({lib})", None, from_here)]
    return []


MACHINE_CHECKS = {
    "bench": (_kernel_on_apt, _disk("bench", 2, "a Debian kernel unpacked and a run's disks")),
    "counted": (_qemu_lists("counted", "-accel", "tcg", "QEMU's TCG (icount is TCG's)"),),
    "kernel": (_disk("kernel", KERNEL_BUILD_GIB, "an unpacked source and a kernel build"),),
    "crypto": (_qemu_lists("crypto", "-device", "virtio-crypto-pci",
                           "QEMU's virtio-crypto device"),),
    "host": (_host_mode,),
    "flamegraph": (_flame_libs,),
}


def expand(names):
    """Feature names (or groups) given on the command line, checked, with
    the features they build on first; all of them when names is empty."""
    if not names:
        return [f.name for f in FEATURES]
    wanted = []
    for name in names:
        if name not in BY_NAME and name not in GROUPS:
            raise KdioError(f"no feature {name!r}", "name one of "
                            + ", ".join([f.name for f in FEATURES] + list(GROUPS)))
        for n in GROUPS.get(name, (name,)):
            wanted += [*BY_NAME[n].builds_on, n]
    return [f.name for f in FEATURES if f.name in wanted]


def check(names=(), needs=None, machine=True):
    """{feature: [Finding]} for the features of names (kdio.run.doctor.expand):
    package rows always, machine checks unless machine is False."""
    needs = read_needs() if needs is None else needs
    out = {}
    for name in expand(names):
        out[name] = package_findings(name, needs)
        if machine:
            out[name] += [f for c in MACHINE_CHECKS.get(name, ()) for f in c()]
    return out


def notes():
    """What a run can do without, said so that nobody wonders."""
    if not _command("git"):
        return ["git is not installed: runs record kdio's commit as 'unknown' "
                "(apt-get install git records it)"]
    return []


def _fix_all(findings):
    """One command for every package finding, then the other fixes."""
    packages = [f.package for f in findings if f.package]
    fixes = [install_command(dict.fromkeys(packages))] if packages else []
    return fixes + list(dict.fromkeys(f.fix for f in findings if not f.package))


def render(report, extra_notes=()):
    """kdio doctor's lines: each feature ok, or what it lacks and the fix."""
    width = max(len(n) for n in report)
    lines = []
    for name, found in report.items():
        if not found:
            lines.append(f"{name:<{width}}  ok      {BY_NAME[name].title}")
            continue
        lines.append(f"{name:<{width}}  MISSING {BY_NAME[name].title}")
        for f in found:
            lines.append(f"{'':<{width}}    - {f.what}" + (f" (package {f.package})"
                                                           if f.package else ""))
        for fix in _fix_all(found):
            lines.append(f"{'':<{width}}    fix: {fix}")
    lacking = [n for n, found in report.items() if found]
    lines += [f"note: {n}" for n in extra_notes]
    packages = any(f.package for found in report.values() for f in found)
    lines.append(f"{len(lacking)} of {len(report)} feature(s) lack something: "
                 + ", ".join(lacking) + (". Every package kdio uses: make test-deps "
                                         "(sh ci/bootstrap.sh test)" if packages else "")
                 if lacking else f"all {len(report)} feature(s) have what they need")
    return "\n".join(lines)


def as_json(report):
    return {name: {"ok": not found,
                   "missing": [{"what": f.what, "package": f.package, "fix": f.fix}
                               for f in found]}
            for name, found in report.items()}


def preflight(features, who):
    """Raise MissingError, in one sentence, when a package that features
    need is missing: before anything is built or booted. who says what
    needs them ("suite ipsec-smoke")."""
    report = check(features, machine=False)
    found = [f for name in report for f in report[name]]
    if not found:
        return
    names = list(dict.fromkeys(f.feature for f in found))
    raise MissingError(f"{who} needs {', '.join(BY_NAME[n].title for n in names)}, and this "
                       "machine lacks " + "; ".join(f"{f.what} (package {f.package})"
                                                    for f in found),
                       f"install {'it' if len(found) == 1 else 'them'}: "
                       + " ; ".join(_fix_all(found))
                       + " (make deps installs all that make bench needs; kdio doctor "
                       "lists each feature's needs)")
