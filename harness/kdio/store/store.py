"""The store of runs: every result document added once, in a database the
trends and the gate against history read from (rustc-perf's way: the
pages read only the database).

The store is an SQLite file by default (embedded, nothing to start), or a
PostgreSQL server when --store (or $KDIO_STORE) is a postgresql:// URL, for
a team whose hosts share results. One schema, in SQL both take (an id
column is SQLite's rowid or PostgreSQL's identity; placeholders are ? here
and psycopg2's %s there):
- run: one per result document, keyed by the SHA-256 of its canonical
  JSON (a run added twice is stored once), with what identifies its
  conditions as columns (suite, measure, status, date, kdio's commit, the
  kernel and its build, the toolchain, the host) and its whole context;
- series: one per (suite, case, unit): its family, path and parameters;
- sample: a series' samples in one run, by repetition;
- result: a series' status and median in one run, with its message;
- checks: a run's checks, ok or not, with their detail.

A run is added in one transaction: a writer killed mid-add, or a server
that goes away, leaves the store as it was; two writers at once each add
theirs, one after the other (SQLite: the second waits for the file's write
lock; PostgreSQL: for a transaction-scoped advisory lock), so the run's
unique key makes a race a no-op. A store written by a newer schema is
refused; an older one is migrated.
"""

import hashlib
import json
import re
import sqlite3
import statistics
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from kdio.errors import KdioError
from kdio.model import family
from kdio.paths import paths

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60     # a second writer waits this long for the first one's lock
WRITE_LOCK = 0x6b64696f  # PostgreSQL's advisory lock of kdio's writers ("kdio")
URL = re.compile(r"postgres(ql)?://")

SCHEMA = (
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE run (
        id {id},
        run_key TEXT NOT NULL UNIQUE,
        run_id TEXT NOT NULL,
        suite TEXT NOT NULL,
        measure TEXT NOT NULL,
        status TEXT NOT NULL,
        date TEXT NOT NULL,
        kdio_commit TEXT,
        kernel TEXT,
        kernel_release TEXT,
        kernel_build TEXT,
        toolchain TEXT,
        host TEXT,
        source TEXT,
        context TEXT NOT NULL)""",
    """CREATE TABLE series (
        id {id},
        suite TEXT NOT NULL,
        case_id TEXT NOT NULL,
        family TEXT NOT NULL,
        path TEXT NOT NULL,
        params TEXT NOT NULL,
        unit TEXT NOT NULL,
        UNIQUE (suite, case_id, unit))""",
    """CREATE TABLE result (
        run INTEGER NOT NULL REFERENCES run(id),
        series INTEGER NOT NULL REFERENCES series(id),
        status TEXT NOT NULL,
        median DOUBLE PRECISION,
        message TEXT,
        PRIMARY KEY (run, series))""",
    """CREATE TABLE sample (
        run INTEGER NOT NULL REFERENCES run(id),
        series INTEGER NOT NULL REFERENCES series(id),
        rep INTEGER NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (run, series, rep))""",
    """CREATE TABLE checks (
        run INTEGER NOT NULL REFERENCES run(id),
        name TEXT NOT NULL,
        ok INTEGER NOT NULL,
        detail TEXT,
        PRIMARY KEY (run, name))""",
    """CREATE INDEX run_by_suite ON run (suite, measure, date)""",
)
# Each older schema version's statements that bring it to the next one.
MIGRATIONS = {}


class StoreError(KdioError):
    """The store cannot be opened, is of another schema, or refused a write."""


@dataclass(frozen=True)
class Added:
    """What add() did with one result document."""
    key: str
    run: int            # its row id in the store
    new: bool           # False: it was there already
    series: int         # its series (cases)
    samples: int


@dataclass(frozen=True)
class Point:
    """One run's figure of a series."""
    run: int            # the run's row id
    run_id: str
    date: str
    commit: str
    kernel: str
    measure: str
    median: float
    source: str = ""    # the result.json it was added from


def run_key(doc):
    """The identity of a result document: the SHA-256 of its canonical JSON."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def is_url(target):
    """Whether a --store names a PostgreSQL server rather than a file."""
    return bool(URL.match(str(target)))


def shown(target):
    """A store as messages name it: a URL without its password."""
    if not is_url(target):
        return str(target)
    u = urllib.parse.urlsplit(str(target))
    if u.password is None:
        return str(target)
    host = u.hostname or ""
    netloc = f"{u.username}:***@{host}" + (f":{u.port}" if u.port else "")
    return urllib.parse.urlunsplit(u._replace(netloc=netloc))


class _SQLite:
    """An SQLite file: one writer at a time by the file's lock."""
    kind = "SQLite"
    id_column = "INTEGER PRIMARY KEY"
    instr = "instr"

    def __init__(self, path):
        self.errors = (sqlite3.Error,)
        try:
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store {path}: {e}",
                             "give --store a file in a folder you can write") from None

    def q(self, sql, params=()):
        return self.db.execute(sql, params)

    def insert(self, table, rows):
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def begin_write(self):
        self.db.execute("BEGIN IMMEDIATE")

    def gone(self):
        return False                    # a file has no server to lose

    def has_table(self, name):
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = ?", (name,)).fetchone() is not None

    def close(self):
        self.db.close()


class _PostgreSQL:
    """A PostgreSQL server (psycopg2): writers take turns by an advisory lock
    held to the end of their transaction."""
    kind = "PostgreSQL"
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    instr = "strpos"

    def __init__(self, url):
        try:
            import psycopg2
            import psycopg2.extras
        except ImportError:
            raise StoreError(f"--store {shown(url)} is a PostgreSQL server, and this "
                             "machine's python3 has no psycopg2",
                             "install it: apt-get install -y python3-psycopg2 (or sh "
                             "ci/bootstrap.sh bench)") from None
        self.extras = psycopg2.extras
        self.errors = (psycopg2.Error,)
        try:
            self.db = psycopg2.connect(url, connect_timeout=BUSY_TIMEOUT_S)
        except psycopg2.Error as e:
            raise StoreError(f"cannot reach the store {shown(url)}: {_first_line(e)}",
                             "start the server or correct the URL: postgresql://USER@HOST/DB, "
                             "or postgresql:///DB?host=/run/postgresql for a Unix socket; a "
                             "password goes in ~/.pgpass or $PGPASSWORD (libpq reads "
                             "both)") from None
        self.db.autocommit = True       # transactions are begun and ended by kdio

    def q(self, sql, params=()):
        cur = self.db.cursor()
        cur.execute(sql.replace("?", "%s"), params)
        return cur

    def insert(self, table, rows):
        if rows:
            self.extras.execute_values(self.db.cursor(), f"INSERT INTO {table} VALUES %s",
                                       rows, page_size=1000)

    def begin_write(self):
        self.q("BEGIN")
        self.q("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))

    def gone(self):
        """Whether the server closed the connection (psycopg2 says so by
        OperationalError or DatabaseError, and marks the connection)."""
        return self.db.closed != 0

    def has_table(self, name):
        return self.q("SELECT to_regclass(?)", (name,)).fetchone()[0] is not None

    def close(self):
        self.db.close()


def _first_line(e):
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


class Store:
    """An open store: an SQLite file, or a PostgreSQL server's database when
    target is a postgresql:// URL."""

    def __init__(self, target):
        self.where = shown(target)
        self.db = _PostgreSQL(str(target)) if is_url(target) else _SQLite(Path(target))
        try:
            self._schema()
        except self.db.errors as e:
            self.db.close()
            raise StoreError(f"the store {self.where} ({self.db.kind}) refused kdio's schema: "
                             f"{_first_line(e)}",
                             "check that its user may create tables, or give another "
                             "--store") from None
        except BaseException:
            self.db.close()
            raise

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _version(self):
        if not self.db.has_table("meta"):
            return None
        row = self.db.q("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _write(self, work):
        """work() in one write transaction, rolled back if it fails."""
        self.db.begin_write()
        try:
            out = work()
            self.db.q("COMMIT")
            return out
        except BaseException:
            if not self.db.gone():      # else the server is gone, and so is the transaction
                self.db.q("ROLLBACK")
            raise

    def _schema(self):
        """Create the schema in an empty store, migrate an older one, and
        refuse a newer one, in one transaction."""
        self._write(self._make_schema)

    def _make_schema(self):
        version = self._version()
        if version is None:
            for statement in SCHEMA:
                self.db.q(statement.replace("{id}", self.db.id_column))
            self.db.q("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.where} has schema version {version}, written by a newer "
                f"kdio; this one knows versions up to {SCHEMA_VERSION}",
                "use the kdio that wrote it (git log harness/kdio/store), or another --store")
        while version is not None and version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                self.db.q(statement)
            version += 1
            self.db.q("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))

    def add(self, doc, source="", fault=None):
        """Store one result document (a run) in one transaction, unless it is
        there already; fault: a test-only callable run midway (after the run's
        row, before its samples), to kill the writer or its server there."""
        key = run_key(doc)
        try:
            return self._write(lambda: self._add(doc, key, source, fault))
        except self.db.errors as e:
            if not self.db.gone():
                raise StoreError(f"the store {self.where} ({self.db.kind}) refused run "
                                 f"{doc.get('run_id', '?')}: {_first_line(e)}; nothing of it "
                                 "was stored", "check the store's server log, or give another "
                                 "--store") from None
            raise StoreError(
                f"the store {self.where} went away while run {doc.get('run_id', '?')} was being "
                f"added ({_first_line(e)}): the run was not stored, and what was stored before "
                "is kept", "add it again when the server is back: kdio store add RUN (a run "
                "already stored is not stored twice)") from None

    def _add(self, doc, key, source, fault):
        ctx = doc.get("context") or {}
        old = self.db.q("SELECT id FROM run WHERE run_key = ?", (key,)).fetchone()
        if old:
            return Added(key, old[0], False, 0, 0)
        run = self._insert_run(doc, ctx, key, source)
        if fault:
            fault()
        series = samples = 0
        for r in doc.get("results", []):
            sid = self._series(ctx, r)
            self.db.q("INSERT INTO result VALUES (?, ?, ?, ?, ?)",
                      (run, sid, r["status"], _median(r["samples"]), r.get("message")))
            self.db.insert("sample", [(run, sid, i, v) for i, v in enumerate(r["samples"])])
            series += 1
            samples += len(r["samples"])
        self.db.insert("checks", [(run, c["name"], 1 if c.get("ok") else 0, c.get("detail"))
                                  for c in doc.get("checks") or []])
        return Added(key, run, True, series, samples)

    def _insert_run(self, doc, ctx, key, source):
        kernel = ctx.get("kernel") or {}
        measure = (ctx.get("measure") or {}).get("mode", "wall")
        return self.db.q(
            "INSERT INTO run (run_key, run_id, suite, measure, status, date, kdio_commit, "
            "kernel, kernel_release, kernel_build, toolchain, host, source, context) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (key, doc.get("run_id", ""), (ctx.get("suite") or {}).get("name", ""), measure,
             doc.get("status", ""), ctx.get("date", ""), ctx.get("kdio_git_sha"),
             kernel.get("name"), kernel.get("release"),
             json.dumps(kernel.get("built"), sort_keys=True) if kernel.get("built") else None,
             json.dumps(ctx.get("toolchain"), sort_keys=True) if ctx.get("toolchain") else None,
             ctx.get("host_cpu"), source, json.dumps(ctx, sort_keys=True))).fetchone()[0]

    def _series(self, ctx, r):
        """The id of r's series, made if it is new."""
        suite = r.get("suite") or (ctx.get("suite") or {}).get("name", "")
        row = self.db.q("SELECT id FROM series WHERE suite = ? AND case_id = ? AND unit = ?",
                        (suite, r["case"], r["unit"])).fetchone()
        if row:
            return row[0]
        path = paths.PATHS.get(r["path"])
        fam = family.of_path(path).name if path else ""
        return self.db.q(
            "INSERT INTO series (suite, case_id, family, path, params, unit) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (suite, r["case"], fam, r["path"], json.dumps(r.get("params") or {},
                                                          sort_keys=True), r["unit"])
        ).fetchone()[0]

    def runs(self):
        """Every stored run, oldest first: (id, date, run_id, suite, measure,
        status, kernel_release, series count)."""
        return self.db.q(
            "SELECT run.id, run.date, run.run_id, run.suite, run.measure, run.status, "
            "run.kernel_release, COUNT(result.series) FROM run LEFT JOIN result "
            "ON result.run = run.id GROUP BY run.id ORDER BY run.date, run.id").fetchall()

    def series(self, case="", kernel="", suite="", measure=""):
        """{(suite, case id, unit): [Point, ...] oldest first} of the series
        whose case id holds case, in runs on a kernel release holding
        kernel, of suite and measure when given; ok results only."""
        instr = self.db.instr
        rows = self.db.q(
            "SELECT series.suite, series.case_id, series.unit, run.id, run.run_id, run.date, "
            "run.kdio_commit, run.kernel_release, run.measure, result.median, run.source "
            "FROM result JOIN run ON result.run = run.id "
            "JOIN series ON result.series = series.id "
            f"WHERE result.status = 'ok' AND {instr}(series.case_id, ?) > 0 "
            f"AND {instr}(COALESCE(run.kernel_release, ''), ?) > 0 "
            "AND (? = '' OR series.suite = ?) AND (? = '' OR run.measure = ?) "
            "ORDER BY series.suite, series.case_id, run.date, run.id",
            (case, kernel, suite, suite, measure, measure)).fetchall()
        out = {}
        for suite_, case_id, unit, run, run_id, date, commit, release, mode, median, source \
                in rows:
            out.setdefault((suite_, case_id, unit), []).append(Point(
                run, run_id, date, commit, release, mode, median, source or ""))
        return out

    def history(self, doc, n):
        """A result document of the last n ok runs stored before doc of the
        same suite, measure, kernel release and toolchain (each case's
        samples from all of them; the newest one's context, with the runs'
        ids under "history"), or None when the store has none."""
        ctx = doc.get("context") or {}
        toolchain = json.dumps(ctx.get("toolchain"), sort_keys=True) \
            if ctx.get("toolchain") else None
        runs = self.db.q(
            "SELECT id, run_id, context FROM run WHERE suite = ? AND measure = ? AND "
            "kernel_release IS NOT DISTINCT FROM ? AND toolchain IS NOT DISTINCT FROM ? "
            "AND status = 'ok' AND run_key != ? ORDER BY date DESC, id DESC LIMIT ?",
            ((ctx.get("suite") or {}).get("name", ""),
             (ctx.get("measure") or {}).get("mode", "wall"),
             (ctx.get("kernel") or {}).get("release"), toolchain, run_key(doc), n)).fetchall()
        if not runs:
            return None
        ids = [r[0] for r in runs]
        marks = ",".join("?" * len(ids))
        by_case = {}
        for case, path, params, unit, suite, value in self.db.q(
                "SELECT series.case_id, series.path, series.params, series.unit, series.suite, "
                "sample.value FROM sample JOIN series ON sample.series = series.id "
                "JOIN result ON result.run = sample.run AND result.series = sample.series "
                f"WHERE sample.run IN ({marks}) AND result.status = 'ok' "
                "ORDER BY sample.run, sample.rep", ids).fetchall():
            r = by_case.setdefault(case, {
                "suite": suite, "case": case, "path": path, "params": json.loads(params),
                "unit": unit, "baseline": bool(paths.PATHS[path].baseline)
                if path in paths.PATHS else False, "samples": [], "status": "ok",
                "errno": None, "message": None})
            r["samples"].append(value)
        context = {**json.loads(runs[0][2]), "history": [r[1] for r in runs]}
        return {"schema_version": doc.get("schema_version"), "run_id": f"last {len(runs)}",
                "status": "ok", "failure": None, "context": context,
                "results": list(by_case.values())}

    def counts(self):
        """{table: rows} of the data tables."""
        return {t: self.db.q(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("run", "series", "result", "sample", "checks")}

    def columns(self, table):
        """A table's column names."""
        return [d[0] for d in self.db.q(f"SELECT * FROM {table} LIMIT 0").description]


def _median(samples):
    return statistics.median(samples) if samples else None
