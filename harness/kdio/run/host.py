"""Host mode: a suite on the running kernel and this machine's own devices.

The same plan a guest runs (kdio.plan.plan) is run here by the same runner
(guestrun.py), with kdio's modules loaded into the running kernel for the
length of the run and unloaded at the end whatever happens (a failed case,
SIGINT, SIGTERM). Backends: ext4 is a file in --dir DIR (whatever file
system DIR is on), blk the raw --device DEV (kdio.run.hostdev decides whether
it may be written), brd a RAM disk kdio loads and unloads. The result
document is the guest run's, with target "host" and what this machine is
(CPU, frequency governor, kernel, each backend's device from sysfs).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.kernel import build
from kdio.model import backends
from kdio.paths import pathdef, paths
from kdio.plan import plan
from kdio.results import document, results
from kdio.run import context, doctor
from kdio.run.hostdev import HostError, System, check_device, check_dir, device_info, dir_info
from kdio.run import hostmods
from kdio.run.progress import Progress
from kdio.run.request import HostFlags, HostRequest, host_flags
from kdio.run.target import Target, execute

HOST_BACKENDS = ("ext4", "blk", "brd")
# Checks that need what only the guest's /init makes: a read-only file
# system and one without O_DIRECT, mounted at fixed places.
GUEST_ONLY_CHECKS = {"badinput": "needs the read-only and no-O_DIRECT file systems the "
                                 "guest's /init mounts"}
DIR_CHECKS = ("fuzz",)         # write their files in the scratch folder
DATA_FILES = ("kdio.dat", "fio.dat")
FILE_FLAGS = ("-f", "-d", "-R", "-N")


@dataclass(frozen=True)
class Options(HostFlags):
    """bench --target host's words, before request() resolves them."""
    suite: str = "dio"
    results_dir: Path = where.TOP / "results"
    run_id: str = None
    timeout_s: int = None
    module_params: tuple = ()
    measure: str = None


def check_root(euid):
    if euid != 0:
        raise HostError("host mode needs root: it loads kernel modules into the running kernel "
                        "(insmod/rmmod), may load brd, and opens block devices with O_DIRECT",
                        "run it as root, e.g. sudo make bench TARGET=host DIR=/mnt/scratch")


def check_suite(suite, opts):
    """The suite fits this machine and the flags given."""
    if suite.measure.counted:
        raise HostError(f"suite {suite.name} is counted: it needs QEMU's icount, and host mode "
                        "runs on the real CPU", "use --measure wall, or run it in a guest")
    used = [b.name for b in paths.used_backends(suite)]
    other = [b for b in used if b not in HOST_BACKENDS]
    if other:
        raise HostError(f"suite {suite.name} uses backend(s) {', '.join(other)}, which host "
                        f"mode does not provide", f"use a suite on {', '.join(HOST_BACKENDS)}")
    if "blk" in used and not opts.device:
        raise HostError(f"suite {suite.name} has cases on blk (a raw device) and no --device",
                        "give --device DEV --destroy-data-on DEV, or a suite without blk")
    if ("ext4" in used or set(suite.checks) & set(DIR_CHECKS)) and not opts.dir:
        raise HostError(f"suite {suite.name} needs a folder (cases on ext4, or the "
                        f"{', '.join(DIR_CHECKS)} check) and there is no --dir",
                        "give --dir DIR, a folder on the file system to test")


def headers_tree(kdir, release):
    """What build.build_modules needs to build against headers in kdir.
    Debian's flavour headers include the common ones by an absolute path;
    unpacked elsewhere, the common folder is found beside kdir."""
    kdir = Path(kdir).resolve()
    if not (kdir / "Makefile").exists():
        raise HostError(f"--kdir {kdir} holds no kernel headers (no Makefile)",
                        "install the running kernel's headers (linux-headers-$(uname -r)) or "
                        "give --kdir a built kernel tree")
    common = None
    m = re.match(r"include (/\S+)/Makefile", (kdir / "Makefile").read_text())
    if m and not Path(m.group(1)).exists() and (kdir.parent / Path(m.group(1)).name).is_dir():
        common = kdir.parent / Path(m.group(1)).name
    built_for = kdir / "include/config/kernel.release"
    release = built_for.read_text().strip() if built_for.exists() else release
    spec = type("HostKernel", (), {"release": release})()
    return type("HostHeaders", (), {"headers_dir": kdir, "headers_common_dir": common,
                                    "build_name": f"host-{release}", "spec": spec})()


def prepare_modules(req, release, config, log):
    """kdio's .ko files for the running kernel, checked against it."""
    kdir = Path(req.kdir or f"/lib/modules/{release}/build")
    if req.modules_from:
        kos = tuple(sorted(Path(req.modules_from).glob("*.ko")))
        if not kos:
            raise HostError(f"--modules-from {req.modules_from} holds no .ko",
                            "give the folder the modules were built into")
        log(f"prebuilt modules: {', '.join(k.name for k in kos)}")
    else:
        kos, _ = build.build_modules(headers_tree(kdir, release), log)
    build_cfg = kdir / ".config"
    cfg = (hostmods.read_config(build_cfg.read_text())
           if (req.kdir or not req.modules_from) and build_cfg.exists() else None)
    hostmods.check_modules(kos, release, config, cfg)
    log(f"vermagic checked: {hostmods.modinfo_field(kos[0], 'vermagic').strip()}"
        + (f"; config {build_cfg} matches the running kernel's" if cfg else ""))
    return kos


def host_env(suite, req, tools_dir, scratch):
    return pathdef.GuestEnv(tools_dir=str(tools_dir), file_size=suite.file_size,
                          scratch=str(scratch) if scratch else backends.SCRATCH,
                          devices=(("blk", req.device),) if req.device else ())


def audit_writes(the_plan, scratch, devices):
    """HostError if a step would open a file outside the scratch folder, or a
    device other than those allowed: host mode never writes elsewhere."""
    allowed = set(devices)
    for step in [*the_plan["setup"], *the_plan["cases"], *the_plan["checks"]]:
        for argv in step.get("argv_by_rep", [step["argv"]]):
            for i, word in enumerate(argv):
                path = (argv[i + 1] if word in FILE_FLAGS and i + 1 < len(argv) else
                        word[len("--filename="):] if word.startswith("--filename=") else None)
                if path is None or path in allowed:
                    continue
                inside = scratch and (Path(path).resolve() == scratch or
                                      scratch in Path(path).resolve().parents)
                if not inside:
                    raise HostError(f"the plan would write to {path} (step "
                                    f"{step.get('name') or step.get('case')}), outside "
                                    f"{scratch or 'any --dir'}",
                                    "this is a harness bug: report it with the suite")


def host_plan(suite, env, run_id, module_params, scratch, devices, log):
    """The suite's plan with the guest-only checks left out (and said so)."""
    the_plan = plan.build(suite, env, run_id, module_params)
    left_out = {c: GUEST_ONLY_CHECKS[c] for c in suite.checks if c in GUEST_ONLY_CHECKS}
    for name, why in left_out.items():
        log(f"check {name} left out in host mode: it {why}")
    the_plan["checks"] = [c for c in the_plan["checks"] if c["name"] not in left_out]
    audit_writes(the_plan, scratch, devices)
    return the_plan, left_out


def _cpufreq(system):
    pol = sorted((system.sysfs / "devices/system/cpu/cpufreq").glob("policy*"))
    governors = sorted({system.read(f"devices/system/cpu/cpufreq/{p.name}/scaling_governor")
                        for p in pol} - {None})
    driver = system.read(f"devices/system/cpu/cpufreq/{pol[0].name}/scaling_driver") if pol else None
    return {"governor": ", ".join(governors) or None, "cpufreq_driver": driver,
            "cpufreq": "present" if pol else "absent (no cpufreq: a VM, or a fixed clock)"}


def _meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def backend_devices(system, suite, req, scratch):
    """{backend: what it is on this machine}, from sysfs."""
    out = {}
    for b in paths.used_backends(suite):
        if b.name == "ext4":
            out[b.name] = dir_info(system, scratch)
        elif b.name == "blk":
            out[b.name] = device_info(system, Path(os.path.realpath(req.device)).name)
        elif b.name == "brd":
            out[b.name] = device_info(system, "ram0")
    return out


def make_context(req, system, scratch, kos, config_path, left_out):
    """What the host knows of a host-mode run before it starts."""
    uname = os.uname()
    described = {"ext4": f"a file in {scratch}", "blk": f"the raw block device {req.device}",
                 "brd": "a brd RAM disk loaded by kdio for the run"}
    return context.build(req, {
        "kernel": {"name": "running", "release": uname.release, "version": uname.version,
                   "config": str(config_path)},
        "qemu_version": None, "accelerator": "none",
        "accelerator_reason": "host mode: no emulator, the suite runs on this machine's kernel",
        "host": {"cpu_model": context.host_cpu(), "cpus": os.cpu_count(),
                 "memory_mib": (_meminfo("MemTotal") or 0) >> 10, **_cpufreq(system),
                 "modules": {"files": [str(k) for k in kos],
                             "source": "prebuilt" if req.modules_from else "built",
                             "vermagic": hostmods.modinfo_field(kos[0], "vermagic").strip()},
                 "checks_left_out": left_out},
        "backends": {b.name: described[b.name] for b in paths.used_backends(req.suite)},
        "devices": backend_devices(system, req.suite, req, scratch),
    }, target="host")


@dataclass
class RunnerOutcome:
    rc: int = None
    timed_out: bool = False
    interrupted: str = None
    error: object = None         # a HostError while loading the modules
    output: str = ""
    elapsed_s: float = 0.0


def _pump(stream, log_path, lines, log):
    with open(log_path, "w", encoding="utf-8") as f:
        for line in iter(stream.readline, ""):
            f.write(line)
            f.flush()
            lines.append(line)
            if line.startswith("kdio: ") and " start " not in line:
                log(line.rstrip("\n"))


def start_runner(plan_path, log_path, log):
    """guestrun.py on plan_path in a session of its own (so a signal for
    kdio does not reach the tools first, and all of them can be stopped)."""
    proc = subprocess.Popen([sys.executable, str(where.GUEST_RUNNER), str(plan_path)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    pump = threading.Thread(target=_pump, args=(proc.stdout, log_path, lines, log), daemon=True)
    pump.start()
    return proc, pump, lines


def wait_runner(proc, timeout_s, poll, outcome, interval=0.5):
    t0 = time.monotonic()
    while proc.poll() is None and not outcome.timed_out:
        outcome.timed_out = time.monotonic() - t0 > timeout_s
        poll()
        time.sleep(interval)
    outcome.rc = proc.returncode
    outcome.elapsed_s = time.monotonic() - t0


def stop_runner(proc, grace_s=5):
    """The runner and the tool it runs, by their process group."""
    if proc is None or proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _last_case(output):
    cases = re.findall(r"kdio: case \d+/\d+ start (\S+) rep", output)
    return cases[-1] if cases else ""


def _verdict(doc, records, outcome, left_loaded):
    """(status, failure) of an ended host run: ok when the runner exited 0
    at the end of the plan, nothing failed and nothing was left loaded."""
    failures = doc["setup_failures"] + [f"check {c['name']} failed: {c['detail']}"
                                        for c in doc["checks"] if not c["ok"]]
    reasons = ([f"interrupted ({outcome.interrupted})"] if outcome.interrupted else []) + \
              ([str(outcome.error)] if outcome.error else []) + \
              (["the runner did not finish before the timeout"] if outcome.timed_out else []) + \
              ([f"kdio's modules are still loaded after the run: {', '.join(left_loaded)}; "
                "rmmod them"] if left_loaded else []) + \
              ([f"the runner exited with status {outcome.rc}"]
               if outcome.rc not in (0, None) else [])
    if not reasons and any(r.get("type") == "end" for r in records) and not failures:
        return "ok", None
    reason = (reasons or failures or ["the runner did not reach the end of the plan"])[0]
    return "failed", {"reason": reason, "last_case": _last_case(outcome.output)}


def request(opts):
    """opts resolved into a HostRequest: the suite loaded and fitted to
    this machine's backends and the flags given, refused before anything
    is built, loaded or written."""
    suite = plan.load_suite(opts.suite, opts.measure)
    check_suite(suite, opts)
    doctor.preflight(["host"], f"suite {suite.name} in host mode")
    run_id = context.run_id(opts.run_id, suite.name, "host")
    return HostRequest(suite=suite, module_params=tuple(opts.module_params), run_id=run_id,
                       run_dir=Path(opts.results_dir) / run_id,
                       timeout_s=opts.timeout_s or suite.vm.timeout_s, **host_flags(opts))


def load_all(system, suite, req, kos, loaded, log):
    """brd (if a case uses it), then kdio's modules with their parameters."""
    if any(b.ram_disk for b in paths.used_backends(suite)):
        kib = backends.device_bytes(suite.file_size) >> 10
        hostmods.load_brd(system, kib, loaded, req.module_root, os.uname().release)
        for _ in range(50):  # the node appears when udev (or devtmpfs) makes it
            if system.block_rdev("/dev/ram0"):
                break
            time.sleep(0.1)
        else:
            raise HostError("brd loaded but /dev/ram0 did not appear", "check udev")
        log(f"loaded brd (one {kib >> 10} MiB RAM disk)")
    params = plan.our_module_params(req.module_params, kos)
    for ko in kos:
        hostmods.insmod(system, ko, params.get(ko.stem, ""), loaded)
    log(f"loaded {', '.join(k.stem for k in kos)}")


def _remove_data_files(scratch):
    for name in DATA_FILES if scratch else ():
        try:
            (scratch / name).unlink()
        except FileNotFoundError:
            pass


def check_machine(req, system, log):
    """Every check that needs nothing loaded, and kdio's modules built (or
    taken) and checked against the running kernel: (scratch folder, .ko
    files, the running kernel's config path)."""
    scratch = check_dir(req.dir) if req.dir else None
    if req.device:
        name = check_device(system, req.device, req.destroy_data_on)
        size = device_info(system, name)["size_bytes"] or 0
        if size < backends.device_bytes(req.suite.file_size):
            raise HostError(f"{req.device} has {size} bytes; the suite needs "
                            f"{backends.device_bytes(req.suite.file_size)}",
                            "give a larger device or a suite with a smaller file_size")
    release = os.uname().release
    config_path, text = hostmods.running_config(release, req.kernel_config)
    kos = prepare_modules(req, release, hostmods.read_config(text), log)
    already = hostmods.loaded_ours(system, [k.stem for k in kos])
    if already:
        raise HostError(f"{', '.join(already)} already loaded (another kdio run?)",
                        f"rmmod {' '.join(already)} first")
    return scratch, kos, config_path


def run(opts, log=print, system=System(), euid=os.geteuid):
    """Run a suite on the running kernel; return (result document, run folder)."""
    check_root(euid())
    return execute(OnHost(request(opts), system), log)


class OnHost(Target):
    """The suite on the running kernel: kdio's modules loaded for the run
    and unloaded at its end, whatever happens."""

    def __init__(self, req, system):
        super().__init__(req)
        self.system = system

    def prepare(self, log):
        """The machine checked, the modules and tools, and the plan;
        refuses before anything is loaded or written."""
        req = self.req
        self.scratch, self.kos, self.config_path = check_machine(req, self.system, log)
        tools = Path(req.tools_from) if req.tools_from else build.build_tools(log)[0]
        self.share = req.run_dir / "host"
        self.share.mkdir(parents=True, exist_ok=False)
        env = host_env(req.suite, req, tools, self.scratch)
        the_plan, self.left_out = host_plan(req.suite, env, req.run_id, req.module_params,
                                            self.scratch,
                                            [d for d in [req.device, "/dev/ram0"] if d], log)
        results.write_atomic(self.share / "plan.json", results.dump(the_plan))

    def context(self):
        return make_context(self.req, self.system, self.scratch, self.kos, self.config_path,
                            self.left_out)

    def run(self, ctx, log):
        """Load, run the plan, unload: (records, RunnerOutcome, modules left loaded)."""
        req, system = self.req, self.system
        results.write_atomic(req.run_dir / "result.json",
                             results.dump(document.build(req.run_id, req.suite, ctx, [])))
        progress = Progress(req.run_id, req.suite, ctx, self.share, req.run_dir, log)
        loaded, proc, outcome = hostmods.Loaded([]), None, RunnerOutcome()
        try:
            load_all(system, req.suite, req, self.kos, loaded, log)
            ctx["devices"] = backend_devices(system, req.suite, req, self.scratch)
            proc, pump, lines = start_runner(self.share / "plan.json", req.run_dir / "runner.log",
                                             log)
            wait_runner(proc, req.timeout_s, progress, outcome)
        except KeyboardInterrupt as e:
            outcome.interrupted = str(e) or "SIGINT"
        except HostError as e:
            outcome.error = e
        finally:
            left = cleanup(system, proc, loaded, self.scratch, log)
        if proc is not None:
            pump.join(timeout=5)
            outcome.output = "".join(lines)
        return progress(), outcome, left

    def outcome(self, ctx, ran):
        """The document of the records, then how the runner ended."""
        records, outcome, left = ran
        ctx = dict(ctx, runner_elapsed_s=round(outcome.elapsed_s, 1))
        doc = document.build(self.req.run_id, self.req.suite, ctx, records)
        doc["status"], doc["failure"] = _verdict(doc, records, outcome, left)
        return doc

    def finished(self, ran):
        _, outcome, _ = ran
        if outcome.error:
            raise outcome.error
        if outcome.interrupted:
            raise KeyboardInterrupt(outcome.interrupted)


def cleanup(system, proc, loaded, scratch, log):
    """Stop the runner, unload what kdio loaded and remove its data files,
    with SIGINT/SIGTERM held off until it is done; the names left loaded."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        stop_runner(proc)
        names = list(loaded.modules)
        left = hostmods.unload(system, loaded, log)
        _remove_data_files(scratch)
        if names:
            log(f"unloaded {', '.join(n for n in reversed(names) if n not in left)}"
                + (f"; STILL LOADED: {', '.join(left)}" if left else ""))
        return left
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
