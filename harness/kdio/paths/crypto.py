"""The crypto paths (family crypto): kdio-crypto's zero-copy and bounce
data paths (crypto.*) and the AF_ALG baseline (base.afalg, kdio-afalg), on
a driver requested by name (pathdef.crypto_driver).
"""

from kdio.model import family
from kdio.paths.pathdef import MeasuredPath, Sample, crypto_driver, failed, last_json

EXIT_UNAVAILABLE = 3   # kdio-crypto / kdio-afalg: the driver is not in this kernel


def _crypto_argv(tool, copy_path=None):
    def make(p, env):
        args = [env.tool(tool), "-a", p["alg"], "-d", crypto_driver(p),
                "-k", str(p["key"]), "-s", str(p["msg"]), "-n", str(p["count"]),
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
    if out.get("device_irqs") is not None:   # kdio-crypto's: interrupts during its run
        metrics["device_irqs"] = out["device_irqs"]
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


PATHS = (
    MeasuredPath("crypto.zerocopy", "bytes/s", False, _crypto_argv("kdio-crypto", "zerocopy"),
                 _crypto_parse, queued=True, family="crypto"),
    MeasuredPath("crypto.bounce", "bytes/s", False, _crypto_argv("kdio-crypto", "bounce"),
                 _crypto_parse, queued=True, family="crypto"),
    MeasuredPath("base.afalg", "bytes/s", True, _crypto_argv("kdio-afalg"), _crypto_parse,
                 queued=True, family="crypto", user_code=("glibc",)),
)
