"""Scratch disks for the guest: sparse raw images with a filesystem made on
the host, so the guest spends no emulated time on mkfs."""

import os
import subprocess
import tempfile
from pathlib import Path

from kdio.errors import VmError


def make_ext4(path, size_mib):
    """Create a sparse raw image of size_mib with an empty ext4 on it."""
    path = Path(path)
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    r = subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "nodiscard", "-L", "kdio-scratch",
                        str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise VmError(f"mkfs.ext4 {path} failed: {r.stderr.strip()}", "install e2fsprogs")
    return path


def make_raw(path, size_mib):
    """Create a sparse raw image of size_mib with nothing on it."""
    path = Path(path)
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    return path


def host_supports_odirect(directory):
    """True if files in directory can be opened with O_DIRECT (not tmpfs).

    QEMU's cache=none needs it; without it the disk falls back to the host
    page cache, which the run's context then records.
    """
    with tempfile.NamedTemporaryFile(dir=directory) as f:
        try:
            fd = os.open(f.name, os.O_RDONLY | os.O_DIRECT)
        except OSError:
            return False
        os.close(fd)
        return True
