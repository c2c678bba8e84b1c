"""Where a case does its I/O: a file on ext4 on virtio-blk, the raw
virtio-blk device, a brd RAM disk (the block layer with no device behind
it), or a file on ext4 on a second brd RAM disk (the file system's
direct-I/O path with no device behind it).

Each backend gives the kdio paths and the fio baselines a region of the same
size, file_size bytes: two files on a file system, or two adjacent regions of
one block device (kdio at offset 0, fio right after it).
"""

from dataclasses import dataclass

SCRATCH = "/run/kdio/scratch"
EXT4_BRD_MOUNT = "/run/kdio/ext4brd"
# ext4's own blocks (journal, inode tables, bitmaps) on the RAM disk, besides
# the two regions: generous for file sizes up to a few hundred MiB.
EXT4_BRD_SLACK = 48 << 20


@dataclass(frozen=True)
class Target:
    path: str
    offset: int


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    device: str = None      # the block device, None for files on a file system
    fs_device: str = None   # a RAM disk the guest makes an ext4 file system on
    mount: str = None       # where that file system is mounted
    ram_disk: bool = False  # needs a brd RAM disk

    def target(self, owner, file_size, scratch=SCRATCH):
        """owner: 'kdio' (module and kdio tools) or 'fio' (the baselines)."""
        if self.device is None:
            return Target(f"{self.mount or scratch}/{owner}.dat", 0)
        return Target(self.device, 0 if owner == "kdio" else file_size)

    def prepare_argv(self):
        """The guest command that makes this backend's file system, or None.
        Inode tables and journal are written now (no lazy init), so no
        kernel thread writes them in the background of a measurement."""
        if not self.fs_device:
            return None
        return ["/bin/sh", "-c",
                f"mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "
                f"{self.fs_device} && mkdir -p {self.mount} && "
                f"mount -t ext4 -o noatime {self.fs_device} {self.mount}"]


BACKENDS = {b.name: b for b in (
    Backend("ext4", "a file on ext4 on virtio-blk"),
    Backend("blk", "the raw virtio-blk device", "/dev/vdb"),
    Backend("brd", "a brd RAM disk: the block layer with no device", "/dev/ram0",
            ram_disk=True),
    Backend("ext4-brd", "a file on ext4 on a brd RAM disk: the file system's direct-I/O "
            "path with no device", fs_device="/dev/ram1", mount=EXT4_BRD_MOUNT, ram_disk=True),
)}
# Whose region a target is: kdio's paths write and read one, fio's another.
REGION_OWNERS = ("kdio", "fio")
# brd makes rd_nr RAM disks of one size: /dev/ram0 (brd) and /dev/ram1 (ext4-brd).
RAM_DISKS = 2


def device_bytes(file_size):
    """Size of a raw device that holds both regions, with 1 MiB to spare."""
    return 2 * file_size + (1 << 20)


def ram_disk_bytes(file_size):
    """Size of each brd RAM disk: room for both regions and ext4's own blocks."""
    return device_bytes(file_size) + EXT4_BRD_SLACK
