"""The store of runs, each test against an SQLite file and against a real
PostgreSQL server (a temporary cluster the tests start: postgres.py): a
run added twice is stored once, two writers at once lose nothing, a writer
killed mid-add leaves the store as it was, a server that goes away mid-add
loses nothing stored, a newer schema is refused and an older one migrated;
kdio store add, import and ls."""

import copy
import json
import signal
import subprocess
import sys

import pytest

from kdio import cli, where
from kdio.report import compare
from kdio.results import results
from kdio.store import store

BASELINE = where.TOP / "ci/baselines/ci.json"
CASES = 28              # the baseline's series, of 5 samples each


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, tmp_path):
    """A maker of new empty stores of the kind the test is run for: a file
    in tmp_path, or a database of the session's PostgreSQL server."""
    if request.param == "sqlite":
        names = iter(range(100))
        return lambda: str(tmp_path / f"s{next(names)}.sqlite")
    return request.getfixturevalue("pg_cluster").database


def _doc(n):
    """The committed counted baseline as the n-th run of a series: its own
    id and date, every sample moved by n instructions."""
    doc = copy.deepcopy(results.load(BASELINE))
    doc["run_id"] = f"run-{n:03d}"
    doc["context"]["date"] = f"2026-12-{1 + n // 24:02d}T{n % 24:02d}:00:00+00:00"
    for r in doc["results"]:
        r["samples"] = [v + n for v in r["samples"]]
    return doc


def _write(folder, doc):
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(doc))
    return folder


def test_a_run_is_stored_with_its_series_samples_and_checks_and_only_once(fresh):
    doc, db = _doc(1), fresh()
    with store.Store(db) as s:
        first = s.add(doc)
        again = s.add(copy.deepcopy(doc))
        counts = s.counts()
    assert first.new and not again.new and again.run == first.run
    assert first.series == len(doc["results"]) == CASES
    assert counts == {"run": 1, "series": CASES, "result": CASES, "sample": CASES * 5,
                      "checks": len(doc["checks"])}
    with store.Store(db) as s:
        assert s.add(_doc(2)).new                 # another run: a second row, same series
        assert s.counts()["series"] == CASES and s.counts()["run"] == 2
        assert [round(p.median) for p in s.series(case="dio.null")[
            ("ci", "dio.null/op=write/bs=4k/size=32m/backend=brd", "insn/call")]] == [73, 74]


# A writer of runs, as a CI job's kdio store add is: it waits for the file
# GO (so that two start at once), and the test-only "kill:RUN" dies by
# SIGKILL in the middle of adding RUN.
_WRITER = """
import json, os, signal, sys, time
from kdio.store import store
go, kill = sys.argv[2], sys.argv[3]
docs = [json.load(open(p)) for p in sys.argv[4:]]
with store.Store(sys.argv[1]) as db:
    while not os.path.exists(go):
        time.sleep(0.01)
    for d in docs:
        die = kill == "kill:" + d["run_id"]
        db.add(d, fault=(lambda: os.kill(os.getpid(), signal.SIGKILL)) if die else None)
"""


def _writers(db, tmp_path, jobs):
    """Run the writers (kill, files) at once; their exit codes."""
    go = tmp_path / "go"
    go.unlink(missing_ok=True)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, db, str(go), kill,
                               *map(str, files)], cwd=where.HARNESS) for kill, files in jobs]
    go.touch()
    return [p.wait(120) for p in procs]


def _lost(db, ids):
    """What of the runs ids a store lacks: missing runs, and runs without
    every series and sample."""
    with store.Store(db) as s:
        rows = {r[2]: r[7] for r in s.runs()}
        samples = s.counts()["sample"]
    lost = [i for i in ids if rows.get(i) != CASES]
    if samples != CASES * 5 * len(rows):
        lost.append(f"{CASES * 5 * len(rows) - samples} sample(s)")
    return lost


def test_two_writers_at_once_lose_nothing(fresh, tmp_path):
    files = []
    for n in range(12):
        f = tmp_path / f"{n}.json"
        f.write_text(json.dumps(_doc(n)))
        files.append(f)
    ids = [f"run-{n:03d}" for n in range(12)]
    # two CI jobs: each adds its own six runs and the other's first three
    db = fresh()
    assert _writers(db, tmp_path, [("", files[:6] + files[6:9]),
                                   ("", files[6:] + files[:3])]) == [0, 0]
    assert _lost(db, ids) == []
    # negative control: the same check on a store whose second writer was
    # killed in the middle of its second run names that run
    db = fresh()
    assert _writers(db, tmp_path, [("", files[:6]), ("kill:run-007", files[6:])]) \
        == [0, -signal.SIGKILL]
    assert _lost(db, ids) == ids[7:]


_KILLED = """
import json, os, signal, sys
from kdio.store import store
doc = json.load(open(sys.argv[2]))
def commit_then_die(db):
    if sys.argv[3] == "commit":     # negative control: half a run committed
        db.db.q("COMMIT")
        db.db.begin_write()
    os.kill(os.getpid(), signal.SIGKILL)
with store.Store(sys.argv[1]) as db:
    db.add(doc, fault=lambda: commit_then_die(db))
"""


@pytest.mark.parametrize("how", ["kill", "commit"])
def test_a_writer_killed_mid_add_leaves_the_store_as_it_was(fresh, tmp_path, how):
    db = fresh()
    with store.Store(db) as s:
        s.add(_doc(0))
        before = s.counts()
    f = tmp_path / "1.json"
    f.write_text(json.dumps(_doc(1)))
    p = subprocess.run([sys.executable, "-c", _KILLED, db, str(f), how], cwd=where.HARNESS)
    assert p.returncode == -signal.SIGKILL     # it died inside the add, after the run's row
    if how == "commit":
        # negative control: a run committed in halves is seen as lost
        assert _lost(db, ["run-000", "run-001"]) == ["run-001", f"{CASES * 5} sample(s)"]
        return
    assert _lost(db, ["run-000"]) == []
    with store.Store(db) as s:
        assert s.counts() == before
        added = s.add(_doc(1))                  # and the run can be added afterwards
        assert added.new and s.counts()["run"] == 2


def test_a_server_that_goes_away_mid_add_loses_nothing_stored(pg_cluster):
    cluster = pg_cluster
    db = cluster.database()
    with store.Store(db) as s:
        s.add(_doc(0))
        before = s.counts()
        with pytest.raises(store.StoreError) as e:
            s.add(_doc(1), fault=lambda: cluster.stop("immediate"))
    cluster.start()
    assert f"the store {db} went away while run run-001 was being added" in str(e.value)
    assert "the run was not stored, and what was stored before is kept" in str(e.value)
    assert "kdio store add RUN" in e.value.hint
    with store.Store(db) as s:
        assert s.counts() == before
        assert s.add(_doc(1)).new
    assert _lost(db, ["run-000", "run-001"]) == []
    # and a server that is not there at all
    with pytest.raises(store.StoreError, match="cannot reach the store postgresql:///nope"):
        store.Store(f"postgresql:///nope?host={cluster.dir}/absent&user=kdio")


def test_a_newer_schema_is_refused_and_an_older_one_migrated(fresh, monkeypatch):
    db = fresh()
    with store.Store(db) as s:
        s.db.q("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(store.StoreError, match="schema version 99, written by a newer kdio"):
        store.Store(db)
    # an older store: a version 1 store opened by a kdio whose schema is 2
    old, unmigrated = fresh(), fresh()
    with store.Store(old) as s:
        s.add(_doc(0))
    store.Store(unmigrated).close()
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(store, "MIGRATIONS", {1: ("ALTER TABLE run ADD COLUMN note TEXT",)})
    with store.Store(old) as s:
        assert s._version() == 2 and s.counts()["run"] == 1
        assert "note" in s.columns("run")
    # negative control: a version-1 store with no migration to 2 is not opened as 2
    monkeypatch.setattr(store, "MIGRATIONS", {})
    with pytest.raises(KeyError):
        store.Store(unmigrated)


def test_store_add_import_and_ls(fresh, tmp_path, capsys):
    runs = tmp_path / "results"
    for n in range(3):
        _write(runs / f"run-{n}", _doc(n))
    (runs / "broken").mkdir()
    (runs / "broken" / "result.json").write_text("{")
    db = fresh()
    assert cli.main(["store", "add", str(runs / "run-0"), "--store", db]) == 0
    assert cli.main(["store", "import", str(runs), "--store", db]) == 0
    out = capsys.readouterr().out
    assert "not stored: broken:" in out and "2 run(s) added, 1 already there" in out
    assert cli.main(["store", "ls", "--store", db]) == 0
    out = capsys.readouterr().out
    assert out.count("run-00") == 3 and "3 run(s)" in out
    assert cli.main(["store", "add", "--store", db]) == 2
    assert cli.main(["store", "ls", "--store", "ftp://x/y"]) == 2
    err = capsys.readouterr().err
    assert "no run given" in err and "not a file, and not a PostgreSQL server's" in err


def test_a_password_is_never_shown():
    assert store.shown("postgresql://ci:s3cret@db.example:5433/kdio") == \
        "postgresql://ci:***@db.example:5433/kdio"
    assert store.shown("postgresql:///kdio?host=/run/postgresql") == \
        "postgresql:///kdio?host=/run/postgresql"
    with pytest.raises(store.StoreError) as e:
        store.Store("postgresql://ci:s3cret@127.0.0.1:1/kdio")
    assert "s3cret" not in str(e.value) and "ci:***@127.0.0.1:1" in str(e.value)


def test_history_is_the_last_runs_of_the_same_suite_kernel_and_toolchain(fresh, tmp_path,
                                                                          capsys):
    db = fresh()
    other = _doc(9)
    other["context"]["toolchain"] = {"gcc": "gcc 13", "binutils": "ld 2.41"}
    with store.Store(db) as s:
        for n in range(4):
            s.add(_doc(n))
        s.add(other)
        new = _doc(10)
        for r in new["results"]:
            r["samples"] = [v * 1.01 for v in r["samples"]]
        s.add(new)                                        # NEW itself is never its history
        base = s.history(new, 2)
        assert base["context"]["history"] == ["run-003", "run-002"]
        assert all(len(r["samples"]) == 10 for r in base["results"])
        assert s.history({"context": {"suite": {"name": "nope"}}}, 2) is None
    result = compare.compare(base, new)
    assert len(result["regressions"]) == 28, compare.render_text(result)
    # an empty store: the committed baseline, said so
    args = cli.parser().parse_args(["regress", "--store", str(tmp_path / "empty.sqlite"),
                                          "--base", "store:last=3"])
    doc, what, _ = cli._history_base(args, {"baseline": "ci/baselines/ci.json"}, new, 3)
    assert what.endswith("ci/baselines/ci.json") and doc["run_id"] == results.load(
        BASELINE)["run_id"]
    assert "holds no earlier run" in capsys.readouterr().out


def test_a_refused_run_and_a_missing_client_are_said(fresh, monkeypatch):
    db = fresh()
    bad = _doc(1)
    bad["results"][5]["status"] = None              # the schema's NOT NULL refuses it
    with store.Store(db) as s:
        s.add(_doc(0))
        before = s.counts()
        with pytest.raises(store.StoreError, match="refused run run-001: .*nothing of it "
                                                   "was stored"):
            s.add(bad)
        assert s.counts() == before                 # and the store is as it was
        assert s.add(_doc(1)).new                   # a good run after it goes in
    monkeypatch.setitem(sys.modules, "psycopg2", None)   # python3-psycopg2 not installed
    with pytest.raises(store.StoreError, match="this machine's python3 has no psycopg2") as e:
        store.Store("postgresql:///kdio")
    assert "apt-get install -y python3-psycopg2" in e.value.hint


def test_a_store_that_cannot_be_reached_stops_bench_before_its_run(tmp_path, capsys):
    absent = f"postgresql:///kdio?host={tmp_path}/no-server"
    for argv in (["bench", "--suite", "smoke"], ["regress", "--suite", "ci"],
                 ["hosts", "--host", ":", "--suite", "smoke"]):
        assert cli.main([*argv, "--store", absent, "--results-dir", str(tmp_path / "r")]) == 2
        assert f"cannot reach the store {absent}" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()          # nothing was run
