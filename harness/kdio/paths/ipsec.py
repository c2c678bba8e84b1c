"""IPsec ESP cases: the paths (ipsec.*, families ipsec and net) and the
verdict on what the guest saw. The prediction from the raw crypto figure,
the plots and the report section are kdio.report.ipsec's; the bad-input
check of kdio-cryptoprio is kdio.plan.plan's.

Each case runs kdio/ipsecguest.py in the guest (two network namespaces
over a veth pair, the driver pinned with kdio-cryptoprio, ESP SAs made by
`ip xfrm` or by strongSwan over IKEv2, iperf3 across). This module judges
its record: the SAs must be served by the pinned driver (each SA's
transform holds a reference on it, and on no other driver of the
algorithm), iperf3's ends must agree, every ESP packet one namespace sent
must have arrived authenticated in the other, and /proc/net/xfrm_stat must
count no error. A case that fails any of these is an error, never a
figure.
"""


from kdio import where
from kdio.model import family
from kdio.paths.pathdef import MeasuredPath, Sample, crypto_driver, failed, last_json

GUEST = where.IPSEC_GUEST
PYTHON = "/usr/bin/python3"
# Guest kernel modules beyond the crypto suite's: the crypto_user netlink
# interface, XFRM and ESP, veth, the ESP templates and what their IV
# generators need (the default RNG, ecb(cipher_null)). The guest cannot
# load modules on demand.
GUEST_MODULES = ["crypto_user", "xfrm_user", "esp4", "veth", "authenc", "echainiv", "seqiv",
                 "ecb", "drbg"]
ALGS = {"cbc": "cbc(aes)", "gcm": "rfc4106(gcm(aes))"}
# The ESP transform built over the pinned driver, as /proc/crypto names it.
ESP_TRANSFORMS = {"cbc": "echainiv(authenc(hmac(sha256),cbc(aes)))",
                  "gcm": "seqiv(rfc4106(gcm(aes)))"}
# xfrm_stat counters that mean an ESP packet failed its integrity check.
INTEGRITY = ("XfrmInStateProtoError",)


def flows_of(p):
    return family.IPSEC.value(p, "flows")


def is_ipsec(r):
    """Is this result an IPsec case or its no-IPsec baseline?"""
    return r["path"].startswith("ipsec.")


def used(suite):
    return any(c.path.startswith("ipsec.") for c in suite.cases)


def _argv(sa, keys="same"):
    def make(p, env):
        args = [PYTHON, str(GUEST), "case", "--sa", sa, "--proto", p["proto"],
                "--len", str(p["len"]), "--flows", str(flows_of(p)),
                "--time", str(p["time"]), "--cryptoprio", env.tool("kdio-cryptoprio")]
        if sa != "none":
            args += ["--alg", p["alg"], "--mode", p["mode"], "--driver", crypto_driver(p),
                     "--key", str(p.get("key", 128)), "--keys", keys]
        if sa != "none" and "pin" in p:  # test only: pin another driver than the case's
            args += ["--pin", crypto_driver({**p, "driver": p["pin"]})]
        return args
    return make


# --- the verdict ---------------------------------------------------------------

def served_by(out, want):
    """(driver the SAs took references on or None, why not want, the
    driver the case is labelled with)."""
    pinned = (out.get("pin") or {}).get("driver")
    before, after = out.get("refcnt_before") or {}, out.get("refcnt_after") or {}
    sas = sum(len(ns["states"]) for ns in out["counters_before"])
    rose = {d: after.get(d, 0) - before.get(d, 0) for d in after}
    rose = {d: n for d, n in rose.items() if n > 0}
    if rose.get(want, 0) >= sas > 0 and len(rose) == 1:
        return want, None
    shown = ", ".join(f"{d} +{n}" for d, n in sorted(rose.items())) or "no driver"
    return None, (f"the {sas} SA(s) took references on {shown}, not on {want} alone "
                  f"(pinned: {pinned}): the case would be labelled with a driver that did "
                  "not serve it")


def _integrity_failures(out):
    after = out.get("counters_after") or out.get("counters_before") or []
    stat = sum(ns["xfrm_errors"].get(k, 0) for ns in after for k in INTEGRITY)
    sa = sum(s.get("failed", 0) for ns in after for s in ns["states"])
    return max(stat, sa)


def _xfrm_errors(out):
    """{namespace/counter: value} of every xfrm_stat error counted."""
    names = ("kdio-a", "kdio-b")
    return {f"{names[i]}/{k}": v for i, ns in enumerate(out.get("counters_after") or [])
            for k, v in ns["xfrm_errors"].items()}


def _sa(states, src, spi=None):
    """The SA leaving src (the one whose src address it is)."""
    return next((s for s in states if s["src"] == src and (spi is None or s["spi"] == spi)),
                None)


def esp_accounting(out):
    """Every ESP packet one namespace's outbound SA counted must have been
    counted, authenticated, by the other's inbound SA (or dropped on the
    veth, counted there). (packets kdio-a sent, problem or None)."""
    a, b = out["counters_after"]
    sent = {}
    for src, here, there in (("10.77.0.1", a, b), ("10.77.0.2", b, a)):
        out_sa = _sa(here["states"], src)
        in_sa = _sa(there["states"], src, out_sa["spi"] if out_sa else None)
        if not out_sa or not in_sa:
            return None, f"no SA pair from {src} in ip xfrm state"
        drops = here["veth_tx_dropped"] + there["veth_rx_dropped"]
        missing = out_sa["packets"] - in_sa["packets"]
        if missing != drops:
            return None, (f"{out_sa['packets']} ESP packet(s) left {src}'s SA, "
                          f"{in_sa['packets']} arrived authenticated, {drops} dropped on the "
                          "veth: the rest were lost or failed")
        sent[src] = out_sa
    return sent["10.77.0.1"], None


def iperf_problem(fig, p):
    """Do iperf3's two ends agree?"""
    if fig.get("received_bytes") is None or fig.get("sent_bytes") is None:
        return "iperf3 gave no byte counts for both ends"
    if fig["received_bytes"] > fig["sent_bytes"]:
        return (f"the server received {fig['received_bytes']} bytes, more than the "
                f"{fig['sent_bytes']} sent")
    if fig["received_bytes"] == 0:
        return "the server received nothing"
    if p["proto"] != "udp":
        return None
    got = fig["seen_packets"] - fig["lost_packets"]
    if fig["seen_packets"] > fig["sent_packets"] or got * p["len"] != fig["received_bytes"]:
        return (f"UDP counts disagree: {fig['sent_packets']} datagrams sent, "
                f"{fig['seen_packets']} seen with {fig['lost_packets']} lost, "
                f"{fig['received_bytes']} bytes of {p['len']}-byte datagrams received")
    return None


def _metrics(out, p, esp_out):
    fig = out.get("iperf") or {}
    secs = fig.get("seconds") or 0
    got = fig.get("received_bytes") or 0
    m = {"bytes": got, "sent_bytes": fig.get("sent_bytes"),
         "mbit_s": got * 8 / secs / 1e6 if secs else None,
         "retransmits": fig.get("retransmits"), "esp_packets": (esp_out or {}).get("packets")}
    if p["proto"] == "udp" and secs:
        received = fig["seen_packets"] - fig["lost_packets"]
        m.update(pps=received / secs, lost_pct=100 * (fig["sent_packets"] - received)
                 / fig["sent_packets"] if fig["sent_packets"] else None)
    for name, s in (out.get("phases_s") or {}).items():
        m[f"{name.replace('+', '_')}_s"] = s
    return m


def _traffic_failed(out):
    err = (out.get("iperf") or {}).get("error") or out.get("error")
    bad = _integrity_failures(out)
    if bad:
        return Sample(status="error", errno="EBADMSG",
                      message=f"ESP integrity check failed on {bad} packet(s) "
                              f"({_shown(_xfrm_errors(out))}); traffic: {err}")
    return Sample(status="error", errno=out.get("errno") or "EIO",
                  message=f"traffic failed: {err}")


def _shown(errors):
    return ", ".join(f"{k}={v}" for k, v in errors.items()) or "none"


def judge(out, p):
    """The sample of one case record (see the module's head)."""
    if out.get("errno") == "ENOENT" and "refcnt_before" not in out:
        return Sample(status="skipped", errno="ENOENT", message=out.get("error"))
    if out.get("error") and "counters_before" not in out:
        return Sample(status="error", errno=out.get("errno"), message=out.get("error"))
    ipsec = out.get("sa") != "none"
    served, why = served_by(out, crypto_driver(p)) if ipsec else (None, None)
    if why:
        return Sample(status="error", message=why)
    fig = out.get("iperf") or {}
    if fig.get("error") or out.get("error") or "counters_after" not in out:
        return _traffic_failed(out)
    errors = _xfrm_errors(out)
    if errors:
        return Sample(status="error", errno="EBADMSG" if _integrity_failures(out) else "EPROTO",
                      message=f"/proc/net/xfrm_stat counted errors: {_shown(errors)}")
    esp_out, problem = esp_accounting(out) if ipsec else (None, None)
    problem = problem or iperf_problem(fig, p) or (_bypass(esp_out, fig, p) if ipsec else None)
    metrics = _metrics(out, p, esp_out)
    if problem:
        return Sample(status="error", errno="EPROTO", metrics=metrics, message=problem)
    return Sample(value=fig["received_bytes"] / fig["seconds"], metrics=metrics,
                  message=f"driver {served}" if ipsec else None)


def _bypass(esp_out, fig, p):
    """Did the traffic go through the SA? (its counters cover it)"""
    if p["proto"] == "udp" and esp_out["packets"] < fig["sent_packets"]:
        return (f"iperf3 sent {fig['sent_packets']} datagrams, the SA carried only "
                f"{esp_out['packets']} packets: traffic bypassed ESP")
    if p["proto"] == "tcp" and esp_out["bytes"] < fig["received_bytes"]:
        return f"the SA carried {esp_out['bytes']} bytes, less than TCP delivered"
    return None


def parse(raw, p):
    out = last_json(raw.get("stdout", ""))
    if out is None or out.get("tool") != "ipsec-case":
        return failed(raw, "ipsecguest.py")
    try:
        return judge(out, p)
    except (KeyError, TypeError, ValueError) as e:
        return Sample(status="error", message=f"ipsecguest.py record incomplete: {e!r}")


def parse_mismatched(raw, p):
    """The negative control: SAs whose keys differ must fail integrity."""
    s = parse(raw, p)
    if s.status == "ok":
        return Sample(status="error", metrics=s.metrics,
                      message="traffic passed over SAs with mismatched keys: the integrity "
                              "check this suite relies on did not fail")
    return s


PATHS = (
    MeasuredPath("ipsec.xfrm", "bytes/s", False, _argv("xfrm"), parse, family="ipsec"),
    MeasuredPath("ipsec.ike", "bytes/s", False, _argv("ike"), parse, family="ipsec"),
    MeasuredPath("ipsec.none", "bytes/s", True, _argv("none"), parse, family="net"),
    MeasuredPath("ipsec.badkeys", "bytes/s", False, _argv("xfrm", keys="mismatched"),
                 parse_mismatched, expect_errno="EBADMSG", family="ipsec"),
)
