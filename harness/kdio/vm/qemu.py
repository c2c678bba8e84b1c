"""QEMU parameters as data, and the one function that turns them into argv.

The host root is shared read-only over virtio-9p (tag hostroot) so the guest
runs the host's own fio, python3 and kdio tools in a chroot; a second,
writable share (tag kdioout) carries the plan in and results out as they are
written; the scratch disk is the first virtio-blk device (/dev/vda).
"""

from dataclasses import dataclass, field

QEMU = "qemu-system-x86_64"
# QEMU's DMA crypto device with its built-in (software) backend.
CRYPTO_DEVICE = (("-object", "cryptodev-backend-builtin,id=crypto0"),
                 ("-device", "virtio-crypto-pci,cryptodev=crypto0"))


@dataclass(frozen=True)
class QemuConfig:
    kernel: str                 # ELF vmlinux, booted by PVH
    initrd: str
    append: str                 # kernel command line
    accel: str = "tcg"          # kvm | tcg
    cpus: int = 2
    memory_mib: int = 1024
    out_dir: str = ""           # writable 9p share (kdioout)
    share_host_root: bool = True
    disks: tuple = ()           # raw image paths, virtio-blk in order
    disk_cache: str = "none"    # none (O_DIRECT on the host) | writeback
    extra_devices: tuple = field(default_factory=tuple)
    icount: str = ""            # -icount value (counted runs: TCG only), "" for none
    plugin: str = ""            # a TCG plugin and its arguments: "path.so,key=value"


def cpu_model(accel):
    return "host" if accel == "kvm" else "max"


def _shares(cfg):
    args = []
    if cfg.share_host_root:
        args += ["-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,"
                 "multidevs=remap",
                 "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"]
    if cfg.out_dir:
        args += ["-fsdev", f"local,id=kdioout,path={cfg.out_dir},security_model=none",
                 "-device", "virtio-9p-pci,fsdev=kdioout,mount_tag=kdioout"]
    return args


def _disks(cfg):
    args = []
    aio = "threads"
    for i, path in enumerate(cfg.disks):
        args += ["-drive", f"file={path},format=raw,if=none,id=disk{i},"
                 f"cache={cfg.disk_cache},aio={aio}",
                 "-device", f"virtio-blk-pci,drive=disk{i}"]
    return args


def argv(cfg):
    """The full qemu command line for cfg."""
    args = [QEMU, "-machine", f"q35,accel={cfg.accel}", "-cpu", cpu_model(cfg.accel),
            "-smp", str(cfg.cpus), "-m", str(cfg.memory_mib),
            "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
            "-kernel", cfg.kernel, "-initrd", cfg.initrd, "-append", cfg.append]
    if cfg.icount:
        args += ["-icount", cfg.icount]
    if cfg.plugin:
        args += ["-plugin", cfg.plugin]
    args += _shares(cfg) + _disks(cfg)
    for dev in cfg.extra_devices:
        args += list(dev)
    return args
