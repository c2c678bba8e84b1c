"""A run in QEMU: the guest targets (kdio.run.target), one guest or a
suite split across several at once, and what they share: the kernel
opened and fetched, modules and tools built, each guest's initramfs,
disks, plan and QEMU configuration.

Options are the user's words; request() resolves them once into a
kdio.run.request.GuestRequest, and run() executes it on the right target.
Each step is a call into the module that does that one job.
"""

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from kdio.errors import ConfigError
from kdio.run.progress import MergedProgress, Progress
from kdio import where
from kdio.kernel import build, builttree, drivers, kbuild, kconfig, kernel
from kdio.model import backends, config, measure
from kdio.paths import fio, ipsec, pathdef, paths
from kdio.plan import plan, shard, tuning
from kdio.profile import profile
from kdio.results import document, results
from kdio.run import context, doctor
from kdio.run.request import GuestRequest
from kdio.run.target import Target, execute
from kdio.vm import disk, initramfs, passthrough, profiler, qemu, vm

TOP = where.TOP
GUEST_OUT = "/run/kdio/out"
# The guest cannot load modules on demand: crypto suites load these up front.
CRYPTO_MODULES = ["virtio_crypto", "af_alg", "algif_skcipher", "algif_aead", "gcm", "ctr",
                  "ghash_generic"]
RUNNER = where.GUEST_RUNNER
GUEST_RUNNER = "/run/kdio/runner.zip"   # RUNNER zipped with its imports (kdio.vm.runnerzip)


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
    jobs: int = None            # guests at once (kdio.plan.shard); None: the mode's default
    profile: str = ""           # count each case's instructions by function (counted runs):
                                # "on", or "stacks" with call stacks; "": off
    cases: tuple = ()           # only these of the suite's case ids (kdio bisect); (): all
    append: tuple = ()          # words added to the guest kernel's command line (--append)
    sysctls: tuple = ()         # "key=value", set in the guest before the first case
    countable_drivers: tuple = ()   # crypto drivers of the user's declared CPU-only


def kernel_context(kspec):
    ctx = {"name": kspec.name, "release": kspec.release, "version": kspec.version}
    if isinstance(kspec, builttree.TreeSpec):
        ctx["tree"] = str(kspec.path)
        built = kbuild.described(kspec.path)
        if built:  # built by `kdio kernel build`: its base and --set settings
            ctx["built"] = built
    return ctx


def declared(suite):
    """{driver: how kdio checked it} of the user's drivers a counted suite's
    cases use, declared CPU-only (their figures are kept only if the checks
    pass: kdio.results.results)."""
    used = {pathdef.crypto_driver(c.param_dict) for c in suite.cases
            if c.param_dict.get("driver") in suite.countable_drivers}
    return {name: f"declared CPU-only by the user; kdio checks it is {measure.DECLARED_CHECKS}, "
                  "and keeps no figure of it otherwise"
            for name in sorted(used)}


def make_context(req, cfg, accel_reason, user, tail):
    """What the host knows of a guest run before the boot (kdio.results.document
    adds what the guest and the end tell)."""
    return context.build(req, {
        "kernel": kernel_context(req.kernel),
        "qemu_version": vm.qemu_version(), "qemu_cpu": qemu.cpu_model(cfg.accel),
        "accelerator": cfg.accel,
        "accelerator_reason": accel_reason,
        "guest": {"cpus": cfg.cpus, "memory_mib": cfg.memory_mib, "disk_cache": cfg.disk_cache},
        "backends": {b.name: b.description for b in paths.used_backends(req.suite)},
        "config": tuning.context(req.append, req.sysctls),
        **({"countable_drivers": declared(req.suite)} if req.suite.measure.counted else {}),
    }, [{"module": m.name, "source": m.source, "loaded": None, "message": None} for m in user],
        tail={**tail, **({"profile": {"plugin": "kdio_profile.so", "plugin_api": 1,
                                      "counts": "guest instructions in each case's timed "
                                                "windows, by translation block",
                                      "stacks": req.profile == "stacks"}}
                         if req.profile else {})})


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
    ours = plan.our_module_params(module_params, art.modules)
    clash = sorted({m.name for m in user} & {k.stem for k in art.modules})
    if clash:
        raise ConfigError(f"user module(s) {', '.join(clash)} have the name of a kdio module",
                          "rename the user's module")
    return (mods + [(m.ko, "!") for m in user]
            + [(p, ours.get(p.stem, "")) for p in art.modules])


def make_disks(suite, name):
    """The ext4 scratch disk (vda) and, if a case uses it, the raw disk (vdb),
    named after name (the run folder's, or a shard's guest)."""
    disk_dir = kernel.cache_dir() / "disks"
    disk_dir.mkdir(parents=True, exist_ok=True)
    disks = [disk.make_ext4(disk_dir / f"{name}.img", suite.vm.disk_mib)]
    if any(b.name == "blk" for b in paths.used_backends(suite)):
        size_mib = -(-backends.device_bytes(suite.file_size) // (1 << 20))
        disks.append(disk.make_raw(disk_dir / f"{name}-raw.img", size_mib))
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


@dataclass(frozen=True)
class Built:
    """What every guest of a run shares: the kernel's tree, kdio's modules
    and tools, the user's modules (kdio.kernel.drivers)."""
    tree: object
    art: object
    user: tuple
    plugin: Path = None     # the profiler's QEMU plugin, if the run is profiled


def prepare_build(req, log):
    """Fetch the kernel and build modules (ours and the user's) and tools."""
    suite, kspec = req.suite, req.kernel
    tree = fetch_kernel(kspec, log)
    builtin = kernel.builtin_modules(tree, [*kspec.guest_modules,
                                            *(CRYPTO_MODULES if suite.vm.crypto else []),
                                            *(ipsec.GUEST_MODULES if ipsec.used(suite) else [])])
    if builtin:
        log(f"built into {kspec.release}, so no insmod: {', '.join(builtin)}")
    art = build.build_all(tree, log)
    plugin = None
    if req.profile:
        plugin = build.build_plugin(log)
        profiler.probe(plugin)
        log(f"profiler: {plugin.name} loads in QEMU {vm.qemu_version()}")
    return Built(tree, art, tuple(drivers.prepare(req.user_modules, tree, log)), plugin)


def guest_files(req, guest_suite, built, name):
    """One guest's own initramfs (the whole suite's modules) and disks
    (its own cases'), named after name: (initrd, disks, cache mode)."""
    initrd = initramfs.build(
        build.BUILD_DIR / built.tree.build_name / f"initramfs-{name}.cpio",
        guest_modules(req.suite, built.tree, req.kernel, built.art, req.module_params,
                      built.user), runner=RUNNER)
    disks, cache_mode = make_disks(guest_suite, name)
    return initrd, disks, cache_mode


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


def qemu_config(suite, tree, initrd, disks, cache_mode, share, plugin=None, stacks=False,
                user_append=()):
    """The QEMU configuration of one guest; user_append: the words --append
    adds to the kernel's command line, last."""
    append = " ".join([f"console=ttyS0 quiet panic=-1 oops=panic kdio_runner={GUEST_RUNNER} "
                       f"kdio_plan={GUEST_OUT}/plan.json", *boot_args(suite), *user_append])
    devices = qemu.CRYPTO_DEVICE if suite.vm.crypto else ()
    how = suite.measure
    return qemu.QemuConfig(kernel=str(tree.vmlinux), initrd=str(initrd), append=append,
                           cpus=how.cpus or suite.vm.cpus, memory_mib=suite.vm.memory_mib,
                           out_dir=str(share), disks=tuple(str(d) for d in disks),
                           disk_cache=cache_mode, extra_devices=devices, icount=how.icount,
                           plugin=profiler.argument(plugin, profile_dir(share), stacks)
                           if plugin else "")


def profile_dir(share):
    """Where the profiler's plugin writes a guest's counts: <share>/profile."""
    out = share / "profile"
    out.mkdir(exist_ok=True)
    return out


def choose_accel(suite, cfg, log):
    """(accelerator, why): counted runs need TCG (icount is TCG's), else the
    KVM probe decides."""
    if suite.measure.counted:
        return "tcg", "counted mode: QEMU's icount runs only under TCG"
    return vm.choose_accel(cfg, kernel.cache_dir() / "accel-probe.json", log)


def features(suite, user_modules=()):
    """The kdio doctor features a guest run of suite uses."""
    used = {c.path for c in suite.cases}
    return (["bench"] + (["counted"] if suite.measure.counted else [])
            + (["crypto"] if uses_crypto(suite) else [])
            + (["ipsec-xfrm"] if used & {"ipsec.xfrm", "ipsec.badkeys", "ipsec.none",
                                          "ipsec.ike"} else [])
            + (["ipsec-ike"] if "ipsec.ike" in used else [])
            + (["driver"] if user_modules else []))


def finish(run_id, suite, context, outcome, records, run_dir):
    """The final document (kdio.results.document), checked against the schema and
    written with its CSV."""
    return results.write_final(document.build(run_id, suite, context, records, outcome), run_dir)


def write_plan(req, plan_suite, art, share):
    """plan.json in a guest's share: plan_suite's cases (the suite's, or a
    shard's) with the tools and data-file size of the whole suite."""
    env = pathdef.GuestEnv(tools_dir=str(art.tools_dir), file_size=req.suite.file_size,
                           counted=req.suite.measure.counted)
    the_plan = plan.build(plan_suite, env, req.run_id, req.module_params,
                          tuning.kernel_param_steps(req.append) + tuning.sysctl_steps(req.sysctls))
    if req.profile:
        profiled(the_plan, art)
    results.write_atomic(share / "plan.json", results.dump(the_plan))


def profiled(the_plan, art):
    """A plan made a profiled one: the kernel's symbols, with the modules'
    load addresses, saved first; a case marker before each sample; fio's
    jobs bracketed by markers, and in a batch (one fio process) each job
    starting its own sample."""
    mark = str(art.tools_dir / "kdio-mark")
    the_plan["setup"].insert(0, {"name": "kallsyms", "argv": [
        "sh", "-c", f"grep -i ' t ' /proc/kallsyms > {GUEST_OUT}/kallsyms"]})
    the_plan["profile"] = {"mark": [mark, "case"], "maps_dir": backends.SCRATCH}
    for step in the_plan["cases"]:
        if step.get("argv") and step["argv"][0] == fio.FIO:
            step["argv"] = fio.with_marks(step["argv"], mark, backends.SCRATCH)
            if "argv_by_rep" in step:
                step["argv_by_rep"] = [fio.with_marks(a, mark, backends.SCRATCH)
                                       for a in step["argv_by_rep"]]
    # a batch's jobs each start a sample of their own with a case marker
    for batch in the_plan.get("batches", {}).values():
        batch["argv"] = fio.with_marks(batch["argv"], mark, backends.SCRATCH, case_marks=True)
        batch["job_marks"] = True


def _console_lines(log):
    """The on_line of vm.run: the runner's own lines, but not its case starts."""
    return lambda line: (log(line[line.index("kdio: "):])
                         if "kdio: " in line and " start " not in line else None)


def request(opts, log=print):
    """opts resolved into a GuestRequest: the suite loaded (refused if the
    host lacks what it needs), the kernel opened, the run's id, folder and
    split; refusals before anything is built."""
    suite = plan.only_cases(plan.load_suite(opts.suite, opts.measure, opts.countable_drivers),
                            opts.cases)
    doctor.preflight(features(suite, opts.user_modules), f"suite {suite.name}")
    kspec = open_kernel(opts.kernel, suite)
    run_id = context.run_id(opts.run_id, suite.name)
    jobs, why, warning = shard.choose(suite, opts.jobs)
    log(f"jobs: {jobs} ({why})")
    if warning:
        log(f"warning: {warning}")
    if opts.profile and not suite.measure.counted:
        raise ConfigError(f"--profile counts instructions, and suite {suite.name} runs "
                          f"{suite.measure.name}", "add --measure counted, or leave out --profile")
    if jobs > 1 and opts.passthrough:
        raise ConfigError("--passthrough gives a device to one guest, and --jobs "
                          f"{opts.jobs} asks for {jobs}", "leave out --jobs, or --passthrough")
    return GuestRequest(suite=suite, kernel=kspec, user_modules=tuple(opts.user_modules),
                        module_params=tuple(opts.module_params), run_id=run_id,
                        run_dir=Path(opts.results_dir) / run_id,
                        timeout_s=opts.timeout_s or suite.vm.timeout_s,
                        passthrough=tuple(opts.passthrough), profile=opts.profile,
                        split={"jobs": jobs, "reason": why, "warning": warning},
                        append=tuning.kernel_params(opts.append),
                        sysctls=tuning.sysctls(opts.sysctls))


def run(opts, log=print):
    """Run a suite in a fresh VM, or split across --jobs guests at once
    (kdio.plan.shard); return (result document, run folder)."""
    req = request(opts, log)
    target = OneGuest(req) if req.split["jobs"] == 1 else ShardedGuests(req)
    return execute(target, log)


def profiled_doc(req, doc, shares):
    """doc with its profiles' check, if the run was profiled (RUN/profile/)."""
    return profile.attach(doc, shares, req.run_dir / "profile") if req.profile else doc


class _Guests(Target):
    """What the guest targets share: the files they made for the run
    (initramfs and disks), removed at its end."""

    def __init__(self, req):
        super().__init__(req)
        self.made = []

    def cleanup(self):
        for f in self.made:
            os.unlink(f)


class OneGuest(_Guests):
    """The whole suite in one guest, its share folder guest/."""

    def prepare(self, log):
        req = self.req
        self.share = req.run_dir / "guest"
        self.share.mkdir(parents=True, exist_ok=False)
        self.built = prepare_build(req, log)
        initrd, disks, cache_mode = guest_files(req, req.suite, self.built, req.run_dir.name)
        self.made += [*disks, initrd]
        write_plan(req, req.suite, self.built.art, self.share)
        cfg = qemu_config(req.suite, self.built.tree, initrd, disks, cache_mode, self.share,
                          self.built.plugin, req.profile == "stacks", req.append)
        accel, self.why = choose_accel(req.suite, cfg, log)
        self.cfg = replace(cfg, accel=accel, extra_devices=cfg.extra_devices
                           + passthrough.devices(req.passthrough, accel, self.why))
        log(f"accelerator: {accel} ({self.why})")

    def context(self):
        return make_context(self.req, self.cfg, self.why, self.built.user,
                            {"passthrough": list(self.req.passthrough),
                             "jobs": {**self.req.split, "shards": [
                                 {"shard": 1, "cases": [c.case_id for c in self.req.suite.cases],
                                  "checks": list(self.req.suite.checks)}]}})

    def run(self, ctx, log):
        req = self.req
        progress = Progress(req.run_id, req.suite, ctx, self.share, req.run_dir, log)
        outcome = vm.run(qemu.argv(self.cfg), req.run_dir / "console.log", req.timeout_s,
                         on_line=_console_lines(log), poll=progress, log=log)
        return outcome, progress()

    def outcome(self, ctx, ran):
        outcome, records = ran
        doc = document.build(self.req.run_id, self.req.suite, ctx, records, outcome)
        return profiled_doc(self.req, doc, [self.share])


class ShardedGuests(_Guests):
    """The suite's shards (kdio.plan.shard), each in a guest of its own at
    once, with its own share folder, console log, initramfs and disks; one
    document of all their records."""

    def prepare(self, log):
        req = self.req
        self.shards = shard.split(req.suite, req.split["jobs"])
        self.built = prepare_build(req, log)
        guests = [self._guest(s) for s in self.shards]
        accel, self.why = choose_accel(req.suite, guests[0][1], log)
        self.guests = [(share, replace(cfg, accel=accel)) for share, cfg in guests]
        log(f"accelerator: {accel} ({self.why})")
        for s in self.shards:
            log(f"shard {s.index}: {len(s.suite.cases)} case(s), checks "
                f"{', '.join(s.suite.checks) or 'none'}")

    def _guest(self, s):
        """Shard s's share folder (guest-<i>, with its plan), initramfs and
        disks (to be removed), and QEMU configuration."""
        req = self.req
        share = req.run_dir / f"guest-{s.index}"
        share.mkdir(parents=True, exist_ok=False)
        initrd, disks, cache_mode = guest_files(req, s.suite, self.built,
                                                f"{req.run_dir.name}-{s.index}")
        self.made += [*disks, initrd]
        write_plan(req, s.suite, self.built.art, share)
        return share, qemu_config(s.suite, self.built.tree, initrd, disks, cache_mode, share,
                                  self.built.plugin, req.profile == "stacks", req.append)

    def context(self):
        split = self.req.split
        return make_context(self.req, self.guests[0][1], self.why, self.built.user, {
            "passthrough": [],
            "jobs": {**split, **shard.context(len(self.shards), split["reason"],
                                              split["warning"], self.shards)}})

    def run(self, ctx, log):
        req = self.req
        merged = MergedProgress(req.run_id, req.suite, ctx, req.run_dir, len(self.shards), log)
        return merged.streams, self._run_guests(merged, log)

    def _run_guests(self, merged, log):
        """Every shard's guest at once, one thread each: their outcomes, in
        shard order; the first error a thread raised, raised when all ended."""
        req, box = self.req, {}

        def one(s, share, cfg):
            shard_log = lambda line: log(f"[shard {s.index}] {line}")
            progress = Progress(req.run_id, s.suite, merged.context, share, req.run_dir, log,
                                label=f"shard {s.index}: ",
                                on_records=lambda records: merged.update(s.index, records))
            try:
                box[s.index] = vm.run(qemu.argv(cfg), req.run_dir / f"console-{s.index}.log",
                                      req.timeout_s, on_line=_console_lines(shard_log),
                                      poll=progress, log=shard_log)
                merged.update(s.index, progress())
            except Exception as e:  # raised in the caller's thread, below
                box[f"error-{s.index}"] = e
        threads = [threading.Thread(target=one, args=(s, share, cfg), name=f"shard-{s.index}")
                   for s, (share, cfg) in zip(self.shards, self.guests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        errors = [box[k] for k in sorted(k for k in box if isinstance(k, str))]
        if errors:
            raise errors[0]
        return [box[s.index] for s in self.shards]

    def outcome(self, ctx, ran):
        streams, outcomes = ran
        doc = document.build_sharded(self.req.run_id, self.req.suite, ctx, streams, outcomes)
        return profiled_doc(self.req, doc, [share for share, _ in self.guests])
