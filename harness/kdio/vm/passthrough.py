"""A host PCI device given to the guest through vfio-pci (--passthrough).

It needs KVM (the accelerator probe decides: a device cannot be passed to a
TCG guest) and an IOMMU group whose every device is bound to vfio-pci (or
to no driver, or is a PCI bridge), with its /dev/vfio/<group> node. kdio
never rebinds a host driver itself: the refusal says how.
"""

import os
import re
from pathlib import Path

from kdio.errors import VmError

BDF = re.compile(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]")
# Drivers a group member may keep: they hold no device memory a guest could reach.
BRIDGE_DRIVERS = ("pcieport", "shpchp")


class PassthroughError(VmError):
    """A PCI device cannot be passed to the guest."""


def _driver(dev):
    link = dev / "driver"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _bind_hint(others):
    lines = ["bind every device of its IOMMU group to vfio-pci (as root): modprobe vfio-pci"]
    for b, drv in others:
        unbind = f"echo {b} > /sys/bus/pci/drivers/{drv}/unbind; " if drv else ""
        lines.append(f"echo vfio-pci > /sys/bus/pci/devices/{b}/driver_override; {unbind}"
                     f"echo {b} > /sys/bus/pci/drivers_probe")
    return "; ".join(lines)


def check(bdf, accel, why, sysfs=Path("/sys"), dev_vfio=Path("/dev/vfio")):
    """The IOMMU group of bdf, if it can be passed to a guest run under accel
    (chosen because why); else PassthroughError naming what is missing."""
    if not BDF.fullmatch(bdf or ""):
        raise PassthroughError(f"--passthrough {bdf!r} is not a PCI address",
                               "give it as lspci -D prints it, e.g. 0000:03:00.0")
    dev = sysfs / "bus/pci/devices" / bdf
    if not dev.exists():
        raise PassthroughError(f"no PCI device {bdf} on this machine", "see lspci -D")
    missing = []
    if accel != "kvm":
        missing.append(f"KVM (the guest runs under {accel}: {why}; a PCI device can only be "
                       "passed to a KVM guest)")
    group_link = dev / "iommu_group"
    if not group_link.is_symlink():
        missing.append(f"an IOMMU group for {bdf} (no IOMMU, or it is off)")
    if missing:
        hint = ("run on a machine where KVM boots the guest (check with KDIO_ACCEL unset)"
                if accel != "kvm" else "")
        if not group_link.is_symlink():
            hint += ("; " if hint else "") + ("enable VT-d/AMD-Vi in the firmware and boot the "
                                              "host with intel_iommu=on (or amd_iommu=on)")
        raise PassthroughError(f"cannot pass {bdf} to the guest: missing "
                               + " and ".join(missing), hint)
    group = Path(os.readlink(group_link)).name
    members = sorted((sysfs / "kernel/iommu_groups" / group / "devices").iterdir())
    others = [(m.name, _driver(m)) for m in members
              if _driver(m) not in (None, "vfio-pci", *BRIDGE_DRIVERS)]
    if others:
        raise PassthroughError(f"cannot pass {bdf} to the guest: IOMMU group {group} has "
                               + ", ".join(f"{b} bound to {d}" for b, d in others),
                               _bind_hint(others))
    if _driver(dev) != "vfio-pci" or not (dev_vfio / group).exists():
        raise PassthroughError(f"cannot pass {bdf} to the guest: it is not bound to vfio-pci "
                               f"(driver {_driver(dev)}), or /dev/vfio/{group} is missing",
                               _bind_hint([(bdf, _driver(dev))]))
    return group


def devices(bdfs, accel, why, sysfs=Path("/sys"), dev_vfio=Path("/dev/vfio")):
    """QEMU device arguments for each address, each one checked."""
    out = []
    for bdf in bdfs:
        check(bdf, accel, why, sysfs, dev_vfio)
        out.append(("-device", f"vfio-pci,host={bdf}"))
    return tuple(out)
