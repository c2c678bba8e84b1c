"""The userspace tools on the host: usage errors, pre-flight messages, and
the pattern written and checked through O_DIRECT. No module is needed: every
case here fails or finishes before the tool would open /dev/kdio_dio."""

import json
import subprocess

import pytest

from kdio import build


@pytest.fixture(scope="module")
def tools():
    out, warnings = build.build_tools(log=lambda m: None)
    assert warnings == []
    return out


def run(tool, *args):
    r = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True)
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    return r.returncode, lines, r.stderr


@pytest.fixture
def datafile(tools, tmp_path):
    f = tmp_path / "data"
    rc, lines, _ = run(tools / "kdio-verify", "-w", "-f", f, "-s", "1m", "-S", 5)
    assert rc == 0 and lines[0]["bytes"] == 1 << 20
    return f


def test_verify_roundtrip_and_mismatch(tools, datafile):
    rc, lines, _ = run(tools / "kdio-verify", "-c", "-f", datafile, "-s", "1m", "-S", 5)
    assert rc == 0 and lines[0]["bad_blocks"] == 0
    rc, lines, _ = run(tools / "kdio-verify", "-c", "-f", datafile, "-s", "1m", "-S", 6)
    assert rc == 1 and lines[0]["bad_blocks"] > 0 and lines[0]["first_bad_offset"] == 0


def test_verify_sees_one_flipped_byte(tools, datafile):
    with open(datafile, "r+b") as f:
        f.seek(300000)
        byte = f.read(1)
        f.seek(300000)
        f.write(bytes([byte[0] ^ 0xFF]))
    rc, lines, _ = run(tools / "kdio-verify", "-c", "-f", datafile, "-s", "1m", "-S", 5,
                       "-b", "64k")
    assert rc == 1 and lines[0]["bad_blocks"] == 1
    assert lines[0]["first_bad_offset"] == 262144


def test_dio_missing_file(tools, tmp_path):
    rc, lines, _ = run(tools / "kdio-dio", "-m", "vmmap", "-o", "write", "-f",
                       tmp_path / "nope", "-b", "64k", "-s", "1m")
    assert rc == 1 and lines[0]["errno_name"] == "ENOENT"
    assert "create it first" in lines[0]["error"]


def test_dio_unaligned_block_names_the_alignment(tools, datafile):
    rc, lines, _ = run(tools / "kdio-dio", "-m", "vmmap", "-o", "write", "-f", datafile,
                       "-b", 1000, "-s", 1000)
    assert rc == 1 and lines[0]["errno_name"] == "EINVAL"
    assert "multiple of 512" in lines[0]["error"] and "STATX_DIOALIGN" in lines[0]["error"]


def test_dio_unaligned_offset(tools, datafile):
    rc, lines, _ = run(tools / "kdio-dio", "-m", "vmmap", "-o", "read", "-f", datafile,
                       "-b", "4k", "-s", "4k", "-O", 256)
    assert rc == 1 and lines[0]["errno_name"] == "EINVAL" and "offset" in lines[0]["error"]


@pytest.mark.parametrize("args", [[], ["-m", "vmmap", "-o", "write", "-f", "x", "-b", "4k", "-s", 0],
                                  ["-m", "bogus", "-o", "write", "-f", "x", "-b", "4k", "-s", "1m"],
                                  ["-m", "vmmap", "-o", "sideways", "-f", "x", "-b", "4k", "-s", "1m"],
                                  ["-m", "vmmap", "-o", "write", "-f", "x", "-b", "4q", "-s", "1m"]])
def test_dio_usage_errors_exit_2(tools, args):
    rc, _, err = run(tools / "kdio-dio", *args)
    assert rc == 2 and "usage: kdio-dio" in err


def test_dio_without_module_says_what_to_do(tools, datafile):
    rc, lines, _ = run(tools / "kdio-dio", "-m", "vmmap", "-o", "write", "-f", datafile,
                       "-b", "64k", "-s", "1m", "-D", datafile.parent / "no-device")
    assert rc == 1 and lines[0]["errno_name"] == "ENOENT"
    assert "load the kdio_dio module" in lines[0]["error"]


def test_test_only_fuzz_flag_takes_only_an_errno_name(tools, tmp_path):
    rc, _, err = run(tools / "kdio-fuzz", "-n", 1, "-s", 1, "-d", tmp_path, "-U", "EBOGUS")
    assert rc == 2 and "-U EBOGUS: not an errno name" in err


def test_test_only_bad_input_flag_is_in_every_tools_usage(tools):
    for name in ("kdio-badinput", "kdio-xfer-badinput", "kdio-crypto-badinput"):
        r = subprocess.run([str(tools / name), "-h"], capture_output=True, text=True)
        assert r.returncode == 0 and "-W CHECK" in r.stdout and "test only" in r.stdout
