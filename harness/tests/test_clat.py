"""The latency histogram's math: fio's bins and percentiles, against a
recorded fio json+ report and against the C code the module runs
(modules/dio/clat.c, compiled on the host), and the check that a
histogram holds one sample per I/O."""

import json
import subprocess

import pytest

from kdio.kernel import build
from kdio.model import clat

# (ns, bin, value of the bin), read off fio's stat.h table: exact to 127 ns,
# then 64 bins per power of two, the last bin open-ended.
KNOWN = [(0, 0, 0), (1, 1, 1), (127, 127, 127), (128, 128, 129), (129, 128, 129),
         (130, 129, 131), (255, 191, 255), (256, 192, 258), (1000, 317, 1004),
         ((1 << 33) + 63 * (1 << 27), 1855, (1 << 33) + 63 * (1 << 27) + (1 << 26)),
         (1 << 40, 1855, (1 << 33) + 63 * (1 << 27) + (1 << 26))]


def test_bins_are_fios():
    assert clat.NR_BINS == 1856
    for ns, i, value in KNOWN:
        assert (clat.index(ns), clat.value(i)) == (i, value), ns
    with pytest.raises(ValueError):
        clat.value(clat.NR_BINS)


def test_every_bin_holds_its_own_value_and_its_range():
    bins = range(clat.NR_BINS)
    assert len(bins) == 1856
    assert [clat.index(clat.value(i)) for i in bins] == list(bins)
    # above 127 ns: bin i is 2^e ns wide, e = i / 64 - 1, at most 1/64 of its value,
    # and its value is the middle of its range
    wide = range(2 * clat.VAL, clat.NR_BINS - 1)
    assert len(wide) == 1727
    for i in wide:
        width = 1 << ((i >> clat.BITS) - 1)
        low = clat.value(i) - width // 2
        assert width * clat.VAL <= clat.value(i)
        assert clat.index(low) == clat.index(low + width - 1) == i
        assert clat.index(low - 1) == i - 1 and clat.index(low + width) == i + 1


@pytest.fixture
def fio_sides(fixtures):
    """The read and write sides of a recorded fio json+ report (randrw)."""
    job = json.loads((fixtures / "fio-randrw-4k-jsonplus.json").read_text())["jobs"][0]
    return [job["read"], job["write"]]


def test_percentiles_are_fios_own(fio_sides):
    assert len(fio_sides) == 2
    for side in fio_sides:
        c = side["clat_ns"]
        assert len(c["bins"]) > 100 and c["N"] == side["total_ios"] > 900
        assert list(c["percentile"]) == ["50.000000", "90.000000", "99.000000", "99.900000"]
        assert clat.percentiles(c["bins"], c["N"]) == c["percentile"]
        assert all(clat.value(clat.index(int(k))) == int(k) for k in c["bins"])


def test_percentiles_at_exact_counts():
    # 10 samples, one per bin 1..10 ns: p50 is the 5th, p90 the 9th, p99 and p99.9 the 10th
    bins = {str(v): 1 for v in range(1, 11)}
    assert clat.percentiles(bins, 10) == {"50.000000": 5, "90.000000": 9, "99.000000": 10,
                                          "99.900000": 10}
    # fewer samples in the bins than n: the percentiles they do not reach are left out
    assert clat.percentiles(bins, 20) == {"50.000000": 10}


def test_kdio_percentiles_stay_within_the_samples(fio_sides):
    c = fio_sides[0]["clat_ns"]
    assert c["percentile"]["99.900000"] > c["max"]       # fio's: a bin's middle
    ours = clat.from_counts(c["N"], c["min"], c["max"], int(c["mean"] * c["N"]), c["bins"])
    assert ours["percentile"]["99.900000"] == c["max"]
    assert ours["percentile"]["50.000000"] == c["percentile"]["50.000000"]
    assert clat.problem(ours, c["N"]) is None


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """clat_probe.c linked with the module's modules/dio/clat.c."""
    out = tmp_path_factory.mktemp("clat") / "clat_probe"
    here = build.TOP / "harness" / "tests" / "fixtures" / "clat" / "clat_probe.c"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror",
                    f"-I{build.TOP / 'modules' / 'include' / 'uapi'}", f"-I{build.TOP / 'modules'}", "-o", str(out), str(here),
                    str(build.TOP / "modules" / "dio" / "clat.c")], check=True)
    return out


def _run_probe(probe, values):
    lines = subprocess.run([str(probe), *map(str, values)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    per_value = [tuple(map(int, ln.split())) for ln in lines if ln[0].isdigit()]
    total = next(tuple(map(int, ln.split()[1:])) for ln in lines if ln.startswith("total"))
    bins = {ln.split()[2]: int(ln.split()[3]) for ln in lines if ln.startswith("bin")}
    return per_value, total, bins


def test_the_modules_c_code_agrees(probe, fio_sides):
    keys = [int(k) for side in fio_sides for k in side["clat_ns"]["bins"]]
    values = sorted({v + d for v in [ns for ns, _, _ in KNOWN] + keys for d in (-1, 0, 1)
                     if v + d >= 0})
    assert len(values) > 500
    per_value, total, bins = _run_probe(probe, values)
    assert len(per_value) == len(values)
    assert per_value == [(ns, clat.index(ns), clat.value(clat.index(ns))) for ns in values]
    assert total == (len(values), min(values), max(values), sum(values))
    expected = {}
    for ns in values:
        key = str(clat.value(clat.index(ns)))
        expected[key] = expected.get(key, 0) + 1
    assert bins == expected


def good_histogram():
    bins = {"1004": 3, "2008": 1}                       # 3 near 1 us, 1 near 2 us
    return clat.from_counts(4, 1000, 2010, 5010, bins)


def test_a_histogram_of_one_sample_per_io_passes():
    c = good_histogram()
    assert clat.problem(c, 4) is None
    assert c["percentile"] == {"50.000000": 1004, "90.000000": 2008, "99.000000": 2008,
                               "99.900000": 2008}


@pytest.mark.parametrize("change, ios, wanted", [
    (lambda c: None, 5, "holds 4 sample(s) and says N=4, for 5 I/O(s)"),
    (lambda c: c["bins"].update({"1004": 2}), 4, "holds 3 sample(s) and says N=4"),
    (lambda c: c.update(N=5), 5, "holds 4 sample(s) and says N=5"),
    (lambda c: c["bins"].update({"130": 1}), 5, "bin key 130 is not the value of a bin"),
    (lambda c: c["bins"].update({"x": 1}), 5, "bin key 'x' is not a number"),
    (lambda c: c["bins"].update({"1004": 0}), 1, "bin 1004 holds 0"),
    (lambda c: c.update(min=9000), 4, "min 9000 ns is above max 2010 ns"),
    (lambda c: c.update(max=5000), 4, "not in the lowest and highest bins in use"),
    (lambda c: c.pop("bins"), 4, "no latency histogram"),
])
def test_a_broken_histogram_is_named(change, ios, wanted):
    c = good_histogram()
    change(c)
    why = clat.problem(c, ios)
    assert why is not None and wanted in why


def test_metrics_keep_fios_names():
    m = clat.metrics(good_histogram())
    assert list(m) == ["clat_ns_n", "clat_ns_min", "clat_ns_mean", "clat_ns_p50", "clat_ns_p90",
                       "clat_ns_p99", "clat_ns_p99.9", "clat_ns_max"]
    assert (m["clat_ns_n"], m["clat_ns_p50"], m["clat_ns_p99.9"], m["clat_ns_max"]) == \
        (4, 1004, 2008, 2010)
