"""One benchmark run, end to end: kernel, build, guest, VM, results.

This is the only module that knows the order of the steps; each step is a
call into the module that does that one job.
"""

import datetime
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from kdio.errors import ConfigError
from kdio import (backends, build, builttree, config, disk, document, drivers, initramfs,
                  ipsec, kbuild, kconfig, kernel, measure, passthrough, paths, plan, qemu,
                  results, vm)

TOP = Path(__file__).resolve().parents[2]
GUEST_OUT = "/run/kdio/out"
# The guest cannot load modules on demand: crypto suites load these up front.
CRYPTO_MODULES = ["virtio_crypto", "af_alg", "algif_skcipher", "algif_aead", "gcm", "ctr",
                  "ghash_generic"]
RUNNER = Path(__file__).resolve().parent / "guestrun.py"
GUEST_RUNNER = "/run/kdio/runner.zip"   # RUNNER zipped with its imports (kdio.runnerzip)


@dataclass(frozen=True)
class Options:
    suite: str = "dio"
    kernel: str = "debian-6.1"
    results_dir: Path = TOP / "results"
    run_id: str = None
    timeout_s: int = None
    module_params: tuple = ()   # "module.param=value", for our modules only
    measure: str = None         # wall | counted; None: the suite's own
    user_modules: tuple = ()    # the user's module folders or .ko files, loaded first
    passthrough: tuple = ()     # host PCI addresses given to the guest through vfio-pci


def git_sha():
    def git(*args):
        return subprocess.run(["git", "-C", str(TOP), *args], capture_output=True,
                              text=True).stdout.strip()
    sha = git("rev-parse", "HEAD") or "unknown"
    return sha + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def host_cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def kernel_context(kspec):
    ctx = {"name": kspec.name, "release": kspec.release, "version": kspec.version}
    if isinstance(kspec, builttree.TreeSpec):
        ctx["tree"] = str(kspec.path)
        built = kbuild.described(kspec.path)
        if built:  # built by `kdio kernel build`: its base and --set settings
            ctx["built"] = built
    return ctx


def make_context(suite, kspec, cfg, accel_reason, module_params=(), user=()):
    """What the host knows of a run before the boot (kdio.document adds
    what the guest and the end tell)."""
    return {
        "kdio_git_sha": git_sha(),
        "kernel": kernel_context(kspec),
        "qemu_version": vm.qemu_version(), "accelerator": cfg.accel,
        "accelerator_reason": accel_reason,
        "guest": {"cpus": cfg.cpus, "memory_mib": cfg.memory_mib, "disk_cache": cfg.disk_cache},
        "backends": {b.name: b.description for b in paths.used_backends(suite)},
        "host_cpu": host_cpu(), "host_kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": "kdio " + shlex.join(sys.argv[1:]),
        "suite": {"name": suite.name, "repetitions": suite.repetitions,
                  "file_size": suite.file_size},
        "measure": measure.get(suite.measure).context(),
        "module_params": list(module_params),
        "user_modules": [{"module": m.name, "source": m.source, "loaded": None, "message": None}
                         for m in user],
    }


def our_module_params(module_params, kos):
    """{module name: 'p=v p2=v2'} from ("kdio_dio.delay_us=200", ...)."""
    ours = {k.stem for k in kos}
    params = {}
    for item in module_params:
        mod, name, value = plan.split_module_param(item) or (None, None, None)
        if mod not in ours:
            raise ConfigError(f"bad module parameter {item!r}",
                              f"write MODULE.PARAM=VALUE for one of our modules: {', '.join(sorted(ours))}")
        params[mod] = (params.get(mod, "") + f" {name}={value}").strip()
    return params


def guest_modules(suite, tree, kspec, art, module_params=(), user=()):
    """(ko path, parameters) in load order: the kernel's own modules the guest
    needs, brd sized for the suite if a case uses a RAM disk, the user's
    modules (marked '!': their loads are reported), then ours."""
    mods = [(p, "") for p in kernel.module_load_order(tree, kspec.guest_modules)]
    if any(b.ram_disk for b in paths.used_backends(suite)):
        kib = backends.ram_disk_bytes(suite.file_size) >> 10
        brd = kernel.module_load_order(tree, ["brd"])
        mods += [(p, f"rd_nr={backends.RAM_DISKS} rd_size={kib}" if p.name == "brd.ko" else "")
                 for p in brd]
    if suite.vm.crypto:  # the DMA device's driver, AF_ALG, GCM; AES-NI if the CPU has it
        mods += [(p, "") for p in kernel.module_load_order(tree, CRYPTO_MODULES)]
        mods += [(p, "?") for p in kernel.module_load_order(tree, ["aesni_intel"])]
    if ipsec.used(suite):  # XFRM, ESP, veth, crypto_user
        mods += [(p, "") for p in kernel.module_load_order(tree, ipsec.GUEST_MODULES)]
    ours = our_module_params(module_params, art.modules)
    clash = sorted({m.name for m in user} & {k.stem for k in art.modules})
    if clash:
        raise ConfigError(f"user module(s) {', '.join(clash)} have the name of a kdio module",
                          "rename the user's module")
    return (mods + [(m.ko, "!") for m in user]
            + [(p, ours.get(p.stem, "")) for p in art.modules])


def make_disks(suite, run_dir):
    """The ext4 scratch disk (vda) and, if a case uses it, the raw disk (vdb)."""
    disk_dir = kernel.cache_dir() / "disks"
    disk_dir.mkdir(parents=True, exist_ok=True)
    disks = [disk.make_ext4(disk_dir / f"{run_dir.name}.img", suite.vm.disk_mib)]
    if any(b.name == "blk" for b in paths.used_backends(suite)):
        size_mib = -(-backends.device_bytes(suite.file_size) // (1 << 20))
        disks.append(disk.make_raw(disk_dir / f"{run_dir.name}-raw.img", size_mib))
    cache_mode = "none" if disk.host_supports_odirect(disk_dir) else "writeback"
    return disks, cache_mode


def open_kernel(name, suite):
    """The guest kernel's spec: a kernel file (harness/kernels) by name, or a
    built tree by path, whose .config is checked for every option the suite
    needs before anything is built."""
    if not builttree.is_tree_path(name):
        return config.load_kernel(name)
    fragment = kconfig.load_fragment()
    spec = builttree.open_tree(name, fragment.guest_modules)
    kconfig.check_tree_config(kconfig.read_config(spec.config_path), fragment, suite,
                              spec.config_path)
    return spec


def fetch_kernel(kspec, log):
    """A Debian kernel downloaded and unpacked, or a tree's modules installed
    into the cache: either way, a tree build.py and the initramfs can use."""
    if isinstance(kspec, builttree.TreeSpec):
        return builttree.stage(kspec, log=log)
    return kernel.fetch(kspec, log)


def kernel_label(name):
    """A --kernel value as it can appear in a run id: a tree by its folder."""
    return f"tree-{Path(name).resolve().name}" if builttree.is_tree_path(name) else name


def prepare_guest(suite, kspec, run_dir, log, opts):
    """Fetch the kernel, build modules (ours and the user's) and tools, and
    make initramfs and disks."""
    tree = fetch_kernel(kspec, log)
    builtin = kernel.builtin_modules(tree, [*kspec.guest_modules,
                                            *(CRYPTO_MODULES if suite.vm.crypto else []),
                                            *(ipsec.GUEST_MODULES if ipsec.used(suite) else [])])
    if builtin:
        log(f"built into {kspec.release}, so no insmod: {', '.join(builtin)}")
    art = build.build_all(tree, log)
    user = drivers.prepare(opts.user_modules, tree, log)
    initrd = initramfs.build(
        build.BUILD_DIR / tree.build_name / f"initramfs-{run_dir.name}.cpio",
        guest_modules(suite, tree, kspec, art, opts.module_params, user), runner=RUNNER)
    disks, cache_mode = make_disks(suite, run_dir)
    return tree, art, user, initrd, disks, cache_mode


def uses_crypto(suite):
    """Does any part of the suite go through the kernel's crypto API: a
    crypto device, a crypto or IPsec case, the crypto bad-input check."""
    return (suite.vm.crypto or ipsec.used(suite) or "crypto-badinput" in suite.checks
            or any(paths.PATHS[c.path].family == "crypto" for c in suite.cases))


def boot_args(suite):
    """Kernel parameters that only shorten the boot. A suite that does no
    crypto skips the crypto API's self-tests of the algorithms built into
    the kernel (cryptomgr.notests=1: crypto_algapi_init and the KDF test
    took 2 s of a loaded TCG boot): they check that the kernel's ciphers
    and hashes compute what they should, which no case of such a suite
    uses or times. Crypto suites keep them (a driver that fails its
    self-test must not be measured)."""
    return [] if uses_crypto(suite) else ["cryptomgr.notests=1"]


def qemu_config(suite, tree, initrd, disks, cache_mode, share):
    append = " ".join([f"console=ttyS0 quiet panic=-1 oops=panic kdio_runner={GUEST_RUNNER} "
                       f"kdio_plan={GUEST_OUT}/plan.json", *boot_args(suite)])
    devices = qemu.CRYPTO_DEVICE if suite.vm.crypto else ()
    how = measure.get(suite.measure)
    return qemu.QemuConfig(kernel=str(tree.vmlinux), initrd=str(initrd), append=append,
                           cpus=how.cpus or suite.vm.cpus, memory_mib=suite.vm.memory_mib,
                           out_dir=str(share), disks=tuple(str(d) for d in disks),
                           disk_cache=cache_mode, extra_devices=devices, icount=how.icount)


def choose_accel(suite, cfg, log):
    """(accelerator, why): counted runs need TCG (icount is TCG's), else the
    KVM probe decides."""
    if measure.get(suite.measure).counted:
        return "tcg", "counted mode: QEMU's icount runs only under TCG"
    return vm.choose_accel(cfg, kernel.cache_dir() / "accel-probe.json", log)


def load_suite(opts):
    """The suite, with the command line's measure over its own, checked."""
    suite = config.load_suite(opts.suite)
    if opts.measure:
        suite = replace(suite, measure=measure.get(opts.measure).name)
    plan.check_cases(suite)
    return suite


class Progress:
    """Polls records.jsonl while the guest runs: prints each new sample and
    rewrites result.json (kdio.document of the records so far), so a crash
    loses nothing already measured."""

    def __init__(self, run_id, suite, context, share, run_dir, log):
        self.run_id, self.suite, self.context, self.log = run_id, suite, context, log
        self.records_path, self.run_dir, self.seen = share / "records.jsonl", run_dir, 0
        self.samples = 0
        self.write_failed = False
        self.total = suite.repetitions * len(suite.cases)
        self.cases = {c.case_id: c for c in suite.cases}

    def __call__(self):
        records = results.read_records(self.records_path)
        new = records[self.seen:]
        if not new:
            return records
        self.seen = len(records)
        for r in new:
            if r.get("type") == "sample":
                self.samples += 1
                self._print_sample(r)
            elif r.get("type") == "setup" and r.get("rc") != 0:
                self.log(f"setup '{r['name']}' failed (exit {r.get('rc')}): {r.get('stderr', '').strip()[-200:]}")
        doc = document.build(self.run_id, self.suite, self.context, records)
        try:
            results.write_atomic(self.run_dir / "result.json", results.dump(doc))
        except results.ResultsWriteError as e:
            if not self.write_failed:  # say it once; the run goes on
                self.log(f"warning: {e}; {e.hint}")
            self.write_failed = True
        return records

    def _print_sample(self, r):
        case = self.cases.get(r["case"])
        s = results.sample_of(r, case, paths.PATHS[case.path]) if case else None
        counted = self.suite.measure == "counted"
        unit = results.unit_of(case, counted) if case else None
        if s is not None and counted:
            s = results.counted_sample(s, case, unit)
        if s is None:
            shown = "unknown case"
        elif s.status != "ok":
            shown = f"{s.status}: {s.message}"
        elif counted:
            shown = f"{measure.fmt_cost(s.value)} {unit} (counted)"
        elif paths.PATHS[case.path].unit == "bytes/s":
            shown = f"{s.value / 1e6:.1f} MB/s"
        else:
            shown = f"{s.value:.1f} {paths.PATHS[case.path].unit}"
        self.log(f"[{self.samples}/{self.total}] {r['case']} rep {r['rep'] + 1}: {shown}")


def finish(run_id, suite, context, outcome, records, run_dir):
    """The final document (kdio.document), checked against the schema and
    written with its CSV."""
    doc = document.build(run_id, suite, context, records, outcome)
    results.validate(doc)
    results.write_atomic(run_dir / "result.json", results.dump(doc))
    results.write_atomic(run_dir / "result.csv", results.to_csv(doc))
    return doc


def run(opts, log=print):
    """Run a suite in a fresh VM; return (result document, run folder)."""
    suite = load_suite(opts)
    kspec = open_kernel(opts.kernel, suite)
    run_id = opts.run_id or datetime.datetime.now().strftime(f"%Y%m%d-%H%M%S-{suite.name}")
    run_dir = Path(opts.results_dir) / run_id
    share = run_dir / "guest"
    share.mkdir(parents=True, exist_ok=False)
    tree, art, user, initrd, disks, cache_mode = prepare_guest(suite, kspec, run_dir, log, opts)
    try:
        env = paths.GuestEnv(tools_dir=str(art.tools_dir), file_size=suite.file_size,
                             counted=measure.get(suite.measure).counted)
        results.write_atomic(share / "plan.json",
                             results.dump(plan.build(suite, env, run_id, opts.module_params)))
        cfg = qemu_config(suite, tree, initrd, disks, cache_mode, share)
        accel, why = choose_accel(suite, cfg, log)
        cfg = replace(cfg, accel=accel, extra_devices=cfg.extra_devices
                      + passthrough.devices(opts.passthrough, accel, why))
        log(f"accelerator: {accel} ({why})")
        context = make_context(suite, kspec, cfg, why, opts.module_params, user)
        context["passthrough"] = list(opts.passthrough)
        progress = Progress(run_id, suite, context, share, run_dir, log)
        on_line = lambda line: log(line[line.index("kdio: "):]) if "kdio: " in line and " start " not in line else None
        outcome = vm.run(qemu.argv(cfg), run_dir / "console.log",
                         opts.timeout_s or suite.vm.timeout_s, on_line=on_line,
                         poll=progress, log=log)
        return finish(run_id, suite, context, outcome, progress(), run_dir), run_dir
    finally:
        for d in (*disks, initrd):
            os.unlink(d)

