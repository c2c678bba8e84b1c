"""kdio.plan.shard: a suite split across guests keeps each comparison group in
one guest, runs every case exactly once and the once-only checks once,
deals the groups evenly, and a split that breaks any of this is caught."""

import dataclasses

import pytest

from kdio.model import config
from kdio.paths import pathdef
from kdio.plan import plan, regions, shard


@pytest.fixture
def smoke():
    return config.load_suite("smoke")


@pytest.fixture
def dio():
    return config.load_suite("dio")


def _env(suite):
    return pathdef.GuestEnv(tools_dir="/t", file_size=suite.file_size,
                          counted=suite.measure.counted)


@pytest.mark.parametrize("name,n", [("smoke", 2), ("dio", 2), ("dio", 3), ("ci", 2),
                                    ("xfer", 2), ("crypto-smoke", 2), ("ipsec-smoke", 2)])
def test_every_case_in_exactly_one_shard_and_groups_whole(name, n):
    suite = config.load_suite(name)
    shards = shard.split(suite, n)
    ids = [c.case_id for s in shards for c in s.suite.cases]
    assert sorted(ids) == sorted(c.case_id for c in suite.cases) and len(set(ids)) == len(ids)
    where = {c.case_id: s.index for s in shards for c in s.suite.cases}
    for group in shard.groups(suite):
        assert len({where[c.case_id] for c in group}) == 1, group[0].case_id
    for s in shards:  # a shard's plan builds: its seeds follow its own order
        plan.build(s.suite, _env(suite), "r")


def test_a_comparison_group_is_a_kdio_method_and_fio_at_the_same_parameters(smoke):
    group = next(g for g in shard.groups(smoke)
                 if g[0].param_dict["op"] == "write" and g[0].param_dict["bs"] == 1 << 20)
    assert sorted(c.path for c in group) == ["dio.null", "dio.vmmap", "fio.psync"]
    assert len(shard.groups(smoke)) == 4


def test_crypto_drivers_compared_by_a_ratio_share_a_group():
    suite = config.load_suite("crypto-smoke")
    for group in shard.groups(suite):
        drivers = {c.param_dict.get("driver") for c in group if c.path == "crypto.zerocopy"}
        assert "aesni" in drivers or not drivers, group[0].case_id


def test_checks_once_and_data_in_every_shard(smoke):
    shards = shard.split(smoke, 2)
    for name in ("badinput", "xfer-badinput", "fuzz"):
        assert sum(name in s.suite.checks for s in shards) == 1, name
    assert all("data" in s.suite.checks for s in shards)


def test_balanced_by_count_and_in_the_suites_order(dio):
    shards = shard.split(dio, 3)
    sizes = [len(s.suite.cases) for s in shards]
    largest = max(len(g) for g in shard.groups(dio))
    assert max(sizes) - min(sizes) <= largest, sizes
    order = [c.case_id for c in dio.cases]
    for s in shards:
        ids = [c.case_id for c in s.suite.cases]
        assert ids == sorted(ids, key=order.index)


def test_balanced_by_a_cost_estimate_when_given(smoke):
    heavy = lambda case: 10 if case.param_dict["bs"] == 1 << 20 else 1
    shards = shard.split(smoke, 2, cost=heavy)
    loads = [sum(heavy(c) for c in s.suite.cases) for s in shards]
    assert loads == [33, 33]  # one 1 MiB group and one 64 KiB group each


def test_no_more_shards_than_groups(smoke):
    assert len(shard.split(smoke, 16)) == 4


def _last_write_seed(suite, env):
    """The seed the last kdio write of suite's last repetition wrote, by
    the suite's own case numbering; the setup seed if it writes nothing."""
    n, last = len(suite.cases), env.seed
    for i, c in enumerate(suite.cases):
        if c.path == "dio.vmmap" and c.param_dict["op"] == "write":
            last = regions.write_seed(env, suite.repetitions - 1, i, n)
    return last


def test_a_shards_data_check_covers_only_its_own_writes(smoke):
    """Each shard's data check verifies the seed its own last write wrote,
    numbered in its own case order (the setup's where it writes nothing),
    not the seed the whole suite's order would give."""
    env = _env(smoke)
    seeds = []
    for s in shard.split(smoke, 2):
        steps = plan.build(s.suite, env, "r")["checks"]
        data = [st for st in steps if st["name"].startswith("data-")]
        assert [st["name"] for st in data] == ["data-ext4"]
        argv = data[0]["argv"]
        seeds.append(int(argv[argv.index("-S") + 1]))
        assert seeds[-1] == _last_write_seed(s.suite, env)
    whole = plan.build(smoke, env, "r")["checks"][0]["argv"]
    assert int(whole[whole.index("-S") + 1]) == _last_write_seed(smoke, env)
    assert _last_write_seed(smoke, env) not in seeds   # not the whole suite's numbering


def _moved(suite, shards, case, to):
    """shards with case moved into shard number to (a broken split), each
    still in the suite's order."""
    out = []
    for s in shards:
        cases = tuple(c for c in suite.cases if c in s.suite.cases and c != case
                      or c == case and s.index == to)
        out.append(dataclasses.replace(s, suite=dataclasses.replace(s.suite, cases=cases)))
    return out


def test_negative_control_a_split_group_is_caught(smoke):
    shards = shard.split(smoke, 2)
    fio = next(c for c in shards[0].suite.cases if c.path == "fio.psync")
    with pytest.raises(shard.ShardError, match="split between shards 1, 2"):
        shard.check_split(smoke, _moved(smoke, shards, fio, to=2))


def test_negative_control_a_lost_or_doubled_case_or_check_is_caught(smoke):
    first, second = shard.split(smoke, 2)
    lost = dataclasses.replace(first, suite=dataclasses.replace(
        first.suite, cases=first.suite.cases[1:]))
    with pytest.raises(shard.ShardError, match="in no shard"):
        shard.check_split(smoke, [lost, second])
    doubled = dataclasses.replace(second, suite=dataclasses.replace(
        second.suite, cases=second.suite.cases + first.suite.cases[:1]))
    with pytest.raises(shard.ShardError, match="is in shards 1 and 2"):
        shard.check_split(smoke, [first, doubled])
    fuzz_twice = dataclasses.replace(second, suite=dataclasses.replace(
        second.suite, checks=second.suite.checks + ("fuzz",)))
    with pytest.raises(shard.ShardError, match="check fuzz runs in 2 shard"):
        shard.check_split(smoke, [first, fuzz_twice])


def test_wall_default_is_one_guest_and_asking_for_more_warns(smoke):
    assert shard.choose(smoke, cores=64, avail_mib=1 << 20)[0] == 1
    jobs, why, warning = shard.choose(smoke, 2, cores=2)
    assert (jobs, why) == (2, "--jobs 2")
    assert "steal CPU time" in warning and "2 guests on 2 host core(s)" in warning


def test_counted_default_from_cores_memory_and_groups():
    ci = config.load_suite("ci")   # 1024 MiB guests, 11 groups
    assert shard.choose(ci, cores=2, avail_mib=20000, load=0.1)[0] == 2
    assert shard.choose(ci, cores=8, avail_mib=20000, load=0)[0] == 8
    assert shard.choose(ci, cores=8, avail_mib=3000, load=0)[0] == 2    # 3000 // (1024 + 256)
    assert shard.choose(ci, cores=64, avail_mib=1 << 20, load=0)[0] == 11
    assert shard.choose(ci, cores=8, avail_mib=100, load=0)[0] == 1
    # a host whose other work fills its cores: one guest (measured, docs/running.md)
    assert shard.choose(ci, cores=2, avail_mib=20000, load=7.0)[0] == 1
    assert shard.choose(ci, cores=8, avail_mib=20000, load=5.2)[0] == 3
    jobs, why, warning = shard.choose(ci, 4, cores=2)
    assert (jobs, warning) == (4, None)   # counted: no time to steal


def test_asking_for_more_guests_than_groups_gets_the_groups(smoke):
    jobs, why, _ = shard.choose(smoke, 9, cores=2)
    assert jobs == 4 and "at most 4" in why


@pytest.mark.integration
def test_smoke_in_two_guests_gives_one_complete_document(tmp_path):
    """A real run of the smoke suite split across two guests at once: one
    document with every case and all its repetitions, each shard's data
    check ok, the once-only checks once, two guests' consoles."""
    from kdio.results import results
    from kdio.run import bench
    doc, run_dir = bench.run(bench.Options(suite="smoke", kernel="debian-6.1",
                                           results_dir=tmp_path, run_id="jobs2", jobs=2),
                             log=print)
    assert doc["status"] == "ok", doc["failure"]
    saved = results.load(run_dir / "result.json")
    results.validate(saved)
    suite = config.load_suite("smoke")
    assert [r["case"] for r in saved["results"]] == [c.case_id for c in suite.cases]
    for r in saved["results"]:
        assert r["status"] == "ok" and len(r["samples"]) == suite.repetitions, r["case"]
    checks = {c["name"]: c for c in saved["checks"]}
    assert checks["data-ext4 (shard 1)"]["ok"] and checks["data-ext4 (shard 2)"]["ok"]
    once = [n.split(" (")[0] for n in checks if not n.startswith("data-")]
    assert sorted(once) == ["badinput", "fuzz", "xfer-badinput"]
    assert all(c["ok"] for c in saved["checks"])
    jobs = saved["context"]["jobs"]
    assert jobs["jobs"] == 2 and "steal CPU time" in jobs["warning"]
    assert sorted(i for s in jobs["shards"] for i in s["cases"]) == \
        sorted(c.case_id for c in suite.cases)
    for i in (1, 2):
        assert "kdio: runner done" in (run_dir / f"console-{i}.log").read_text()
        assert (run_dir / f"guest-{i}" / "records.jsonl").exists()
    assert not (run_dir / "console.log").exists()


def test_the_fuzzer_weighs_more_than_a_case(smoke):
    """The fuzzer (175 s against about 8 s a case) goes to one guest, the
    two bad-input tables to the other."""
    first, second = shard.split(smoke, 2)
    assert first.suite.checks == ("data", "fuzz")
    assert second.suite.checks == ("data", "badinput", "xfer-badinput")


def test_cli_jobs_takes_a_positive_number_and_no_host_target(capsys):
    from kdio import cli
    with pytest.raises(SystemExit) as e:
        cli.main(["bench", "--suite", "smoke", "--jobs", "0"])
    assert e.value.code == 2 and "not a number of guests" in capsys.readouterr().err
    assert cli.main(["bench", "--target", "host", "--suite", "smoke", "-j", "2"]) == 2
    assert "--jobs do(es) not apply to --target host" in capsys.readouterr().err


def test_jobs_with_passthrough_is_refused_before_anything_is_built(tmp_path, monkeypatch):
    from kdio.run import bench
    from kdio.errors import ConfigError
    monkeypatch.setattr(bench, "prepare_build", lambda *a: pytest.fail("built"))
    with pytest.raises(ConfigError, match="--passthrough gives a device to one guest"):
        bench.run(bench.Options(suite="smoke", results_dir=tmp_path, jobs=2,
                                passthrough=("0000:03:00.0",)), log=lambda line: None)
