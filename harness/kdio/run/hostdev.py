"""The machine's block devices as host mode sees them: what a device is
(model, transport, queue depth, scheduler, block sizes, rotational, read
from sysfs) and whether kdio may write to it.

A raw device is written from its first byte, so it must be free and its
owner must have agreed: kdio refuses a device that is mounted (itself or a
partition), used as swap, or held by md/LVM/dm (holders in sysfs), whatever
the flags; and one that holds a partition table or any signature (what
`wipefs` and `blkid -p` find), or any device at all, unless
--destroy-data-on names that same device.

Every read of the machine goes through a System, so tests give a fake
sysfs/proc tree and fake commands.
"""

import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kdio.errors import KdioError


class HostError(KdioError):
    """Host mode refuses to go on: the machine, a device or a folder is not
    safe or not fit to run on, or the build does not match the kernel."""


def _stat_rdev(path):
    """(major, minor) of a block device node, None if path is not one."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.major(st.st_rdev), os.minor(st.st_rdev)) if stat.S_ISBLK(st.st_mode) else None


def _stat_dev(path):
    st = os.stat(path)
    return (os.major(st.st_dev), os.minor(st.st_dev))


@dataclass(frozen=True)
class System:
    """Where host mode reads the machine: real paths and commands by default."""
    sysfs: Path = Path("/sys")
    proc: Path = Path("/proc")
    run: object = field(default=subprocess.run, compare=False)
    block_rdev: object = field(default=_stat_rdev, compare=False)   # path -> (maj, min) | None
    file_dev: object = field(default=_stat_dev, compare=False)      # path -> (maj, min) of its fs

    def read(self, rel, default=None):
        try:
            return (self.sysfs / rel).read_text().strip()
        except OSError:
            return default

    def command(self, argv):
        """(rc, stdout, stderr); rc 127 when the program is missing."""
        try:
            r = self.run(argv, capture_output=True, text=True)
        except OSError as e:
            return 127, "", f"{argv[0]}: {e.strerror}"
        return r.returncode, r.stdout, r.stderr


def block_name(system, rdev):
    """The kernel's name of the block device (major, minor): sda, nvme0n1p1."""
    link = system.sysfs / "dev/block" / f"{rdev[0]}:{rdev[1]}"
    try:
        return Path(os.readlink(link)).name
    except OSError:
        return None


def _partitions(system, name):
    base = system.sysfs / "class/block" / name
    try:
        children = sorted(p.name for p in base.iterdir())
    except OSError:
        return []
    return [c for c in children if (base / c / "partition").exists()]


def _rdev_of(system, name):
    text = system.read(f"class/block/{name}/dev", "")
    maj, _, mnr = text.partition(":")
    return (int(maj), int(mnr)) if maj.isdigit() and mnr.isdigit() else None


def _mounts(system):
    """(source, mount point, fs type) of every mount."""
    try:
        lines = (system.proc / "self/mounts").read_text().splitlines()
    except OSError:
        return []
    return [tuple(ln.split()[:3]) for ln in lines if len(ln.split()) >= 3]


def _swaps(system):
    try:
        lines = (system.proc / "swaps").read_text().splitlines()[1:]
    except OSError:
        return []
    return [ln.split()[0] for ln in lines if ln.split()]


def _in_use(system, name, rdevs):
    """Problems no flag overrides: mounted, swap, held by md/LVM/dm."""
    problems = []
    for source, where, fstype in _mounts(system):
        if source.startswith("/") and system.block_rdev(source) in rdevs:
            problems.append(f"{source} is mounted on {where} ({fstype})")
    for source in _swaps(system):
        if system.block_rdev(source) in rdevs:
            problems.append(f"{source} is in use as swap")
    for part in [name, *_partitions(system, name)]:
        holders = system.sysfs / "class/block" / part / "holders"
        held = sorted(h.name for h in holders.iterdir()) if holders.is_dir() else []
        if held:
            problems.append(f"{part} is held by {', '.join(held)} (a member of md, LVM or "
                            "device-mapper)")
    return problems


WIPEFS = ["wipefs", "--no-act", "--noheadings", "--output", "TYPE,OFFSET"]


def signatures(system, dev):
    """Every signature (file system, RAID, LVM, partition table) on dev, as
    'TYPE at OFFSET', from wipefs and blkid -p; a probe that cannot run is
    a HostError: an unknown device is not a blank one."""
    rc, out, err = system.command([*WIPEFS, dev])
    if rc != 0:
        raise HostError(f"cannot probe {dev} for signatures: wipefs exited {rc}: "
                        f"{(err or out).strip()[-200:]}",
                        "install util-linux (wipefs, blkid) and run as root")
    found = [f"{ln.split()[0]} at {ln.split()[1]}" for ln in out.splitlines() if len(ln.split()) >= 2]
    rc, out, err = system.command(["blkid", "-p", "-o", "export", dev])
    if rc not in (0, 2):  # 2: nothing found
        raise HostError(f"cannot probe {dev}: blkid -p exited {rc}: {(err or out).strip()[-200:]}",
                        "install util-linux (blkid) and run as root")
    for m in re.finditer(r"^(?:PTTYPE|TYPE)=(\S+)", out, re.M):
        if not any(f.startswith(m.group(1) + " ") for f in found):
            found.append(f"{m.group(1)} (blkid)")
    return found


def check_device(system, dev, destroy_data_on):
    """The kernel name of dev if kdio may overwrite it; else HostError saying
    everything that is wrong with it and what to do."""
    rdev = system.block_rdev(dev)
    if rdev is None:
        raise HostError(f"--device {dev} is not a block device",
                        "give a whole disk or partition, e.g. --device /dev/nvme1n1")
    name = block_name(system, rdev)
    parts = _partitions(system, name) if name else []
    rdevs = {rdev, *filter(None, (_rdev_of(system, p) for p in parts))}
    used = _in_use(system, name, rdevs)
    if used:
        raise HostError(f"refusing to write to {dev}: " + "; ".join(used),
                        "unmount it, swapoff it or stop the array/volume using it; kdio never "
                        "writes to a device in use, even with --destroy-data-on")
    found = ([f"partition(s) {', '.join(parts)}"] if parts else []) + signatures(system, dev)
    agreed = destroy_data_on and system.block_rdev(destroy_data_on) == rdev
    if agreed:
        return name
    what = (f"it holds {'; '.join(found)}" if found else "kdio writes to it from the first byte")
    hint = (f"if its data may be destroyed, add --destroy-data-on {dev} (the same device)"
            if not destroy_data_on else
            f"--destroy-data-on {destroy_data_on} is another device: it must name {dev}")
    raise HostError(f"refusing to write to {dev}: {what}, and its data would be lost", hint)


def check_dir(path):
    """An existing, writable folder, as an absolute path with no symlinks."""
    real = Path(path).resolve()
    if not real.is_dir():
        raise HostError(f"--dir {path} is not a folder", "create it, on the file system to test")
    if not os.access(real, os.W_OK | os.X_OK):
        raise HostError(f"--dir {path} is not writable", "give a folder root can write in")
    return real


def _parent_disk(system, name):
    """A partition's disk (sda for sda1): where its queue attributes are."""
    link = system.sysfs / "class/block" / name
    if (link / "partition").exists():
        return Path(os.path.realpath(link)).parent.name
    return name


TRANSPORTS = (("/nvme", "nvme"), ("/virtio", "virtio"), ("/usb", "usb"), ("/ata", "ata"),
              ("/mmc", "mmc"), ("/target", "scsi"), ("/virtual/", "virtual"))


def _transport(system, disk):
    path = os.path.realpath(system.sysfs / "class/block" / disk)
    return next((t for key, t in TRANSPORTS if key in path), "unknown")


def _scheduler(text):
    m = re.search(r"\[(\S+)\]", text or "")
    return m.group(1) if m else (text or None)


def _int(text):
    return int(text) if text and text.strip().isdigit() else None


def device_info(system, name):
    """What sysfs says about block device name (a partition: its disk's
    queue). Missing attributes are None, never guessed."""
    disk = _parent_disk(system, name)
    q = f"class/block/{disk}/queue"
    rotational = system.read(f"{q}/rotational")
    size = _int(system.read(f"class/block/{name}/size"))
    return {
        "name": name, "disk": disk,
        "model": system.read(f"class/block/{disk}/device/model")
                 or system.read(f"class/block/{disk}/device/name"),
        "transport": _transport(system, disk),
        "size_bytes": size * 512 if size is not None else None,
        "queue_depth": _int(system.read(f"class/block/{disk}/device/queue_depth"))
                       or _int(system.read(f"{q}/nr_requests")),
        "nr_requests": _int(system.read(f"{q}/nr_requests")),
        "scheduler": _scheduler(system.read(f"{q}/scheduler")),
        "logical_block_size": _int(system.read(f"{q}/logical_block_size")),
        "physical_block_size": _int(system.read(f"{q}/physical_block_size")),
        "rotational": None if rotational is None else rotational == "1",
    }


def dir_info(system, path):
    """The file system a folder is on, and the block device under it."""
    best = ("", None, None)
    for source, where, fstype in _mounts(system):
        if (str(path) + "/").startswith(where.rstrip("/") + "/") and len(where) >= len(best[0]):
            best = (where, source, fstype)
    info = {"dir": str(path), "mount": best[0] or None, "source": best[1], "fstype": best[2]}
    name = block_name(system, system.file_dev(path))
    if name:
        info["device"] = device_info(system, name)
    return info
