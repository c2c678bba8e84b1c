"""A run's records as they come: read from records.jsonl while the guest
(or host mode's runner) writes it, each sample printed, result.json
rewritten from them, so that a crash loses nothing already measured.
"""

import threading
import time

from kdio.model import measure
from kdio.paths import paths
from kdio.results import document, results


class Progress:
    """Polls records.jsonl while the guest runs: prints each new sample and
    rewrites result.json (kdio.results.document of the records so far), so a crash
    loses nothing already measured. A shard's guest (kdio.plan.shard) prints
    with its label, and hands its records to on_records, which writes the
    document of every shard's records.

    The guest's records.jsonl is itself the record of each case as soon as
    it exists; result.json is rewritten from it at most every WRITE_EVERY_S
    (and at the end, by finish): rebuilding the document from every record
    after each sample cost the host a core's worth of time by the end of a
    long run, time the guest's vCPUs lost under TCG."""

    WRITE_EVERY_S = 5.0

    def __init__(self, run_id, suite, context, share, run_dir, log, label="", on_records=None):
        self.run_id, self.suite, self.context, self.log = run_id, suite, context, log
        self.tail = results.RecordTail(share / "records.jsonl")
        self.run_dir, self.seen, self.written_at, self.pending = run_dir, 0, None, False
        self.samples, self.label = 0, label
        self.write_failed = False
        self.total = suite.repetitions * len(suite.cases)
        self.cases = {c.case_id: c for c in suite.cases}
        self.on_records = on_records or self._write

    def __call__(self):
        records = list(self.tail())
        new = records[self.seen:]
        self.seen = len(records)
        for r in new:
            if r.get("type") == "sample":
                self.samples += 1
                self._print_sample(r)
            elif r.get("type") == "setup" and r.get("rc") != 0:
                self.log(f"{self.label}setup '{r['name']}' failed (exit {r.get('rc')}): {r.get('stderr', '').strip()[-200:]}")
        self.pending = self.pending or bool(new)
        now = time.monotonic()
        if self.pending and (self.written_at is None or now - self.written_at >= self.WRITE_EVERY_S
                             or any(r.get("type") == "end" for r in new)):
            self.on_records(records)
            self.written_at, self.pending = now, False
        return records

    def _write(self, records):
        self.write_doc(document.build(self.run_id, self.suite, self.context, records))

    def write_doc(self, doc):
        try:
            results.write_atomic(self.run_dir / "result.json", results.dump(doc))
        except results.ResultsWriteError as e:
            if not self.write_failed:  # say it once; the run goes on
                self.log(f"warning: {e}; {e.hint}")
            self.write_failed = True

    def _print_sample(self, r):
        case = self.cases.get(r["case"])
        s = results.sample_of(r, case, paths.PATHS[case.path]) if case else None
        counted = self.suite.measure.counted
        unit = results.unit_of(case, counted) if case else None
        if s is not None and counted:
            s = results.counted_sample(s, case, unit)
        if s is None:
            shown = "unknown case"
        elif s.status != "ok":
            shown = f"{s.status}: {s.message}"
        elif counted:
            shown = f"{measure.fmt_cost(s.value)} {unit} (counted)"
        elif paths.PATHS[case.path].unit == "bytes/s":
            shown = f"{s.value / 1e6:.1f} MB/s"
        else:
            shown = f"{s.value:.1f} {paths.PATHS[case.path].unit}"
        self.log(f"[{self.label}{self.samples}/{self.total}] {r['case']} rep {r['rep'] + 1}: {shown}")


class MergedProgress:
    """The shards' record streams as their guests run: each update rewrites
    result.json, the one document of all of them (document.build_sharded)."""

    def __init__(self, run_id, suite, context, run_dir, n, log):
        self.run_id, self.suite, self.context = run_id, suite, context
        self.streams, self.lock = [[] for _ in range(n)], threading.Lock()
        self.writer = Progress(run_id, suite, context, run_dir, run_dir, log)

    def update(self, index, records):
        with self.lock:
            self.streams[index - 1] = records
            self.writer.write_doc(document.build_sharded(self.run_id, self.suite, self.context,
                                                         list(self.streams)))
