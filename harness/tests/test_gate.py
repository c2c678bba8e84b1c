"""The regression gates proven both ways with real runs.

Counted gate (suite ci, `make regress`): two runs of the same build give
no flag, and every case's median agrees within
0.5 %; a run whose module adds a fixed amount of work to every I/O call
(test-only work_loops, about 1 % of a 1 MiB bvec write on brd) is flagged
with that path named, and the same pair the other way round is an
improvement. Wall gate (suite ci-wall): two runs of the same build give no
regression; a run with a fixed per-call delay is flagged."""

import itertools
import json

import pytest

from kdio import cli, where
from kdio.model import config
from kdio.report import compare
from kdio.run import bench
from kdio.store import store

pytestmark = pytest.mark.integration

# 800 iterations of an empty loop: about 2,400 instructions per call.
WORK = "kdio_dio.work_loops=800"
TARGET = "dio.bvec/op=write/bs=1m/size=32m/backend=brd"
DELAY = "kdio_dio.delay_us=30000"


def gate_settings(name):
    gate = dict(config.load_suite(name).gate)
    gate.pop("baseline")
    return compare.Settings(**gate)


def _runs(tmp_path_factory, suite, plan, profiled=()):
    """{name: result document} of the runs in plan, and {name + "/": its
    folder}; the runs named in profiled run with the profiler."""
    out = tmp_path_factory.mktemp(suite)
    docs = {}
    for name, params in plan:
        doc, run_dir = bench.run(bench.Options(suite=suite, results_dir=out, run_id=name,
                                               module_params=params,
                                               profile=name in profiled), log=print)
        assert doc["status"] == "ok", doc["failure"]
        docs[name], docs[name + "/"] = doc, run_dir
    return docs


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    return _runs(tmp_path_factory, "ci",
                 (("a", ()), ("b", ()), ("work", (WORK,))), profiled=("work",))


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    return _runs(tmp_path_factory, "ci-wall", (("a", ()), ("a2", ()), ("slow", (DELAY,))))


def test_counted_runs_are_counted_on_one_tcg_cpu(counted):
    ctx = counted["a"]["context"]
    assert ctx["measure"]["mode"] == "counted" and ctx["accelerator"] == "tcg"
    assert ctx["measure"]["icount"] == "shift=0,sleep=off" and ctx["guest"]["cpus"] == 1
    assert {r["unit"] for r in counted["a"]["results"]} == {"insn/byte", "insn/call",
                                                             "insn/msg"}


@pytest.mark.parametrize("pair", list(itertools.combinations("ab", 2)))
def test_counted_same_build_gives_no_flag_and_medians_within_half_a_percent(counted, pair):
    base, new = counted[pair[0]], counted[pair[1]]
    result = compare.compare(base, new, gate_settings("ci"))
    print(compare.render_text(result))
    assert len(result["cases"]) == len(config.load_suite("ci").cases)
    assert result["regressions"] == [] and result["improvements"] == []
    drift = {c["case"]: abs(c["new_median"] / c["base_median"] - 1) for c in result["cases"]}
    assert max(drift.values()) < 0.005, drift


def test_one_percent_more_work_is_flagged_with_the_path_named(counted):
    assert counted["work"]["context"]["module_params"] == [WORK]
    result = compare.compare(counted["a"], counted["work"], gate_settings("ci"))
    print(compare.render_text(result))
    change = next(c["change"] for c in result["cases"] if c["case"] == TARGET)
    assert -0.02 < change < -0.005, "the knob is calibrated to about 1 % of the target"
    assert TARGET in result["regressions"]
    assert not [c for c in result["regressions"] if c.startswith(("fio.", "xfer.", "base."))], \
        "the knob is in kdio_dio: fio's, the channels' and memcpy's costs must not move"


def test_a_flag_against_the_committed_baseline_says_where(counted, capsys):
    """make regress's view of the work run: against ci/baselines/ci.json
    and its trimmed profile (ci-profile), each flagged dio case's change is
    put on kdio_dio_inject_delay, where the knob's loop is."""
    baseline = where.TOP / "ci/baselines/ci.json"
    # judged across toolchains: the committed baseline may have been recorded
    # with another gcc or glibc than this machine's (docs/configurations.md)
    code = cli.main(["compare", str(baseline), str(counted["work/"] / "result.json"),
                     "--alpha", "0.01", "--threshold", "0.5", "--cv-limit", "2",
                     "--across-toolchains"])
    out = capsys.readouterr().out
    assert code == 1 and f"where {TARGET} changed" in out, out[-3000:]
    block = out[out.index(f"where {TARGET} changed"):]
    assert block.splitlines()[1].split()[0] == "kdio_dio_inject_delay", block[:800]
    # fio's two cases run as one batch; each job is a sample of its own
    summary = json.loads((counted["work/"] / "profile/profile.json").read_text())
    assert summary["ok"], summary["problems"][:3]
    for op in ("write", "read"):
        assert summary["cases"][f"fio.psync/op={op}/bs=1m/size=32m/backend=brd"]["windows"] == 5


def test_the_work_run_against_the_stores_history_of_two_runs_is_flagged(counted, tmp_path):
    """make regress --base store:last=N's BASE: the two plain runs, stored,
    their samples together (10 a case)."""
    with store.Store(tmp_path / "s.sqlite") as s:
        s.add(counted["a"])
        s.add(counted["b"])
        base = s.history(counted["work"], 5)
    assert len(base["context"]["history"]) == 2
    result = compare.compare(base, counted["work"], gate_settings("ci"))
    assert TARGET in result["regressions"], compare.render_text(result)
    assert not [c for c in result["regressions"] if c.startswith(("fio.", "xfer.", "base."))]


def test_the_slowed_run_as_base_shows_an_improvement(counted):
    result = compare.compare(counted["work"], counted["a"], gate_settings("ci"))
    assert TARGET in result["improvements"] and result["regressions"] == []


def test_wall_same_build_twice_is_not_a_regression(wall):
    result = compare.compare(wall["a"], wall["a2"], gate_settings("ci-wall"))
    print(compare.render_text(result))
    assert len(result["cases"]) == 6
    assert result["regressions"] == []


def test_wall_injected_delay_is_flagged(wall):
    assert wall["slow"]["context"]["module_params"] == [DELAY]
    result = compare.compare(wall["a"], wall["slow"], gate_settings("ci-wall"))
    print(compare.render_text(result))
    flagged = set(result["regressions"])
    kdio_cases = {c["case"] for c in result["cases"]}
    assert flagged == kdio_cases, "every in-kernel case is slowed by the delay"
    assert all(c["change"] <= -0.40 for c in result["cases"])
    assert result["geomean"] < 0.8
