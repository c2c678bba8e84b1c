"""kdio's modules in the running kernel (host mode): built against it or
given prebuilt, checked against it before anything is loaded, loaded, and
unloaded at the end whatever happened.

A module is loaded only when its vermagic is the one the running kernel
expects (release, SMP, preemption model, module unloading, modversions:
the string include/linux/vermagic.h makes) and, when the build's .config
is known, when that config is the running kernel's.
"""

import gzip
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kdio.run.hostdev import HostError


def modinfo_field(ko, key):
    """A .modinfo field of a .ko file, read from its bytes (None if absent)."""
    data = Path(ko).read_bytes()
    m = re.search(rb"(?:^|\x00)" + re.escape(key.encode()) + rb"=([^\x00]*)\x00", data)
    return m.group(1).decode("utf-8", "replace") if m else None


def read_config(text):
    """{CONFIG_X: value} of a kernel .config ('n' for '# CONFIG_X is not set')."""
    out = {}
    for line in text.splitlines():
        if m := re.match(r"(CONFIG_\w+)=(.*)", line):
            out[m.group(1)] = m.group(2)
        elif m := re.match(r"# (CONFIG_\w+) is not set", line):
            out[m.group(1)] = "n"
    return out


def expected_vermagic(release, config):
    """The vermagic the running kernel accepts, from its release and config."""
    on = lambda k: config.get(k) == "y"
    words = [release]
    words += ["SMP"] if on("CONFIG_SMP") else []
    words += ["preempt"] if on("CONFIG_PREEMPT_BUILD") else (
        ["preempt_rt"] if on("CONFIG_PREEMPT_RT") else [])
    words += ["mod_unload"] if on("CONFIG_MODULE_UNLOAD") else []
    words += ["modversions"] if on("CONFIG_MODVERSIONS") else []
    return " ".join(words)


def _randstruct_free(vermagic):
    """vermagic without a RANDSTRUCT_<hash> word (the hash is the build's)."""
    return " ".join(w for w in vermagic.split() if not w.startswith("RANDSTRUCT_"))


def running_config(release, given=None, proc=Path("/proc"), boot=Path("/boot")):
    """(path, text) of the running kernel's config: --kernel-config, else
    /proc/config.gz, else /boot/config-<release>; HostError if none."""
    candidates = [Path(given)] if given else [proc / "config.gz", boot / f"config-{release}"]
    for path in candidates:
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        return path, (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    raise HostError(f"cannot read the running kernel's config ({' or '.join(map(str, candidates))})",
                    "give it with --kernel-config FILE (the config the running kernel was built "
                    "with): kdio loads nothing into a kernel it cannot compare its build with")


# Options a headers package may carry differently from the kernel's own
# config without changing what a module is built against: module signing
# and the build salt (Debian's headers set them, its /boot config does not).
CONFIG_IGNORED = ("CONFIG_BUILD_SALT", "CONFIG_MODULE_SIG_ALL", "CONFIG_MODULE_SIG_KEY",
                  "CONFIG_SYSTEM_TRUSTED_KEYS", "CONFIG_SYSTEM_REVOCATION_KEYS")


def check_modules(kos, release, config, build_config=None):
    """HostError unless every module is built for the running kernel."""
    want = expected_vermagic(release, config)
    for ko in kos:
        got = modinfo_field(ko, "vermagic")
        if got is None or _randstruct_free(got) != want:
            raise HostError(f"{ko} was built for another kernel: vermagic {got!r}, the running "
                            f"kernel wants {want!r}",
                            "build the modules against the running kernel's headers (--kdir "
                            "/lib/modules/$(uname -r)/build, the default)")
    if build_config is not None:
        keys = sorted((set(config) | set(build_config)) - set(CONFIG_IGNORED))
        differ = [k for k in keys if config.get(k, "n") != build_config.get(k, "n")]
        if differ:
            shown = ", ".join(f"{k} {build_config.get(k, 'n')} in the build, "
                              f"{config.get(k, 'n')} running" for k in differ[:5])
            raise HostError(f"the build's kernel config differs from the running kernel's in "
                            f"{len(differ)} option(s): {shown}",
                            "give --kdir the headers of the running kernel (same config), or "
                            "--kernel-config the config it runs with")


@dataclass
class Loaded:
    """What kdio loaded into the running kernel, in load order."""
    modules: list


def loaded_ours(system, names):
    """Those of names that are loaded now (/sys/module/<name>)."""
    return [n for n in names if (system.sysfs / "module" / n).exists()]


def insmod(system, ko, params, loaded):
    rc, out, err = system.command(["insmod", str(ko), *params.split()])
    if rc != 0:
        raise HostError(f"insmod {Path(ko).name} failed: {(err or out).strip()}",
                        "see the kernel log (dmesg) for why the kernel refused it")
    loaded.modules.append(Path(ko).stem)


def load_brd(system, ram_kib, loaded, module_root=None, release=None):
    """brd with one RAM disk of ram_kib KiB; loaded.modules gains 'brd'."""
    if (system.sysfs / "module/brd").exists():
        raise HostError("brd is already loaded: its RAM disks may hold someone's data",
                        "rmmod brd first (kdio loads it with the size it needs and unloads it "
                        "after)")
    where = ["-d", str(module_root), "-S", release] if module_root else []
    rc, out, err = system.command(["modprobe", *where, "brd", "rd_nr=1", f"rd_size={ram_kib}"])
    if rc != 0:
        raise HostError(f"modprobe brd failed: {(err or out).strip()}",
                        "the running kernel needs the brd module (CONFIG_BLK_DEV_RAM=m); "
                        "--module-root DIR names a root holding lib/modules/<release>")
    loaded.modules.append("brd")
    took = system.read("module/brd/parameters/rd_size")
    if took is not None and took != str(ram_kib):
        raise HostError(f"brd took rd_size={took}, not {ram_kib}", "rmmod brd and run again")


def unload(system, loaded, log, tries=20, pause_s=0.25):
    """rmmod what kdio loaded, last first, retrying while a module is still
    in use (a tool being killed); returns the names still loaded."""
    left = []
    for name in reversed(loaded.modules):
        for attempt in range(tries):
            rc, out, err = system.command(["rmmod", name])
            if rc == 0 or not (system.sysfs / "module" / name).exists():
                break
            time.sleep(pause_s)
        else:
            log(f"warning: rmmod {name} failed: {(err or out).strip()}")
            left.append(name)
    loaded.modules = [m for m in loaded.modules if m in left]
    return left

