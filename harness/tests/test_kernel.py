"""vmlinux extraction and initramfs layout on synthetic inputs; one unpack of a
kernel when two fetch it at once."""

import contextlib
import gzip
import lzma
import subprocess
import threading
import time
from types import SimpleNamespace

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


def _fetch_twice_at_once(tmp_path, monkeypatch):
    """Two fetches of one kernel at once (as two kdio processes sharing the
    cache): (how many unpacks ran, most at once, what was said)."""
    monkeypatch.setenv("KDIO_CACHE", str(tmp_path))
    inside, seen, said = [], [], []
    lock = threading.Lock()

    def slow_fetch(spec, base, tree, log):
        with lock:
            inside.append(1)
            seen.append(len(inside))
        time.sleep(1.0)          # long beside the 50 ms between the two starts
        base.mkdir(parents=True, exist_ok=True)
        (base / kernel.STAMP).write_text(spec.version + "\n")
        with lock:
            inside.pop()

    monkeypatch.setattr(kernel, "_fetch", slow_fetch)
    spec = SimpleNamespace(release="6.1.0-99-amd64", version="6.1.999-1")
    threads = [threading.Thread(target=kernel.fetch, args=(spec, said.append)) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    return len(seen), max(seen), said


def test_two_fetches_of_one_kernel_at_once_unpack_it_once(tmp_path, monkeypatch):
    # flock conflicts between two open()s of the lock file, in one process too
    assert _fetch_twice_at_once(tmp_path, monkeypatch) == (
        1, 1, ["waiting for another kdio, which is fetching 6.1.0-99-amd64"])


def test_without_the_lock_two_fetches_unpack_at_once(tmp_path, monkeypatch):
    # negative control: the same two fetches with the lock taken away
    monkeypatch.setattr(kernel, "locked", lambda *a: contextlib.nullcontext())
    unpacks, most, said = _fetch_twice_at_once(tmp_path, monkeypatch)
    assert (unpacks, most, said) == (2, 2, [])
