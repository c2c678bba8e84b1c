from kdio.results import dmesg

OUR_WARN = """\
------------[ cut here ]------------
WARNING: CPU: 1 PID: 212 at /build/modules/dio_vmmap.c:80 kdio_vmmap_run+0x2c/0x200 [kdio_dio]
Modules linked in: kdio_dio(OE) 9p fscache netfs 9pnet_virtio virtio_blk
CPU: 1 PID: 212 Comm: kdio-dio Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2
RIP: 0010:kdio_vmmap_run+0x2c/0x200 [kdio_dio]
Call Trace:
 <TASK>
 dio_ioctl+0x1a0/0x2b0 [kdio_dio]
 __x64_sys_ioctl+0x8d/0xd0
 </TASK>
---[ end trace 0000000000000000 ]---""".splitlines()

PLATFORM_WARN = """\
------------[ cut here ]------------
alg: self-tests for rsa using virtio-crypto-rsa failed (rc=-22)
WARNING: CPU: 0 PID: 101 at crypto/testmgr.c:5821 alg_test+0x4f8/0x540
Modules linked in: kdio_dio(OE) virtio_crypto crypto_engine 9p
RIP: 0010:alg_test+0x4f8/0x540
Call Trace:
 <TASK>
 cryptomgr_test+0x24/0x40
 kthread+0xd7/0x100
 </TASK>
---[ end trace 0000000000000000 ]---""".splitlines()


def test_our_warning_is_attributed():
    found = dmesg.ours(OUR_WARN)
    assert len(found) == 1
    assert found[0].modules == ("kdio_dio",)
    assert found[0].first_line.startswith("WARNING: CPU: 1")


def test_platform_warning_is_not_ours_even_with_us_loaded():
    # "Modules linked in" lists every loaded module: it names no culprit
    assert dmesg.reports(PLATFORM_WARN) and not dmesg.ours(PLATFORM_WARN)


def test_two_reports_split():
    found = dmesg.reports(PLATFORM_WARN + OUR_WARN)
    assert [r.ours for r in found] == [False, True]


def test_quiet_log_has_no_reports():
    assert dmesg.reports(["kdio_dio: loaded", "virtio_blk virtio1: [vda] 524288 512-byte"]) == []


def test_oops_without_end_marker_is_kept():
    lines = ["BUG: kernel NULL pointer dereference, address: 0000000000000008",
             "RIP: 0010:kdio_null_run+0x10/0x40 [kdio_dio]"]
    assert dmesg.ours(lines)[0].modules == ("kdio_dio",)
