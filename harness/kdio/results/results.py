"""The result file: building it from raw guest records, writing it
atomically, reading it back, and the CSV generated from it.

result.json is the source of truth; everything else is generated from it.
"""

import csv
import io
import json
import os
from dataclasses import replace
from pathlib import Path

from kdio import where
from kdio.model import family, measure, stats
from kdio.paths import pathdef, paths
from kdio.results import dmesg, ktap
from kdio.errors import KdioError, SchemaError

SCHEMA_VERSION = 1
SCHEMA_FILE = where.SCHEMA


def read_records(path):
    """Raw guest records from records.jsonl; a torn last line is ignored."""
    records = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # the guest died mid-write: keep everything before it
    return records


class RecordTail:
    """records.jsonl read as it grows: each call parses only the lines
    added since the last (a torn last line waits for its end), so a host
    polling a long run does not re-read the whole file every time."""

    def __init__(self, path):
        self.path, self.offset, self.records, self.damaged = Path(path), 0, [], False

    def __call__(self):
        if self.damaged:
            return self.records
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.records
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            try:
                self.records.append(json.loads(line))
            except json.JSONDecodeError:
                # not the guest's torn write (that has no newline yet): a
                # damaged file; keep what came before, as read_records does
                self.damaged = True
                return self.records
        self.offset += end
        return self.records


def sample_of(raw, case, path):
    """The sample of one raw record: the path's parse, then the known errno
    of the path made an expected error, then our kernel reports made errors."""
    sample = path.parse(raw, case.param_dict)
    if path.expect_errno and sample.status == "error" and sample.errno == path.expect_errno:
        sample = replace(sample, status="expected-error")
    mine = dmesg.ours(raw.get("kmsg", []))
    if mine:
        names = ", ".join(sorted({m for r in mine for m in r.modules}))
        return pathdef.Sample(status="error", metrics=sample.metrics,
                            message=f"kernel report from {names}: {mine[0].first_line}")
    return sample


def _case_status(samples, reps):
    errors = [s for s in samples if s.status == "error"]
    if errors:
        return "error", errors[0].errno, errors[0].message
    if not samples:
        return "skipped", None, "not run: the guest stopped before this case"
    if all(s.status == "skipped" for s in samples):
        return "skipped", samples[0].errno, samples[0].message
    if all(s.status == "expected-error" for s in samples):
        return "expected-error", samples[0].errno, samples[0].message
    if any(s.status == "expected-error" for s in samples):
        return "error", None, "ended with the expected errno only in some repetitions"
    if len(samples) < reps:
        return "ok", None, f"only {len(samples)} of {reps} repetitions ran"
    return "ok", None, None


def _metric_series(samples):
    series = {}
    for s in samples:
        for k, v in (s.metrics or {}).items():
            if isinstance(v, (int, float)) or v is None:
                series.setdefault(k, []).append(v)
    return series


def counted_sample(sample, case, unit):
    """The sample with its counted cost (measure.cost) as its value; an ok
    sample whose metrics cannot give one becomes an error, never a figure."""
    if sample.status != "ok":
        return sample
    value = measure.cost(sample.metrics, case.param_dict, unit)
    if value is None:
        return replace(sample, value=None, status="error",
                       message=f"no counted figure ({unit}): the tool reported no elapsed "
                               "time or no work done")
    return replace(sample, value=value)


def unit_of(case, counted):
    """The unit of case's figures: its path's, or its counted cost unit."""
    path = paths.PATHS[case.path]
    return measure.cost_unit(path.unit, family.of_path(path)) if counted else path.unit


def user_driver(case):
    """The /proc/crypto name of case's crypto driver if it is a user's (not
    one kdio knows to run on the CPU), else None."""
    fam = family.of_path(paths.PATHS[case.path])
    if fam.waits_on != "driver" or case.param_dict["driver"] in measure.COUNTABLE_DRIVERS:
        return None
    return pathdef.crypto_driver(case.param_dict)


def case_result(case, raws, reps, counted=False, drivers=None):
    """The result of one case from its raw records; counted=True takes each
    sample's cost in guest instructions instead of its rate; drivers: the
    guest's /proc/crypto (guestrun.crypto_drivers), which a counted user
    driver must be synchronous in."""
    path = paths.PATHS[case.path]
    unit = unit_of(case, counted)
    samples = [sample_of(r, case, path) for r in raws]
    if counted:
        samples = [counted_sample(s, case, unit) for s in samples]
        name = user_driver(case)
        why = name and measure.declared_problem(
            name, drivers or {}, [(s.metrics or {}).get("device_irqs") for s in samples
                                  if s.status == "ok"])
        if why and any(s.status == "ok" for s in samples):
            samples = [replace(s, status="error", value=None, message=why) for s in samples]
    status, errno, message = _case_status(samples, reps)
    if path.expect_errno and status == "ok" and samples:
        message = f"succeeded where {path.expect_errno} is the known result on 6.1"
    notes = [s.message for s in samples if s.status == "ok" and s.message]
    if status == "ok" and notes and not message:
        message = "; ".join(dict.fromkeys(notes))  # e.g. counted drops
    kept = [s for s in samples if s.status == "ok" and s.value is not None]
    values = [s.value for s in kept]
    record = {"suite": case.suite, "case": case.case_id, "path": case.path,
              "params": case.param_dict, "unit": unit, "baseline": path.baseline,
              "samples": values, "summary": stats.summary(values),
              "metrics": _metric_series(samples), "status": status,
              "errno": errno, "message": message}
    if path.storage:  # one per sample, in order: fio's per-direction figures
        record["io"] = [s.io for s in kept if s.io]
    return record


def build_results(suite, records):
    by_case = {}
    for r in records:
        if r.get("type") == "sample":
            by_case.setdefault(r["case"], []).append(r)
    counted = suite.measure.counted
    drivers = {}
    for r in records:
        if r.get("type") == "crypto":
            drivers.update(r.get("drivers") or {})
    return [case_result(c, by_case.get(c.case_id, []), suite.repetitions, counted, drivers)
            for c in suite.cases]


def setup_failures(records):
    return [f"{r['name']}: exit {r.get('rc')}: {(r.get('stderr') or r.get('stdout') or '').strip()[-300:]}"
            for r in records if r.get("type") == "setup" and r.get("rc") != 0]


def _json_lines(text):
    out = []
    for line in (text or "").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def _bad_line(ln):
    """A line that says it is not ok, an errno without an ok, or bad blocks."""
    return (ln.get("ok") is False or bool(ln.get("errno") and "ok" not in ln)
            or (ln.get("bad_blocks") or 0) > 0)


def _problem(ln):
    if ln.get("bad_blocks"):
        size, bs = ln.get("size"), ln.get("block_size")
        blocks = -(-size // bs) if size and bs else "?"
        return (f"{ln.get('mode')}: {ln['bad_blocks']}/{blocks} bad blocks, first at offset "
                f"{ln.get('first_bad_offset')} (seed {ln.get('seed')})")
    return f"{ln.get('mode') or ln.get('tool')}: {ln.get('error') or ln.get('errno_name')}"


def _kernel_report(raw):
    mine = dmesg.ours(raw.get("kmsg", []))
    return (mine, f"; kernel report: {mine[0].first_line}" if mine else "")


def _no_output(raw):
    return f"exit {raw.get('rc')}: {(raw.get('stderr') or '').strip()[-200:]}"


def jsonl_check_result(raw):
    """A check whose tool prints JSON lines (kdio-verify) passes when it
    exits 0, every line it printed says ok or carries no errno and no bad
    blocks, and the kernel log names none of our modules."""
    lines = _json_lines(raw.get("stdout"))
    bad = [ln for ln in lines if _bad_line(ln)]
    mine, report = _kernel_report(raw)
    ok = raw.get("rc") == 0 and bool(lines) and not bad and not mine
    detail = (f"{len(lines) - len(bad)}/{len(lines)} ok"
              + "".join(f"; {_problem(b)}" for b in bad[:5]) + report)
    return {"name": raw["name"], "ok": ok, "detail": detail if lines else _no_output(raw)}


def _ktap_failure(r):
    """A failed result's name and fields, and the first diagnostic about it
    (one that starts with its name: the tools print a test's own lines so)."""
    own = [d for d in r.diagnostics if d.startswith(f"{r.name}: ")]
    return f"{r.name}: {r.data}" + (f" ({own[0]})" if own else "")


def _ktap_totals(report):
    """The fields of the results that sum up subtests (the fuzzer's run):
    "5000 calls, 12 distinct errnos, 0 hangs, ..."."""
    return "".join("; " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in r.fields.items())
                   for r in ktap.walk(report) if r.subtests and r.fields)


def ktap_check_result(raw):
    """A check whose tool prints KTAP (the bad-input tools, the fuzzer)
    passes when it exits 0, its output is KTAP with at least one test,
    nothing in it is "not ok", and the kernel log names none of our modules.
    A skipped test passes but is not counted ok: the detail counts and names
    them, "30/32 ok, 2 skipped (a, b)"; failures are named with what their
    result line says."""
    try:
        report = ktap.parse(raw.get("stdout"))
    except ktap.KtapError as e:
        return {"name": raw["name"], "ok": False,
                "detail": f"output is not KTAP: {e}; " + _no_output(raw)}
    tests, failed = ktap.leaves(report), ktap.failures(report)
    skipped = [t.name for t in tests if t.skipped]
    mine, kernel = _kernel_report(raw)
    ok = raw.get("rc") == 0 and bool(tests) and not failed and not mine
    detail = (f"{sum(t.passed for t in tests)}/{len(tests)} ok"
              + (f", {len(skipped)} skipped ({', '.join(skipped[:5])})" if skipped else "")
              + "".join(f"; {_ktap_failure(r)}" for r in failed[:5]) + kernel
              + _ktap_totals(report))
    return {"name": raw["name"], "ok": ok, "detail": detail}


CHECK_READERS = {"jsonl": jsonl_check_result, "ktap": ktap_check_result}


def check_result(raw):
    """The verdict of one check record, read as its tool's output format
    says (the record's "output", set by the plan; JSON lines if absent)."""
    return CHECK_READERS[raw.get("output", "jsonl")](raw)


def dio_alignment(suite, records):
    """{backend: direct-I/O alignment in bytes} as the kdio tools found it
    (statx STATX_DIOALIGN, or the device's logical block size)."""
    cases = {c.case_id: c for c in suite.cases}
    found = {}
    for r in records:
        case = cases.get(r.get("case"))
        out = _json_lines(r.get("stdout"))
        if r.get("type") == "sample" and case and out and out[-1].get("dio_align"):
            found.setdefault(family.STORAGE.value(case.param_dict, "backend"),
                             out[-1]["dio_align"])
    return found


def check_results(records):
    return [check_result(r) for r in records if r.get("type") == "check"]


class ResultsWriteError(KdioError):
    """A result file could not be written (e.g. the results folder is full)."""


def write_atomic(path, text):
    """Write text to path through a temporary file and rename: never
    half-written. On failure the previous file is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ResultsWriteError(f"cannot write {path}: {e.strerror}",
                                f"free space in {path.parent}; the raw records written so "
                                "far are in guest/records.jsonl beside it") from None


def dump(doc):
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def load(path):
    """Read a result file, refusing schema versions this harness does not know."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SchemaError(f"{path}: cannot read: {e}", "give the path of a result.json") from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version != SCHEMA_VERSION:
        raise SchemaError(f"{path}: schema_version {version!r} is not {SCHEMA_VERSION}",
                          "use the kdio version that wrote this file")
    return doc


def validate(doc):
    """Check doc against the JSON schema; raise SchemaError on the first problem."""
    import jsonschema
    schema = json.loads(SCHEMA_FILE.read_text())
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path)
        raise SchemaError(f"result does not follow the schema at '{where}': {e.message}",
                          "this is a harness bug: report it with the result file") from None


CSV_FIELDS = ("suite", "case", "path", "op", "bs", "size", "status", "unit", "n", "median",
              "min", "max", "cv", "errno", "message")


def write_final(doc, run_dir):
    """A run's final document, checked against the schema, written to
    run_dir as result.json with its result.csv; returns doc."""
    validate(doc)
    write_atomic(run_dir / "result.json", dump(doc))
    write_atomic(run_dir / "result.csv", to_csv(doc))
    return doc


def to_csv(doc):
    """One row per case, generated from the JSON document."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in doc["results"]:
        s = r["summary"] or {}
        row = {k: r.get(k) for k in ("suite", "case", "path", "status", "unit", "errno", "message")}
        row.update({k: r["params"].get(k) for k in ("op", "bs", "size")})
        row.update({k: s.get(k) for k in ("n", "median", "min", "max", "cv")})
        w.writerow(row)
    return buf.getvalue()
