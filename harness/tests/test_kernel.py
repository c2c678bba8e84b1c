"""vmlinux extraction and initramfs layout on synthetic inputs."""

import gzip
import lzma
import subprocess

import pytest

from kdio.kernel import kernel
from kdio.vm import initramfs
from kdio.errors import FetchError

ELF = b"\x7fELF" + bytes(range(256)) * 64


def bzimage(tmp_path, payload, tail=b"\x00" * 100):
    p = tmp_path / "vmlinuz"
    p.write_bytes(b"MZ" + b"\x00" * 500 + payload + tail)
    return p


def test_xz_payload(tmp_path):
    out = tmp_path / "vmlinux"
    kernel.extract_vmlinux(bzimage(tmp_path, lzma.compress(ELF, format=lzma.FORMAT_XZ)), out)
    assert out.read_bytes() == ELF


def test_zstd_payload(tmp_path):
    packed = subprocess.run(["zstd", "-c", "-q"], input=ELF, capture_output=True, check=True).stdout
    out = tmp_path / "vmlinux"
    kernel.extract_vmlinux(bzimage(tmp_path, packed), out)
    assert out.read_bytes() == ELF


def test_gzip_payload(tmp_path):
    out = tmp_path / "vmlinux"
    kernel.extract_vmlinux(bzimage(tmp_path, gzip.compress(ELF)), out)
    assert out.read_bytes() == ELF


def test_no_payload(tmp_path):
    with pytest.raises(FetchError, match="no XZ, zstd or gzip payload"):
        kernel.extract_vmlinux(bzimage(tmp_path, b"plain"), tmp_path / "vmlinux")
    assert not (tmp_path / "vmlinux").exists()


def test_initramfs_decompresses_xz_modules_and_keeps_order(tmp_path):
    a = tmp_path / "a.ko.xz"
    a.write_bytes(lzma.compress(b"module a", format=lzma.FORMAT_XZ))
    b = tmp_path / "b.ko"
    b.write_bytes(b"module b")
    c = tmp_path / "c.ko"
    c.write_bytes(b"module c")
    out = initramfs.build(tmp_path / "initrd.cpio", [(a, ""), (b, "x=1"), (a, ""), (c, "?")])
    listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(out, "rb"),
                             capture_output=True, text=True).stdout.split()
    assert {"kdio/modules/a.ko", "kdio/modules/b.ko", "init", "bin/busybox"} <= set(listing)
    extract = tmp_path / "x"
    extract.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], stdin=open(out, "rb"), cwd=extract, check=True)
    assert (extract / "kdio/modules.order").read_text() == "a.ko\nb.ko x=1\n?c.ko\n"
    assert (extract / "kdio/modules/a.ko").read_bytes() == b"module a"


def test_initramfs_carries_the_runner_zip_only_when_given_a_runner(tmp_path):
    from kdio.run import bench

    def listing(out):
        return subprocess.run(["cpio", "-it", "--quiet"], stdin=open(out, "rb"),
                              capture_output=True, text=True).stdout.split()
    assert "kdio/runner.zip" in listing(initramfs.build(tmp_path / "a.cpio", [],
                                                        runner=bench.RUNNER))
    assert "kdio/runner.zip" not in listing(initramfs.build(tmp_path / "b.cpio", []))


def test_pick_version_prefers_the_pin_then_the_same_upstream():
    available = ["6.1.192-3", "6.1.176-1"]
    assert kernel.pick_version("6.1.176-1", available) == "6.1.176-1"
    # Debian rebuilt linux-kbuild-6.1: the pinned 6.1.192-2 is gone
    assert kernel.pick_version("6.1.192-2", available) == "6.1.192-3"
    assert kernel.pick_version("6.1.200-1", available) == "6.1.192-3"
    assert kernel.pick_version("6.1.192-2", []) is None
