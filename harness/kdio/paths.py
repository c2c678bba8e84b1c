"""The measured paths: how each runs in the guest and how its output reads.

One entry per path, like fio's ioengine table: the command that runs one
repetition of a case in the guest, and the parser that turns the raw record
of that execution into a sample. Paths with baseline=True are the yardsticks
the others are compared with.
"""

import errno
import json
import os
from dataclasses import dataclass

from kdio import fio

SCRATCH = "/run/kdio/scratch"


@dataclass(frozen=True)
class GuestEnv:
    """Where things are inside the guest's chroot of the host root."""
    tools_dir: str
    scratch: str = SCRATCH
    seed: int = 1

    @property
    def dio_file(self):
        return f"{self.scratch}/kdio.dat"

    @property
    def fio_file(self):
        return f"{self.scratch}/fio.dat"

    def tool(self, name):
        return f"{self.tools_dir}/{name}"


@dataclass(frozen=True)
class Sample:
    value: float = None       # the primary figure, in the path's unit
    metrics: dict = None      # secondary figures by name
    status: str = "ok"        # ok | expected-error | error
    errno: str = None
    message: str = None


@dataclass(frozen=True)
class MeasuredPath:
    name: str
    unit: str
    baseline: bool
    argv: object    # (case params dict, GuestEnv) -> list
    parse: object   # (raw record, case params dict) -> Sample


def _last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def _failed(raw, what):
    if raw.get("timed_out"):
        return Sample(status="error", errno="ETIMEDOUT", message=f"{what} timed out in the guest")
    tail = (raw.get("stderr") or raw.get("stdout") or "").strip().splitlines()[-1:]
    return Sample(status="error", message=f"{what} exited {raw.get('rc')}: {' '.join(tail)}")


def _dio_argv(method):
    def make(p, env):
        args = [env.tool("kdio-dio"), "-m", method, "-o", p["op"], "-f", env.dio_file,
                "-b", str(p["bs"]), "-s", str(p["size"]), "-S", str(env.seed)]
        return args + (["-V"] if p["op"] == "read" and method != "null" else [])
    return make


def _dio_metrics(out):
    calls = out.get("calls") or 0
    return {"bytes": out["bytes"], "elapsed_ns": out["elapsed_ns"], "calls": calls,
            "ns_per_call": out["elapsed_ns"] / calls if calls else None,
            "bad_blocks": out.get("bad_blocks", 0)}


def _dio_parse(raw, p, per_call=False):
    out = _last_json(raw.get("stdout", ""))
    if out is None:
        return _failed(raw, "kdio-dio")
    if out.get("errno"):
        return Sample(status="error", errno=out.get("errno_name"), message=out.get("error"))
    if out.get("bad_blocks"):
        return Sample(status="error", errno="EILSEQ", metrics=_dio_metrics(out),
                      message=f"{out['bad_blocks']} block(s) read back differ from what was "
                              f"written, first at offset {out.get('first_bad_offset')}")
    if raw.get("rc") != 0 or not out.get("elapsed_ns"):
        return _failed(raw, "kdio-dio")
    metrics = _dio_metrics(out)
    value = metrics["ns_per_call"] if per_call else out["bytes"] * 1e9 / out["elapsed_ns"]
    return Sample(value=value, metrics=metrics)


def _fio_argv(ioengine):
    def make(p, env):
        return fio.argv(env.fio_file, p["op"], p["bs"], p["size"], ioengine, p.get("qd", 1))
    return make


def _fio_parse(raw, p):
    try:
        figures = fio.parse(raw.get("stdout", ""), p["op"])
    except fio.FioOutputError as e:
        return _failed(raw, "fio") if raw.get("rc") != 0 else Sample(status="error",
                                                                      message=str(e))
    if figures["error"]:
        code = figures["error"]
        return Sample(status="error", errno=errno.errorcode.get(code, str(code)),
                      metrics=figures,
                      message=f"fio reported error {code} ({os.strerror(code)})")
    if raw.get("rc") != 0:
        return _failed(raw, "fio")
    return Sample(value=float(figures["bw_bytes"]), metrics=figures)


PATHS = {p.name: p for p in (
    MeasuredPath("dio.null", "ns/call", False, _dio_argv("null"),
                 lambda raw, p: _dio_parse(raw, p, per_call=True)),
    MeasuredPath("dio.vmmap", "bytes/s", False, _dio_argv("vmmap"), _dio_parse),
    MeasuredPath("fio.psync", "bytes/s", True, _fio_argv("psync"), _fio_parse),
)}
