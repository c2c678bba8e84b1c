"""Families of cases: every path names one, every module asks it (never the
parameter keys), the default backend lives in it alone, and a path or a
family declared wrong is refused where it is declared."""

import pytest

from kdio.model import config, family, measure
from kdio.paths import pathdef, paths
from kdio.plan import regions
from kdio.report import export, plot, table
from kdio.results import results


def record(path, value=100e6, **params):
    return {"case": f"{path}/{sorted(params.items())}", "path": path, "params": params,
            "unit": "bytes/s", "baseline": paths.PATHS[path].baseline, "status": "ok",
            "errno": None, "message": None, "samples": [value] * 3, "metrics": {},
            "summary": {"n": 3, "median": value, "min": value, "max": value, "cv": 0.0}}


def test_every_path_names_a_known_family():
    for name, path in paths.PATHS.items():
        assert path.family in family.FAMILIES, name
        assert family.of_path(path) is family.FAMILIES[path.family]
    kinds = {n: family.of_path(p).name for n, p in paths.PATHS.items()}
    assert kinds["dio.null"] == kinds["kmap.pfn"] == kinds["fio.io_uring"] == "storage"
    assert kinds["xfer.relay-mmap"] == kinds["base.memcpy"] == "channel"
    assert kinds["crypto.bounce"] == kinds["base.afalg"] == "crypto"
    assert kinds["base.syscall"] == "syscall"


def test_every_suite_case_lands_in_its_paths_family():
    for suite in ("smoke", "dio-full", "xfer", "crypto", "ci"):
        for case in config.load_suite(suite).cases:
            assert paths.family_of_case(case) is family.of_path(paths.PATHS[case.path])


def test_a_channel_record_with_storage_and_crypto_keys_stays_a_channel():
    odd = {"msg": 4096, "count": 10, "bs": 65536, "op": "write", "size": 1 << 20,
           "driver": "aesni", "alg": "cbc", "key": 128}
    doc = {"results": [record("xfer.read", 50e6, **odd),
                       record("base.memcpy", 100e6, msg=4096, count=10),
                       record("fio.psync", 10e6, op="write", bs=65536, size=1 << 20)]}
    r = doc["results"][0]
    assert paths.family_of(r) is family.CHANNEL
    row = table.rows(doc)[0]
    assert row["base.memcpy"] == "0.50x"
    assert row["fio.psync"] == row["aesni"] == row["base.afalg"] == "-"
    assert plot._group_key(r) == ("channels",) and plot._x(r) == 4096
    assert plot._series(r) == "xfer.read"          # no driver in a channel's line name
    assert paths.reference(r).label == "base.memcpy"
    assert measure.cost_unit("bytes/s", paths.family_of(r)) == "insn/msg"


def test_a_storage_record_with_channel_keys_stays_storage():
    p = {"op": "read", "bs": 65536, "size": 1 << 20}
    doc = {"results": [record("dio.vmmap", 30e6, msg=64, driver="virtio", **p),
                       record("fio.psync", 10e6, **p)]}
    r = doc["results"][0]
    assert table.rows(doc)[0]["fio.psync"] == "3.00x"
    assert plot._group_key(r) == ("read", "ext4", 1) and plot._x(r) == 65536
    assert table.metric_median(r, table.METRIC_COLUMNS[0]) is None   # ops/s: crypto only


def test_the_reference_is_named_by_the_family():
    assert paths.reference(record("dio.bvec", op="read", bs=4096, size=4096)).label == \
        "fio.psync"
    assert paths.reference(record("dio.bvec-async", op="read", bs=4096, size=4096,
                                   qd=8)).label == "fio.io_uring"
    assert paths.reference(record("crypto.bounce", alg="cbc", driver="virtio", key=128,
                                   msg=64, count=1)).label == "aesni"
    assert paths.reference(record("base.syscall", count=10)) is None
    assert table.References([]).find(record("base.syscall", count=10), None) is None


def test_the_default_backend_is_the_storage_familys_alone(monkeypatch, fixtures):
    """Change it in the family and everything that places, plots, exports
    or counts a storage case without a backend follows."""
    monkeypatch.setitem(family.STORAGE.defaults, "backend", "brd")
    suite = config.load_suite("smoke")
    env = pathdef.GuestEnv(tools_dir="/t", file_size=suite.file_size)
    case = suite.cases[0]
    assert env.target(case.param_dict, "kdio").path == "/dev/ram0"
    assert [b.name for b in paths.used_backends(suite)] == ["brd"]
    assert measure.why_not_countable(case, paths.PATHS[case.path]) is None
    assert set(regions.follow(suite, env).segments) == {"brd"}
    records = results.read_records(fixtures / "records-smoke.jsonl")
    assert results.dio_alignment(suite, records) == {"brd": 512}
    r = record("dio.vmmap", op="write", bs=4096, size=4096)
    assert plot._group_key(r) == ("write", "brd", 1)
    assert export._options(r, 0)["kdio_backend"] == "brd"


def test_a_path_of_an_unknown_family_is_refused():
    with pytest.raises(family.UnknownFamily) as e:
        pathdef.MeasuredPath("wifi.tx", "bytes/s", False, None, None, family="wifi")
    assert "unknown family 'wifi'" in str(e.value)
    assert "storage, channel, crypto, syscall, ipsec, net" in e.value.hint
    with pytest.raises(TypeError):   # and a path must name one
        pathdef.MeasuredPath("x.y", "bytes/s", False, None, None)


def test_a_family_declared_wrong_is_refused():
    with pytest.raises(family.FamilyError, match="reference 'fio.sync' is none of its"):
        family.Family("f", (), {}, ratios=family.STORAGE.ratios, reference="fio.sync")
    twin = family.Family("twin", (), {}, ratios=family.CHANNEL.ratios)
    with pytest.raises(family.FamilyError, match="base.memcpy is used twice"):
        family.registry(family.CHANNEL, twin)
    with pytest.raises(family.FamilyError, match="two families are called storage"):
        family.registry(family.STORAGE, family.STORAGE)
    assert list(family.registry(family.STORAGE, family.CHANNEL)) == ["storage", "channel"]


def test_a_record_of_an_unknown_path_is_refused_with_what_to_do():
    with pytest.raises(paths.UnknownPath) as e:
        paths.family_of({"case": "old/op=write", "path": "dio.old"})
    assert "result old/op=write names path 'dio.old'" in str(e.value) and e.value.hint
