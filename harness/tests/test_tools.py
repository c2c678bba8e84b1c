"""The userspace tools on the host: usage errors, pre-flight messages, and
the pattern written and checked through O_DIRECT. No module is needed: every
case here fails or finishes before the tool would open /dev/kdio_dio."""

import json
import os
import re
import subprocess

import pytest

from kdio.kernel import build
from kdio.results import ktap


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


# kdio-dio's refusals in kdio-badinput's table (userspace/checks/badinput/refusals.c,
# the REFUSAL rows); -t runs them alone, with no module.
REFUSAL_ROWS = 24
# Rows that need what the host test does not give: -R, -N (mounts), and a
# block device under the scratch directory that this process may open.
NEEDS_MOUNTS = {"dio-write-on-read-only-fs", "dio-fs-without-odirect"}
MAY_SKIP = NEEDS_MOUNTS | {"dio-read-past-device-end"}


def refusals(tools, tmp_path, *args):
    r = subprocess.run([str(tools / "kdio-badinput"), "-t", "-d", str(tmp_path), *map(str, args)],
                       capture_output=True, text=True)
    return r.returncode, ktap.leaves(ktap.parse(r.stdout))


def test_every_dio_refusal_says_what_is_wrong_and_what_to_do(tools, tmp_path, summary):
    rc, rows = refusals(tools, tmp_path)
    assert len(rows) == REFUSAL_ROWS and rc == 0, [r for r in rows if not r.ok]
    skipped = {r.name for r in rows if r.skipped}
    assert NEEDS_MOUNTS <= skipped <= MAY_SKIP, skipped
    ran = [r for r in rows if not r.skipped]
    assert len(ran) == REFUSAL_ROWS - len(skipped) and all(r.passed for r in ran)
    usage = [r for r in ran if r.fields["expected"] == "0"]
    assert len(usage) == 12 and all(r.diagnostics[-1].startswith(f"{r.name}: exit 2: kdio-dio: ")
                                    for r in usage)
    errors = [r for r in ran if r.fields["expected"] != "0"]
    assert len(errors) == len(ran) - 12
    assert all(r.fields["got"] == r.fields["expected"] and
               r.diagnostics[-1].startswith(f"{r.name}: exit 1: ") for r in errors)
    summary.append(f"kdio-dio refusals on the host: {len(ran)}/{REFUSAL_ROWS} ok, "
                   f"{len(skipped)} skipped ({', '.join(sorted(skipped))})")


def test_a_wrong_expectation_fails_one_refusal_row(tools, tmp_path):
    rc, rows = refusals(tools, tmp_path, "-W", "dio-fifo")
    wrong = [r for r in rows if not r.ok]
    assert rc == 1 and [r.name for r in wrong] == ["dio-fifo"]
    assert wrong[0].fields == {"expected": "EDOM", "got": "EINVAL"}


@pytest.fixture
def bare_dio(tmp_path):
    """A kdio-dio that refuses everything with a bare EINVAL and no reason."""
    tool = tmp_path / "bare-dio"
    tool.write_text('#!/bin/sh\necho \'{"errno":22,"error":"Invalid argument"}\'\nexit 1\n')
    tool.chmod(0o755)
    return tool


def test_a_refusal_without_a_reason_fails_its_row(tools, tmp_path, bare_dio):
    rc, rows = refusals(tools, tmp_path, "-T", bare_dio)
    ran = [r for r in rows if not r.skipped]
    assert rc == 1 and len(ran) >= REFUSAL_ROWS - len(MAY_SKIP) and not any(r.ok for r in ran)
    fifo = next(r for r in ran if r.name == "dio-fifo")
    assert fifo.fields["got"] == "EINVAL" and "the message does not say" in fifo.diagnostics[-1]
    usage = next(r for r in ran if r.name == "dio-size-zero")
    assert "exit 1, want 2" in usage.diagnostics[-1]


def test_a_tool_that_refuses_nothing_fails_every_row(tools, tmp_path):
    rc, rows = refusals(tools, tmp_path, "-T", "/bin/true")
    ran = [r for r in rows if not r.skipped]
    assert rc == 1 and len(ran) >= REFUSAL_ROWS - len(MAY_SKIP)
    assert all(not r.ok and "exit 0, want" in r.diagnostics[-1] for r in ran)


def test_dio_refuses_a_fifo_before_opening_it(tools, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rc, lines, err = run(tools / "kdio-dio", "-m", "vmmap", "-o", "write", "-f", fifo,
                         "-b", "4k", "-s", "4k")     # an open would block: no writer
    assert rc == 1 and len(lines) == 1 and err == ""
    assert lines[0]["errno_name"] == "EINVAL" and "is a FIFO" in lines[0]["error"]


def test_dio_read_past_the_end_of_a_file_says_how_big_it_is(tools, datafile):
    rc, lines, _ = run(tools / "kdio-dio", "-m", "bvec", "-o", "read", "-f", datafile,
                       "-b", "64k", "-s", "1m", "-O", "64k")
    assert rc == 1 and lines[0]["errno_name"] == "ENODATA"
    assert f"{datafile} holds 1048576 bytes" in lines[0]["error"]
    assert "write them first" in lines[0]["error"]


def uapi_constant(name):
    """A '#define NAME (N << S)' or '#define NAME N' of the dio uAPI header, as a number."""
    text = (build.TOP / "modules/include/uapi/kdio/dio.h").read_text()
    m = re.search(rf"^#define\s+{name}\s+\(?(\d+)(?:ULL)?(?:\s*<<\s*(\d+))?\)?", text, re.M)
    return int(m[1]) << int(m[2] or 0)


def test_dio_limits_come_from_the_uapi_header(tools, datafile):
    """kdio-dio's usage and messages say the limits of its options table,
    which are the uAPI constants: a literal left behind would differ."""
    block, total, qd = (uapi_constant(n) for n in ("KDIO_MAX_BLOCK", "KDIO_ASYNC_MAX_TOTAL",
                                                    "KDIO_MAX_QD"))
    assert (block, total, qd) == (64 << 20, 256 << 20, 256)
    r = subprocess.run([str(tools / "kdio-dio"), "-h"], capture_output=True, text=True)
    assert f"at most {block >> 20}m)" in r.stdout and f"at most {total >> 20}m)" in r.stdout
    assert f"requests in flight, 1 to {qd} " in r.stdout
    rc, _, err = run(tools / "kdio-dio", "-m", "null", "-o", "write", "-f", datafile,
                     "-b", block + 512, "-s", block + 512)
    assert rc == 2 and f"is above {block >> 20}m, the most one I/O call may move" in err
    rc, _, err = run(tools / "kdio-dio", "-m", "null", "-o", "write", "-f", datafile,
                     "-b", "4k", "-s", "4k", "-q", qd + 1)
    assert rc == 2 and f"-q QD must be 1 to {qd}" in err
    rc, _, err = run(tools / "kdio-dio", "-m", "bvec-async", "-o", "write", "-f", datafile,
                     "-b", "4k", "-s", total + 4096)
    assert rc == 2 and f"must be at most {total >> 20}m with -m bvec-async" in err
