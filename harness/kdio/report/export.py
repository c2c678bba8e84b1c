"""A run's storage cases in fio's own format: the JSON document fio writes
with --output-format=json+ (jobs[], each with its job options and its read,
write and trim figures, clat_ns with percentiles and the histogram's bins),
so that fio's own tools read kdio's paths as they read fio's jobs.

One job per repetition that ran ok of each storage case, in the run's
order, named after the case; fio's cases carry fio's own figures, kdio's
the module's. A kdio job's stddev is the histogram's (each sample taken at
its bin's value, within 1/128 of it); everything else is as measured. In a
counted run every time is virtual: guest instructions, which the document
says under "kdio".

Pure functions of the result document; the CLI writes the file.
"""

import datetime
import math

from kdio.model import measure
from kdio.paths import paths

FORMATS = ("fio",)
DIRECTIONS = ("read", "write", "trim")


def _empty_lat():
    return {"min": 0, "max": 0, "mean": 0.0, "stddev": 0.0, "N": 0}


def _stddev(latency):
    """The standard deviation of a histogram, each sample at its bin."""
    n, mean = latency["N"], latency["mean"]
    if n < 2:
        return 0.0
    square = sum(c * (int(k) - mean) ** 2 for k, c in latency["bins"].items())
    return math.sqrt(square / (n - 1))


def _clat(latency):
    """fio's clat_ns object: kdio's gets its stddev from its bins."""
    out = {k: latency[k] for k in ("min", "max", "mean") if k in latency}
    out["stddev"] = latency["stddev"] if "stddev" in latency else _stddev(latency)
    out["N"] = latency["N"]
    for k in ("percentile", "bins"):
        if k in latency:
            out[k] = latency[k]
    return out


def _direction(io):
    """One direction of a job in fio's shape, from a record's io entry."""
    return {"io_bytes": io["io_bytes"], "io_kbytes": io["io_bytes"] >> 10,
            "bw_bytes": io["bw_bytes"], "bw": io["bw_bytes"] >> 10, "iops": io["iops"],
            "runtime": io["runtime"], "total_ios": io["total_ios"], "short_ios": 0,
            "drop_ios": 0, "slat_ns": _empty_lat(), "clat_ns": _clat(io["clat_ns"]),
            "lat_ns": _empty_lat()}


def _idle():
    """A direction the job did not use, as fio reports it."""
    return {"io_bytes": 0, "io_kbytes": 0, "bw_bytes": 0, "bw": 0, "iops": 0.0, "runtime": 0,
            "total_ios": 0, "short_ios": 0, "drop_ios": 0, "slat_ns": _empty_lat(),
            "clat_ns": _empty_lat(), "lat_ns": _empty_lat()}


def _engine(path):
    """(ioengine, extra options) of a path: fio's own, or the kdio path."""
    if not path.startswith("fio."):
        return path, {}
    engine = path[len("fio."):]
    if engine.endswith("-fixed"):
        return engine[:-len("-fixed")], {"fixedbufs": "1"}
    return engine, {}


def _options(r, rep):
    """The job options, as fio prints them: strings."""
    p, fam = r["params"], paths.family_of(r)
    engine, extra = _engine(r["path"])
    return {"name": r["case"], "rw": p["op"], "bs": str(p["bs"]), "size": str(p["size"]),
            "ioengine": engine, "iodepth": str(fam.value(p, "qd")), "direct": "1", **extra,
            "kdio_path": r["path"], "kdio_backend": fam.value(p, "backend"),
            "kdio_repetition": str(rep + 1)}


def _job(r, rep, io):
    op = r["params"]["op"]
    job = {"jobname": r["case"], "groupid": 0, "error": 0, "elapsed": -(-io["runtime"] // 1000),
           "job options": _options(r, rep)}
    job.update({d: _direction(io) if d == op else _idle() for d in DIRECTIONS})
    job["sync"] = {"total_ios": 0, "lat_ns": _empty_lat()}
    job["job_runtime"] = io["runtime"]
    return job


def storage_records(doc):
    """The records of storage cases, in the run's order."""
    return [r for r in doc["results"]
            if r["path"] in paths.PATHS and paths.PATHS[r["path"]].storage]


def _about(doc, records, jobs):
    ctx = doc["context"]
    mode = measure.mode_of(doc)
    return {"run_id": doc["run_id"], "suite": ctx["suite"]["name"],
            "kernel": ctx["kernel"]["release"], "accelerator": ctx["accelerator"],
            "measure": mode, "cases": len(records), "jobs": len(jobs),
            "times": ("virtual ns: guest instructions under QEMU icount, not time"
                      if mode == "counted" else "wall-clock ns")}


def fio_document(doc):
    """The fio json+ document of doc's storage cases."""
    records = storage_records(doc)
    jobs = [_job(r, rep, io) for r in records for rep, io in enumerate(r.get("io") or [])]
    date = datetime.datetime.fromisoformat(doc["context"]["date"])
    return {"timestamp": int(date.timestamp()), "timestamp_ms": int(date.timestamp() * 1000),
            "time": date.strftime("%a %b %d %H:%M:%S %Y"),
            "kdio": _about(doc, records, jobs), "global options": {"direct": "1"},
            "jobs": jobs}
