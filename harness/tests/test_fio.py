import json

import pytest

from kdio.paths import fio


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


def _report(*jobs):
    side = {"io_bytes": 4096, "bw_bytes": 1000, "iops": 1.0, "runtime": 4, "total_ios": 1,
            "clat_ns": {"mean": 10.0, "percentile": {}}, "lat_ns": {"mean": 11.0, "N": 1}}
    return json.dumps({"fio version": "fio-3.33",
                       "jobs": [{"jobname": j, "error": 0, "read": dict(side, bw_bytes=bw),
                                 "write": side} for j, bw in jobs]})


def test_batch_runs_each_case_as_a_named_job_one_after_the_other():
    a = fio.argv("/f", "write", 4096, 1 << 20)
    b = fio.argv("/f", "read", 65536, 1 << 20, "libaio", 16)
    both = fio.batch_argv([a, b])
    assert both[0] == fio.FIO
    assert both.count("--output-format=json+") == 1 and both.count("--clocksource=clock_gettime") == 1
    first, second = both.index("--name=kdio-0"), both.index("--name=kdio-1")
    assert "--rw=write" in both[first:second] and "--rw=read" in both[second:]
    assert "--ioengine=libaio" in both[second:] and "--iodepth=16" in both[second:]
    assert both.count("--stonewall") == 2
    with pytest.raises(ValueError):
        fio.batch_argv([a, ["/bin/true"]])


def test_parse_takes_the_named_job_of_a_batch():
    text = _report(("kdio-0", 111), ("kdio-1", 222))
    assert fio.parse(text, "read", "kdio-1")["bw_bytes"] == 222
    assert fio.parse(text, "read", "kdio-0")["bw_bytes"] == 111
    assert fio.parse(text, "read")["bw_bytes"] == 111
    # a job the report lacks (fio stopped before it) is an error, not another job's figure
    with pytest.raises(fio.FioOutputError, match="kdio-2"):
        fio.parse(text, "read", "kdio-2")
