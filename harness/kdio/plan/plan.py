"""Turn a suite into the plan the guest runner executes.

The plan is plain JSON: setup steps (lay the pattern on every region the
cases use), then every case's command line, then the suite's checks. The
runner repeats the case list `repetitions` times, so repetitions of
different cases interleave. fio cases run in batches (fio_batches): one
fio process per batch and repetition, its jobs one after the other.

Seeds (kdio.plan.regions follows each kdio region through that order): setup
lays every region out with the setup seed (GuestEnv.seed); every execution
of a kdio write case writes a seed of its own (regions.write_seed, per case
and repetition), so a write that moved no data cannot pass for one that
did; a read with -V verifies the seed its range holds when it runs, so kdio
storage cases carry one command line per repetition (`argv_by_rep`, beside
`argv`, the first repetition's); the data check verifies each region, after
the last case, against the seeds its last writers wrote.
"""

import dataclasses
import re
import shlex

from kdio.model import backends, config, family, measure
from kdio.paths import fio, ipsec, paths
from kdio.plan import regions
from kdio.errors import ConfigError

CASE_TIMEOUT_S = 300
STEP_TIMEOUT_S = 600      # setup steps and checks
GUEST_BASE_MIB = 640   # what the guest needs besides a RAM disk
RO_FILE = "/run/kdio/ro/file"   # on a read-only tmpfs the guest's /init mounts
NODIO_FILE = "/run/kdio/nodio/file"   # on a ramfs (no O_DIRECT) it mounts


def _verify_argv(env, mode, target, seed, start=0, size=None):
    return [env.tool("kdio-verify"), mode, "-f", target.path, "-O", str(target.offset + start),
            "-s", str(env.file_size if size is None else size), "-S", str(seed), "-b", "1m"]


def _check_data(suite, env):
    """Read each kdio region back from user space (O_DIRECT, no module
    involved) and compare each of its segments with the seed the last write
    over it used (kdio.plan.regions): data-<backend>, and data-<backend>@<start>
    for the segments after the first when later writes were shorter."""
    steps = []
    for b, start, end, seed in regions.final_segments(suite, env):
        target = env.backend_target(b, "kdio")
        name = f"data-{b.name}" + (f"@{start}" if start else "")
        steps.append((name, _verify_argv(env, "-c", target, seed, start, end - start)))
    return steps


def _check_badinput(suite, env):
    """Every invalid ioctl request gives its documented errno, and kdio-dio
    refuses every bad input saying what is wrong and what to do."""
    return [("badinput", [env.tool("kdio-badinput"), "-d", env.scratch, "-R", RO_FILE,
                          "-N", NODIO_FILE, "-T", env.tool("kdio-dio")])]


def _check_xfer_badinput(suite, env):
    """Every invalid request to the channel module gives its errno."""
    return [("xfer-badinput", [env.tool("kdio-xfer-badinput")])]


def _check_crypto_badinput(suite, env):
    """Every invalid request to the crypto module gives its errno."""
    return [("crypto-badinput", [env.tool("kdio-crypto-badinput")])]


def _check_ipsec_badinput(suite, env):
    """kdio-cryptoprio's refusals (run by the guest side of the IPsec cases):
    each exit code and message."""
    return [("ipsec-badinput", [ipsec.PYTHON, str(ipsec.GUEST), "badinput",
                                "--cryptoprio", env.tool("kdio-cryptoprio")])]


FUZZ_CALLS, FUZZ_SEED = 5000, 1


def _check_fuzz(suite, env):
    """Seeded, bounded random input to every kdio ioctl interface: no hang,
    no undocumented errno (and the kernel log is checked like any step)."""
    return [("fuzz", [env.tool("kdio-fuzz"), "-n", str(FUZZ_CALLS), "-s", str(FUZZ_SEED),
                      "-d", env.scratch])]


# Correctness checks a suite may run after its cases: name -> steps maker.
CHECKS = {"data": _check_data, "badinput": _check_badinput,
          "xfer-badinput": _check_xfer_badinput, "crypto-badinput": _check_crypto_badinput,
          "fuzz": _check_fuzz, "ipsec-badinput": _check_ipsec_badinput}
# What each check's tool prints (kdio.results.results reads it so): kdio-verify JSON
# lines, the bad-input tools and the fuzzer KTAP.
CHECK_OUTPUT = {"data": "jsonl", "badinput": "ktap", "xfer-badinput": "ktap",
                "crypto-badinput": "ktap", "fuzz": "ktap", "ipsec-badinput": "ktap"}


def _check_case(suite, case):
    where = f"suite {suite.name}: case {case.case_id}"
    if case.path not in paths.PATHS:
        raise ConfigError(f"{where}: unknown path '{case.path}'",
                          f"use one of: {', '.join(sorted(paths.PATHS))}")
    p, path, fam = case.param_dict, paths.PATHS[case.path], paths.family_of_case(case)
    for key in fam.required:
        if key not in p:
            raise ConfigError(f"{where} has no '{key}'", f"add '{key}' to its [[matrix]] entry")
    if not fam.uses_backend:
        return
    if fam.value(p, "backend") not in backends.BACKENDS:
        raise ConfigError(f"{where}: unknown backend '{p['backend']}'",
                          f"use one of: {', '.join(backends.BACKENDS)}")
    if fam.value(p, "qd") != 1 and not path.queued:
        raise ConfigError(f"{where}: {case.path} is synchronous and takes no qd",
                          "move it to a [[matrix]] entry without qd")
    if p["size"] > suite.file_size:
        raise ConfigError(f"{where} moves more than file_size ({suite.file_size} bytes)",
                          "raise file_size or lower the case's size")
    if p["size"] % p["bs"]:
        raise ConfigError(f"{where}: size is not a multiple of bs",
                          "make size a multiple of every bs")


def check_cases(suite):
    """Every case names a known path, backend and check, and fits its region;
    a counted suite names only countable cases."""
    for name in suite.checks:
        if name not in CHECKS:
            raise ConfigError(f"suite {suite.name}: unknown check '{name}'",
                              f"use one of: {', '.join(sorted(CHECKS))}")
    for case in suite.cases:
        _check_case(suite, case)
    measure.check_countable(suite, paths.PATHS, suite.measure)
    ram = [b for b in paths.used_backends(suite) if b.ram_disk]
    if ram:
        need = GUEST_BASE_MIB + len(ram) * (backends.ram_disk_bytes(suite.file_size) >> 20)
        if suite.vm.memory_mib < need:
            names = " and ".join(b.name for b in ram)
            raise ConfigError(f"suite {suite.name}: the RAM disk(s) of {names} need "
                              f"memory_mib >= {need}",
                              f"set memory_mib = {need} or more in [vm], or lower file_size")


def setup_steps(suite, env):
    """Make the backends' own file systems, then write the pattern into
    every region once, so reads read real data and writes overwrite
    allocated blocks, for kdio paths and fio alike."""
    steps = []
    for b in paths.used_backends(suite):
        if b.prepare_argv():
            steps.append({"name": f"make the file system of {b.name}",
                          "argv": b.prepare_argv()})
        for owner in backends.REGION_OWNERS:
            target = env.backend_target(b, owner)
            steps.append({"name": f"lay out {owner} region on {b.name}",
                          "argv": _verify_argv(env, "-w", target, env.seed)})
    return steps


# What a --module-param may say: a parameter name, and a value with no
# spaces or shell characters (it goes on the insmod line and into a check).
PARAM_NAME, PARAM_VALUE = re.compile(r"\w+"), re.compile(r"[\w.,:+-]+")


def split_module_param(item):
    """("kdio_dio", "delay_us", "200") from "kdio_dio.delay_us=200"; None
    unless it is MODULE.PARAM=VALUE with plain names and a plain value."""
    mod, _, assignment = item.partition(".")
    name, _, value = assignment.partition("=")
    if PARAM_NAME.fullmatch(mod) and PARAM_NAME.fullmatch(name) and PARAM_VALUE.fullmatch(value):
        return mod, name, value
    return None


def param_check_steps(module_params, sysfs="/sys/module"):
    """A setup step per "module.param=value" that fails, naming the
    parameters the module does have, unless the kernel took the value: the
    kernel ignores an unknown module parameter with a log line only, and a
    run must never be labelled with a setting that did not take effect."""
    steps = []
    for item in module_params:
        mod, param, value = split_module_param(item)
        shown = shlex.quote(value)
        script = (f'd={sysfs}/{mod}/parameters; f=$d/{param}; '
                  f'if [ ! -e "$f" ]; then echo "module {mod} has no parameter {param}; '
                  f'it has: $(ls $d 2>/dev/null | tr "\\n" " ")" >&2; exit 1; fi; '
                  f'v=$(cat "$f"); if [ "$v" != {shown} ]; then '
                  f'echo "{mod}.{param} is $v, not "{shown} >&2; exit 1; fi')
        steps.append({"name": f"check module parameter {item}",
                      "argv": ["/bin/sh", "-c", script]})
    return steps


def step_timeout(env, wall_s):
    """The guest-side timeout of one step. None in counted runs: under
    icount with sleep=off the guest's clock races ahead while it waits for
    the host (9p reads of a busy host: a fio start once took 300 virtual
    seconds), so a guest timeout would kill healthy steps; the host's
    wall-clock timeout of the whole VM (the suite's timeout_s) catches hangs."""
    return None if env.counted else wall_s


def _case_steps(suite, env):
    """Every case's command line; a kdio storage case's, with the seed each
    repetition writes or expects (kdio.plan.regions), one per repetition."""
    seeds = regions.follow(suite, env).seeds
    steps = []
    for i, c in enumerate(suite.cases):
        path = paths.PATHS[c.path]
        step = {"case": c.case_id, "argv": path.argv(c.param_dict, env),
                "timeout_s": step_timeout(env, CASE_TIMEOUT_S)}
        if (0, i) in seeds:
            step["argv_by_rep"] = [path.argv(c.param_dict,
                                             dataclasses.replace(env, seed=seeds[rep, i]))
                                   for rep in range(suite.repetitions)]
            step["argv"] = step["argv_by_rep"][0]
        steps.append(step)
    return steps


# fio cases on one backend run up to this many in one fio process (a
# batch), one job after the other: a fio process's start (its 64 shared
# libraries' relocations, its 100 ms waits for its threads) cost a second
# or more of each sample under TCG, more than most samples' I/O.
FIO_BATCH_MAX = 6


def fio_batches(suite, steps, env):
    """Batches of fio cases, in case order, per backend, at most
    FIO_BATCH_MAX each: {batch id: {cases, jobs, argv, timeout_s}}; each
    member step gets "batch" (its id) and "fio_job" (its job's name). The
    runner runs a batch once per repetition, where its first case comes,
    and writes each member's sample from the one report."""
    by_backend = {}
    for c, step in zip(suite.cases, steps):
        if paths.PATHS[c.path].name.startswith("fio."):
            by_backend.setdefault(family.STORAGE.value(c.param_dict, "backend"), []).append(step)
    batches = {}
    for backend, members in by_backend.items():
        for start in range(0, len(members), FIO_BATCH_MAX):
            chunk = members[start:start + FIO_BATCH_MAX]
            if len(chunk) < 2:
                continue
            bid = f"fio-{backend}-{start // FIO_BATCH_MAX}"
            for i, step in enumerate(chunk):
                step["batch"], step["fio_job"] = bid, fio.job_name(i)
            batches[bid] = {"cases": [s["case"] for s in chunk],
                            "jobs": [s["fio_job"] for s in chunk],
                            "argv": fio.batch_argv([s["argv"] for s in chunk]),
                            "timeout_s": step_timeout(env, CASE_TIMEOUT_S * len(chunk))}
    return batches


def build(suite, env, run_id, module_params=(), config_steps=()):
    """The plan the guest's runner runs: setup (config_steps, the checks
    of --append and --sysctl, first; then the module parameters' checks and
    the backends' layout), the cases, fio's batches and the checks."""
    check_cases(suite)
    cases = _case_steps(suite, env)
    batches = fio_batches(suite, cases, env)
    checks = [{"name": name, "argv": argv + list(suite.check_args.get(check, ())),
               "output": CHECK_OUTPUT[check], "timeout_s": step_timeout(env, STEP_TIMEOUT_S)}
              for check in suite.checks for name, argv in CHECKS[check](suite, env)]
    setup = [{**step, "timeout_s": step_timeout(env, STEP_TIMEOUT_S)}
             for step in [*config_steps, *param_check_steps(module_params),
                          *setup_steps(suite, env)]]
    return {"run_id": run_id, "suite": suite.name, "repetitions": suite.repetitions,
            "setup": setup, "cases": cases, "batches": batches, "checks": checks}


def our_module_params(module_params, kos):
    """{module name: 'p=v p2=v2'} from ("kdio_dio.delay_us=200", ...)."""
    ours = {k.stem for k in kos}
    params = {}
    for item in module_params:
        mod, name, value = split_module_param(item) or (None, None, None)
        if mod not in ours:
            raise ConfigError(f"bad module parameter {item!r}",
                              f"write MODULE.PARAM=VALUE for one of our modules: {', '.join(sorted(ours))}")
        params[mod] = (params.get(mod, "") + f" {name}={value}").strip()
    return params


def only_cases(suite, ids):
    """suite with only the cases ids name (all if ids is empty), in the
    suite's order; an id the suite lacks is refused with the ones it has."""
    if not ids:
        return suite
    known = {c.case_id for c in suite.cases}
    unknown = [i for i in ids if i not in known]
    if unknown:
        more = f" (nor {len(unknown) - 1} other(s) given)" if len(unknown) > 1 else ""
        raise ConfigError(f"suite {suite.name} has no case {unknown[0]}{more}",
                          f"give case ids as the suite's table prints them, e.g. "
                          f"{next(iter(sorted(known)), '?')}")
    return dataclasses.replace(suite, cases=tuple(c for c in suite.cases if c.case_id in ids))


def load_suite(name, measure_name=None, countable_drivers=()):
    """The suite called name, with measure_name (the command line's) over
    its own measure and countable_drivers (--countable-driver) added to its
    own, its cases checked."""
    suite = config.load_suite(name)
    if measure_name:
        suite = dataclasses.replace(suite, measure=measure.get(measure_name))
    if countable_drivers:
        suite = dataclasses.replace(suite, countable_drivers=tuple(dict.fromkeys(
            (*suite.countable_drivers, *countable_drivers))))
    check_cases(suite)
    return suite
