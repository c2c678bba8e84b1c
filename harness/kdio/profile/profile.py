"""A profiled run's counts made into one profile per case: each function's
instructions inside the case's timed windows (all its samples together),
its rep movs/stos iterations and the bytes they moved as a row of their
own (the copy, apart from the overhead), each function's layer; and the
checks that the counts can be trusted.

The windows are bracketed by markers outside their two clock reads
(kdio/marker.h), so a window's region holds the counted window plus the
clock reads' own instructions and the markers: a constant number per
window for one path (51 to 56 on Debian's 6.1 for the dio methods).

Checks, per sample with windows:
- every window closed (no start without its end, no end without a start);
- one window per timed call (the tool's own count of calls);
- consistency: the region's instructions less the counted figure, per
  window, is the clock reads' constant: between 0 and CLOCK_MAX, and the
  same in every sample of the case within CONSISTENCY_TOL per window
  (wider bounds for tools whose clock is a system call; none for fio, whose
  window is its job's, not its figure's).
"""

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from kdio.errors import ProfileError
from kdio.paths import paths
from kdio.profile import layers, raw
from kdio.profile.symbols import Chain, MapsSymbols, Symbols, ToolSymbols
from kdio.results import results

CLOCK_MAX = 96          # a window's region beyond its counted window: the clock reads, markers
CONSISTENCY_TOL = 1.0   # instructions per window between a case's samples (the clock's rounding)
# Tools that time in user space read clock_gettime, which under TCG (no
# stable TSC, so no vDSO fast path) is a system call: measured 1,873 to
# 3,903 per window (kdio-membench, kdio-afalg), varying between samples by
# 1 to 9 on Debian's 6.1 and by 46 on a tinyconfig 6.1. A window too many
# or too few is a whole window's instructions (65k and more).
USER_CLOCK_MAX = 4096
USER_CONSISTENCY_TOL = 256.0
KERNEL_CLOCK_TOOLS = ("kdio-dio", "kdio-crypto")    # ktime_get_ns in the module
# icount (QEMU 7.2) may leave out an execution of an instruction whose bytes
# cross a page end (each such instruction is a translation block of its
# own); the plugin counts them, and counts them apart (Counts.spans).
# crypto_aes_encrypt's at ffffffff814c9fff, once per AES block, put
# aes-generic's kdio-crypto windows 2,000 (64 B) and 44,500 (1424 B)
# instructions above their counted figures, and a 64 KiB bvec write's
# sample that switched tasks 41 times more than the next one 2,660; yet
# AF_ALG's windows, whose clock is read in user space, hold 4,026 such
# executions that their figures do count. So a window's excess may be its
# clock reads' plus its crossings, and its samples' excess may differ by as
# much as their crossings do; beyond that, RELATIVE_EXCESS of a window's
# instructions, and a spread of RELATIVE_TOL of them.
RELATIVE_EXCESS = 1e-5
RELATIVE_TOL = 2e-5
# fio's window (exec_prerun to exec_postrun) holds process work beyond the
# runtime its figure comes from (whole virtual ms): its windows are checked
# for being closed, not against the figure.
UNCOUNTED_TOOLS = ("fio",)
# Paths whose window is a busy interval of several calls (dio.bvec-async:
# from the submission that finds nothing in flight to the reaping that
# leaves nothing in flight), whose figure ends at the last completion's
# clock read: the region also holds the rest of that submission and the
# reaping, measured 337 to 1,638 instructions per window on Debian's 6.1
# (qd 1 and 8, brd and ext4-brd), the same in every sample to 0.5. Their
# windows are at most their calls, not one per call.
INTERVAL_PATHS = ("dio.bvec-async",)
INTERVAL_MAX = 4096
# A timer interrupt in the reaping (measured 4,994 instructions) is in the
# region and not in the figure: the samples of an interval path may differ
# by this many instructions beyond the windows' own tolerance.
INTERVAL_SAMPLE_TOL = 8192
PROFILE_DIR = "profile"
FORMAT = 1


@dataclass(frozen=True)
class Row:
    symbol: str
    module: str
    layer: str
    insns: int          # self instructions in the windows (rep iterations not included)
    rep_iters: int = 0
    rep_bytes: int = 0
    loads: int = 0      # memory loads and stores in the windows (rep's among them)
    stores: int = 0


def _rows(counts, symbols, tool=None):
    """The Rows of one sample's blocks, by function, the copy apart; tool:
    the ToolSymbols of the sample's kdio tool."""
    acc = {}
    for b in counts.blocks:
        sym = symbols.lookup(b.vaddr, tool)
        key = (sym.name, sym.module)
        insns, iters, nbytes, loads, stores = acc.get(key, (0, 0, 0, 0, 0))
        acc[key] = (insns + b.in_insns - b.rep_iters, iters + b.rep_iters, nbytes + b.rep_bytes,
                    loads + b.loads, stores + b.stores)
    rows = []
    for (name, module), (insns, iters, nbytes, loads, stores) in acc.items():
        rows.append(Row(name, module, layers.layer_of(name, module), insns,
                        loads=loads, stores=stores))
        if iters:
            rows.append(Row(f"{name} [rep]", module, layers.COPY, iters, iters, nbytes))
    return rows


def _merge(rows):
    """Rows of several samples summed by (symbol, module), largest first."""
    acc = {}
    for r in rows:
        a = acc.get((r.symbol, r.module))
        acc[(r.symbol, r.module)] = r if a is None else Row(
            r.symbol, r.module, r.layer, a.insns + r.insns, a.rep_iters + r.rep_iters,
            a.rep_bytes + r.rep_bytes, a.loads + r.loads, a.stores + r.stores)
    return sorted(acc.values(), key=lambda r: (-(r.insns), r.symbol))


def _folded(counts, symbols, tool, into):
    """Add one sample's stacks to into ({(function, ...): instructions}):
    each block's window instructions under its frames, outermost first,
    each frame the function its call entered, the block's own function
    last; a function repeated in a row (a jump within it) once."""
    names = {}

    def name(addr):
        if addr not in names:
            names[addr] = symbols.lookup(addr, tool).name
        return names[addr]

    for node, vaddr, insns in counts.stacks:
        frames = []
        for f in [*counts.frames(node), vaddr]:
            n = name(f)
            if not frames or frames[-1] != n:
                frames.append(n)
        key = tuple(frames)
        into[key] = into.get(key, 0) + insns


def write_folded(path, folded):
    """The folded-stack format flame-graph tools read: 'f1;f2;f3 count'."""
    lines = [f"{';'.join(k)} {v}" for k, v in sorted(folded.items(), key=lambda kv: -kv[1])]
    path.write_text("\n".join(lines) + ("\n" if lines else ""))


def read_folded(path):
    out = {}
    for line in Path(path).read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        out[tuple(stack.split(";"))] = int(n)
    return out


def _sample_figures(records, results_by_case):
    """{(case, rep): (elapsed_ns, calls)} of the samples that ran: the
    counted figure of their windows, and the tool's count of calls."""
    out = {}
    for r in records:
        if r.get("type") != "sample" or r["case"] not in results_by_case:
            continue
        res = results_by_case[r["case"]]
        s = paths.PATHS[res["path"]].parse(r, res["params"])
        m = s.metrics or {}
        if s.status == "ok" and m.get("elapsed_ns") is not None:
            out[(r["case"], r["rep"])] = (m["elapsed_ns"], m.get("calls"))
    return out


@dataclass(frozen=True)
class Tool:
    """The binary a case's plan runs: its symbols (None: not a kdio tool
    with fixed addresses) and the bounds its windows are checked by."""
    name: str
    symbols: ToolSymbols | None

    @property
    def bounds(self):
        """(clock max, consistency tolerance) per window, or None when the
        windows are not compared with the counted figure."""
        if self.name in UNCOUNTED_TOOLS:
            return None
        if self.name in KERNEL_CLOCK_TOOLS:
            return CLOCK_MAX, CONSISTENCY_TOL
        return USER_CLOCK_MAX, USER_CONSISTENCY_TOL


KERNEL_TOOL = Tool("kdio-dio", None)


def bounds_of(case, tool):
    """(clock max, consistency tolerance, windows are intervals) of a case's
    windows, or None when they are not compared with its figure."""
    if tool.bounds is None:
        return None
    if case.split("/")[0] in INTERVAL_PATHS:
        return INTERVAL_MAX, tool.bounds[1], True
    return (*tool.bounds, False)


def _sample_problems(case, rep, counts, figures, bounds=(CLOCK_MAX, CONSISTENCY_TOL, False)):
    """What is wrong with one sample's windows, in words; and its region's
    instructions beyond the counted figure, per window (None: not known or
    not compared)."""
    problems = []
    if counts.unclosed:
        problems.append(f"{case} rep {rep + 1}: {counts.unclosed} window(s) opened and never "
                        "closed (an end marker did not run)")
    if counts.unmatched_ends:
        problems.append(f"{case} rep {rep + 1}: {counts.unmatched_ends} window end(s) with no "
                        "start (a start marker did not run)")
    fig = figures.get((case, rep))
    if not counts.starts or fig is None or bounds is None:
        return problems, None
    elapsed, calls = fig
    interval = bounds[2]
    if calls is not None and (calls < counts.starts if interval else calls != counts.starts):
        problems.append(f"{case} rep {rep + 1}: {counts.starts} window(s) for {calls} timed "
                        "call(s)" + (" (at most one per call)" if interval else ""))
    extra = (counts.in_insns - elapsed) / counts.starts
    most = (bounds[0] + counts.spans / counts.starts
            + RELATIVE_EXCESS * counts.in_insns / counts.starts)
    if not 0 <= extra <= most:
        problems.append(f"{case} rep {rep + 1}: the windows hold {counts.in_insns} instructions "
                        f"and the counted figure is {elapsed}: {extra:+.1f} per window, outside "
                        f"0 to {most:.0f} (the clock reads' own, and {counts.spans} executions "
                        "of instructions crossing a page end, which icount may leave out)")
    return problems, extra


def _consistency(case, extras, tol=CONSISTENCY_TOL, window=0.0, crossings=()):
    """The spread of a case's per-window excess over its samples, and the
    problem if it is wider than tol or RELATIVE_TOL of a window's
    instructions (window), plus the spread of its samples' page-crossing
    executions per window (crossings), which icount may leave out."""
    if len(extras) < 2:
        return 0.0, []
    tol = max(tol, round(RELATIVE_TOL * window, 1))
    if crossings:
        tol = round(tol + max(crossings) - min(crossings), 1)
    spread = max(extras) - min(extras)
    if spread > tol:
        return spread, [f"{case}: the windows' excess over the counted figure varies by "
                        f"{spread:.2f} instructions per window between samples (at most "
                        f"{tol}): the regions do not match the counted windows"]
    return spread, []


def _share_samples(share):
    """(records, marks, symbols) of one guest's share folder."""
    records = list(results.RecordTail(share / "records.jsonl")())
    marks = raw.marks(records)
    if not marks:
        raise ProfileError(f"{share} has no case markers: the run was not profiled",
                           "run it with --profile")
    ksyms = share / "kallsyms"
    if not ksyms.exists():
        raise ProfileError(f"{ksyms} is missing: the guest did not save its symbols",
                           "see the setup step 'kallsyms' in the console log")
    return records, marks, Symbols(ksyms.read_text())


def _plan(share):
    """The share's plan (plan.json), or {} when it has none."""
    path = share / "plan.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _tool(binary, loaded):
    """The Tool of a binary, read once per run (loaded: {binary: Tool})."""
    if binary not in loaded:
        loaded[binary] = Tool(Path(binary).name, ToolSymbols.load(binary))
    return loaded[binary]


def _marker_symbols(the_plan, loaded):
    """The ToolSymbols of the plan's kdio-mark, whose processes run in
    fio's windows (its start and end markers), or None."""
    mark = (the_plan.get("profile") or {}).get("mark")
    return _tool(mark[0], loaded).symbols if mark else None


def _process_maps(records):
    """{seq: MapsSymbols} of the memory maps fio's start markers saved
    while the samples seq ran (the runner's "maps" records); a sample with
    several fio processes (jobs) takes the first's: their text is mapped
    alike, inherited from one fio."""
    out = {}
    for r in records:
        if r.get("type") == "maps" and r.get("maps"):
            syms = MapsSymbols(next(iter(r["maps"].values())))
            for seq in r["seqs"]:
                out[seq] = syms
    return out


def _binary(argv):
    """The program an argv runs, past an `env -C DIR` in front of it."""
    if argv[:2] == ["env", "-C"]:
        argv = argv[3:]
    return argv[0] if argv else None


def _tools(the_plan, loaded):
    """{case id: Tool} of the binaries a share's plan runs; loaded: the
    Tools already read ({binary: Tool}), shared by every share of a run."""
    out = {}
    for step in [*the_plan.get("cases", []), *the_plan.get("batches", {}).values()]:
        binary = _binary(step.get("argv") or [])
        if not binary:
            continue
        for case in step.get("cases", [step.get("case")]):
            out.setdefault(case, _tool(binary, loaded))
    return out


def _case_profiles(doc, shares):
    """{case id: (rows, per-sample extras, windows, outside, samples)} and
    the problems found, over every guest's share folder."""
    by_case = {r["case"]: r for r in doc["results"]}
    cases, problems, loaded = {}, [], {}
    for share in shares:
        records, marks, symbols = _share_samples(share)
        the_plan = _plan(share)
        maps = _process_maps(records)
        marker = _marker_symbols(the_plan, loaded)
        figures = _sample_figures(records, by_case)
        tools = _tools(the_plan, loaded)
        for seq, (ids, rep) in sorted(marks.items()):
            path = share / PROFILE_DIR / f"seq-{seq:04d}.tsv"
            if not ids or not path.exists():
                continue
            counts = raw.read(path)
            tool = tools.get(ids[0], KERNEL_TOOL)
            c = cases.setdefault(ids[0], {"rows": [], "extras": [], "crossings": [], "windows": 0,
                                         "outside": 0, "samples": 0, "cases": ids,
                                         "tool": tool, "folded": {}})
            found, extra = _sample_problems(ids[0], rep, counts, figures,
                                            bounds_of(ids[0], tool))
            problems += found
            # fio's samples: its process's map, then the marker's own code
            user = tool.symbols or Chain(maps.get(seq), marker)
            c["rows"] += _rows(counts, symbols, user)
            _folded(counts, symbols, user, c["folded"])
            c["extras"] += [] if extra is None else [extra]
            c["crossings"] += [] if extra is None else [counts.spans / counts.starts]
            c["windows"] += counts.starts
            c["outside"] += counts.out_insns
            c["samples"] += 1
    return cases, problems


def slug(case_id):
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", case_id).strip("_")


def build(doc, shares, out_dir):
    """Write out_dir/<case>.tsv for every profiled case and
    out_dir/profile.json (each case's totals, layers and checks); return
    the summary, with "ok" and "problems"."""
    cases, problems = _case_profiles(doc, shares)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"format": FORMAT, "cases": {}, "problems": problems}
    for case_id, c in cases.items():
        rows = _merge(c["rows"])
        in_insns = sum(r.insns for r in rows)
        bounds = bounds_of(case_id, c["tool"])
        tol = 0
        if bounds:
            per_sample = max(c["windows"], 1) / max(c["samples"], 1)
            tol = max(bounds[1], INTERVAL_SAMPLE_TOL / per_sample) if bounds[2] else bounds[1]
        spread, found = _consistency(case_id, c["extras"], round(tol, 1),
                                     in_insns / max(c["windows"], 1), c["crossings"])
        problems += found
        name = f"{slug(case_id)}.tsv"
        write_rows(out_dir / name, rows)
        stacks = None
        if c["folded"]:
            stacks = f"{slug(case_id)}.folded"
            write_folded(out_dir / stacks, c["folded"])
            stacked = sum(c["folded"].values())
            if stacked != in_insns:
                problems.append(f"{case_id}: its stacks hold {stacked} instructions and its "
                                f"windows {in_insns}: the stacks are not the windows'")
        by_layer = {}
        for r in rows:
            by_layer[r.layer] = by_layer.get(r.layer, 0) + r.insns
        summary["cases"][case_id] = {
            "file": name, "samples": c["samples"], "windows": c["windows"],
            "in_insns": in_insns, "outside_insns": c["outside"],
            "rep_bytes": sum(r.rep_bytes for r in rows),
            "loads": sum(r.loads for r in rows), "stores": sum(r.stores for r in rows),
            **({"stacks": stacks} if stacks else {}),
            "clock_insns_per_window": (round(statistics.median(c["extras"]), 2)
                                       if c["extras"] else None),
            "consistency_spread": round(spread, 3),
            "layers": dict(sorted(by_layer.items(), key=lambda kv: -kv[1])),
        }
    summary["ok"] = not problems
    (out_dir / "profile.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


OTHER = ("[other]", "-")     # a trimmed profile's row for the functions it left out
OTHER_LAYER = "other"
TRIM_SHARE = 0.999


def trim(src, dst, share=TRIM_SHARE):
    """The profile in src written to dst with, per case, the functions that
    hold share of its instructions (largest first) and one [other] row for
    the rest, so its totals are whole: a profile small enough to commit
    beside a baseline (ci/baselines/ci-profile)."""
    summary = json.loads((src / "profile.json").read_text())
    dst.mkdir(parents=True, exist_ok=True)
    for entry in summary["cases"].values():
        rows = read_rows(src / entry["file"])
        total, acc, kept = sum(r.insns for r in rows), 0, []
        for r in rows:
            if acc >= share * total:
                break
            acc += r.insns
            kept.append(r)
        rest = rows[len(kept):]
        if rest:
            kept.append(Row(*OTHER, OTHER_LAYER, sum(r.insns for r in rest),
                            sum(r.rep_iters for r in rest), sum(r.rep_bytes for r in rest),
                            sum(r.loads for r in rest), sum(r.stores for r in rest)))
        write_rows(dst / entry["file"], kept)
    summary["trimmed"] = share
    (dst / "profile.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def write_rows(path, rows):
    lines = ["symbol\tmodule\tlayer\tinsns\trep_iters\trep_bytes\tloads\tstores"]
    lines += [f"{r.symbol}\t{r.module}\t{r.layer}\t{r.insns}\t{r.rep_iters}\t{r.rep_bytes}"
              f"\t{r.loads}\t{r.stores}" for r in rows]
    path.write_text("\n".join(lines) + "\n")


def read_rows(path):
    """A profile file's Rows (one written before loads and stores has 0 of them)."""
    lines = Path(path).read_text().splitlines()[1:]
    return [Row(f[0], f[1], f[2], *(int(x) for x in f[3:8]))
            for f in (line.split("\t") for line in lines)]


def check(summary):
    """The result document's check of a profile: its name, verdict and detail."""
    n = len(summary["cases"])
    windows = sum(c["windows"] for c in summary["cases"].values())
    if summary["problems"]:
        return {"name": "profile", "ok": False,
                "detail": f"{len(summary['problems'])} problem(s): {summary['problems'][0]}"}
    return {"name": "profile", "ok": True,
            "detail": f"{n} case(s) profiled, {windows} window(s), every window closed and "
                      "matching its counted figure"}


def plugin_notes(shares):
    """What the plugin held in each guest (its plugin.tsv): translation
    blocks, bytes of host memory, stack frames, and which accesses QEMU's
    inline read filter passed (kdio_profile.c, r_is_store)."""
    out = []
    for share in shares:
        path = share / PROFILE_DIR / "plugin.tsv"
        if path.exists():
            kv = dict(line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
            out.append({k: int(v) if v.isdigit() else v for k, v in kv.items()})
    return out


def attach(doc, shares, out_dir):
    """Build the run's profiles into out_dir and add their check to doc; a
    failed check (or profiles that cannot be built) fails the run, and
    keeps everything measured. The plugin's own notes (its host memory)
    go into the context."""
    if "profile" in doc["context"]:
        doc["context"]["profile"]["plugin_notes"] = plugin_notes(shares)
    try:
        c = check(build(doc, shares, out_dir))
    except ProfileError as e:
        c = {"name": "profile", "ok": False, "detail": f"{e} ({e.hint})"}
    doc["checks"].append(c)
    if not c["ok"] and doc["status"] == "ok":
        doc["status"] = "failed"
        doc["failure"] = {"reason": f"check profile failed: {c['detail']}", "last_case": ""}
    return doc
