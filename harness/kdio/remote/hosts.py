"""A suite x kernel matrix across machines: GNU parallel over ssh.

Each (suite, kernel) pair is one parallel job, given to one host as its
share (hostgroups pin it there, round robin over the hosts weighted by
their job slots), so a host that fails or is unreachable fails exactly its
pairs. The job runs kdio/hostjob.sh on the host, which runs kdio bench in
that host's own kdio checkout; parallel returns the job's run folder, and
merge() reads the job log and the run folders back into one hosts.json.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.kernel import builttree
from kdio.results import results
from kdio.errors import KdioError

JOB_SCRIPT = where.HOST_JOB
HOSTS_VERSION = 1
# [N/]sshlogin in parallel's syntax: ':' for this machine, else [user@]host.
SSHLOGIN = re.compile(r"^(?:(?P<slots>[0-9]+)/)?(?P<login>:|(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9._-]+)$")
# ssh's own words on a lost or refused connection, and the lines parallel's
# --return prints for a folder the job did not make.
SSH_SAID = re.compile(r"^(ssh: |client_loop: |Connection (to \S+ )?(closed|reset|timed out)|"
                      r"packet_write_wait: |Timeout, server )")
RETURN_NOISE = re.compile(r"^rsync|/\.parallel/tmp/")
TAG = "[{}]"   # what parallel puts, and a tab, before each line of a job's output
TAGGED = re.compile(r"^\[(?P<run_id>[A-Za-z0-9._+-]+)\]\t(?P<line>.*)$", re.S)
RUN_ID = re.compile(r"^[A-Za-z0-9._+-]+$")
# Exit statuses of a job with a meaning of their own (else bench's).
EXIT_REASONS = {
    255: "ssh failed: the host is unreachable, refused the login, or the connection was lost",
    3: "no kdio checkout on the host at the path given",
    4: "the host's job could not find its line in plan.tsv",
    2: "ci/bootstrap.sh or kdio bench refused the run (setup or usage error)",
    1: "the run failed or a case errored",
}


class HostsError(KdioError):
    """The host list, the tools or a host's job are not usable."""


@dataclass(frozen=True)
class Host:
    sshlogin: str       # as the user gave it, parallel's syntax ([N/]sshlogin)
    checkout: str       # the kdio checkout on that host
    slots: int = 1      # jobs at once on that host

    @property
    def login(self):
        """The sshlogin without its slot count, as parallel's job log names it."""
        return self.sshlogin.split("/", 1)[-1]

    @property
    def local(self):
        return self.login == ":"


@dataclass(frozen=True)
class Pair:
    suite: str
    kernel: str
    run_id: str
    host: Host


def parse_host(sshlogin, checkout):
    """A Host from one sshlogin; HostsError on one parallel would not take."""
    m = SSHLOGIN.match(sshlogin)
    if not m:
        raise HostsError(f"bad sshlogin {sshlogin!r}: kdio hosts takes [N/][user@]host or "
                         "':' (this machine), one per --host or hosts-file line",
                         "give ssh options with --ssh \"ssh -F config\" or in ~/.ssh/config, "
                         "not in the sshlogin")
    if not checkout.startswith("/"):
        raise HostsError(f"{sshlogin}: checkout {checkout!r} is not an absolute path",
                         "give the kdio checkout's absolute path on that host")
    slots = int(m.group("slots") or 1)
    if slots < 1:
        raise HostsError(f"{sshlogin}: 0 job slots", "write 1/host or more, or just host")
    return Host(sshlogin=sshlogin, checkout=checkout, slots=slots)


def read_hosts_file(path, default_checkout):
    """Hosts from a file of lines 'sshlogin [checkout]' ('#' comments)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise HostsError(f"hosts file {path}: {e.strerror}",
                         "give a file of lines 'sshlogin [checkout]'") from None
    hosts = []
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) > 2:
            raise HostsError(f"{path}:{n}: {line.strip()!r}: more than 'sshlogin checkout'",
                             "one host per line: sshlogin, then optionally its checkout path")
        hosts.append(parse_host(words[0], words[1] if len(words) == 2 else default_checkout))
    return hosts


def suite_label(suite):
    """A --suite value as it appears in a run id: a file by its stem."""
    return Path(suite).stem if "/" in suite or suite.endswith(".toml") else suite


def plan(suites, kernels, hosts, stamp):
    """One Pair per (suite, kernel), dealt round robin over the hosts, a
    host with N slots taking N turns in a row."""
    if not hosts:
        raise HostsError("no host given", "give --host [N/][user@]host (':' is this machine) "
                         "or --hosts-file FILE")
    turns = [h for h in hosts for _ in range(h.slots)]
    pairs = []
    for suite in suites:
        for kernel in kernels:
            run_id = f"{stamp}-{suite_label(suite)}-{builttree.label(kernel)}"
            if not RUN_ID.match(run_id):
                raise HostsError(f"run id {run_id!r} has characters a job cannot carry",
                                 "use a --run-id, suite and kernel names of letters, digits, "
                                 "'.', '-', '_'")
            pairs.append(Pair(suite, kernel, run_id, turns[len(pairs) % len(turns)]))
    if len({p.run_id for p in pairs}) != len(pairs):
        raise HostsError("two pairs have the same run id", "list each suite and kernel once")
    return pairs


def plan_tsv(pairs, bench_args):
    """plan.tsv: run id, checkout, suite, kernel, then bench options (what
    hostjob.sh reads); no field may hold a tab or be empty."""
    rows = []
    for p in pairs:
        fields = [p.run_id, p.host.checkout, p.suite, p.kernel, *bench_args]
        if any(not f or "\t" in f or "\n" in f for f in fields):
            raise HostsError(f"{p.run_id}: an empty option, or one with a tab or newline",
                             "leave such options out")
        rows.append("\t".join(fields))
    return "\n".join(rows) + "\n"


def group(i):
    return f"h{i + 1}"


def command(pairs, hosts, ssh="ssh", job_timeout=None, env=("KDIO_CACHE",), plots=True):
    """The parallel argv: one job per pair pinned to its host's group, run
    in a fresh remote folder, its results/ (and plots/, if drawn) returned, the job log
    and each job's output tagged with its run id, line by line."""
    argv = ["parallel", "--hostgroups", "-j1", "--ssh", ssh, "--joblog", "joblog",
            "--tagstring", TAG.format("{}"), "--line-buffer"]
    for i, h in enumerate(hosts):
        argv += ["--sshlogin", f"@{group(i)}/{h.sshlogin}"]
    for name in env:
        argv += ["--env", name]
    if job_timeout:
        argv += ["--timeout", str(job_timeout)]
    argv += ["--workdir", "...", "--transferfile", "plan.tsv", "--transferfile", JOB_SCRIPT.name,
             "--return", "results/{}", *(["--return", "plots/{}"] if plots else []), "--cleanup",
             # Remote jobs run the transferred script on their folder; jobs on
             # ':' (no transfer, no return) on the merged folder itself.
             f'sh "${{KDIO_HOSTS_LOCAL:-.}}/{JOB_SCRIPT.name}" {{}} "${{KDIO_HOSTS_LOCAL:-.}}"',
             ":::"]
    index = {h: i for i, h in enumerate(hosts)}
    argv += [f"{p.run_id}@{group(index[p.host])}" for p in pairs]
    return argv


def preflight(hosts, ssh="ssh"):
    """HostsError unless parallel (GNU's), and for remote hosts the ssh
    command and rsync (parallel's --return), are here."""
    if not shutil.which("parallel"):
        raise HostsError("GNU parallel is not installed on this machine",
                         "install it: sh ci/bootstrap.sh bench (or apt-get install parallel)")
    out = subprocess.run(["parallel", "--version"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL).stdout
    if "GNU parallel" not in out:
        raise HostsError("the parallel on PATH is not GNU parallel (moreutils' has no --sshlogin)",
                         "install GNU parallel (apt-get install parallel) and put it first "
                         "on PATH")
    logins = [h.login for h in hosts]
    dupes = sorted({x for x in logins if logins.count(x) > 1})
    if dupes:
        raise HostsError(f"host(s) given twice: {', '.join(dupes)}",
                         "give a host once, with N/host for N jobs at once")
    if all(h.local for h in hosts):
        return
    words = shlex.split(ssh)
    if not words or not shutil.which(words[0]):
        raise HostsError(f"ssh command {ssh!r} not found on this machine",
                         "install openssh-client (sh ci/bootstrap.sh bench), or give --ssh")
    if not shutil.which("rsync"):
        raise HostsError("rsync is not installed: parallel returns the run folders with it",
                         "install rsync here and on every host (sh ci/bootstrap.sh bench)")


def read_joblog(path):
    """{seq: job} from parallel's --joblog (tab-separated, a header line)."""
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return {}
    jobs = {}
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) < 9 or not f[0].strip().isdigit():
            continue
        jobs[int(f[0])] = {"host": f[1], "runtime_s": float(f[3]), "exit": int(f[6]),
                           "signal": int(f[7]), "command": "\t".join(f[8:])}
    return jobs


def _last_error(err_path):
    """What the job said last on stderr: kdio's error line, else ssh's, else
    its last line that is not parallel's return of a folder never made."""
    try:
        lines = [ln.strip() for ln in Path(err_path).read_text(errors="replace").splitlines()
                 if ln.strip()]
    except OSError:
        return None
    kdio = [ln for ln in lines if ln.startswith("kdio") and "error" in ln]
    ssh = [ln for ln in lines if SSH_SAID.match(ln)]
    other = [ln for ln in lines if not RETURN_NOISE.search(ln)]
    return (kdio or ssh or other or lines or [None])[-1]


def _returned_doc(run_dir):
    """(the run's document or None, why not)."""
    path = run_dir / "result.json"
    if not path.exists():
        return None, "no run folder came back" if not run_dir.exists() else "no result.json"
    try:
        doc = results.load(path)
        results.validate(doc)
    except KdioError as e:
        return None, f"result.json not valid: {e}"
    return doc, None


def _job_reason(job):
    if job is None:
        return "the job did not run (parallel stopped before it)"
    if job["signal"]:
        return f"killed by signal {job['signal']} (job timeout, or stopped)"
    if job["exit"]:
        return f"exit {job['exit']}: " + EXIT_REASONS.get(job["exit"], "the job failed")
    return None


def outcome(pair, job, out_dir):
    """One pair's entry of hosts.json, and its document if one came back."""
    run_dir = out_dir / "results" / pair.run_id
    doc, missing = _returned_doc(run_dir)
    reasons = [r for r in (_job_reason(job), missing) if r]
    if doc and doc["status"] != "ok":
        reasons.append(f"run {doc['status']}: {doc['failure']['reason']}")
    if doc and doc["status"] == "ok" and job and job["exit"] == 1:
        errors = [r["case"] for r in doc["results"] if r["status"] == "error"]
        reasons.append(f"{len(errors)} case(s) in error: {', '.join(errors)}")
    if reasons and job and (job["exit"] or job["signal"]):
        said = _last_error(out_dir / "logs" / f"{pair.run_id}.err")
        if said:
            reasons.append(f"its stderr: {said}")
    entry = {"suite": pair.suite, "kernel": pair.kernel, "host": pair.host.sshlogin,
             "checkout": pair.host.checkout, "run_id": pair.run_id,
             "ran_on": job["host"] if job else None,
             "exit": job["exit"] if job else None, "signal": job["signal"] if job else None,
             "runtime_s": job["runtime_s"] if job else None,
             "run": f"results/{pair.run_id}" if run_dir.exists() else None,
             "cases": len(doc["results"]) if doc else 0,
             "status": "failed" if reasons else "ok", "reason": "; ".join(reasons) or None}
    return entry, doc


def merge(pairs, out_dir):
    """(hosts.json document, {suite: [ok documents in kernel order]}) from
    the job log and whatever run folders came back."""
    jobs = read_joblog(out_dir / "joblog")
    entries, ok_docs = [], {}
    for seq, pair in enumerate(pairs, 1):
        entry, doc = outcome(pair, jobs.get(seq), out_dir)
        entries.append(entry)
        if entry["status"] == "ok":
            ok_docs.setdefault(pair.suite, []).append(doc)
    failed = [e for e in entries if e["status"] != "ok"]
    summary = {"version": HOSTS_VERSION, "status": "failed" if failed else "ok",
               "pairs": entries, "ok": len(entries) - len(failed), "failed": len(failed),
               "hosts": sorted({p.host.sshlogin for p in pairs})}
    return summary, ok_docs


def render(summary):
    """The per-pair table that kdio hosts prints."""
    head = ("suite", "kernel", "host", "exit", "status", "cases", "run / why")
    rows = [(e["suite"], e["kernel"], e["host"], "-" if e["exit"] is None else str(e["exit"]),
             e["status"], str(e["cases"]), e["run"] if e["status"] == "ok" else e["reason"])
            for e in summary["pairs"]]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]
             for r in (head, *rows)]
    lines.append(f"{summary['ok']} pair(s) ok, {summary['failed']} failed, on "
                 f"{len(summary['hosts'])} host(s)")
    return "\n".join(lines)


def _to_stderr(line):
    print(line, file=sys.stderr, flush=True)


class JobOutput:
    """parallel's tagged output, echoed as it comes and kept per job:
    logs/<run-id> (stdout) and logs/<run-id>.err; untagged lines (parallel's
    own) in logs/parallel and .err."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.files = {}
        self.lock = threading.Lock()

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        for f in self.files.values():
            f.close()

    def write(self, line, suffix):
        m = TAGGED.match(line)
        name = (m["run_id"] if m else "parallel") + suffix
        with self.lock:
            if name not in self.files:
                self.files[name] = open(self.folder / name, "a")
            self.files[name].write((m["line"] if m else line) + "\n")
            self.files[name].flush()

    def copy(self, stream, suffix, echo):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            self.write(line, suffix)
            echo(line)


def _parallel(argv, out_dir, log):
    """Run parallel in out_dir, its output echoed and kept per job; stop it
    (and so its jobs) if kdio is stopped. Returns its exit status."""
    env = dict(os.environ, KDIO_HOSTS_LOCAL=str(out_dir))
    proc = subprocess.Popen(argv, cwd=out_dir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with JobOutput(out_dir / "logs") as logs:
            readers = [threading.Thread(target=logs.copy, args=(stream, suffix, echo),
                                        daemon=True)
                       for stream, suffix, echo in ((proc.stdout, "", log),
                                                    (proc.stderr, ".err", _to_stderr))]
            for t in readers:
                t.start()
            for t in readers:
                t.join()
        return proc.wait()
    except BaseException:
        proc.terminate()    # parallel passes it on to the jobs it started
        proc.wait()
        raise


def run(pairs, hosts, out_dir, bench_args=(), ssh="ssh", job_timeout=None, log=print):
    """Run every pair on its host with parallel, from out_dir; then merge()
    and write hosts.json. Returns merge()'s result."""
    preflight(hosts, ssh)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    results.write_atomic(out_dir / "plan.tsv", plan_tsv(pairs, list(bench_args)))
    shutil.copyfile(JOB_SCRIPT, out_dir / JOB_SCRIPT.name)
    env_names = [n for n in ("KDIO_CACHE",) if n in os.environ]
    argv = command(pairs, hosts, ssh=ssh, job_timeout=job_timeout, env=env_names,
                   plots="--no-plots" not in bench_args)
    log(f"kdio hosts: {len(pairs)} pair(s) on {len(hosts)} host(s), from {out_dir}")
    log("+ " + shlex.join(argv))
    returncode = _parallel(argv, out_dir, log)
    summary, ok_docs = merge(pairs, out_dir)
    summary["parallel_exit"] = returncode
    summary["command_line"] = shlex.join(argv)
    results.write_atomic(out_dir / "hosts.json", json.dumps(summary, indent=2) + "\n")
    return summary, ok_docs
