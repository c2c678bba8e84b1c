"""kdio command line: parses arguments and calls the library; the only
place that turns errors into messages and exit codes.

Exit status: 0 ok, 1 a run failed or a case errored, 2 usage or setup error.
"""

import argparse
import dataclasses
import json
import os
import re
import signal
import sys
import traceback
from pathlib import Path

from kdio import where
from kdio.kernel import build, builttree, kbuild, kconfig, kernel
from kdio.model import config, measure
from kdio.remote import hosts
from kdio.report import compare, export, kernels, latency, plot, report, table
from kdio.report import dashboard, flame, headline, trend
from kdio.report import profile as profile_report
from kdio.bisect import bisect
from kdio.profile import diff as profile_diff
from kdio.profile import profile
from kdio.results import results
from kdio.run import bench, context, doctor, host, lint, reparse
from kdio.store import store
from kdio.errors import ConfigError, KdioError


def log(msg):
    print(msg, flush=True)


def _options(args, suite, kernel_name, run_id, profile=None, side=None, jobs=None):
    """bench.Options from the arguments bench and regress share; profile:
    the profiler's mode ("", "on", "stacks"), else bench's --profile; side:
    the Side of an A/B (regress's BASE or NEW), else args' own settings."""
    side = side or Side(kernel_name, tuple(args.module_param), tuple(args.append),
                        tuple(args.sysctl))
    return bench.Options(suite=suite, kernel=side.kernel,
                         results_dir=Path(args.results_dir), run_id=run_id,
                         timeout_s=getattr(args, "timeout", None),
                         module_params=side.module_params, measure=args.measure,
                         append=side.append, sysctls=side.sysctls,
                         countable_drivers=tuple(getattr(args, "countable_driver", ())),
                         user_modules=tuple(_split(args.module)),
                         passthrough=tuple(_split(getattr(args, "passthrough", []))),
                         jobs=jobs or getattr(args, "jobs", None),
                         profile=getattr(args, "profile", "") if profile is None else profile)


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of an A/B: what it sets on each axis."""
    kernel: str
    module_params: tuple = ()
    append: tuple = ()
    sysctls: tuple = ()

    def words(self):
        """The side's settings, for a banner."""
        return ", ".join([f"kernel {self.kernel}"] + [
            f"{flag} {' '.join(v)}" for flag, v in (("--module-param", self.module_params),
                                                   ("--append", self.append),
                                                   ("--sysctl", self.sysctls)) if v])


def _sides(args):
    """(BASE's Side, or None for the committed baseline; NEW's Side). With
    any --base-* option BASE is a run made now: NEW's settings, but those
    the --base-* options give ('' for none)."""
    new = Side(args.kernel, tuple(args.module_param), tuple(args.append), tuple(args.sysctl))
    given = {name: value for name, value in (
        ("kernel", args.base_kernel), ("module_params", args.base_module_param),
        ("append", args.base_append), ("sysctls", args.base_sysctl)) if value is not None}
    if not given:
        return None, new
    return dataclasses.replace(new, **{
        name: value if name == "kernel" else tuple(v for v in value if v.strip())
        for name, value in given.items()}), new


def _config_arguments(s, base=False):
    """--append and --sysctl (and with base, their BASE sides) of bench and
    regress."""
    s.add_argument("--append", action="append", default=[], metavar="PARAMS",
                   help="add these words to the guest kernel's command line (repeatable), "
                        "e.g. --append 'mitigations=off init_on_alloc=0'; each is checked in "
                        "the guest to have taken effect, and the run refused if not")
    s.add_argument("--sysctl", action="append", default=[], metavar="KEY=VALUE",
                   help="set this sysctl in the guest before the first case (repeatable); "
                        "read back, and the run refused if it did not keep the value")
    s.add_argument("--countable-driver", action="append", default=[], metavar="NAME",
                   help="count a crypto driver of your own (a case's driver=NAME) as CPU-only "
                        "in counted mode; kdio checks in the guest that it is registered and "
                        "takes no device interrupt, and refuses its figures if not")
    if not base:
        return
    s.add_argument("--base-append", action="append", default=None, metavar="PARAMS",
                   help="BASE's --append (give '' for none): with any --base-* option, "
                        "BASE is a run made now, with NEW's settings but those given")
    s.add_argument("--base-sysctl", action="append", default=None, metavar="KEY=VALUE",
                   help="BASE's --sysctl (give '' for none)")
    s.add_argument("--base-module-param", action="append", default=None,
                   metavar="MOD.PARAM=VALUE", help="BASE's --module-param (give '' for none)")


def _host_options(args, suite, run_id):
    """host.Options from bench --target host's arguments (refusing those of a
    guest run, which would not take effect)."""
    given = [f for f, v in (("--kernel", args.kernel), ("--module", args.module),
                            ("--passthrough", args.passthrough), ("--jobs", args.jobs),
                            ("--profile", args.profile), ("--append", args.append),
                            ("--sysctl", args.sysctl)) if v]
    if given:
        raise ConfigError(f"{', '.join(given)} do(es) not apply to --target host: the suite "
                          "runs on the running kernel, with kdio's modules only",
                          "leave them out, or run in a guest (--target guest)")
    return host.Options(suite=suite, results_dir=Path(args.results_dir), run_id=run_id,
                        timeout_s=args.timeout, module_params=tuple(args.module_param),
                        measure=args.measure, dir=args.dir, device=args.device,
                        destroy_data_on=args.destroy_data_on, kdir=args.kdir,
                        modules_from=args.modules_from, tools_from=args.tools_from,
                        module_root=args.module_root, kernel_config=args.kernel_config)


def _extra_metrics(doc, names):
    """The Metric columns of --metric NAME ..., for doc."""
    return tuple(latency.metric(name, doc) for name in _split(names))


def _where(ctx):
    """(where the run ran, in a line; the name of its log file)."""
    if ctx.get("target") == "host":
        return (f"{ctx['kernel']['release']} on this machine ({ctx['host']['cpu_model']}, "
                f"governor {ctx['host']['governor'] or 'none: no cpufreq'}), runner "
                f"{ctx.get('runner_elapsed_s')} s", "runner.log")
    jobs = (ctx.get("jobs") or {}).get("jobs", 1)
    if jobs > 1:
        return (f"{ctx['kernel']['release']} on {ctx['accelerator']}, {jobs} guests at once, "
                f"guest boots {', '.join(str(s.get('boot_s')) for s in ctx['jobs']['shards'])} "
                f"s, VMs {', '.join(str(s.get('vm_elapsed_s')) for s in ctx['jobs']['shards'])} "
                f"s", f"console-{{1..{jobs}}}.log")
    return (f"{ctx['kernel']['release']} on {ctx['accelerator']}, guest boot "
            f"{ctx['guest'].get('boot_s')} s, VM {ctx.get('vm_elapsed_s')} s", "console.log")


def _run_and_print(opts, metrics=(), plots=True, store_to=None):
    """One run, then its table (with the --metric columns), checks,
    context, files, plots and report; store_to: the store it is added to
    as it finishes (--store), if any."""
    doc, run_dir = (host.run if isinstance(opts, host.Options) else bench.run)(opts, log)
    if doc["context"].get("kdio_git_sha_unknown"):
        log(f"kdio's commit: unknown, {doc['context']['kdio_git_sha_unknown']}")
    if doc["context"].get("module_params"):
        log(f"module parameters: {' '.join(doc['context']['module_params'])}")
    for u in doc["context"].get("user_modules", []):
        log(f"user module {u['module']} ({u['source']}): "
            + ("loaded" if u["loaded"] else f"NOT loaded: {u['message']}"))
    log("")
    log(_banner(doc))
    log(_found(doc))
    log(table.render(doc, _extra_metrics(doc, metrics)))
    for c in doc.get("checks", []):
        log(f"check {c['name']}: {'ok' if c['ok'] else 'FAILED'} ({c['detail']})")
    where, log_name = _where(doc["context"])
    log(where)
    log("")
    log(f"results: {run_dir / 'result.json'}  {run_dir / 'result.csv'}  {run_dir / log_name}")
    if "profile" in doc["context"]:
        log(f"profile: {run_dir / 'profile'}  (where each case's instructions go: "
            f"kdio profile {run_dir.name}, or make profile RUN={run_dir.name})")
    if plots:
        _plots_and_report(doc, run_dir)
    if store_to is not None:
        path = _store_path(store_to)
        try:
            with store.Store(path) as db:
                added = db.add(doc, source=str(run_dir / "result.json"))
        except store.StoreError as e:
            raise store.StoreError(f"{e} (the run itself is kept: {run_dir})",
                                   f"when the store is back: kdio store add {run_dir} "
                                   f"--store {store.shown(path)}") from None
        log(f"stored: {store.shown(path)} (run {added.run})")
    return doc, run_dir


def _store_ready(given):
    """With --store, open the store once before any run: a wrong URL, a
    server down or a newer schema is said now, not after the runs."""
    if given is not None:
        store.Store(_store_path(given)).close()


def _run_failed(doc):
    """Says why, and True, if the run did not finish."""
    if doc["status"] == "ok":
        return False
    log(f"RUN FAILED: {doc['failure']['reason']}"
        + (f" (during {doc['failure']['last_case']})" if doc["failure"].get("last_case") else ""))
    return True


def _verdict(doc):
    if _run_failed(doc):
        return 1
    errors = [r["case"] for r in doc["results"] if r["status"] == "error"]
    if errors:
        log(f"{len(errors)} case(s) in error: {', '.join(errors)}")
        return 1
    return 0


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of guests (1 or more)")
    return value


def _split(items):
    return [k for item in items for k in item.replace(",", " ").split()]


MODE_BANNERS = {
    "wall": "WALL-CLOCK figures: time under {accel}, which drifts by up to 50 % between boots "
            "under TCG; read medians, spreads and same-run ratios",
    "counted": "COUNTED figures: guest instructions under QEMU icount, reproducible to a "
               "fraction of a percent; costs, not time",
}


def _banner(doc):
    mode = measure.mode_of(doc)
    if doc["context"].get("target") == "host":
        return (f"=== suite {doc['context']['suite']['name']}: WALL-CLOCK figures on this "
                "machine's kernel and devices (host mode) ===")
    return (f"=== suite {doc['context']['suite']['name']}: "
            + MODE_BANNERS[mode].format(accel=doc["context"]["accelerator"].upper()) + " ===")


def _suite_label(suite):
    """A suite's part of a run id: its name, or a suite file's stem
    (--suite path/to/mine.toml runs as ...-mine-debian-6.1)."""
    return Path(suite).stem if suite.endswith(".toml") or "/" in suite else suite


def cmd_bench(args):
    _store_ready(args.store)
    names = ["running"] if args.target == "host" else (_split(args.kernel) or ["debian-6.1"])
    suites = _split(args.suite) or ["dio"]
    stamp = context.run_id(args.run_id)
    status, runs, every = 0, len(names) * len(suites), []
    for suite in suites:
        docs = []
        for name in names:
            run_id = (stamp if runs == 1 and args.run_id
                      else f"{stamp}-{_suite_label(suite)}-{builttree.label(name)}")
            if runs > 1:
                log(f"=== suite {suite}, kernel {name} ===")
            opts = (_host_options(args, suite, run_id) if args.target == "host"
                    else _options(args, suite, name, run_id))
            doc, _ = _run_and_print(opts, args.metric, plots=not args.no_plots,
                                    store_to=args.store)
            docs.append(doc)
            status = max(status, _verdict(doc))
        if len(docs) > 1:
            _cross_kernel(docs, Path(args.results_dir) / f"{stamp}-{_suite_label(suite)}-kernels")
        every += docs
    if len(suites) > 1:  # wall and counted tables again, one after the other
        for doc in every:
            log("")
            log(_banner(doc))
            log(table.render(doc, _extra_metrics(doc, args.metric)))
    return status


def _hosts_list(args):
    """The hosts of --host and --hosts-file, each with its checkout."""
    given = [hosts.parse_host(h, args.remote_dir) for h in _split(args.host)]
    if args.hosts_file:
        given += hosts.read_hosts_file(args.hosts_file, args.remote_dir)
    return given


def _bench_args(args):
    """The bench options each host's run takes."""
    out = [f"--module-param={p}" for p in args.module_param]
    out += [f"--append={a}" for a in getattr(args, "append", [])]
    out += [f"--sysctl={a}" for a in getattr(args, "sysctl", [])]
    out += [f"--measure={args.measure}"] if args.measure else []
    out += [f"--timeout={args.timeout}"] if args.timeout else []
    return out + (["--no-plots"] if args.no_plots else [])


def cmd_hosts(args):
    """The suite x kernel matrix across hosts, merged into one folder."""
    _store_ready(args.store)
    stamp = context.run_id(args.run_id)
    every = _hosts_list(args)
    pairs = hosts.plan(_split(args.suite) or ["dio"], _split(args.kernel) or ["debian-6.1"],
                       every, stamp)
    for p in pairs:
        log(f"{p.run_id}: suite {p.suite}, kernel {p.kernel} on {p.host.sshlogin} "
            f"({p.host.checkout})")
    out_dir = Path(args.results_dir) / f"{stamp}-hosts"
    summary, ok_docs = hosts.run(pairs, every, out_dir,
                                 _bench_args(args), ssh=args.ssh,
                                 job_timeout=args.job_timeout, log=log)
    for suite, docs in ok_docs.items():
        if len(docs) > 1:
            _cross_kernel(docs, out_dir / f"{hosts.suite_label(suite)}-kernels")
    log("")
    log(hosts.render(summary))
    log(f"merged: {out_dir} (hosts.json, results/, plots/, logs/, joblog)")
    if args.store is not None:
        _add_all(_store_path(args.store), _readable(
            out_dir / p["run"] / "result.json" for p in summary["pairs"] if p["run"]))
    return 0 if summary["status"] == "ok" else 1


def _cross_kernel(docs, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    log("")
    log(kernels.render(docs))
    results.write_atomic(out_dir / "kernels.md", kernels.render(docs, markdown=True))
    drawn = kernels.plot(docs, out_dir)
    log(f"cross-kernel table and plot: {out_dir / 'kernels.md'}  {drawn[0]}")


def plots_dir_for(run_dir):
    """plots/<run-id> beside the results folder the run is in."""
    run_dir = Path(run_dir).resolve()
    return run_dir.parent.parent / "plots" / run_dir.name


def _plots_and_report(doc, run_dir):
    drawn = plot.draw_all(doc, plots_dir_for(run_dir))
    summary = profile_diff.load(profile_diff.home(run_dir))
    if summary:
        drawn += profile_report.draw_layers(summary, plots_dir_for(run_dir))
        try:
            drawn += flame.draw(summary, profile_diff.home(run_dir), plots_dir_for(run_dir))
        except KdioError as e:
            log(f"warning: no flame graphs: {e} ({e.hint})")
    md, page = report.write(doc, drawn, run_dir, summary)
    log(f"plots: {plots_dir_for(run_dir)} ({len(drawn)} files)")
    log(f"report: {md}  {page}")


def _run_dir(run):
    """A run's folder from results/<run-id>, its result.json, or the id."""
    run_dir = Path(run)
    if run_dir.name == "result.json":
        run_dir = run_dir.parent
    if not (run_dir / "result.json").exists():
        run_dir = where.TOP / "results" / run_dir.name
    return run_dir


def cmd_plots(args):
    run_dir = _run_dir(args.run)
    doc = results.load(run_dir / "result.json")
    results.validate(doc)
    _plots_and_report(doc, run_dir)
    return 0


def cmd_parse(args):
    """The run's result.json made again from its records and console logs,
    then its table, plots and report."""
    run_dir = _run_dir(args.run)
    doc = reparse.rebuild(run_dir, args.suite)
    before = (run_dir / "result.json").read_text()
    if results.dump(doc) == before:
        log(f"{run_dir / 'result.json'}: rebuilt from the records and console, the same bytes")
    else:
        results.write_atomic(run_dir / "result.previous.json", before)
        log(f"{run_dir / 'result.json'}: rebuilt from the records and console, and it "
            f"differs; the one it replaces is {run_dir / 'result.previous.json'}")
    results.write_final(doc, run_dir)
    log(_banner(doc))
    log(table.render(doc))
    for c in doc.get("checks", []):
        log(f"check {c['name']}: {'ok' if c['ok'] else 'FAILED'} ({c['detail']})")
    if not args.no_plots:
        _plots_and_report(doc, run_dir)
    return _verdict(doc)


def cmd_profile(args):
    """A profiled run's profiles: per case, the layer split and top functions."""
    run_dir = _run_dir(args.run)
    path = run_dir / "profile" / "profile.json"
    if not path.exists():
        raise ConfigError(f"{run_dir} has no profile ({path} is missing)",
                          "run the suite with --profile (make bench ... PROFILE=1), counted")
    summary = json.loads(path.read_text())
    chosen = [k for k in summary["cases"] if args.case is None or args.case in k]
    if not chosen:
        raise ConfigError(f"no profiled case of {run_dir.name} matches {args.case!r}",
                          f"give part of a case id: {', '.join(list(summary['cases'])[:3])} ...")
    if args.baseline_copy:
        if not summary["ok"]:
            raise ConfigError(f"{run_dir.name}'s profile failed its checks, so it is no baseline",
                              "profile a run whose checks pass")
        out = Path(args.baseline_copy)
        profile.trim(path.parent, out)
        log(f"{out}: the profile of {len(summary['cases'])} case(s), each trimmed to the "
            f"functions that hold {100 * profile.TRIM_SHARE:g} % of its instructions")
        return 0
    if args.per_io:
        table = profile_report.per_io(results.load(run_dir / "result.json"), {
            **summary, "cases": {k: summary["cases"][k] for k in chosen}})
        log(profile_report.render_per_io(table))
    else:
        log(profile_report.render(summary, path.parent, args.case, args.top))
    return 0 if summary["ok"] else 1


def cmd_export(args):
    """The run's storage cases in fio's json+ format (RUN/fio.json)."""
    run_dir = _run_dir(args.run)
    doc = results.load(run_dir / "result.json")
    results.validate(doc)
    out = export.fio_document(doc)
    if not out["jobs"]:
        raise KdioError(f"{run_dir}: no storage case ran ok, so there is nothing to export",
                        "export a run with dio.*, kmap.* or fio.* cases")
    dest = Path(args.out) if args.out else run_dir / "fio.json"
    results.write_atomic(dest, json.dumps(out, indent=2) + "\n")
    log(f"fio json+: {dest} ({out['kdio']['jobs']} jobs from {out['kdio']['cases']} storage "
        f"cases, {out['kdio']['times']})")
    return 0


def cmd_compare(args):
    base, new = results.load(args.base), results.load(args.new)
    settings, why = compare.default_settings(base, new)
    given = {"alpha": args.alpha, "threshold": _percent(args.threshold),
             "cv_limit": _percent(args.cv_limit), "normalize": args.normalize or None,
             "across_toolchains": args.across_toolchains or None}
    given = {k: v for k, v in given.items() if v is not None}
    if given:
        settings = dataclasses.replace(settings, **given)
        why += "; " + ", ".join(f"--{k.replace('_', '-')}" for k in given) + " as given"
    result = compare.compare(base, new, settings, why)
    log(compare.render_text(result, markdown=args.format == "markdown")
        if args.format != "json" else json.dumps(result, indent=2))
    if args.json_out:
        results.write_atomic(args.json_out, json.dumps(result, indent=2) + "\n")
    _explain(profile_diff.home(args.base), profile_diff.home(args.new), result, args.explain)
    if not result["cases"]:
        raise KdioError("no case could be compared between the two runs",
                        "compare runs of the same suite")
    return 1 if result["regressions"] else 0


def _percent(value):
    return None if value is None else value / 100


def _explain(base_dir, new_dir, result, asked=()):
    """The differential profile of every flagged case, and of the cases
    asked for (--explain), when both runs were profiled; else a line that
    says what is missing."""
    flagged = result["regressions"] + result["improvements"]
    cases = list(dict.fromkeys([*flagged, *(c for c in result_cases(result)
                                             if any(a in c for a in asked or ()))]))
    if not cases:
        return
    missing = [d for d in (base_dir, new_dir) if profile_diff.load(d) is None]
    if missing:
        log("where the flagged cases changed: not known, " + "; ".join(
            f"no profile in {d} (" + (f"record one from a profiled run of the baseline's build: "
                                      f"kdio profile RUN --baseline-copy {d}"
                                      if d.name.endswith("-profile") else
                                      "run it with --profile, counted") + ")"
            for d in missing))
        return
    for case in cases:
        log("")
        log(profile_report.render_explain(profile_diff.explain(base_dir, new_dir, case)))


def result_cases(result):
    return [c["case"] for c in result["cases"]]


def _split_of(doc):
    """The number of guests a run was split across (1 when not recorded)."""
    return ((doc.get("context") or {}).get("jobs") or {}).get("jobs") or 1


def _base_run(args, gate, mode, base, jobs):
    """(BASE document, what it is, where its profile would be): the
    committed baseline, or with a BASE side (--base-kernel, --base-append,
    ...) a run of the same gate suite with it now (profiled in mode)."""
    if base is None:
        baseline = Path(args.baseline or where.TOP / gate["baseline"])
        return results.load(baseline), str(baseline), profile_diff.home(baseline)
    stamp = context.run_id(args.run_id)
    log(f"=== BASE: suite {args.suite}, {base.words()} ===")
    doc, run_dir = _run_and_print(_options(args, args.suite, base.kernel, f"{stamp}-base",
                                           mode, side=base, jobs=jobs), store_to=args.store)
    if _run_failed(doc):
        raise KdioError(f"the BASE run ({base.words()}) failed",
                        "fix that run first (see its console.log and its failure above)")
    return doc, f"the same suite with {base.words()}", profile_diff.home(run_dir)


HISTORY = re.compile(r"store:last=([1-9][0-9]*)")


def _history_base(args, gate, doc, n):
    """(BASE document, what it is, where its profile would be) for --base
    store:last=N: the last N stored runs like doc, else the committed
    baseline when the store has none."""
    path = _store_path(args.store)
    with store.Store(path) as db:
        base = db.history(doc, n)
    if base is not None:
        return (base, f"the last {len(base['context']['history'])} run(s) in "
                      f"{store.shown(path)} of this "
                      f"suite, kernel and toolchain ({', '.join(base['context']['history'])})",
                None)
    baseline = Path(args.baseline or where.TOP / gate["baseline"])
    log(f"the store {store.shown(path)} holds no earlier run of this suite, kernel and toolchain: "
        f"comparing with {baseline}")
    return results.load(baseline), str(baseline), profile_diff.home(baseline)


def cmd_regress(args):
    _store_ready(args.store)
    suite = config.load_suite(args.suite)
    gate = dict(suite.gate)
    if not gate:
        raise KdioError(f"suite {suite.name} has no [gate] section", "use --suite ci")
    history = HISTORY.fullmatch(args.base or "")
    if args.base and not history:
        raise ConfigError(f"--base {args.base}: not store:last=N",
                          "e.g. --base store:last=5 compares with the last 5 stored runs")
    if history and _sides(args)[0]:
        raise ConfigError("--base store:last=N and a --base-* option both name a BASE",
                          "give one of them")
    counted = args.measure == "counted" if args.measure else suite.measure.counted
    mode = {"on": "on", "stacks": "stacks", "auto": "on" if counted else ""}.get(args.profile, "")
    base_side, new_side = _sides(args)
    # The same split on both sides: a guest's figures depend on what else ran
    # in it (docs/configurations.md), so NEW runs as the baseline was split,
    # and an A/B's two sides alike (--jobs, else one guest each)
    jobs = args.jobs or 1
    if not history:
        base, what, base_profile = _base_run(args, gate, mode, base_side, jobs)
        if base_side is None and not args.jobs:
            jobs = _split_of(base)
    gate.pop("baseline", None)
    run_id = f"{args.run_id}-new" if base_side and args.run_id else args.run_id
    if base_side:
        log(f"=== NEW: suite {args.suite}, {new_side.words()} ===")
    doc, run_dir = _run_and_print(_options(args, args.suite, args.kernel, run_id, mode,
                                           side=new_side, jobs=jobs), store_to=args.store)
    if _run_failed(doc):
        return 1
    if history:
        base, what, base_profile = _history_base(args, gate, doc, int(history.group(1)))
    result = compare.compare(base, doc, compare.Settings(
        **gate, across_toolchains=args.across_toolchains),
                             f"the gate's settings (suite {suite.name}'s [gate])")
    log(f"\ncompared with {what}:\n{compare.render_text(result)}")
    results.write_atomic(run_dir / "compare.json", json.dumps(result, indent=2) + "\n")
    results.write_atomic(run_dir / "compare.md", compare.render_text(result, markdown=True) + "\n")
    if mode and base_profile:
        _explain(base_profile, profile_diff.home(run_dir), result)
    if result["toolchain_changed"]:
        log(f"not judged, toolchain or user space changed: "
            f"{', '.join(result['toolchain_changed'])}")
    if result["improvements"]:
        log(f"improvement: {', '.join(result['improvements'])}")
    if result["regressions"]:
        log(f"REGRESSION: {', '.join(result['regressions'])}")
        return 1
    log("no regression")
    return 0


def cmd_fetch(args):
    tree = kernel.fetch(config.load_kernel(args.kernel), log)
    log(f"{tree.spec.release}: {tree.root}")
    return 0


def cmd_lint(args):
    """sparse and W=1 on the modules for each kernel, shellcheck, pyflakes."""
    trees = [kernel.fetch(config.load_kernel(k), log) for k in args.kernel or ["debian-6.1"]]
    found = lint.everything(trees, log)
    for f in found:
        print(f)
    if found:
        log(f"lint: {len(found)} finding(s); fix them (make lint runs the same checks)")
        return 1
    log("lint: no finding")
    return 0


def cmd_build(args):
    """Modules and tools for a kernel name or a built tree (whose .config is
    checked for the options the suite needs)."""
    kspec = bench.open_kernel(args.kernel, config.load_suite(args.suite))
    tree = bench.fetch_kernel(kspec, log)
    art = build.build_all(tree, log)
    for ko in art.modules:
        log(f"module: {ko}")
    log(f"tools: {art.tools_dir}")
    return 0


def cmd_kernel_config(args):
    text = kconfig.render(kconfig.load_fragment())
    if args.out:
        results.write_atomic(args.out, text)
        log(f"fragment: {args.out}")
    else:
        print(text, end="")
    return 0


def cmd_kernel_build(args):
    kb = kbuild.plan(args.src, base=args.base, out=args.out, jobs=args.jobs,
                     settings=args.set, log=log)
    log(f"source {kb.source.root} ({kb.source.version}), base {kb.base}"
        + "".join(f", {r.line}" for r in kb.settings) + f", key {kb.key}")
    tree = kbuild.build(kb, log)
    log(f"KERNEL={tree}")
    log(f"  e.g. make bench SUITE=smoke KERNEL={tree}")
    return 0


def cmd_kernel_check(args):
    """The checks bench makes of a tree before it builds anything."""
    suite = config.load_suite(args.suite)
    fragment = kconfig.load_fragment()
    spec = builttree.open_tree(args.tree, fragment.guest_modules)
    kconfig.check_tree_config(kconfig.read_config(spec.config_path), fragment, suite,
                              spec.config_path)
    log(f"{spec.path}: {spec.release}, x86_64, modules built; its .config has every option "
        f"suite {suite.name} needs")
    return 0


def _kernel_parser(sub):
    k = sub.add_parser("kernel", help="kdio's kernel config fragment; build a guest kernel")
    ksub = k.add_subparsers(dest="kernel_command", required=True)
    s = ksub.add_parser("config", help="print the config fragment every guest and suite need")
    s.add_argument("--out", help="write it to this file instead")
    s.set_defaults(func=cmd_kernel_config)
    s = ksub.add_parser("build", help="build vmlinux and modules from a source with the "
                                      "fragment merged in (cached); print the KERNEL= to use")
    s.add_argument("src", help="kernel source folder, or a tarball of one "
                               "(/usr/src/linux-source-6.1.tar.xz)")
    s.add_argument("--base", default="tinyconfig",
                   help="tinyconfig (default: the smallest that boots), defconfig, or a "
                        ".config file")
    s.add_argument("--out", help="build folder (default: <cache>/trees/build/<key>)")
    s.add_argument("--jobs", type=int, default=None, help="make -j (default: CPU count)")
    s.add_argument("--set", action="append", default=[], metavar="CONFIG_X=VALUE",
                   help="an option to set after the fragment (y, m, n for not set, a number "
                        "or a quoted string); repeat for more. Builds the B of an A/B pair: "
                        "started from the build without it, only what it changes is rebuilt")
    s.set_defaults(func=cmd_kernel_build)
    s = ksub.add_parser("check", help="check a built tree, and its .config for a suite")
    s.add_argument("tree")
    s.add_argument("--suite", default="dio")
    s.set_defaults(func=cmd_kernel_check)


def cmd_show(args):
    doc = results.load(args.result)
    results.validate(doc)
    if args.latency:
        text = latency.render(doc)
        if not text:
            raise KdioError(f"{args.result}: no storage case has latency figures",
                            "show a run of this harness with dio.*, kmap.* or fio.* cases")
        log(text)
        return 0
    log(_found(doc))
    log(table.render(doc, _extra_metrics(doc, args.metric)))
    return 0


def _found(doc):
    """The headline the terminal's end summary opens with."""
    return "what the run found:\n" + "\n".join(f"  {line}" for line in headline.lines(doc))


def parser():
    p = argparse.ArgumentParser(prog="kdio", description="kernel direct-I/O benchmark harness")
    sub = p.add_subparsers(dest="command", required=True)
    _bench_parser(sub)
    _build_parsers(sub)
    _compare_parsers(sub)
    _plots_parser(sub)
    _kernel_parser(sub)
    _hosts_parser(sub)
    _doctor_parser(sub)
    _result_parsers(sub)
    _bisect_parsers(sub)
    _store_parser(sub)
    return p


def cmd_bisect(args):
    if bool(args.tree) == bool(args.module_repo):
        raise ConfigError("give one history to bisect: --tree DIR (a kernel tree) or "
                          "--module-repo DIR (a driver's repository)",
                          "e.g. kdio bisect --module-repo ~/mydrv --good v1.0 --bad HEAD")
    status, _ = bisect.start(
        args.tree or args.module_repo, "tree" if args.tree else "module", args.good, args.bad,
        suite=args.suite, cases=_split(args.case), kernel=args.kernel,
        module_dir=args.module_dir, base=args.base, reuse_build=args.reuse_build,
        results_dir=args.results_dir, run_id=args.run_id,
        profile="" if args.no_profile else "on", threshold=args.threshold,
        module_params=args.module_param, jobs=args.jobs, reuse=args.reuse, say=log)
    return status


def cmd_bisect_step(args):
    """git bisect run reads any exit code from 1 to 127 but 125 as "bad":
    a failure of kdio's own must stop the bisect instead (above 127)."""
    try:
        return bisect.step(args.run_dir, log)
    except KdioError as e:
        print(f"kdio: error: {e}\nkdio: what to do: {e.hint}", file=sys.stderr)
    except Exception as e:  # a bug, not the commit's fault
        traceback.print_exc()
        print(f"kdio: error in the bisect step: {e!r}", file=sys.stderr)
    return bisect.ABORT


def _bisect_parsers(sub):
    s = sub.add_parser("bisect", help="find the commit behind a counted change, in a kernel "
                                      "tree or a driver's repository (git bisect run)")
    s.add_argument("--good", required=True, help="a commit whose figures are good")
    s.add_argument("--bad", required=True, help="a later commit whose figures are bad")
    s.add_argument("--tree", help="a kernel tree's git checkout: each step builds it")
    s.add_argument("--module-repo", help="a driver's git repository: each step builds it "
                                         "against --kernel")
    s.add_argument("--module-dir", default="",
                   help="the driver's folder inside --module-repo (default: its top)")
    s.add_argument("--kernel", default="debian-6.1",
                   help="the guest kernel of a --module-repo bisect (debian-6.1)")
    s.add_argument("--base", default="tinyconfig",
                   help="--tree's base config: tinyconfig, defconfig or a .config file; kdio's "
                        "fragment is merged in (as kdio kernel build)")
    s.add_argument("--reuse-build", default="", metavar="DIR",
                   help="a finished `kdio kernel build` of the tree near --good: the bisect's "
                        "build folder starts as a copy, so its first build is incremental")
    s.add_argument("--suite", default="ci", help="the suite whose cases are measured (ci)")
    s.add_argument("--case", action="append", default=[], metavar="ID",
                   help="only these of the suite's cases (repeatable, or a list)")
    s.add_argument("--threshold", type=float, default=None,
                   help="the smallest change that counts, as a fraction (default: the suite's "
                        "gate, else ci's: 0.005)")
    s.add_argument("--no-profile", action="store_true",
                   help="measure unprofiled (no differential profile of the culprit)")
    s.add_argument("--module-param", action="append", default=[], metavar="MOD.PARAM=VALUE")
    s.add_argument("--reuse", default="", metavar="RUN",
                   help="an earlier bisect's folder of the same history, suite and cases: "
                        "the commits it measured are taken, not run again (another "
                        "--threshold, a narrower range)")
    s.add_argument("-j", "--jobs", type=_positive, default=None, metavar="N",
                   help="guests at once per measurement (default: as bench)")
    s.add_argument("--results-dir", default=str(where.TOP / "results"))
    s.add_argument("--run-id", default=None, help="stamp of the bisect's folder (<id>-bisect)")
    s.set_defaults(func=cmd_bisect)
    s = sub.add_parser("bisect-step", help="(git bisect run's command: one step of kdio bisect)")
    s.add_argument("run_dir")
    s.set_defaults(func=cmd_bisect_step)


def _bench_parser(sub):
    b = sub.add_parser("bench", help="run a suite in a fresh VM and write results")
    b.add_argument("--suite", action="append", default=[],
                   help="suite name (harness/suites) or file; repeat, or give a space/comma-"
                        "separated list, to run several, one after the other (default dio)")
    b.add_argument("--kernel", action="append", default=[],
                   help="kernel name (harness/kernels) or file, or the path of a built "
                        "kernel tree (one with a '/', or a folder); repeat, or give a "
                        "space/comma-separated list, to run the suite on each and compare "
                        "them (default debian-6.1)")
    b.add_argument("--results-dir", default=str(where.TOP / "results"))
    b.add_argument("--run-id", default=None, help="folder name under results/ (default: time-suite)")
    b.add_argument("--timeout", type=int, default=None, help="VM timeout in seconds")
    b.add_argument("--module-param", action="append", default=[], metavar="MOD.PARAM=VALUE",
                   help="load one of our modules with this parameter (repeatable), "
                        "e.g. kdio_dio.delay_us=200; recorded in the result's context")
    b.add_argument("--module", action="append", default=[], metavar="DIR|KO",
                   help="a module of your own to load before kdio's: a source folder with "
                        "a Kbuild file (built against the guest kernel) or a .ko; repeat, or "
                        "give a space-separated list; each load is recorded in the context")
    b.add_argument("--measure", choices=("wall", "counted"), default=None,
                   help="wall: wall-clock time; counted: guest instructions under QEMU "
                        "icount, reproducible, CPU-bound cases only (default: the suite's)")
    b.add_argument("--passthrough", action="append", default=[], metavar="PCI",
                   help="give the guest this host PCI device through vfio-pci (e.g. "
                        "0000:03:00.0); needs KVM and the device's IOMMU group bound to vfio-pci")
    b.add_argument("-j", "--jobs", type=_positive, default=None, metavar="N",
                   help="split the suite's cases across N guests at once (each comparison "
                        "group in one guest), one result. Default: 1 in wall mode, because "
                        "parallel guests steal CPU time from each other's timed cases (a "
                        "larger N is allowed, with a warning in the output and the context); "
                        "in counted mode min(idle host cores, available memory / guest "
                        "memory, groups), since instruction counts do not depend on the "
                        "host's load")
    b.add_argument("--profile", nargs="?", const="on", default="", choices=("on", "stacks"),
                   help="count each case's instructions by function with kdio's QEMU plugin, "
                        "which the guest cannot see (counted mode only): RUN/profile/, and "
                        "kdio profile RUN prints it; stacks: call stacks too (folded, and a "
                        "flame graph per path in the report)")
    b.add_argument("--no-plots", action="store_true",
                   help="write the result files only: no plots, no report (kdio plots RUN "
                        "draws them later)")
    _config_arguments(b)
    _store_argument(b)
    _host_arguments(b)
    _metric_argument(b)
    b.set_defaults(func=cmd_bench)


def _build_parsers(sub):
    """fetch, build and lint: a kernel's packages, kdio's builds, their checks."""
    for name, func, text in (("fetch", cmd_fetch, "download and unpack a guest kernel"),
                             ("build", cmd_build, "build modules and tools for a kernel")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--kernel", default="debian-6.1")
        if name == "build":
            s.add_argument("--suite", default="dio",
                           help="with a kernel tree: check its .config for this suite")
        s.set_defaults(func=func)
    s = sub.add_parser("lint", help="sparse and W=1 on the modules, shellcheck, pyflakes; "
                       "exit 1 on a finding")
    s.add_argument("--kernel", action="append", default=None,
                   help="build the modules against this kernel's headers (repeatable; "
                        "default: debian-6.1)")
    s.set_defaults(func=cmd_lint)


def _compare_parsers(sub):
    """compare two runs, or run the gate and compare it (regress)."""
    s = sub.add_parser("compare", help="compare two runs; exit 1 on a regression")
    s.add_argument("base", help="BASE result.json")
    s.add_argument("new", help="NEW result.json")
    s.add_argument("--alpha", type=float, default=None,
                   help="significance level (default: 0.05 for wall runs, the counted gate's "
                        "0.01 for counted runs)")
    s.add_argument("--threshold", type=float, default=None,
                   help="minimum effect in %% (default: 10 for wall runs, the counted gate's "
                        "0.5 for counted runs)")
    s.add_argument("--cv-limit", type=float, default=None,
                   help="coefficient of variation in %% above which a case is unstable "
                        "(default: 15 for wall runs, the counted gate's 2 for counted runs)")
    s.add_argument("--normalize", action="store_true",
                   help="compare ratios to the same run's fio baseline, per repetition")
    s.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    s.add_argument("--json-out", help="also write the comparison as JSON here")
    s.add_argument("--explain", action="append", default=[], metavar="CASE",
                   help="also show where this case's instructions changed (part of a case "
                        "id; repeatable), as for every flagged case, when both runs were "
                        "profiled (--profile)")
    s.add_argument("--across-toolchains", action="store_true",
                   help="judge the cases whose toolchain (gcc, binutils) or user space "
                        "(glibc, fio, libaio, liburing) differs between the runs too (default: "
                        "their verdict is 'toolchain changed')")
    s.set_defaults(func=cmd_compare)
    s = sub.add_parser("regress", help="run the gate suite and compare it with its baseline")
    s.add_argument("--suite", default="ci")
    s.add_argument("--kernel", default="debian-6.1")
    s.add_argument("--baseline", help="result.json to compare with (default: the suite's)")
    s.add_argument("--base-kernel", default=None,
                   help="run the gate suite on this kernel too, and compare with that "
                        "instead of the committed baseline (A/B of two kernels; with the "
                        "other --base-* options, of any configuration)")
    s.add_argument("--results-dir", default=str(where.TOP / "results"))
    s.add_argument("--run-id", default=None)
    s.add_argument("--module-param", action="append", default=[], metavar="MOD.PARAM=VALUE")
    s.add_argument("--measure", choices=("wall", "counted"), default=None,
                   help="override the gate suite's measure (its baseline must match)")
    s.add_argument("--module", action="append", default=[], metavar="DIR|KO",
                   help="a module of your own to load first (as for bench)")
    s.add_argument("--profile", nargs="?", const="on", default="off",
                   choices=("on", "off", "auto", "stacks"),
                   help="profile the gate run(s) (as for bench) and show where each flagged "
                        "case changed, against the baseline's profile (<baseline>-profile/ "
                        "beside it, or the BASE run's with a --base-* option); auto: when "
                        "the gate is counted (make regress's default)")
    s.add_argument("--across-toolchains", action="store_true",
                   help="judge the cases whose toolchain (gcc, binutils) or user space "
                        "(glibc, fio, libaio, liburing) differs between the runs too (default: "
                        "their verdict is 'toolchain changed')")
    s.add_argument("-j", "--jobs", type=_positive, default=None, metavar="N",
                   help="guests at once (default: as many as the baseline was split across, "
                        "else 1: a guest's figures depend on what else ran in it)")
    s.add_argument("--base", default=None, metavar="store:last=N",
                   help="compare with the last N runs in the store of the same suite, kernel "
                        "and toolchain (their samples together), instead of the committed "
                        "baseline; that baseline still when the store has none")
    _store_argument(s)
    _config_arguments(s, base=True)
    s.set_defaults(func=cmd_regress)


def _plots_parser(sub):
    s = sub.add_parser("plots", help="draw the plots and report of an earlier run again")
    s.add_argument("run", help="results/<run-id> folder, or just the run id")
    s.set_defaults(func=cmd_plots)


def _store_path(given):
    """The store: --store, else $KDIO_STORE, else results/store.sqlite; a
    file's Path, or a postgresql:// URL as given."""
    target = given or str(where.store())
    if store.is_url(target):
        return target
    if "://" in target:
        raise ConfigError(f"--store {store.shown(target)}: not a file, and not a PostgreSQL "
                          "server's postgresql:// URL",
                          "give a file (--store results/store.sqlite) or a server "
                          "(--store postgresql://USER@HOST/DB)")
    return Path(target)


def _stored_docs(runs):
    """(result document, its file) of each RUN given: a folder, a
    result.json or a run id; refused before anything is stored if one is
    not a readable result."""
    return [_checked(_run_dir(run) / "result.json") for run in runs]


def _checked(f):
    """(the result document in f, f), read and validated."""
    doc = results.load(f)
    results.validate(doc)
    return doc, f


def _readable(files):
    """(doc, file) of each readable, valid result file; the others named
    (a run's folder without its result.json, or a broken one)."""
    docs = []
    for f in files:
        try:
            docs.append(_checked(f))
        except KdioError as e:
            log(f"not stored: {f.parent.name}: {e}")
    return docs


def _add_all(store_file, docs):
    """Add each (doc, file) to the store, saying what each became."""
    new = 0
    with store.Store(store_file) as db:
        for doc, f in docs:
            added = db.add(doc, source=str(f))
            new += added.new
            log(f"{'added' if added.new else 'already stored'}: {doc['run_id']} ({f}) "
                + (f"as run {added.run}, {added.series} series, {added.samples} samples"
                   if added.new else f"as run {added.run}"))
    log(f"store {store.shown(store_file)}: {new} run(s) added, {len(docs) - new} already there")
    return 0


def cmd_store(args):
    store_file = _store_path(args.store)
    if args.action == "add":
        if not args.runs:
            raise ConfigError("kdio store add: no run given",
                              "name runs: kdio store add results/<run-id> ...")
        return _add_all(store_file, _stored_docs(args.runs))
    if args.action == "import":
        top = Path(args.runs[0] if args.runs else where.TOP / "results")
        found = sorted(top.glob("*/result.json"))
        if not found:
            raise ConfigError(f"{top}: no <run>/result.json in it",
                              "import the folder your runs are in (results/ by default)")
        return _add_all(store_file, _readable(found))
    with store.Store(store_file) as db:
        rows = db.runs()
    if not rows:
        log(f"store {store.shown(store_file)}: no run stored (kdio store import results/ adds "
            "every run)")
        return 0
    log("\n".join(table.aligned(("run", "date", "run id", "suite", "measure", "status",
                                  "kernel", "cases"),
                                 [tuple("-" if v is None else str(v) for v in r)
                                  for r in rows])))
    log(f"store {store.shown(store_file)}: {len(rows)} run(s)")
    return 0


def _stored_series(args):
    """The stored series that kdio trend's and dashboard's filters keep."""
    with store.Store(_store_path(args.store)) as db:
        series = db.series(case=args.case or "", kernel=args.kernel or "",
                           suite=args.suite or "", measure=args.measure or "")
    if not series:
        raise ConfigError("no stored series matches"
                          + "".join(f" {k} {v!r}" for k, v in (("case", args.case),
                                                              ("kernel", args.kernel),
                                                              ("suite", args.suite),
                                                              ("measure", args.measure)) if v),
                          "kdio store ls shows what is stored; kdio store import results/ "
                          "adds your runs")
    return series


def cmd_dashboard(args):
    judged = trend.trends(_stored_series(args), by=args.by)
    target = _store_path(args.store)
    out = dashboard.write(judged, Path(args.out) if args.out else
                          (where.TOP / "results" if store.is_url(target) else target.parent)
                          / "dashboard.html", by=args.by)
    steps = sum(len(s) for _, s in judged.values())
    log(f"dashboard: {out} ({len(judged)} series, {steps} change point(s); open it in a "
        "browser, it needs no network)")
    return 0


def cmd_trend(args):
    judged = trend.trends(_stored_series(args), by=args.by)
    log(trend.render(judged))
    steps = sum(len(s) for _, s in judged.values())
    log(f"\n{len(judged)} series, {steps} change point(s) (counted: a gap of "
        f"{trend.COUNTED.threshold * 100:g} % between {trend.COUNTED.min_runs}+ runs a side; "
        f"wall: {trend.WALL.threshold * 100:g} %, {trend.WALL.min_runs}+ runs)")
    return 0


STORE_HELP = ("the store: a file (default: $KDIO_STORE, else results/store.sqlite) or a "
              "PostgreSQL server, postgresql://USER@HOST/DB")


def _store_argument(s):
    s.add_argument("--store", nargs="?", const="", default=None, metavar="STORE",
                   help="add each run to the store as it finishes: a file (default: "
                        "$KDIO_STORE, else results/store.sqlite) or a PostgreSQL server, "
                        "postgresql://USER@HOST/DB")


def _store_parser(sub):
    s = sub.add_parser("store", help="the store of runs (an SQLite file, or a PostgreSQL "
                                     "server): add runs, import a folder of them, list them")
    s.add_argument("action", choices=("add", "import", "ls"),
                   help="add RUN...: these runs; import [DIR]: every DIR/<run>/result.json "
                        "(results/ by default); ls: the stored runs")
    s.add_argument("runs", nargs="*", metavar="RUN",
                   help="results/<run-id> folders, result.json files or run ids (add); a "
                        "folder of runs (import)")
    s.add_argument("--store", default=None, metavar="STORE", help=STORE_HELP)
    s.set_defaults(func=cmd_store)
    for name, func, text in (
            ("trend", cmd_trend, "each stored series over its runs, with its change points"),
            ("dashboard", cmd_dashboard, "an HTML page of every stored series over its runs, "
                                         "change points marked (static, opens offline)")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--case", help="only the cases whose id holds this")
        s.add_argument("--kernel", help="only runs on a kernel release holding this")
        s.add_argument("--suite", help="only this suite's series")
        s.add_argument("--measure", choices=("wall", "counted"), help="only runs of this measure")
        s.add_argument("--store", default=None, metavar="STORE", help=STORE_HELP)
        s.add_argument("--by", choices=trend.BY, default="date",
                       help="the runs' order and names: date (default) or kdio commit, as they "
                            "ran; kernel: by kernel release, so a step is a kernel's")
        if name == "dashboard":
            s.add_argument("--out", metavar="FILE",
                           help="the page to write (default: dashboard.html beside the store's "
                                "file, results/dashboard.html for a server)")
        s.set_defaults(func=func)


def _result_parsers(sub):
    """show, parse, export and profile: what an earlier run's files become."""
    s = sub.add_parser("show", help="validate a result.json and print its table")
    s.add_argument("result")
    _metric_argument(s)
    s.add_argument("--latency", action="store_true",
                   help="print the latency table instead: clat p50/p90/p99/p99.9/max per "
                        "I/O of every storage case, kdio paths and fio side by side")
    s.set_defaults(func=cmd_show)
    s = sub.add_parser("parse", help="rebuild a run's result.json, table, plots and report "
                       "from its records and console logs, with no boot")
    s.add_argument("run", help="results/<run-id> folder, its result.json, or the run id")
    s.add_argument("--no-plots", action="store_true", help="result files and table only")
    s.add_argument("--suite", metavar="FILE",
                   help="the run's suite file, when it is not one of harness/suites")
    s.set_defaults(func=cmd_parse)
    s = sub.add_parser("export", help="write a run's storage cases in another tool's format")
    s.add_argument("run", help="results/<run-id> folder, its result.json, or the run id")
    s.add_argument("--format", choices=export.FORMATS, required=True,
                   help="fio: fio's json+ document (jobs with clat_ns percentiles and bins)")
    s.add_argument("--out", help="file to write (default: RUN/fio.json)")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("profile", help="where a profiled run's instructions go: per case, "
                       "by layer and by function")
    s.add_argument("run", help="results/<run-id> folder, its result.json, or the run id")
    s.add_argument("case", nargs="?", help="only the cases whose id contains this")
    s.add_argument("--top", type=_positive, default=15, help="functions per case (15)")
    s.add_argument("--per-io", action="store_true",
                   help="the storage cases per I/O instead: the copy apart from the overhead, "
                        "and each one's ratios to fio, its figure's and its overhead's")
    s.add_argument("--baseline-copy", metavar="DIR",
                   help="write a trimmed copy to commit beside a baseline instead "
                        "(ci/baselines/ci-profile for ci/baselines/ci.json)")
    s.set_defaults(func=cmd_profile)


def cmd_doctor(args):
    """Each feature's needs on this machine; exit 1 if one lacks something."""
    report = doctor.check(_split(args.feature))
    if args.json:
        print(json.dumps(doctor.as_json(report), indent=2))
    else:
        log(doctor.render(report, doctor.notes()))
    return 1 if any(report.values()) else 0


def _doctor_parser(sub):
    s = sub.add_parser("doctor", help="check what each feature needs (commands, packages, "
                       "strongSwan plugins, kernel packages on apt, disk); exit 1 if a "
                       "feature named (or any, with none named) lacks something")
    s.add_argument("feature", nargs="*",
                   help="features to check, with those they build on: "
                        + ", ".join([f.name for f in doctor.FEATURES] + list(doctor.GROUPS))
                        + " (default: all)")
    s.add_argument("--json", action="store_true", help="print the findings as JSON")
    s.set_defaults(func=cmd_doctor)


def _hosts_parser(sub):
    s = sub.add_parser("hosts", help="run a suite x kernel matrix across machines with GNU "
                       "parallel over ssh, one job per pair, and merge the runs")
    s.add_argument("--host", action="append", default=[], metavar="SSHLOGIN",
                   help="[N/][user@]host in parallel's syntax (N jobs at once, default 1; "
                        "':' is this machine); repeat, or give a space/comma-separated list")
    s.add_argument("--hosts-file", metavar="FILE",
                   help="more hosts, one line each: 'sshlogin [checkout]' ('#' comments)")
    s.add_argument("--remote-dir", default=str(where.TOP), metavar="DIR",
                   help="the kdio checkout on each host without one in the hosts file "
                        "(default: this checkout's path, %(default)s)")
    s.add_argument("--ssh", default="ssh",
                   help="the ssh command parallel runs, e.g. \"ssh -F cfg\" (default ssh)")
    s.add_argument("--suite", action="append", default=[], help="suites, as for bench")
    s.add_argument("--kernel", action="append", default=[], help="kernels, as for bench")
    s.add_argument("--results-dir", default=str(where.TOP / "results"),
                   help="the merged folder goes here: <run-id>-hosts")
    s.add_argument("--run-id", default=None, help="stamp of the run ids (default: the time)")
    s.add_argument("--job-timeout", type=int, default=None, metavar="S",
                   help="kill a pair's job after S seconds, marking it failed (parallel "
                        "--timeout; default none)")
    s.add_argument("--timeout", type=int, default=None, help="VM timeout, as for bench")
    s.add_argument("--module-param", action="append", default=[], metavar="MOD.PARAM=VALUE")
    s.add_argument("--measure", choices=("wall", "counted"), default=None)
    s.add_argument("--no-plots", action="store_true", help="the hosts write no plots")
    s.add_argument("--store", nargs="?", const="", default=None, metavar="STORE",
                   help="add each run that came back to the store, from this machine (the "
                        "hosts need no access to it): a file (default: $KDIO_STORE, else "
                        "results/store.sqlite) or postgresql://USER@HOST/DB")
    s.set_defaults(func=cmd_hosts)


def _host_arguments(b):
    b.add_argument("--target", choices=("guest", "host"), default="guest",
                   help="guest: a QEMU guest (default); host: the running kernel and this "
                        "machine's devices (needs root; see docs/real-hardware.md)")
    h = b.add_argument_group("host mode (--target host)")
    h.add_argument("--dir", help="folder for the ext4 backend's files and the checks' scratch "
                                 "files (on the file system to test); nothing is written "
                                 "outside it")
    h.add_argument("--device", help="raw block device for the blk backend: overwritten")
    h.add_argument("--destroy-data-on", metavar="DEV",
                   help="agree that --device DEV's data is destroyed (must name the same device)")
    h.add_argument("--kdir", help="kernel headers to build against "
                                  "(default /lib/modules/$(uname -r)/build)")
    h.add_argument("--modules-from", metavar="DIR", help="prebuilt .ko files (vermagic checked)")
    h.add_argument("--tools-from", metavar="DIR", help="prebuilt userspace tools")
    h.add_argument("--module-root", metavar="DIR",
                   help="a root holding lib/modules/<release>, to find brd in (default /)")
    h.add_argument("--kernel-config", metavar="FILE",
                   help="the running kernel's config (default /proc/config.gz or "
                        "/boot/config-$(uname -r))")


def _terminated(signum, _frame):
    """SIGTERM as Ctrl-C, so that what a step was making is removed."""
    raise KeyboardInterrupt(f"signal {signum}")


def _metric_argument(p):
    p.add_argument("--metric", action="append", default=[], metavar="NAME",
                   help="add a latency column to the table (repeatable, or a list): "
                        f"{', '.join(latency.FIGURES)}; the median of the repetitions, in "
                        "virtual ns (instructions) in a counted run")


def main(argv=None):
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return args.func(args)
    except KdioError as e:
        print(f"kdio: error: {e}", file=sys.stderr)
        if e.hint:
            print(f"kdio: what to do: {e.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kdio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (kdio show ... | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
