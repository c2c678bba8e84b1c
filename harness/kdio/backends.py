"""Where a case does its I/O: a file on ext4, the raw virtio-blk device, or
a brd RAM disk (the I/O stack with no device behind it).

Each backend gives the kdio paths and the fio baselines a region of the same
size, file_size bytes: two files on ext4, or two adjacent regions of one
block device (kdio at offset 0, fio right after it).
"""

from dataclasses import dataclass

SCRATCH = "/run/kdio/scratch"


@dataclass(frozen=True)
class Target:
    path: str
    offset: int


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    device: str = None      # the block device, None for files on the scratch fs

    def target(self, family, file_size, scratch=SCRATCH):
        """family: 'kdio' (module and kdio tools) or 'fio' (the baselines)."""
        if self.device is None:
            return Target(f"{scratch}/{family}.dat", 0)
        return Target(self.device, 0 if family == "kdio" else file_size)


BACKENDS = {b.name: b for b in (
    Backend("ext4", "a file on ext4 on virtio-blk"),
    Backend("blk", "the raw virtio-blk device", "/dev/vdb"),
    Backend("brd", "a brd RAM disk: the block layer with no device", "/dev/ram0"),
)}
FAMILIES = ("kdio", "fio")


def device_bytes(file_size):
    """Size of a raw device that holds both regions, with 1 MiB to spare."""
    return 2 * file_size + (1 << 20)
