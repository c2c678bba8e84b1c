import pytest

from kdio import fio


def test_parse_write(fixtures):
    f = fio.parse((fixtures / "fio-psync-write-64k.json").read_text(), "write")
    assert f["fio_version"] == "fio-3.33"
    assert f["error"] == 0
    assert f["io_bytes"] == 8 << 20
    assert f["bw_bytes"] > 0 and f["iops"] > 0
    assert f["clat_ns_p50"] <= f["clat_ns_p99"]


def test_parse_read(fixtures):
    f = fio.parse((fixtures / "fio-psync-read-1m.json").read_text(), "read")
    assert f["io_bytes"] == 8 << 20
    assert f["runtime_ms"] >= 0


def test_parse_error_report_after_warning_lines(fixtures):
    # fio printed its error line to stdout before the JSON document
    text = (fixtures / "fio-error-enospc.json").read_text()
    assert not text.startswith("{")
    f = fio.parse(text, "write")
    assert f["error"] == 28


def test_wrong_side_is_an_error(fixtures):
    with pytest.raises(fio.FioOutputError, match="no .randrw. figures"):
        fio.parse((fixtures / "fio-psync-write-64k.json").read_text(), "randrw")


def test_truncated_json(fixtures):
    text = (fixtures / "fio-psync-write-64k.json").read_text()
    with pytest.raises(fio.FioOutputError, match="truncated"):
        fio.parse(text[: len(text) // 2], "write")


def test_no_json():
    with pytest.raises(fio.FioOutputError, match="no JSON"):
        fio.parse("fio: engine psync not loadable\n", "write")


def test_argv_is_odirect_and_matches_case():
    args = fio.argv("/run/kdio/scratch/fio.dat", "read", 65536, 1 << 20)
    assert "--direct=1" in args and "--rw=read" in args
    assert "--bs=65536" in args and f"--size={1 << 20}" in args
    assert "--ioengine=psync" in args
    # json+: the clat histogram's bins; kdio's percentiles, p99.9 among them
    assert "--output-format=json+" in args and "--percentile_list=50:90:99:99.9" in args


def test_argv_times_with_the_monotonic_clock_and_no_calibration():
    # fio's default clock source calibrates the cycle counter at every start
    args = fio.argv("/run/kdio/scratch/fio.dat", "write", 4096, 1 << 20)
    assert "--clocksource=clock_gettime" in args
    assert [a for a in args if a.startswith("--clocksource")] == ["--clocksource=clock_gettime"]
