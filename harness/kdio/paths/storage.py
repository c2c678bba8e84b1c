"""The storage paths (family storage): kdio-dio's methods (dio.*), kdio-kmap's
mappings (kmap.*) and fio's engines (fio.*, the baselines), each on a
backend's region, at a block size, size and queue depth.
"""

import errno
import os

from kdio.model import clat, family, names
from kdio.paths import fio
from kdio.paths.pathdef import MeasuredPath, Sample, failed, last_json


def _kdio_tool_argv(tool, mode_flag, mode):
    def make(p, env):
        t = env.target(p, "kdio")
        args = [env.tool(tool), mode_flag, mode, "-o", p["op"], "-f", t.path,
                "-b", str(p["bs"]), "-s", str(p["size"]), "-O", str(t.offset),
                "-S", str(env.seed)]
        if family.STORAGE.value(p, "qd") != 1:
            args += ["-q", str(p["qd"])]
        return args + (["-V"] if p["op"] == "read" and mode != "null" else [])
    return make


def _dio_argv(method):
    return _kdio_tool_argv("kdio-dio", "-m", method)


def _dio_metrics(out):
    calls = out.get("calls") or 0
    return {"bytes": out["bytes"], "elapsed_ns": out["elapsed_ns"], "calls": calls,
            "ns_per_call": out["elapsed_ns"] / calls if calls else None,
            "bad_blocks": out.get("bad_blocks", 0)}


def _dio_clat(out):
    """The tool's latency histogram as a latency record, or None."""
    if not isinstance(out.get("clat_bins"), dict) or out.get("clat_samples") is None:
        return None
    return clat.from_counts(out["clat_samples"], out.get("clat_min_ns"), out.get("clat_max_ns"),
                            out.get("clat_sum_ns") or 0, out["clat_bins"])


def _dio_io(out, latency):
    """A kdio run in the shape of one direction of a fio job."""
    elapsed = out["elapsed_ns"]
    return {"io_bytes": out["bytes"], "bw_bytes": int(out["bytes"] * 1e9 // elapsed),
            "iops": out["calls"] * 1e9 / elapsed, "runtime": round(elapsed / 1e6),
            "runtime_ns": elapsed, "total_ios": out["calls"], "clat_ns": latency}


def _dio_parse(raw, p, per_call=False):
    out = last_json(raw.get("stdout", ""))
    if out is None:
        return failed(raw, "kdio-dio")
    if out.get("errno"):
        return Sample(status="error", errno=out.get("errno_name"), message=out.get("error"))
    if out.get("bad_blocks"):
        return Sample(status="error", errno="EILSEQ", metrics=_dio_metrics(out),
                      message=f"{out['bad_blocks']} block(s) read back differ from what was "
                              f"written, first at offset {out.get('first_bad_offset')}")
    if raw.get("rc") != 0 or not out.get("elapsed_ns"):
        return failed(raw, "kdio-dio")
    metrics = _dio_metrics(out)
    latency = _dio_clat(out)
    why = clat.problem(latency, metrics["calls"])
    if why:
        return Sample(status="error", metrics=metrics, message=f"{out.get('tool')}: {why}")
    metrics.update(clat.metrics(latency))
    value = metrics["ns_per_call"] if per_call else out["bytes"] * 1e9 / out["elapsed_ns"]
    return Sample(value=value, metrics=metrics, io=_dio_io(out, latency))


# Counted runs with requests in flight take fio's figure from its runtime,
# which it reports in whole milliseconds: such jobs loop over their region
# for this long (virtual time), so the step is at most 0.1 %.
FIO_COUNTED_RUNTIME = "1s"


def _fio_argv(ioengine, *extra):
    def make(p, env):
        t = env.target(p, "fio")
        more = extra
        qd = family.STORAGE.value(p, "qd")
        if env.counted and qd > 1:
            more = (*extra, "--time_based", f"--runtime={FIO_COUNTED_RUNTIME}")
        return fio.argv(t.path, p["op"], p["bs"], p["size"], ioengine, qd,
                        offset=t.offset, extra=more)
    return make


def _fio_busy_ns(figures, p):
    """The time fio's I/Os took: at qd 1 the sum of their latencies, in ns
    (the I/O calls alone, as the kdio paths time theirs); with requests in
    flight, the job's runtime (ms, hence the counted runtime above)."""
    if family.STORAGE.value(p, "qd") == 1 and figures.get("lat_ns_mean") and figures.get("lat_ns_n"):
        return figures["lat_ns_mean"] * figures["lat_ns_n"]
    return figures["runtime_ms"] * 1e6 if figures.get("runtime_ms") else None


def _fio_parse(raw, p):
    """fio's figures; its latency histogram (json+ bins) must hold one
    sample per I/O, as kdio's must."""
    try:
        figures = fio.parse(raw.get("stdout", ""), p["op"], raw.get("fio_job"))
    except fio.FioOutputError as e:
        return failed(raw, "fio") if raw.get("rc") != 0 else Sample(status="error",
                                                                      message=str(e))
    figures = dict(figures)
    io = figures.pop("io")
    if figures["error"]:
        code = figures["error"]
        return Sample(status="error", errno=errno.errorcode.get(code, str(code)),
                      metrics=figures,
                      message=f"fio reported error {code} ({os.strerror(code)})")
    if raw.get("rc") != 0:
        return failed(raw, "fio")
    why = clat.problem(io["clat_ns"], io["total_ios"]) if "bins" in io["clat_ns"] else None
    if why:
        return Sample(status="error", metrics=figures, message=f"fio: {why}")
    metrics = {**figures, "bytes": figures["io_bytes"], "busy_ns": _fio_busy_ns(figures, p)}
    return Sample(value=float(figures["bw_bytes"]), metrics=metrics, io=io)


def _dio(method, **kw):
    return MeasuredPath(f"dio.{method}", "bytes/s", False, _dio_argv(method), _dio_parse,
                        family="storage", **kw)


def _kmap(mode, **kw):
    return MeasuredPath(f"kmap.{mode}", "bytes/s", False, _kdio_tool_argv("kdio-kmap", "-M", mode),
                        _dio_parse, family="storage", user_code=("glibc",), **kw)


def _fio(name, ioengine, *extra, queued=True):
    return MeasuredPath(f"fio.{name}", "bytes/s", True, _fio_argv(ioengine, *extra), _fio_parse,
                        queued=queued, family="storage", built=False,
                        user_code=("fio", "glibc", "libaio", "liburing"))


# What a dio method needs besides the usual entry; names.DIO_METHODS has them all.
DIO_SPECIAL = {
    "null": MeasuredPath("dio.null", "ns/call", False, _dio_argv("null"),
                         lambda raw, p: _dio_parse(raw, p, per_call=True), family="storage"),
    "bvec-async": _dio("bvec-async", queued=True),
    "kvec-kmalloc": _dio("kvec-kmalloc", expect_errno="EFAULT"),
    "kvec-vmalloc": _dio("kvec-vmalloc", expect_errno="EFAULT"),
}

PATHS = (
    *(DIO_SPECIAL.get(m) or _dio(m) for m in names.DIO_METHODS),
    _kmap("page"),
    _kmap("pfn", expect_errno="EFAULT"),
    _fio("psync", "psync", queued=False),
    _fio("libaio", "libaio"),
    _fio("io_uring", "io_uring"),
    _fio("io_uring-fixed", "io_uring", "--fixedbufs=1"),
)
