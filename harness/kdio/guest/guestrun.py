"""The guest runner: runs inside the guest, in a chroot of the host root.

It executes the plan the host wrote (setup steps, then every case once per
repetition, interleaved; a batch of fio cases as one fio process, where
its first case comes) and appends one JSON record per execution to
records.jsonl beside the plan, flushed and fsynced at once, so the host has
every finished sample even if the guest dies. It parses nothing: the host
turns raw records into results. Standard library only, and few modules of
it: /init starts python3 -I -S over a cold 9p share, where every import
costs (platform alone ~0.1 s under TCG), and the first case waits for them.
"""

import json
import os
import subprocess
import sys
import time

OUTPUT_TAIL = 65536


def say(msg):
    print(f"kdio: {msg}", flush=True)


class Records:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")

    def write(self, record):
        self.f.write(json.dumps(record, sort_keys=True) + "\n")
        self.f.flush()
        os.fsync(self.f.fileno())


class Kmsg:
    """New kernel log lines since the last call (text after the ';')."""

    def __init__(self):
        try:
            self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self.fd = None

    def drain(self):
        lines = []
        while self.fd is not None:
            try:
                raw = os.read(self.fd, 8192)
            except BlockingIOError:
                break
            except OSError:  # EPIPE: overwritten entries; keep reading
                continue
            text = raw.decode("utf-8", "replace")
            lines.append(text.split(";", 1)[1].split("\n", 1)[0] if ";" in text else text)
        return lines


def execute(argv, timeout_s, tail=OUTPUT_TAIL):
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
        rc, out, err, timed_out = r.returncode, r.stdout, r.stderr, False
    except subprocess.TimeoutExpired as e:
        rc, timed_out = None, True
        out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = (e.stderr or b"").decode("utf-8", "replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    except OSError as e:
        rc, out, err, timed_out = 127, "", f"{argv[0]}: {e.strerror}", False
    return {"rc": rc, "stdout": out[-tail:], "stderr": err[-OUTPUT_TAIL:],
            "timed_out": timed_out, "wall_s": round(time.monotonic() - t0, 6)}


def split_fio_report(stdout, jobs):
    """{job name: fio's JSON report of that job alone} from the report of a
    batch (one fio process, several jobs), so that each case's record holds
    its own job; None if stdout is no whole report (fio failed), and then
    each case keeps the output as it is, for the host to say why."""
    start = stdout.find("{")
    try:
        doc = json.loads(stdout[start:]) if start >= 0 else None
        by_name = {j["jobname"]: j for j in doc["jobs"]}
    except (ValueError, KeyError, TypeError):
        return None
    return {name: json.dumps({**doc, "jobs": [by_name[name]] if name in by_name else []})
            for name in jobs}


def guest_info(kmsg):
    """The guest's first record: its release and size, its uptime now (the
    runner started) and when /init had mounted everything (ready_s)."""
    return {"type": "guest", "release": os.uname().release, "cpus": os.cpu_count(),
            "mem_kib": _meminfo_total(), "uptime_s": _uptime(), "ready_s": _ready_s(),
            "boot_kmsg": kmsg.drain()}


# The user space a case may run inside its counted window, by the Debian
# package and the file the loader takes it from (the guest's root is the
# host's, so the host's installed versions enter the figures).
LIBDIR = "/lib/x86_64-linux-gnu"
USERSPACE = {"glibc": ("libc6", f"{LIBDIR}/libc.so.6"), "fio": ("fio", "/usr/bin/fio"),
             "libaio": ("libaio1", f"{LIBDIR}/libaio.so.1"),
             "liburing": ("liburing2", f"{LIBDIR}/liburing.so.2")}


def dpkg_versions(names, status="/var/lib/dpkg/status"):
    """{package: version} of the installed packages among names."""
    out = {}
    try:
        with open(status, encoding="utf-8", errors="replace") as f:
            paragraphs = f.read().split("\n\n")
    except OSError:
        return out
    for para in paragraphs:
        fields = dict(line.split(": ", 1) for line in para.splitlines()
                      if ": " in line and not line.startswith(" "))
        if fields.get("Package") in names and fields.get("Status", "").endswith(" installed"):
            out[fields["Package"]] = fields.get("Version")
    return out


def userspace():
    """The guest's record of its user space: for glibc, fio, libaio and
    liburing, the package version installed and the file the loader takes
    (None where absent), and the glibc the runner itself runs on."""
    versions = dpkg_versions({pkg for pkg, _ in USERSPACE.values()})
    return {"type": "userspace", "glibc_runtime": os.confstr("CS_GNU_LIBC_VERSION"),
            "components": {name: {"package": pkg, "version": versions.get(pkg),
                                  "file": os.path.realpath(path) if os.path.exists(path)
                                  else None}
                           for name, (pkg, path) in USERSPACE.items()}}


def crypto_drivers(path="/proc/crypto"):
    """The guest's crypto drivers as /proc/crypto lists them, once the
    modules are loaded: driver name -> {"type", "module", "async"} (async
    "yes"/"no" for the types that say, else None). Counted mode measures a
    user's driver only if it is synchronous (kdio.model.measure)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return {"type": "crypto", "error": str(e), "drivers": {}}
    drivers = {}
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
        if fields.get("driver"):
            drivers[fields["driver"]] = {"type": fields.get("type"), "module": fields.get("module"),
                                         "async": fields.get("async")}
    return {"type": "crypto", "drivers": drivers}


def _ready_s():
    """/init's uptime at 'guest ready' (kdio_ready_s), None if it gave none."""
    try:
        return float(os.environ["kdio_ready_s"])
    except (KeyError, ValueError):
        return None


def _uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def _meminfo_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    return None


class Marks:
    """In a profiled run (the plan's "profile"), a case marker before each
    sample, so that the profiler's plugin writes one file of counts per
    sample: seq-<n>.tsv is the sample after the n-th marker (0: the boot
    and setup), as the "mark" record with that seq says. The last marker,
    for no case, closes the last sample. Not profiled: nothing."""

    def __init__(self, profile, records):
        self.argv, self.records, self.seq = (profile or {}).get("mark"), records, 0
        self.maps_dir = (profile or {}).get("maps_dir")

    def maps(self, seqs):
        """The memory maps fio's start markers saved (kdio-mark -m) while the
        samples seqs ran, one record, and the files removed."""
        if not self.argv or not self.maps_dir or not os.path.isdir(self.maps_dir):
            return
        found = {}
        for name in sorted(os.listdir(self.maps_dir)):
            if name.startswith("kdio-maps-") and name.endswith(".txt"):
                path = os.path.join(self.maps_dir, name)
                with open(path) as f:
                    found[name[len("kdio-maps-"):-len(".txt")]] = f.read()
                os.unlink(path)
        if found:
            self.records.write({"type": "maps", "seqs": list(seqs), "maps": found})

    def __call__(self, cases, rep):
        if not self.argv:
            return
        result = execute(self.argv, 60)
        self.seq += 1
        self.records.write({"type": "mark", "seq": self.seq, "cases": cases, "rep": rep,
                            "rc": result["rc"]})

    def jobs(self, cases, rep):
        """The samples of a batch whose fio jobs each ran a case marker
        first (a profiled plan's "job_marks"): one per job, in order."""
        if not self.argv:
            return
        for case in cases:
            self.seq += 1
            self.records.write({"type": "mark", "seq": self.seq, "cases": [case], "rep": rep,
                                "rc": 0, "by": "fio job"})


def run_batch(bid, batch, rep, mark, kmsg, records):
    """One fio process for a batch's cases, and a sample for each of them;
    the number of samples. In a profiled plan whose jobs mark, fio's
    start-up is no case's and each job starts its own sample."""
    mark([] if batch.get("job_marks") else batch["cases"], rep)
    first = mark.seq
    result = execute(batch["argv"], batch.get("timeout_s", 600),
                     tail=OUTPUT_TAIL * len(batch["cases"]))
    if batch.get("job_marks"):
        mark.jobs(batch["cases"], rep)
    mark.maps(range(first, mark.seq + 1))
    log = kmsg.drain()
    own = split_fio_report(result["stdout"], batch["jobs"]) or {}
    for case_id, job in zip(batch["cases"], batch["jobs"]):
        out = own.get(job, result["stdout"][-OUTPUT_TAIL:])
        records.write({"type": "sample", "case": case_id, "rep": rep, **result, "stdout": out,
                       "batch": bid, "fio_job": job, "kmsg": log})
    return len(batch["cases"])


def run(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    records = Records(os.path.join(os.path.dirname(plan_path), "records.jsonl"))
    kmsg = Kmsg()
    records.write(guest_info(kmsg))
    refused = []  # the failed steps that refuse the run (the configuration's checks)
    for step in plan.get("setup", []):
        say(f"setup {step['name']}")
        result = execute(step["argv"], step.get("timeout_s", 600))
        records.write({"type": "setup", "name": step["name"], **result, "kmsg": kmsg.drain()})
        if step.get("refuses") and result["rc"] != 0:
            refused.append(step["name"])
    if refused:
        say(f"runner stops before the first case: {', '.join(refused)} failed")
        records.write({"type": "end"})
        return 0
    records.write(crypto_drivers())
    records.write(userspace())
    total = plan["repetitions"] * len(plan["cases"])
    batches = plan.get("batches", {})
    mark = Marks(plan.get("profile"), records)
    n = 0
    for rep in range(plan["repetitions"]):
        done = set()  # the batches run in this repetition
        for case in plan["cases"]:
            bid = case.get("batch")
            if bid in done:
                continue
            if bid is not None:
                done.add(bid)
                say(f"case {n + 1}-{n + len(batches[bid]['cases'])}/{total} start batch {bid} "
                    f"rep {rep}")
                n += run_batch(bid, batches[bid], rep, mark, kmsg, records)
                continue
            n += 1
            say(f"case {n}/{total} start {case['case']} rep {rep}")
            argv = case["argv_by_rep"][rep] if "argv_by_rep" in case else case["argv"]
            mark([case["case"]], rep)
            result = execute(argv, case.get("timeout_s", 600))
            mark.maps([mark.seq])
            records.write({"type": "sample", "case": case["case"], "rep": rep, **result,
                           "kmsg": kmsg.drain()})
    mark([], None)
    for check in plan.get("checks", []):
        say(f"check {check['name']}")
        result = execute(check["argv"], check.get("timeout_s", 600))
        records.write({"type": "check", "name": check["name"],
                       "output": check.get("output", "jsonl"), **result, "kmsg": kmsg.drain()})
    records.write({"type": "end"})
    say("runner done")
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
