"""The store of runs (SQLite): a run added twice is stored once, two
writers at once lose nothing, a writer killed mid-add leaves the store as
it was, a newer schema is refused and an older one migrated; kdio store
add, import and ls."""

import copy
import json
import signal
import sqlite3
import subprocess
import sys

import pytest

from kdio import cli, where
from kdio.report import compare
from kdio.results import results
from kdio.store import store

BASELINE = where.TOP / "ci/baselines/ci.json"


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


def test_a_run_is_stored_with_its_series_samples_and_checks_and_only_once(tmp_path):
    doc = _doc(1)
    with store.Store(tmp_path / "s.sqlite") as db:
        first = db.add(doc)
        again = db.add(copy.deepcopy(doc))
        counts = db.counts()
    assert first.new and not again.new and again.run == first.run
    assert first.series == len(doc["results"]) == 28
    assert counts == {"run": 1, "series": 28, "result": 28, "sample": 140,
                      "checks": len(doc["checks"])}
    with store.Store(tmp_path / "s.sqlite") as db:
        assert db.add(_doc(2)).new                 # another run: a second row, same series
        assert db.counts()["series"] == 28 and db.counts()["run"] == 2


_WRITER = """
import json, os, sys
from kdio.store import store
docs = [json.load(open(p)) for p in sys.argv[2:]]
with store.Store(sys.argv[1]) as db:
    for d in docs:
        db.add(d)
"""


def _writer(db, files, env=None):
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(db), *map(str, files)],
                            cwd=where.HARNESS, env=env)


def test_two_writers_at_once_lose_nothing(tmp_path):
    files = []
    for n in range(12):
        f = tmp_path / f"{n}.json"
        f.write_text(json.dumps(_doc(n)))
        files.append(f)
    db = tmp_path / "s.sqlite"
    # two CI jobs: each adds its own six runs and the other's first three
    a = _writer(db, files[:6] + files[6:9])
    b = _writer(db, files[6:] + files[:3])
    assert a.wait(120) == 0 and b.wait(120) == 0
    with store.Store(db) as s:
        assert s.counts()["run"] == 12 and s.counts()["sample"] == 12 * 140
        assert sorted(r[2] for r in s.runs()) == [f"run-{n:03d}" for n in range(12)]


_KILLED = """
import json, os, signal, sys
from kdio.store import store
doc = json.load(open(sys.argv[2]))
with store.Store(sys.argv[1]) as db:
    db.add(doc, fault=lambda: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_writer_killed_mid_add_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "s.sqlite"
    with store.Store(db) as s:
        s.add(_doc(0))
        before = s.counts()
    f = tmp_path / "1.json"
    f.write_text(json.dumps(_doc(1)))
    p = subprocess.run([sys.executable, "-c", _KILLED, str(db), str(f)], cwd=where.HARNESS)
    assert p.returncode == -signal.SIGKILL     # it died inside the add, after the run's row
    with store.Store(db) as s:
        assert s.counts() == before
        added = s.add(_doc(1))                  # and the run can be added afterwards
        assert added.new and s.counts()["run"] == 2


def test_a_newer_schema_is_refused_and_an_older_one_migrated(tmp_path, monkeypatch):
    db = tmp_path / "s.sqlite"
    store.Store(db).close()
    raw = sqlite3.connect(db)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(store.StoreError, match="schema version 99, written by a newer kdio"):
        store.Store(db)
    # an older store: a version 1 file opened by a kdio whose schema is 2
    old = tmp_path / "old.sqlite"
    with store.Store(old) as s:
        s.add(_doc(0))
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(store, "MIGRATIONS", {1: ("ALTER TABLE run ADD COLUMN note TEXT",)})
    with store.Store(old) as s:
        assert s._version() == 2 and s.counts()["run"] == 1
        assert "note" in [c[1] for c in s.db.execute("PRAGMA table_info(run)")]


def test_store_add_import_and_ls(tmp_path, capsys):
    runs = tmp_path / "results"
    for n in range(3):
        _write(runs / f"run-{n}", _doc(n))
    (runs / "broken").mkdir()
    (runs / "broken" / "result.json").write_text("{")
    db = str(tmp_path / "s.sqlite")
    assert cli.main(["store", "add", str(runs / "run-0"), "--store", db]) == 0
    assert cli.main(["store", "import", str(runs), "--store", db]) == 0
    out = capsys.readouterr().out
    assert "not imported: broken:" in out and "2 run(s) added, 1 already there" in out
    assert cli.main(["store", "ls", "--store", db]) == 0
    out = capsys.readouterr().out
    assert out.count("run-00") == 3 and "3 run(s)" in out
    assert cli.main(["store", "add", "--store", db]) == 2
    assert cli.main(["store", "ls", "--store", "postgresql://x/y"]) == 2
    err = capsys.readouterr().err
    assert "no run given" in err and "kdio's store is an SQLite file" in err


def test_history_is_the_last_runs_of_the_same_suite_kernel_and_toolchain(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
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
