"""fio as a baseline: job command lines and parsing of fio's JSON output.

Figures keep fio's own names (bw_bytes, iops, clat_ns percentiles); "io"
is the direction of the job the case measured, as fio reports it, with
its clat_ns histogram.
"""

import json

from kdio.model import clat
from kdio.errors import KdioError

FIO = "/usr/bin/fio"
PERCENTILES = ("50.000000", "99.000000")
SIDES = ("read", "write", "trim")
# The clat percentiles fio is asked for: kdio's own (kdio.model.clat).
PERCENTILE_LIST = ":".join(f"{p:g}" for p in clat.PERCENTILES)
# What one direction of a fio job says of the I/Os themselves.
IO_FIELDS = ("io_bytes", "bw_bytes", "iops", "runtime", "total_ios")
CLOCKSOURCE = "clock_gettime"


class FioOutputError(KdioError):
    """fio's output could not be read as its JSON report."""


def argv(filename, op, bs, size, ioengine="psync", iodepth=1, offset=0, extra=()):
    """An O_DIRECT fio job on filename, one thread, size bytes in bs blocks
    from offset, iodepth I/Os in flight; its report in json+ (the JSON with
    the clat histogram's bins), with kdio's clat percentiles. Its clock is
    clock_gettime(CLOCK_MONOTONIC), the clock kdio's own tools time with:
    fio's default (the CPU's cycle counter) first calibrates it at every
    start, which under TCG took a second or more of each sample's time
    (CLOCKSOURCE)."""
    return [FIO, "--name=kdio", f"--filename={filename}", f"--rw={op}", f"--bs={bs}",
            f"--offset={offset}", f"--size={size}", f"--ioengine={ioengine}",
            f"--iodepth={iodepth}", "--direct=1", "--thread", f"--clocksource={CLOCKSOURCE}",
            "--output-format=json+",
            f"--percentile_list={PERCENTILE_LIST}", *extra]


# Options of the whole fio process, not of one job, in argv().
GLOBAL_OPTIONS = ("--output-format=", "--clocksource=")


def job_name(index):
    return f"kdio-{index}"


def batch_argv(argvs):
    """One fio process that runs several cases' jobs, one after the other
    (stonewall: each starts when the one before has ended), each with the
    name job_name(i) by its place in argvs, so that its report can be
    found (parse's jobname). Each argv is argv()'s; what they share of
    the process (GLOBAL_OPTIONS) is taken from the first."""
    head = [FIO, *[a for a in argvs[0][1:] if a.startswith(GLOBAL_OPTIONS)]]
    jobs = []
    for i, one in enumerate(argvs):
        if one[0] != FIO or not one[1].startswith("--name="):
            raise ValueError(f"not a fio job command line: {one[:2]}")
        jobs += [f"--name={job_name(i)}", "--stonewall",
                 *[a for a in one[2:] if not a.startswith(GLOBAL_OPTIONS)]]
    return head + jobs


def with_marks(argv, mark, workdir, case_marks=False):
    """argv (argv()'s or batch_argv()'s) with each job bracketed by the
    profiler's markers: mark (kdio-mark's path) start before the job's I/O
    (fio's exec_prerun) and end after it (exec_postrun). fio sends each
    command's output to <job>.<prerun|postrun>.txt in its working folder,
    so it runs in workdir (the guest's root is read-only). Besides the I/O, a
    window holds the end of the start marker's process, fio's own work
    between I/Os, and the fork and exec of the end marker's shell.
    case_marks: each job first runs a case marker, so that the jobs of one
    fio process (a batch) are samples of their own. The start marker saves
    the job process's memory map into workdir first (kdio-mark -m), for
    the profile to name fio's and its libraries' functions."""
    out = ["env", "-C", workdir]
    start = f"{mark} case && {mark} -m start" if case_marks else f"{mark} -m start"
    for word in argv:
        out.append(word)
        if word.startswith("--name="):
            out += [f"--exec_prerun={start}", f"--exec_postrun={mark} end"]
    return out


def _json_part(text):
    # fio may print warnings before the JSON document
    start = text.find("{")
    if start < 0:
        raise FioOutputError("fio printed no JSON report",
                             "run the fio command by hand to see its messages")
    try:
        return json.loads(text[start:])
    except json.JSONDecodeError as e:
        raise FioOutputError(f"fio's JSON report is truncated or invalid: {e}",
                             "check the console log for a guest crash during fio") from None


def _job(doc, jobname):
    jobs = doc["jobs"]
    if jobname is None:
        return jobs[0]
    for job in jobs:
        if job.get("jobname") == jobname:
            return job
    raise KeyError(jobname)


def parse(text, op, jobname=None):
    """Return fio's figures for the op side of the job named jobname (of
    several run by one fio process: batch_argv), or of the first job."""
    if op not in SIDES:
        raise FioOutputError(f"no '{op}' figures in a fio report (only {', '.join(SIDES)})",
                             "use op read or write")
    doc = _json_part(text)
    try:
        job = _job(doc, jobname)
        side = job[op]
    except (KeyError, IndexError):
        which = f"job {jobname}'s" if jobname else "the"
        raise FioOutputError(f"fio's report has no '{op}' figures for {which} case",
                             "check that the job's rw= matches the case's op, and the "
                             "console log for a fio that stopped before its last job") from None
    latency = side.get("clat_ns", {})
    pct = latency.get("percentile", {})
    lat = side.get("lat_ns", {})
    return {
        "fio_version": doc.get("fio version"),
        "error": job.get("error", 0),
        "io_bytes": side["io_bytes"],
        "bw_bytes": side["bw_bytes"],
        "iops": side["iops"],
        "runtime_ms": side["runtime"],
        "clat_ns_mean": latency.get("mean"),
        "clat_ns_p50": pct.get(PERCENTILES[0]),
        "clat_ns_p99": pct.get(PERCENTILES[1]),
        "lat_ns_mean": lat.get("mean"),
        "lat_ns_n": lat.get("N"),
        **clat.metrics(latency),
        "io": {**{k: side.get(k) for k in IO_FIELDS}, "clat_ns": latency},
    }
