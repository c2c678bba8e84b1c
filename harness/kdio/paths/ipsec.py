"""IPsec ESP cases: the paths, the verdict on what the guest saw, the
prediction from the raw crypto figure, plots and the report section.

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
from kdio.paths.pathdef import CRYPTO_DRIVERS, MeasuredPath, Sample, failed, last_json

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


def _flows(p):
    return family.IPSEC.value(p, "flows")


def is_ipsec(r):
    """Is this result an IPsec case or its no-IPsec baseline?"""
    return r["path"].startswith("ipsec.")


def used(suite):
    return any(c.path.startswith("ipsec.") for c in suite.cases)


def driver_name(p):
    """The cra_driver_name a case pins: kdio's short names, or a user's."""
    return CRYPTO_DRIVERS.get((p["alg"], p["driver"]), p["driver"])


def _argv(sa, keys="same"):
    def make(p, env):
        args = [PYTHON, str(GUEST), "case", "--sa", sa, "--proto", p["proto"],
                "--len", str(p["len"]), "--flows", str(_flows(p)),
                "--time", str(p["time"]), "--cryptoprio", env.tool("kdio-cryptoprio")]
        if sa != "none":
            args += ["--alg", p["alg"], "--mode", p["mode"], "--driver", driver_name(p),
                     "--key", str(p.get("key", 128)), "--keys", keys]
        if sa != "none" and "pin" in p:  # test only: pin another driver than the case's
            args += ["--pin", driver_name({**p, "driver": p["pin"]})]
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
    served, why = served_by(out, driver_name(p)) if ipsec else (None, None)
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


def measured_paths():
    """The IPsec paths, for kdio.paths.paths.PATHS."""
    return {p.name: p for p in (
        MeasuredPath("ipsec.xfrm", "bytes/s", False, _argv("xfrm"), parse, family="ipsec"),
        MeasuredPath("ipsec.ike", "bytes/s", False, _argv("ike"), parse, family="ipsec"),
        MeasuredPath("ipsec.none", "bytes/s", True, _argv("none"), parse, family="net"),
        MeasuredPath("ipsec.badkeys", "bytes/s", False, _argv("xfrm", keys="mismatched"),
                     parse_mismatched, expect_errno="EBADMSG", family="ipsec"),
    )}


def _check_badinput(suite, env):
    """kdio-cryptoprio's refusals: each exit code and message."""
    return [("ipsec-badinput", [PYTHON, str(GUEST), "badinput",
                                "--cryptoprio", env.tool("kdio-cryptoprio")])]


CHECKS = {"ipsec-badinput": _check_badinput}
CHECK_OUTPUT = {"ipsec-badinput": "ktap"}


# --- the raw crypto figure that should predict ESP ------------------------------

def esp_message(alg, proto, length):
    """The bytes one ESP packet encrypts in transport mode, as kdio-crypto's
    message size: the UDP header and payload, ESP's 2-byte trailer, padded
    to the AES block (CBC) or 4 bytes (GCM). TCP segments are taken as
    1400 bytes (about the MSS left under ESP on a 1500-byte MTU)."""
    payload = (length if proto == "udp" else 1400) + 8 + 2
    block = 16 if alg == "cbc" else 4
    return -(-payload // block) * block


def _median(r, metric=None):
    if r is None or r["status"] != "ok" or not r["summary"]:
        return None
    if metric is None:
        return r["summary"]["median"]
    values = sorted(v for v in (r.get("metrics") or {}).get(metric, []) if v is not None)
    return values[len(values) // 2] if values else None


def crypto_case(doc, alg, driver, msg, qd=1):
    """kdio-crypto's zero-copy case for driver at msg, or None."""
    return next((r for r in doc["results"] if r["path"] == "crypto.zerocopy"
                 and r["params"].get("alg") == alg and r["params"].get("driver") == driver
                 and r["params"].get("msg") == msg and r["params"].get("qd", 1) == qd), None)


# --- plots: throughput against UDP payload, one line per driver ------------------

def _series_name(r):
    p = r["params"]
    if r["path"] == "ipsec.none":
        return "ipsec.none (no IPsec)"
    return f"{r['path']} {p['mode']} {p['driver']}"


def plot_groups(doc):
    """{(alg, flows): {line: [(payload, Mbit/s median, min, max)]}}: UDP
    cases, one plot per algorithm and number of flows; the no-IPsec line
    is drawn in each."""
    groups, none = {}, {}
    for r in doc["results"]:
        p = r["params"]
        if not is_ipsec(r) or p["proto"] != "udp" or r["status"] != "ok" or not r["summary"]:
            continue
        s = r["summary"]
        point = (p["len"], *(v * 8 / 1e6 for v in (s["median"], s["min"], s["max"])))
        if r["path"] == "ipsec.none":
            none.setdefault(_flows(p), []).append(point)
        elif r["path"] != "ipsec.badkeys":
            key = (p["alg"], _flows(p))
            groups.setdefault(key, {}).setdefault(_series_name(r), []).append(point)
    for (alg, flows), series in groups.items():
        if none.get(flows):
            series["ipsec.none (no IPsec)"] = none[flows]
    return {k: {n: sorted(v) for n, v in g.items()} for k, g in groups.items()}


def plot_title(suite, key):
    alg, flows = key
    return f"{suite}: ESP {ALGS[alg]}, UDP, {flows} flow(s) (median, min-max bars)"


# --- the report: does the DMA device beat AES-NI for ESP? -------------------------

def _ipsec_results(doc):
    return [r for r in doc["results"] if is_ipsec(r) and r["path"] in ("ipsec.xfrm",
                                                                          "ipsec.ike")]


def _traffic(p):
    flows = _flows(p)
    what = f"UDP {p['len']} B" if p["proto"] == "udp" else "TCP"
    return what + (f", {flows} flows" if flows != 1 else "")


def _ratio(a, b):
    return a / b if a and b else None


def _fmt_ratio(x):
    return f"{x:.3g}x" if x is not None else "-"


def comparisons(doc):
    """One row per (path, alg, mode, traffic) that has virtio and AES-NI:
    ESP throughput virtio/aesni, and kdio-crypto's virtio/aesni at the ESP
    message size (qd 1 and, where measured, qd 8)."""
    by_key = {}
    for r in _ipsec_results(doc):
        p = r["params"]
        key = (r["path"], p["alg"], p["mode"], p["proto"], p["len"], _flows(p))
        by_key.setdefault(key, {})[p["driver"]] = r
    rows = []
    for key, drivers in by_key.items():
        path, alg, mode, proto, length, flows = key
        esp = _ratio(_median(drivers.get("virtio")), _median(drivers.get("aesni")))
        if "virtio" not in drivers or "aesni" not in drivers:
            continue
        msg = esp_message(alg, proto, length)
        raw = {qd: _ratio(_median(crypto_case(doc, alg, "virtio", msg, qd)),
                          _median(crypto_case(doc, alg, "aesni", msg, qd))) for qd in (1, 8)}
        rows.append({"path": path, "alg": alg, "mode": mode, "proto": proto, "len": length,
                     "flows": flows, "msg": msg, "esp": esp, "raw_qd1": raw[1],
                     "raw_qd8": raw[8]})
    return sorted(rows, key=lambda x: (x["path"], x["alg"], x["mode"], x["proto"] != "udp",
                                       x["len"], x["flows"]))


# Under TCG wall-clock figures move by about 20 % between runs (docs/variance.md):
# a ratio closer to 1 than this is no win for either driver.
NOISE = 0.2


def _outcome(ratio):
    """"win", "loss" or "tie" of virtio over AES-NI at this ratio."""
    if ratio is None:
        return None
    return "win" if ratio > 1 + NOISE else "loss" if ratio < 1 / (1 + NOISE) else "tie"


def _verdict(esp, raw):
    e, r = _outcome(esp), _outcome(raw)
    if e is None or r is None:
        return "-"
    if e == "tie":
        return "ESP within noise"
    return "agrees" if e == r else "disagrees"


TCG_NOTE = ("Wall-clock under TCG: QEMU runs the virtio-crypto device's AES natively on "
            "the host, while the guest's AES-NI instructions (and everything else in the "
            "guest) are emulated; figures move by tens of percent between runs. What carries "
            "over to hardware is the per-packet cost structure (a request to a DMA device "
            "costs a fixed round trip that small packets cannot amortise); the size at which "
            "the device overtakes AES-NI here is far below where it would on real hardware, "
            "where AES-NI runs at native speed.")


def report_lines(doc):
    """The markdown of the IPsec section, or [] if the run has no ESP case."""
    rows = comparisons(doc)
    if not _ipsec_results(doc):
        return []
    out = [TCG_NOTE, "",
           "ESP throughput of virtio-crypto over AES-NI (received payload, medians of this "
           "run), against kdio-crypto's own virtio/AES-NI ratio at the message one ESP packet "
           "encrypts (zero copy; qd 1 is one request at a time, qd 8 eight in flight):", "",
           "| SAs | algorithm | mode | traffic | ESP bytes | ESP virtio/aesni | "
           "kdio-crypto qd 1 | qd 8 | raw figure (qd 8, else qd 1) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for x in rows:
        raw = x["raw_qd8"] if x["raw_qd8"] is not None else x["raw_qd1"]
        out.append(f"| {x['path']} | {ALGS[x['alg']]} | {x['mode']} | {_traffic(x)} | "
                   f"{x['msg']} | {_fmt_ratio(x['esp'])} | {_fmt_ratio(x['raw_qd1'])} | "
                   f"{_fmt_ratio(x['raw_qd8'])} | {_verdict(x['esp'], raw)} |")
    out += ["", *answer(rows)]
    return out


def _listed(xs):
    return "; ".join(f"{x['path']} {x['mode']} {_traffic(x)} ({_fmt_ratio(x['esp'])})"
                     for x in xs)


def answer(rows):
    """Where the DMA device beats AES-NI for ESP, and how well the raw
    figure predicted it, in sentences."""
    measured = [x for x in rows if x["esp"] is not None]
    if not measured:
        return ["No traffic has an ESP figure on both virtio-crypto and AES-NI: no "
                "comparison to make."]
    by = {o: [x for x in measured if _outcome(x["esp"]) == o] for o in ("win", "loss", "tie")}
    lines = [f"Of {len(measured)} comparisons, virtio-crypto beat AES-NI for ESP by more than "
             f"TCG's run-to-run noise (±{NOISE:.0%}) in {len(by['win'])}"
             + (f": {_listed(by['win'])}" if by["win"] else "")
             + f"; lost in {len(by['loss'])}" + (f": {_listed(by['loss'])}" if by["loss"] else "")
             + f"; {len(by['tie'])} within the noise."]
    if len(measured) < len(rows):
        lines.append(f"{len(rows) - len(measured)} comparison(s) lack a figure on one "
                     "driver (an error or skip: see the table's notes).")
    judged = [(x, x["raw_qd8"] if x["raw_qd8"] is not None else x["raw_qd1"]) for x in measured]
    judged = [(x, raw) for x, raw in judged if raw is not None and _outcome(x["esp"]) != "tie"]
    agree = sum(1 for x, raw in judged if _outcome(x["esp"]) == _outcome(raw))
    if judged:
        lines.append(f"Where ESP gave a clear winner, kdio-crypto's raw virtio/AES-NI ratio at "
                     f"the ESP message size (qd 8, else qd 1) named the same winner in {agree} "
                     f"of {len(judged)}: " + ", ".join(
                         f"raw {_fmt_ratio(raw)} for ESP {_fmt_ratio(x['esp'])} "
                         f"({_traffic(x)})" for x, raw in judged) + ".")
    lines.append("The raw figure is one encryption; ESP adds HMAC or GHASH, the network stack "
                 "and a decryption at the other end, and keeps many packets in flight, which "
                 "an asynchronous device needs (compare its qd 1 and qd 8 figures).")
    return lines
