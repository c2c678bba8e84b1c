"""The kernel<->user channels (family channel): kdio-xfer's channels
(xfer.*, one per name in the C list) and the memcpy baseline
(base.memcpy, kdio-membench), at a message size and count.
"""

from kdio.model import names
from kdio.paths.pathdef import MeasuredPath, Sample, failed, last_json

XFER_CHANNELS = names.XFER_CHANNELS


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


def membench_parse(raw, p, unit_ops=False):
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
                        family="channel", user_code=("glibc",))


PATHS = (
    *(_xfer(c) for c in XFER_CHANNELS),
    MeasuredPath("base.memcpy", "bytes/s", True,
                 lambda p, env: [env.tool("kdio-membench"), "-m", "memcpy", "-s", str(p["msg"]),
                                 "-n", str(p["count"])],
                 membench_parse, family="channel", user_code=("glibc",)),
)
