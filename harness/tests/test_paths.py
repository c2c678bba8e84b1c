"""The paths' parsers on recorded guest records: a storage sample carries its
latency histogram, and one that does not hold one sample per I/O (broken
on purpose here) makes the sample an error, for kdio's paths and fio's."""

import json

import pytest

from kdio.model import config
from kdio.paths import pathdef, paths
from kdio.results import results


@pytest.fixture
def recorded(fixtures):
    """{path: the first recorded sample of that path} from the smoke run."""
    out = {}
    for r in results.read_records(fixtures / "records-smoke.jsonl"):
        if r.get("type") == "sample":
            out.setdefault(r["case"].split("/")[0], r)
    assert sorted(out) == ["dio.null", "dio.vmmap", "fio.psync"]
    return out


CASES = {c.case_id: c for c in config.load_suite("smoke").cases}


def params(raw):
    return CASES[raw["case"]].param_dict


def parse(raw):
    return paths.PATHS[raw["case"].split("/")[0]].parse(raw, params(raw))


def edited(raw, change):
    """raw with its last JSON line changed by change(out)."""
    lines = raw["stdout"].strip().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("{")) \
        if raw["case"].startswith("fio.") else len(lines) - 1
    out = json.loads("\n".join(lines[start:]))
    change(out)
    return {**raw, "stdout": "\n".join(lines[:start] + [json.dumps(out)])}


def test_kdio_samples_carry_their_histogram(recorded):
    s = parse(recorded["dio.vmmap"])
    assert s.status == "ok"
    assert s.io["total_ios"] == s.metrics["calls"] == s.io["clat_ns"]["N"] == 128
    assert sum(s.io["clat_ns"]["bins"].values()) == 128
    pct = s.io["clat_ns"]["percentile"]
    assert 0 < pct["50.000000"] <= pct["90.000000"] <= pct["99.000000"] <= pct["99.900000"] \
        <= s.io["clat_ns"]["max"]
    assert s.metrics["clat_ns_p99.9"] == pct["99.900000"]


def test_fio_samples_carry_fios_histogram(recorded):
    s = parse(recorded["fio.psync"])
    assert s.status == "ok"
    assert s.io["total_ios"] == s.io["clat_ns"]["N"] == 128
    assert sum(s.io["clat_ns"]["bins"].values()) == 128
    assert set(s.io["clat_ns"]["percentile"]) == {"50.000000", "90.000000", "99.000000",
                                                  "99.900000"}
    assert "io" not in s.metrics and s.metrics["clat_ns_p50"] == \
        s.io["clat_ns"]["percentile"]["50.000000"]


def drop_one_sample(out):
    first = next(iter(out["clat_bins"]))
    out["clat_bins"][first] -= 1
    out["clat_samples"] -= 1
    if not out["clat_bins"][first]:
        del out["clat_bins"][first]


@pytest.mark.parametrize("change, wanted", [
    (drop_one_sample, "holds 127 sample(s) and says N=127, for 128 I/O(s)"),
    (lambda out: out.update(clat_samples=129), "holds 128 sample(s) and says N=129"),
    (lambda out: out.pop("clat_bins"), "no latency histogram"),
])
def test_a_kdio_histogram_that_does_not_match_the_ios_is_an_error(recorded, change, wanted):
    for path in ("dio.null", "dio.vmmap"):
        s = parse(edited(recorded[path], change))
        assert s.status == "error" and wanted in s.message, (path, s.message)
        assert s.value is None and s.io is None


def test_a_fio_histogram_that_does_not_match_the_ios_is_an_error(recorded):
    def lose_one(out):
        side = out["jobs"][0][params(recorded["fio.psync"])["op"]]
        first = next(iter(side["clat_ns"]["bins"]))
        side["clat_ns"]["bins"][first] += 1
    s = parse(edited(recorded["fio.psync"], lose_one))
    assert s.status == "error" and s.message.startswith("fio: the latency histogram holds 129")


def _path(name="x.y", unit="bytes/s", argv=lambda p, env: [], parse=lambda raw, p: None,
          **kw):
    return pathdef.MeasuredPath(name, unit, False, argv, parse, family="storage", **kw)


@pytest.mark.parametrize("bad, lacks", [
    (dict(name="nodot"), "a name of the form kind.what"),
    (dict(unit="MB/s"), "a unit of bytes/s, ns/call, ops/s (not 'MB/s')"),
    (dict(argv=None), "an argv(params, env) to call"),
    (dict(parse="parse"), "a parse(raw, params) to call"),
    (dict(expect_errno="EBOGUS"), "an errno name as its expected errno (not 'EBOGUS')"),
])
def test_an_incomplete_path_is_refused_at_registration(bad, lacks):
    pathdef.check_path(_path())   # a complete one passes
    with pytest.raises(pathdef.PathError) as e:
        paths.register((_path(**bad),))
    assert lacks in str(e.value) and "kdio/paths/" in e.value.hint


def test_a_name_declared_twice_is_refused():
    with pytest.raises(pathdef.PathError) as e:
        paths.register((_path("a.b"),), (_path("a.b"),))
    assert "a.b is declared twice" in str(e.value)


def test_the_registry_holds_every_kind_of_path_in_order():
    kinds = list(dict.fromkeys(p.family for p in paths.PATHS.values()))
    assert kinds == ["storage", "channel", "crypto", "syscall", "ipsec", "net"]
    assert len(paths.PATHS) >= 30
    for p in paths.PATHS.values():
        pathdef.check_path(p)
