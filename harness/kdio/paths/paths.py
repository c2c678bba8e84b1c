"""The measured paths: how each runs in the guest and how its output reads.

One entry per path, like fio's ioengine table: the command that runs one
repetition of a case in the guest, and the parser that turns the raw record
of that execution into a sample. Paths with baseline=True are the yardsticks
the others are compared with. Each path names its family (kdio.model.family): the
kind of case it is, which gives its parameters, defaults, ratios and plots.
"""

import errno
import os

from kdio.model import backends, clat, family, names
from kdio.paths import fio, ipsec
from kdio.errors import KdioError
from kdio.paths.pathdef import CRYPTO_DRIVERS, MeasuredPath, Sample, failed, last_json

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
                        _dio_parse, family="storage", **kw)


def _fio(name, ioengine, *extra, queued=True):
    return MeasuredPath(f"fio.{name}", "bytes/s", True, _fio_argv(ioengine, *extra), _fio_parse,
                        queued=queued, family="storage")


def _xfer_argv(p, env, channel):
    return [env.tool("kdio-xfer"), "-c", channel, "-s", str(p["msg"]), "-n", str(p["count"]),
            "-S", str(env.seed)]


def _xfer_metrics(out):
    keys = ("bytes", "elapsed_ns", "msgs_per_s", "lat_p50_ns", "lat_p99_ns", "lat_max_ns",
            "gaps", "bad", "drops")
    return {k: out.get(k) for k in keys}


def _xfer_parse(raw, p):
    """Channels: integrity first (a gap that is not a counted drop, or a bad
    message, is an error), then bytes/s; counted drops are reported."""
    out = last_json(raw.get("stdout", ""))
    if out is None:
        return failed(raw, "kdio-xfer")
    metrics = _xfer_metrics(out)
    if out.get("errno"):
        return Sample(status="error", errno=out.get("errno_name"), metrics=metrics,
                      message=out.get("error"))
    if out.get("bad") or (out.get("gaps") or 0) > (out.get("drops") or 0):
        return Sample(status="error", errno="EILSEQ", metrics=metrics,
                      message=f"{out.get('bad')} corrupt message(s), {out.get('gaps')} gap(s), "
                              f"{out.get('drops')} counted drop(s)")
    if not out.get("elapsed_ns"):
        return failed(raw, "kdio-xfer")
    message = f"{out['drops']} message(s) dropped and counted" if out.get("drops") else None
    return Sample(value=out["bytes"] * 1e9 / out["elapsed_ns"], metrics=metrics, message=message)


def _membench_parse(raw, p, unit_ops=False):
    out = last_json(raw.get("stdout", ""))
    if out is None or out.get("errno") or not out.get("elapsed_ns"):
        return failed(raw, "kdio-membench") if out is None or not out.get("errno") else \
            Sample(status="error", errno=out.get("errno_name"), message=out.get("error"))
    metrics = {k: out.get(k) for k in ("bytes", "elapsed_ns", "ops_per_s")}
    value = out["ops_per_s"] if unit_ops else out["bytes"] * 1e9 / out["elapsed_ns"]
    return Sample(value=value, metrics=metrics)


def _xfer(channel):
    return MeasuredPath(f"xfer.{channel}", "bytes/s", False,
                        lambda p, env: _xfer_argv(p, env, channel), _xfer_parse,
                        family="channel")


EXIT_UNAVAILABLE = 3   # kdio-crypto / kdio-afalg: the driver is not in this kernel


def _crypto_argv(tool, copy_path=None):
    def make(p, env):
        driver = CRYPTO_DRIVERS.get((p["alg"], p["driver"]), p["driver"])
        args = [env.tool(tool), "-a", p["alg"], "-d", driver, "-k", str(p["key"]),
                "-s", str(p["msg"]), "-n", str(p["count"]),
                "-q", str(family.CRYPTO.value(p, "qd")), "-V"]
        return args + (["-p", copy_path] if copy_path else [])
    return make


def _crypto_parse(raw, p):
    """Unavailable drivers are skipped with the tool's reason; the driver
    actually used and the in-benchmark verification are kept as metrics."""
    out = last_json(raw.get("stdout", ""))
    if raw.get("rc") == EXIT_UNAVAILABLE:
        return Sample(status="skipped", errno=(out or {}).get("errno_name"),
                      message=(out or {}).get("error") or "driver not available")
    if out is None:
        return failed(raw, "crypto tool")
    metrics = {k: out.get(k) for k in ("bytes", "elapsed_ns", "ops_per_s")}
    metrics["verified"] = 1 if out.get("verified") else 0
    if out.get("errno"):
        return Sample(status="error", errno=out.get("errno_name"), metrics=metrics,
                      message=out.get("error"))
    if not out.get("verified"):
        return Sample(status="error", errno="EILSEQ", metrics=metrics,
                      message=f"ciphertext or decryption check failed with {out.get('driver')}")
    if raw.get("rc") != 0 or not out.get("elapsed_ns"):
        return failed(raw, "crypto tool")
    return Sample(value=out["bytes"] * 1e9 / out["elapsed_ns"], metrics=metrics,
                  message=f"driver {out.get('driver')}")


XFER_CHANNELS = names.XFER_CHANNELS

# What a dio method needs besides the usual entry; names.DIO_METHODS has them all.
DIO_SPECIAL = {
    "null": MeasuredPath("dio.null", "ns/call", False, _dio_argv("null"),
                         lambda raw, p: _dio_parse(raw, p, per_call=True), family="storage"),
    "bvec-async": _dio("bvec-async", queued=True),
    "kvec-kmalloc": _dio("kvec-kmalloc", expect_errno="EFAULT"),
    "kvec-vmalloc": _dio("kvec-vmalloc", expect_errno="EFAULT"),
}

PATHS = {p.name: p for p in (
    *(DIO_SPECIAL.get(m) or _dio(m) for m in names.DIO_METHODS),
    _kmap("page"),
    _kmap("pfn", expect_errno="EFAULT"),
    _fio("psync", "psync", queued=False),
    _fio("libaio", "libaio"),
    _fio("io_uring", "io_uring"),
    _fio("io_uring-fixed", "io_uring", "--fixedbufs=1"),
    *(_xfer(c) for c in XFER_CHANNELS),
    MeasuredPath("base.memcpy", "bytes/s", True,
                 lambda p, env: [env.tool("kdio-membench"), "-m", "memcpy", "-s", str(p["msg"]),
                                 "-n", str(p["count"])],
                 _membench_parse, family="channel"),
    MeasuredPath("crypto.zerocopy", "bytes/s", False, _crypto_argv("kdio-crypto", "zerocopy"),
                 _crypto_parse, queued=True, family="crypto"),
    MeasuredPath("crypto.bounce", "bytes/s", False, _crypto_argv("kdio-crypto", "bounce"),
                 _crypto_parse, queued=True, family="crypto"),
    MeasuredPath("base.afalg", "bytes/s", True, _crypto_argv("kdio-afalg"), _crypto_parse,
                 queued=True, family="crypto"),
    MeasuredPath("base.syscall", "ops/s", True,
                 lambda p, env: [env.tool("kdio-membench"), "-m", "syscall",
                                 "-n", str(p["count"])],
                 lambda raw, p: _membench_parse(raw, p, unit_ops=True), family="syscall"),
)}


# The IPsec ESP paths live in their own module, built on MeasuredPath.
PATHS.update(ipsec.measured_paths())


class UnknownPath(KdioError):
    """A result record names a path this harness does not know."""


def family_of_case(case):
    """The family of a suite's case, by its path."""
    return _of_path_name(case.path, f"case {case.case_id}")


def family_of(record):
    """The family of a result record, by its path."""
    return _of_path_name(record["path"], f"result {record['case']}")


def _of_path_name(name, what):
    if name not in PATHS:
        raise UnknownPath(f"{what} names path '{name}', which this kdio does not know",
                          "read it with the kdio version that wrote it")
    return family.of_path(PATHS[name])


def reference(record):
    """The Ratio a result is judged against in plots and normalized
    comparisons: fio psync at qd 1 and fio io_uring at the same qd above it
    for storage, memcpy at the same size for channels, AES-NI for crypto;
    None for a family without one."""
    return family_of(record).reference_ratio(record["params"])


def used_backends(suite):
    """The backends a suite's storage cases use, in first-use order."""
    names = dict.fromkeys(family.STORAGE.value(c.param_dict, "backend") for c in suite.cases
                          if c.path in PATHS and PATHS[c.path].storage)
    return [backends.BACKENDS[n] for n in names if n in backends.BACKENDS]
