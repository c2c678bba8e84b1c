"""One IPsec case, run inside the guest (chroot of the host root); and
the bad-input table of kdio-cryptoprio. Standard library only.

A case: two network namespaces joined by a veth pair (10.77.0.1 in
kdio-a, 10.77.0.2 in kdio-b); the crypto driver pinned with
kdio-cryptoprio -P before any SA exists; ESP SAs made by `ip xfrm`
(--sa xfrm) or by two strongSwan charon daemons, one per namespace,
negotiating IKEv2 through swanctl (--sa ike), or none (--sa none: the
same traffic without IPsec); the driver that serves the SAs read from
/proc/crypto (each SA's transform holds a reference on the driver: the
pinned driver's count must rise by one per SA and no other driver's of
the algorithm may rise); iperf3 from kdio-a to kdio-b; then each SA's
packet counters, /proc/net/xfrm_stat of both namespaces and the veth
drops. It prints one JSON line of what it saw; the host judges it
(kdio.paths.ipsec). --keys mismatched gives the receiving SAs other keys than
the sending ones, the negative control: every ESP packet must then fail
its integrity check.

Exit 0 when the line was printed (whatever it says), 2 on usage.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

NS = ("kdio-a", "kdio-b")
ADDR = ("10.77.0.1", "10.77.0.2")
DEV = ("kdio-va", "kdio-vb")
RUN = "/run/kdio/ipsec"
SPI = (0x100, 0x200)           # of the SA leaving kdio-a, kdio-b
ALGS = {"cbc": "cbc(aes)", "gcm": "rfc4106(gcm(aes))"}
# Test keys: never secret, the same in every run.
ENC_KEY = {128: "0x" + "11" * 16, 256: "0x" + "11" * 32}
AUTH_KEY = "0x" + "22" * 32
GCM_KEY = {128: "0x" + "33" * 16 + "44332211", 256: "0x" + "33" * 32 + "44332211"}
IKE_PROPOSALS = "aes128-sha256-x25519"
ESP_PROPOSALS = {("cbc", 128): "aes128-sha256", ("cbc", 256): "aes256-sha256",
                 ("gcm", 128): "aes128gcm16", ("gcm", 256): "aes256gcm16"}
SETTLE_S, IKE_TIMEOUT_S = 10, 60
SEP = "--kdio--"
TMP = f"{RUN}/tmp"     # iperf3 makes a file in $TMPDIR; /tmp is read-only


class CaseError(Exception):
    """The case cannot go on: errno name and message for the record."""

    def __init__(self, errno_name, message):
        super().__init__(message)
        self.errno_name, self.message = errno_name, message


def sh(argv, check=True, timeout=60, input=None, env=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input,
                       env=env)
    if check and r.returncode != 0:
        raise CaseError("EIO", f"{' '.join(argv)} exited {r.returncode}: "
                               f"{(r.stderr or r.stdout).strip()[-300:]}")
    return r


def in_ns(i, *argv):
    return ["ip", "netns", "exec", NS[i], *argv]


def net_down():
    sh(["ip", "-force", "-batch", "-"], check=False,
       input="".join(f"netns del {ns}\n" for ns in NS))


def net_up(extra=("", "")):
    """Two namespaces, a veth pair between them, addresses, links up, then
    extra[i] (ip batch lines: the SAs) in namespace i: three processes."""
    net_down()
    sh(["ip", "-batch", "-"], input=f"netns add {NS[0]}\nnetns add {NS[1]}\n"
       f"link add {DEV[0]} netns {NS[0]} type veth peer {DEV[1]} netns {NS[1]}\n")
    for i in (0, 1):
        sh(["ip", "-n", NS[i], "-batch", "-"],
           input=f"addr add {ADDR[i]}/24 dev {DEV[i]}\nlink set {DEV[i]} up\n"
                 f"link set lo up\n{extra[i]}")


class InNetns:
    """Run the block in namespace i (setns on this thread), for reading its
    /proc/self/net files without starting a process."""
    CLONE_NEWNET = 0x40000000

    def __init__(self, i):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.i = i

    def _enter(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            if self.libc.setns(fd, self.CLONE_NEWNET) != 0:
                raise CaseError("EIO", f"setns {path}: {os.strerror(ctypes.get_errno())}")
        finally:
            os.close(fd)

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        self._enter(f"/run/netns/{NS[self.i]}")
        return self

    def __exit__(self, *exc):
        try:
            if self.libc.setns(self.home, self.CLONE_NEWNET) != 0:
                raise CaseError("EIO", "setns back to the guest's namespace failed")
        finally:
            os.close(self.home)


# --- which driver serves the SAs ------------------------------------------

def proc_crypto(path="/proc/crypto"):
    """[{name, driver, priority, refcnt, ...}] from /proc/crypto."""
    entries, cur = [], {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                if cur:
                    entries.append(cur)
                cur = {}
                continue
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    if cur:
        entries.append(cur)
    return entries


def refcounts(alg, entries=None):
    """{driver: refcnt} of every driver of alg."""
    return {e["driver"]: int(e.get("refcnt", 0)) for e in (entries or proc_crypto())
            if e.get("name") == alg}


def settle(alg, want=None):
    """Wait until the drivers' reference counts stop moving (SAs of an
    earlier case are freed by a work queue, after their namespace goes);
    with want, until they are back to it. The counts it ended at."""
    last, t0 = refcounts(alg), time.monotonic()
    while time.monotonic() - t0 < SETTLE_S:
        time.sleep(0.3)
        now = refcounts(alg)
        if now == last and (want is None or all(now.get(d, 0) <= n for d, n in want.items())):
            return now
        last = now
    return last


def pin(tool, driver, alg):
    """kdio-cryptoprio -P: the driver above every other of alg."""
    r = sh([tool, "-d", driver, "-a", alg, "-P", "-c"], check=False)
    out = last_json(r.stdout) or {}
    if r.returncode == 3:
        raise CaseError("ENOENT", out.get("error") or f"no crypto driver {driver}")
    if r.returncode != 0:
        raise CaseError(out.get("errno_name") or "EIO",
                        out.get("error") or f"kdio-cryptoprio exited {r.returncode}")
    return out


def last_json(text):
    for line in reversed((text or "").strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


# --- SAs made with ip xfrm ---------------------------------------------------

def alg_args(alg, key_bits, variant=0):
    """ip xfrm's algorithm words; variant != 0: other keys (last byte)."""
    def other(key):
        return key if not variant else key[:-2] + f"{(int(key[-2:], 16) ^ variant):02x}"
    if alg == "gcm":
        return f"aead 'rfc4106(gcm(aes))' {other(GCM_KEY[key_bits])} 128"
    return (f"enc 'cbc(aes)' {other(ENC_KEY[key_bits])} "
            f"auth-trunc 'hmac(sha256)' {other(AUTH_KEY)} 128")


def xfrm_commands(i, alg, mode, key_bits, mismatched):
    """The states and policies of namespace i: its outbound SA with the
    shared keys, its inbound SA with other keys if mismatched."""
    here, there = ADDR[i], ADDR[1 - i]
    out_spi, in_spi = SPI[i], SPI[1 - i]
    inbound_variant = 0x5a if mismatched else 0
    return "\n".join([
        f"xfrm state add src {here} dst {there} proto esp spi {out_spi} reqid 1 mode {mode} "
        f"{alg_args(alg, key_bits)}",
        f"xfrm state add src {there} dst {here} proto esp spi {in_spi} reqid 1 mode {mode} "
        f"{alg_args(alg, key_bits, inbound_variant)}",
        f"xfrm policy add src {here}/32 dst {there}/32 dir out "
        f"tmpl src {here} dst {there} proto esp reqid 1 mode {mode}",
        f"xfrm policy add src {there}/32 dst {here}/32 dir in "
        f"tmpl src {there} dst {here} proto esp reqid 1 mode {mode}",
    ]) + "\n"


def sa_xfrm(args):
    """The network with each namespace's states and policies."""
    net_up([xfrm_commands(i, args.alg, args.mode, args.key, args.keys == "mismatched")
            for i in (0, 1)])
    return []


# --- SAs made by strongSwan (charon + swanctl) --------------------------------

# The plugins charon and swanctl load (ci/packages.txt names the package of
# each, so that kdio doctor can tell which one is missing).
CHARON_PLUGINS = ("random nonce openssl pem pkcs1 x509 pubkey hmac sha2 aes gcm kdf "
                  "kernel-netlink socket-default vici")
SWANCTL_PLUGINS = "random openssl"


def strongswan_conf():
    """charon's settings as it sees them: its own folder is its /run."""
    return f"""charon {{
  load = {CHARON_PLUGINS}
  install_routes = no
  install_virtual_ip = no
  plugins {{
    vici {{
      socket = unix:///run/charon.vici
    }}
  }}
  filelog {{
    log {{
      path = /run/charon.log
      time_format = %s
      default = 1
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
swanctl {{
  load = {SWANCTL_PLUGINS}
}}
"""


def swanctl_conf(i, alg, mode, key_bits):
    ids = ("a.kdio", "b.kdio")
    return f"""connections {{
  kdio {{
    version = 2
    local_addrs = {ADDR[i]}
    remote_addrs = {ADDR[1 - i]}
    proposals = {IKE_PROPOSALS}
    local {{
      auth = psk
      id = {ids[i]}
    }}
    remote {{
      auth = psk
      id = {ids[1 - i]}
    }}
    children {{
      kdio {{
        mode = {mode}
        esp_proposals = {ESP_PROPOSALS[alg, key_bits]}
      }}
    }}
  }}
}}
secrets {{
  ike-kdio {{
    id-a = {ids[0]}
    id-b = {ids[1]}
    secret = kdio-test-psk-not-a-secret
  }}
}}
"""


def charon_dir(i):
    return f"{RUN}/{NS[i]}"


def start_charon(i, alg, mode, key_bits):
    """charon in namespace i, in a mount namespace of its own whose /run is
    its folder (the host root is read-only and charon's pid file is
    /var/run/charon.pid: two daemons need two)."""
    d = charon_dir(i)
    shutil.rmtree(d, ignore_errors=True)  # an earlier case's socket, pid file and log
    os.makedirs(d)
    with open(f"{d}/strongswan.conf", "w") as f:
        f.write(strongswan_conf())
    with open(f"{d}/swanctl.conf", "w") as f:
        f.write(swanctl_conf(i, alg, mode, key_bits))
    script = (f"mount --bind {d} /run && "
              "STRONGSWAN_CONF=/run/strongswan.conf exec /usr/lib/ipsec/charon")
    return subprocess.Popen(in_ns(i, "unshare", "-m", "--propagation", "private", "sh", "-c",
                                  script),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def swanctl(i, *argv, timeout=IKE_TIMEOUT_S):
    env = dict(os.environ, STRONGSWAN_CONF=f"{charon_dir(i)}/strongswan.conf")
    return sh(["swanctl", *argv, "--uri", f"unix://{charon_dir(i)}/charon.vici"],
              timeout=timeout, env=env)


def wait_vici(i, proc):
    t0 = time.monotonic()
    while not os.path.exists(f"{charon_dir(i)}/charon.vici"):
        if proc.poll() is not None:
            raise CaseError("EIO", f"charon in {NS[i]} exited {proc.returncode}: "
                                   f"{proc.stderr.read().strip()[-300:]} {charon_log(i)}")
        if time.monotonic() - t0 > IKE_TIMEOUT_S:
            raise CaseError("ETIMEDOUT", f"charon in {NS[i]} made no vici socket in "
                                         f"{IKE_TIMEOUT_S} s: {charon_log(i)}")
        time.sleep(0.2)


def charon_log(i, lines=6):
    try:
        with open(f"{charon_dir(i)}/charon.log") as f:
            return " | ".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return "(no charon.log)"


def sa_ike(args):
    """The network, two charons; both load their swanctl.conf, kdio-a
    initiates."""
    net_up()
    procs = [start_charon(i, args.alg, args.mode, args.key) for i in (0, 1)]
    try:
        for i in (0, 1):
            wait_vici(i, procs[i])
            swanctl(i, "--load-all", "--noprompt", "--file", f"{charon_dir(i)}/swanctl.conf")
        r = swanctl(0, "--initiate", "--child", "kdio", "--timeout", str(IKE_TIMEOUT_S))
        if "completed successfully" not in r.stdout:
            raise CaseError("EPROTO", f"IKE did not establish: {r.stdout.strip()[-300:]}")
    except (CaseError, subprocess.TimeoutExpired) as e:
        stop_charons(procs)
        if isinstance(e, CaseError):
            e.message += f"; charon kdio-a: {charon_log(0)}; kdio-b: {charon_log(1)}"
            raise
        raise CaseError("ETIMEDOUT", f"swanctl timed out; charon kdio-a: {charon_log(0)}")
    return procs


def stop_charons(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# --- what the kernel counted --------------------------------------------------

SA_HEAD = re.compile(r"^src (\S+) dst (\S+)")
SA_SPI = re.compile(r"proto esp spi 0x([0-9a-f]+)")
SA_LIFE = re.compile(r"(\d+)\(bytes\), (\d+)\(packets\)")
SA_FAILED = re.compile(r"replay \d+ failed (\d+)")
SA_ALG = re.compile(r"^\s*(enc|aead|auth-trunc|auth) (\S+)")


def xfrm_states(text):
    """[{src, dst, spi, bytes, packets, failed, algs}] from ip -s xfrm state."""
    states = []
    for line in text.splitlines():
        m = SA_HEAD.match(line)
        if m:
            states.append({"src": m[1], "dst": m[2], "algs": []})
            continue
        if not states:
            continue
        s = states[-1]
        for regex, key in ((SA_SPI, "spi"), (SA_FAILED, "failed")):
            m = regex.search(line)
            if m:
                s[key] = int(m[1], 16) if key == "spi" else int(m[1])
        m = SA_LIFE.search(line)
        if m and "bytes" not in s:
            s["bytes"], s["packets"] = int(m[1]), int(m[2])
        m = SA_ALG.match(line)
        if m:
            s["algs"].append(m[2])
    return states


def parse_xfrm_stat(text):
    """{counter: value} of /proc/net/xfrm_stat."""
    return {k: int(v) for k, v in (line.split() for line in text.splitlines() if line.strip())}


def dev_drops(text, dev):
    """(rx_dropped, tx_dropped) of dev in /proc/net/dev."""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name.strip() == dev:
            f = rest.split()
            return int(f[3]), int(f[11])
    raise CaseError("EIO", f"{dev} is not in /proc/net/dev")


def ns_counters(i):
    """Namespace i's SAs (ip -s xfrm state), xfrm_stat and veth drops."""
    states = sh(["ip", "-n", NS[i], "-s", "xfrm", "state"]).stdout
    with InNetns(i):
        with open("/proc/self/net/xfrm_stat") as f:
            stat = parse_xfrm_stat(f.read())
        with open("/proc/self/net/dev") as f:
            rx, tx = dev_drops(f.read(), DEV[i])
    return {"states": xfrm_states(states), "xfrm_counters": len(stat),
            "xfrm_errors": {k: v for k, v in stat.items() if v},
            "veth_tx_dropped": tx, "veth_rx_dropped": rx}


def counters():
    return [ns_counters(i) for i in (0, 1)]


# --- traffic -------------------------------------------------------------------

def iperf_argv(args):
    argv = ["iperf3", "-c", ADDR[1], "-J", "--get-server-output", "-t", str(args.time),
            "-P", str(args.flows), "--connect-timeout", "5000"]
    if args.proto == "udp":
        argv += ["-u", "-b", "0", "-l", str(args.len)]
    elif args.len:
        argv += ["-l", str(args.len)]
    return in_ns(0, *argv)


def traffic(args):
    """iperf3 -s in kdio-b, the client in kdio-a: its JSON, or an error.
    The client retries while the server is not listening yet."""
    os.makedirs(TMP, exist_ok=True)
    os.environ["TMPDIR"] = TMP
    server = subprocess.Popen(in_ns(1, "iperf3", "-s", "-1", "-J", "-B", ADDR[1]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        for attempt in range(10):
            r = sh(iperf_argv(args), check=False, timeout=args.time + 60)
            doc = last_json_doc(r.stdout)
            if not (doc and "Connection refused" in str(doc.get("error", ""))):
                break
            time.sleep(0.5)
    except subprocess.TimeoutExpired:
        raise CaseError("ETIMEDOUT", f"iperf3 ran over {args.time + 60} s") from None
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
    if doc is None:
        raise CaseError("EIO", f"iperf3 exited {r.returncode} without JSON: "
                               f"{(r.stderr or r.stdout).strip()[-200:]}")
    return doc


def last_json_doc(text):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def iperf_figures(doc, proto):
    """Both ends' counts from the client's JSON (with the server's)."""
    end = doc.get("end") or {}
    server = ((doc.get("server_output_json") or {}).get("end") or {}).get("sum_received") or {}
    sent = end.get("sum_sent") or {}
    fig = {"error": doc.get("error"), "seconds": server.get("seconds") or sent.get("seconds"),
           "sent_bytes": sent.get("bytes"), "received_bytes": server.get("bytes"),
           "retransmits": sent.get("retransmits")}
    if proto == "udp":
        fig.update(sent_packets=sent.get("packets"), seen_packets=server.get("packets"),
                   lost_packets=server.get("lost_packets"))
    return fig


# --- the case --------------------------------------------------------------------

def make_sas(args, alg, record):
    """Pin, make the network and the SAs, and read which driver took the
    references; the charon processes (ike)."""
    settle(alg)
    record["pin"] = pin(args.cryptoprio, args.pin or args.driver, alg)
    before = refcounts(alg)
    procs = sa_ike(args) if args.sa == "ike" else sa_xfrm(args)
    after = refcounts(alg)
    record["refcnt_before"], record["refcnt_after"] = before, after
    return procs


class Phases:
    """Seconds each phase of a case took, for the record."""

    def __init__(self):
        self.times, self.t0 = {}, time.monotonic()

    def done(self, name):
        now = time.monotonic()
        self.times[name] = round(now - self.t0, 3)
        self.t0 = now


def run_case(args):
    record = {"tool": "ipsec-case", "sa": args.sa, "alg": args.alg, "mode": args.mode,
              "driver": args.driver, "proto": args.proto, "len": args.len,
              "flows": args.flows, "keys": args.keys}
    alg, procs, phase = ALGS[args.alg], [], Phases()
    record["phases_s"] = phase.times
    try:
        if args.sa == "none":
            net_up()
        else:
            procs = make_sas(args, alg, record)
        phase.done("net+sa")
        record["counters_before"] = counters()
        phase.done("counters")
        try:
            record["iperf"] = iperf_figures(traffic(args), args.proto)
        finally:  # what the kernel counted, whatever the traffic did
            phase.done("traffic")
            record["counters_after"] = counters()
    except CaseError as e:
        record.update(errno=e.errno_name, error=e.message)
    finally:
        stop_charons(procs)
        net_down()
        if args.sa != "none" and "refcnt_before" in record:
            settle(alg, want=record["refcnt_before"])
        phase.done("teardown")
    print(json.dumps(record, sort_keys=True), flush=True)
    return 0


# --- kdio-cryptoprio's refusals (KTAP) --------------------------------------------

def badinput_rows(tool):
    """(name, argv, exit code, words its message must hold)."""
    drop = ["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"]
    return [
        ("unknown-driver", [tool, "-d", "kdio-no-such-driver", "-p", "500"], 3,
         ("no crypto driver named kdio-no-such-driver", "/proc/crypto")),
        ("algorithm-not-driver", [tool, "-d", "cbc(aes)", "-P"], 3,
         ("cbc(aes)", "algorithm name", "its drivers are")),
        ("wrong-algorithm", [tool, "-d", "virtio_crypto_aes_cbc", "-a", "rfc4106(gcm(aes))",
                             "-P"], 1,
         ("implements cbc(aes), not rfc4106(gcm(aes))", "drivers of rfc4106(gcm(aes))")),
        ("no-cap-net-admin", drop + [tool, "-d", "cbc-aes-aesni", "-p", "500"], 1,
         ("needs CAP_NET_ADMIN",)),
        ("priority-range", [tool, "-d", "cbc-aes-aesni", "-p", "4294967295"], 2,
         ("0..2147483647",)),
        ("pin-and-priority", [tool, "-d", "cbc-aes-aesni", "-p", "5", "-P"], 2,
         ("exclude each other",)),
        ("no-driver-option", [tool, "-P"], 2, ("-d DRIVER is required",)),
    ]


def run_badinput(args):
    rows = badinput_rows(args.cryptoprio)
    if args.wrong_row:  # test only: a row that expects a wrong exit code
        rows = [(n, a, 99 if n == args.wrong_row else rc, w) for n, a, rc, w in rows]
    print("KTAP version 1")
    print(f"1..{len(rows)}")
    for i, (name, argv, want_rc, words) in enumerate(rows, 1):
        r = sh(argv, check=False)
        said = (r.stderr + r.stdout).replace("\n", " ")
        missing = [w for w in words if w not in said]
        ok = r.returncode == want_rc and not missing
        if not ok:
            print(f"# {name}: exit {r.returncode} (want {want_rc}), missing {missing}: "
                  f"{said.strip()[:200]}")
        print(f"{'ok' if ok else 'not ok'} {i} {name}")
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(prog="ipsecguest.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("case")
    c.add_argument("--sa", choices=("xfrm", "ike", "none"), required=True)
    c.add_argument("--alg", choices=tuple(ALGS), default="cbc")
    c.add_argument("--key", type=int, choices=(128, 256), default=128)
    c.add_argument("--mode", choices=("transport", "tunnel"), default="transport")
    c.add_argument("--driver", default=None, help="cra_driver_name to pin")
    c.add_argument("--pin", default=None,
                   help="test only: pin this driver instead (the host must then refuse "
                        "the case)")
    c.add_argument("--proto", choices=("tcp", "udp"), required=True)
    c.add_argument("--len", type=int, default=0, help="UDP payload / TCP write size")
    c.add_argument("--flows", type=int, default=1)
    c.add_argument("--time", type=int, default=3)
    c.add_argument("--keys", choices=("same", "mismatched"), default="same")
    c.add_argument("--cryptoprio", required=True)
    b = sub.add_parser("badinput")
    b.add_argument("--cryptoprio", required=True)
    b.add_argument("--wrong-row", default=None)
    args = p.parse_args(argv)
    if args.cmd == "case" and args.sa != "none" and not args.driver:
        p.error("--driver is required with --sa xfrm or ike")
    return args


def main(argv):
    args = parse_args(argv)
    return run_case(args) if args.cmd == "case" else run_badinput(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
