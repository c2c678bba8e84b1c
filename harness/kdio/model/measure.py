"""How a run measures: wall-clock time, or counted cost under QEMU icount.

wall: the guest's clock is the host's; every figure is a time or a rate,
and under TCG it varies by ±20-50 % between boots.

counted: QEMU runs the guest with `-icount shift=0,sleep=off` on one vCPU,
so the guest's clock advances one virtual nanosecond per instruction it
executes; a timing taken in the guest becomes an instruction count, and a
case bound by the CPU gives the same figure on every boot. A case that waits
on a device (virtio-blk, virtio-crypto) is not countable: with sleep=off the
virtual clock jumps over idle waits, so its figure is neither its cost nor
its time. Counted figures are costs (guest instructions per byte, per call,
per message, per operation), lower is better; a rate shown beside one is a
rate in instruction-time (1 instruction = 1 ns), never a throughput.

Pure functions and data; the QEMU argv and the plan check call in here.
"""

import re
from dataclasses import dataclass

from kdio.model import family
from kdio.errors import ConfigError


@dataclass(frozen=True)
class Measure:
    name: str                    # wall | counted
    icount: str = ""             # QEMU -icount value, "" for none
    cpus: int = None             # forced vCPU count, None: the suite's

    def context(self):
        """What the run's context records about the mode."""
        return {"mode": self.name, "icount": self.icount or None, "cpus": self.cpus,
                "figures": COUNTED_FIGURES if self.counted else "wall-clock time"}

    @property
    def counted(self):
        return self.name == "counted"


COUNTED_FIGURES = "guest instructions (1 virtual ns = 1 instruction)"
WALL = Measure("wall")
COUNTED = Measure("counted", icount="shift=0,sleep=off", cpus=1)
MODES = {m.name: m for m in (WALL, COUNTED)}

COST_UNITS = ("insn/byte", "insn/call", "insn/msg", "insn/op")


def get(name):
    if name not in MODES:
        raise ConfigError(f"unknown measure '{name}'", f"use one of: {', '.join(MODES)}")
    return MODES[name]


def is_cost(unit):
    """Counted figures: lower is better."""
    return unit in COST_UNITS


def mode_of(doc):
    """The measure a result document was taken with (older runs: wall)."""
    return (doc.get("context", {}).get("measure") or {}).get("mode", "wall")


# Backends whose I/O never leaves the CPU.
COUNTABLE_BACKENDS = ("brd", "ext4-brd")
# Crypto drivers that run on the CPU, and those of a device. Any other name
# is a user's driver (--module): counted only when the user declares it
# CPU-only (--countable-driver) and the guest confirms it (declared_problem),
# since a device's work is not instructions, and the guest clock skips its
# waits.
COUNTABLE_DRIVERS = ("aesni", "generic")
DEVICE_DRIVERS = ("virtio",)
# What a case may wait on, by the parameter its family names it with
# (Family.waits_on): the values that never leave the CPU, and why the others
# cannot be counted.
COUNTABLE = {"backend": (COUNTABLE_BACKENDS, "backend {} waits on the virtio-blk device"),
             "driver": (COUNTABLE_DRIVERS, "driver {} waits on a device")}


def why_not_countable(case, path, declared=()):
    """None if case can be counted, else why not (one phrase). dio.null
    too is judged by its backend: its regions are laid out on it. A crypto
    driver kdio does not know to run on the CPU is counted only when the
    user declares it CPU-only (declared: --countable-driver, the suite's
    countable_drivers), and then checked in the guest (declared_problem)."""
    fam = family.of_path(path)
    if fam.not_countable:
        return fam.not_countable
    if fam.waits_on is None:
        return None
    value = fam.value(case.param_dict, fam.waits_on)
    countable, why = COUNTABLE[fam.waits_on]
    user_driver = fam.waits_on == "driver"
    if value in countable or (user_driver and value in declared):
        return None
    if user_driver and value not in DEVICE_DRIVERS:
        return (f"driver {value} is not known to run on the CPU: declare it with "
                f"--countable-driver {value} (or countable_drivers in the suite), and kdio "
                "checks in the guest that it is registered and takes no device interrupt")
    return f"{why.format(value)} (countable: {', '.join(countable)}, or a driver you declare)"


DECLARED_CHECKS = ("registered in the guest's /proc/crypto and takes no device interrupt in "
                   "any timed run (the kernel's irqs_sum, read by kdio_crypto)")


def declared_problem(name, drivers, irqs):
    """None if the declared CPU-only crypto driver called name (as
    /proc/crypto names it) is registered in drivers (the guest's crypto
    record) and irqs (device interrupts per timed run) are all 0, else why
    a counted figure of it would not be its cost."""
    if name not in drivers:
        return (f"driver {name}, declared countable, is not in the guest's /proc/crypto: "
                "it is not registered (is its module loaded with --module?)")
    if not irqs or any(n is None for n in irqs):
        return (f"driver {name}, declared countable, cannot be checked: its tool reported no "
                "device interrupt count (kdio-crypto's cases only)")
    if any(irqs):
        return (f"driver {name}, declared countable, took {max(irqs)} device interrupt(s) in a "
                "timed run: its requests complete on a device, whose work the guest clock "
                "skips; run it with --measure wall")
    return None


def check_countable(suite, paths_table, measure):
    """Refuse, at plan time, a counted suite that names a case waiting on a
    device, naming every such case and why."""
    if not measure.counted:
        return
    bad = {}
    for c in suite.cases:
        why = why_not_countable(c, paths_table[c.path], suite.countable_drivers)
        if why:
            bad.setdefault(why, []).append(c.case_id)
    if bad:
        shown = "; ".join(f"{len(ids)} case(s) because {why}, e.g. {ids[0]}"
                          for why, ids in bad.items())
        raise ConfigError(
            f"suite {suite.name} cannot be counted: {shown}",
            "counted mode measures instructions, and the guest clock skips device waits: "
            "run this suite with --measure wall (MEASURE=wall), or use the brd or ext4-brd "
            "backend and the aesni or generic driver or a synchronous driver of your own")


def cost_unit(wall_unit, fam):
    """The counted unit of a path whose wall unit is wall_unit, of family
    fam: a byte rate becomes the family's cost per byte or per message."""
    if wall_unit == "ns/call":
        return "insn/call"
    if wall_unit == "ops/s":
        return "insn/op"
    return fam.cost_unit


def cost(metrics, params, unit):
    """The counted figure of one sample from its metrics: instructions
    (virtual ns) per byte, call, message or operation; None if the metrics
    lack what it needs."""
    m = metrics or {}
    elapsed = m.get("busy_ns") or m.get("elapsed_ns")
    if not elapsed:
        return None
    if unit == "insn/call":
        return elapsed / m["calls"] if m.get("calls") else None
    if unit == "insn/op":
        return elapsed / params["count"] if params.get("count") else None
    if not m.get("bytes"):
        return None
    if unit == "insn/msg":
        return elapsed / (m["bytes"] / params["msg"])
    return elapsed / m["bytes"]


def fmt_cost(value):
    """A cost with five significant digits and no exponent."""
    return f"{value:.0f}" if value >= 10000 else f"{value:.5g}"


def rate_in_insn_time(value, unit):
    """MB/s at 1 instruction per ns, for an insn/byte figure; else None."""
    return 1e3 / value if unit == "insn/byte" and value else None


# At shift 0 the guest's TSC ticks once per instruction: it must calibrate
# to 1000 MHz, or ktime_get_ns() is not an instruction count.
TSC_MHZ, TSC_TOLERANCE = 1000.0, 0.001
_TSC_LINES = (re.compile(r"Refined TSC clocksource calibration: ([0-9.]+) MHz"),
              re.compile(r"tsc: Detected ([0-9.]+) MHz"))


def guest_tsc_mhz(boot_kmsg):
    """The TSC frequency the guest settled on, from its boot log, or None."""
    for pattern in _TSC_LINES:
        for line in boot_kmsg or ():
            m = pattern.search(line)
            if m:
                return float(m.group(1))
    return None


def clock_problem(measure_, boot_kmsg):
    """None if a counted guest's clock counts instructions, else why not."""
    if not measure_.counted:
        return None
    mhz = guest_tsc_mhz(boot_kmsg)
    if mhz is None:
        return "the guest's boot log names no TSC frequency: cannot tell that its clock counts instructions"
    if abs(mhz / TSC_MHZ - 1) > TSC_TOLERANCE:
        return (f"the guest's TSC runs at {mhz} MHz, not {TSC_MHZ:.0f}: its clock does not "
                "count one instruction per ns")
    return None
