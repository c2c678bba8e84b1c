"""The profiler (kdio bench --profile): kdio's QEMU plugin counts the
instructions inside each case's timed windows by function.

Proven with real counted runs: the profile of every case passes its
checks (windows closed, one per timed call, regions matching the counted
figures); the copy is its own row, its bytes the bytes the case moved; a
profiled run's figures are the unprofiled run's (the plugin is invisible
to the guest); and each check fails on its negative control: a module
knob that drops the start markers, or the end markers, fails the run with
the case named. A plugin of another API version is refused before any
boot, with QEMU's version. The profile's parts (symbols, layers, the
plugin's files) are tested on small inputs."""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES
from kdio import cli
from kdio.errors import ConfigError, KdioError, ProfileError
from kdio.kernel import build
from kdio.paths import fio
from kdio.profile import diff, layers, profile, raw
from kdio.profile import symbols
from kdio.profile.symbols import Symbols
from kdio.report import flame
from kdio.report import profile as report_profile
from kdio.run import bench
from kdio.vm import profiler

SUITE = str(FIXTURES / "suites/profile.toml")
KSYMS = """ffffffff81000000 T _stext
ffffffff81000100 t helper
ffffffff81000200 T memcpy
ffffffffc0000000 t brd_do_bvec\t[brd]
ffffffffc0000400 t kdio_dio_blocks\t[kdio_dio]
"""


# -- the parts, on small inputs ------------------------------------------------

def test_symbols_resolve_kernel_module_user_and_unknown():
    s = Symbols(KSYMS)
    assert (s.lookup(0xffffffff81000150).name, s.lookup(0xffffffff81000150).module) == \
        ("helper", "vmlinux")
    assert s.lookup(0xffffffffc0000010).module == "brd"
    assert s.lookup(0x401000).name == "[user]"
    assert s.lookup(0xffff888000000000).name == "[unknown]"


def test_layers():
    assert layers.layer_of("memcpy", "vmlinux") == layers.COPY
    assert layers.layer_of("brd_do_bvec", "brd") == "block"
    assert layers.layer_of("pin_user_pages_fast", "vmlinux") == "pinning"
    assert layers.layer_of("ext4_file_write_iter", "vmlinux") == "fs"
    assert layers.layer_of("anything", "kdio_dio") == "kdio"
    assert layers.layer_of("ktime_get", "vmlinux") == "clock"
    assert layers.layer_of("schedule", "vmlinux") == "kernel"


def _seq(path, total, blocks):
    path.write_text("# kdio-profile 1\n" + "total\t" + "\t".join(map(str, total)) + "\n"
                    + "".join("tb\t" + "\t".join([format(b[0], "x"), *map(str, b[1:])]) + "\n"
                              for b in blocks))


def test_process_maps_name_a_libraries_functions():
    """A user-space address of fio's process is named by its saved memory
    map: the mapped file and, where its symbols cover it, the function; an
    address the map does not hold is for the next lookup."""
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    rows = symbols._dynamic_symbols(libc)
    value, size, name = next(r for r in rows if r[2] == "getpid")
    base = 0x7f0000000000
    text = (f"{base:x}-{base + 0x400000:x} r-xp 00000000 fe:01 42 {libc}\n"
            f"{base + 0x400000:x}-{base + 0x500000:x} rw-p 00000000 00:00 0\n")
    maps = symbols.MapsSymbols(text)
    got = maps.lookup(base + value + size // 2)
    assert (got.name, got.module) == ("getpid", "libc.so.6")
    assert layers.layer_of(got.name, got.module) == "user"
    assert maps.lookup(base + 0x450000) is None             # not executable: not text
    marker = profile.Tool("kdio-mark", None)
    assert symbols.Chain(maps, marker.symbols).lookup(0x401000) is None


def test_raw_read_and_refusals(tmp_path):
    p = tmp_path / "seq-0001.tsv"
    _seq(p, (100, 5, 2, 2, 0, 0), [(0xffffffffc0000000, 20, 5, 100, 40, 320)])
    c = raw.read(p)
    assert c.in_insns == 100 and c.blocks[0].rep_bytes == 320
    p.write_text("not a profile\n")
    with pytest.raises(ProfileError, match="is not a kdio profile"):
        raw.read(p)
    p.write_text("# kdio-profile 1\ntb\tzz\n")
    with pytest.raises(ProfileError, match="not a profile line"):
        raw.read(p)


def test_raw_reads_loads_stores_and_stacks(tmp_path):
    p = tmp_path / "seq-0001.tsv"
    p.write_text("# kdio-profile 2\ntotal\t100\t5\t2\t2\t0\t0\n"
                 "tb\tffffffffc0000000\t20\t5\t100\t40\t320\t70\t60\n"
                 "node\t2\t1\tffffffff81000100\nnode\t1\t0\tffffffff81000000\n"
                 "stack\t2\tffffffffc0000000\t100\n")
    c = raw.read(p)
    assert (c.blocks[0].loads, c.blocks[0].stores) == (70, 60)
    assert c.frames(2) == [0xffffffff81000000, 0xffffffff81000100]
    assert c.stacks == ((2, 0xffffffffc0000000, 100),)
    p.write_text(p.read_text().replace("node\t1\t0\tffffffff81000000\n", ""))
    with pytest.raises(ProfileError, match="names a frame the file does not hold"):
        raw.read(p)                     # a damaged file: a frame's parent missing


def _stacked_share(tmp_path, stack_insns):
    """A share of two dio.null samples whose windows hold 6000 instructions
    in one block, and stacks that hold stack_insns of them."""
    doc, share = _share(tmp_path, [((6000, 9, 100, 100, 0, 0),
                                    [(0xffffffffc0000400, 30, 6, 6000, 0, 0)], 1000, 100)] * 2)
    for seq in (share / "profile").glob("seq-*.tsv"):
        text = seq.read_text().replace("# kdio-profile 1", "# kdio-profile 2")
        seq.write_text(text + "node\t1\t0\tffffffff81000000\nnode\t2\t1\tffffffff81000100\n"
                       f"stack\t2\tffffffffc0000400\t{stack_insns - 1000}\n"
                       "stack\t2\tffffffff81000110\t1000\n")
    return doc, share


def test_stacks_are_folded_by_function_and_match_the_windows(tmp_path):
    doc, share = _stacked_share(tmp_path, 6000)
    s = profile.build(doc, [share], tmp_path / "out")
    assert s["ok"], s["problems"]
    case = s["cases"]["dio.null/op=read/bs=4k/size=1m/backend=brd"]
    folded = profile.read_folded(tmp_path / "out" / case["stacks"])
    # a block of helper under helper's own frame adds no second helper
    assert folded == {("_stext", "helper", "kdio_dio_blocks"): 10000, ("_stext", "helper"): 2000}
    t = flame.tree(folded)
    assert t["value"] == 12000 and t["children"][0]["name"] == "_stext"
    assert t["children"][0]["children"][0]["children"][0]["value"] == 10000


def test_stacks_that_miss_instructions_fail_the_check(tmp_path):
    doc, share = _stacked_share(tmp_path, 5000)     # 1000 instructions lost per sample
    s = profile.build(doc, [share], tmp_path / "out")
    assert not s["ok"]
    assert "its stacks hold 10000 instructions and its windows 12000" in " ".join(s["problems"])


def test_flame_pages_need_their_library(tmp_path, monkeypatch):
    doc, share = _stacked_share(tmp_path, 6000)
    s = profile.build(doc, [share], tmp_path / "out")
    monkeypatch.setenv("KDIO_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(KdioError, match="flame graphs' library is not installed") as e:
        flame.draw(s, tmp_path / "out", tmp_path / "plots")
    assert "bootstrap" in e.value.hint
    monkeypatch.delenv("KDIO_CACHE")
    if flame.missing_libs():
        pytest.skip("the flame graphs' library is not installed (sh ci/bootstrap.sh bench)")
    pages = flame.draw(s, tmp_path / "out", tmp_path / "plots")
    assert [p.name for p in pages] == ["dio.null_op=read_bs=4k_size=1m_backend=brd.html"]
    text = pages[0].read_text()
    assert "lib/d3-flamegraph.umd.min.js" in text and '"value":12000' in text
    assert (tmp_path / "plots" / "flame" / "lib" / "d3.min.js").exists()


def test_flame_reference_case_per_path():
    entry = {"stacks": "x.folded", "windows": 1}
    summary = {"cases": {"dio.bvec/op=read/bs=4k": entry, "dio.bvec/op=read/bs=64k": entry,
                         "dio.bvec/op=write/bs=64k": entry, "fio.psync/bs=1m": entry,
                         "dio.null/bs=4k": {"windows": 1}}}
    assert flame.references(summary) == {"dio.bvec": "dio.bvec/op=read/bs=64k",
                                         "fio.psync": "fio.psync/bs=1m"}


def _share(tmp_path, samples):
    """A guest share with kallsyms, marks, samples (dio.null records) and
    seq files: samples is [(total, blocks, elapsed_ns, calls)]."""
    share = tmp_path / "guest"
    (share / "profile").mkdir(parents=True)
    (share / "kallsyms").write_text(KSYMS)
    case = "dio.null/op=read/bs=4k/size=1m/backend=brd"
    recs = []
    for i, (total, blocks, elapsed, calls) in enumerate(samples):
        recs.append({"type": "mark", "seq": i + 1, "cases": [case], "rep": i, "rc": 0})
        out = json.dumps({"tool": "kdio-dio", "abi": 3, "method": "null", "op": "read",
                          "path": "/dev/ram0", "block_size": 4096, "total_bytes": 1048576,
                          "offset": 0, "queue_depth": 1, "seed": 1, "verify": False,
                          "iteration": 0, "delay_us": 0, "bytes": 1048576,
                          "elapsed_ns": elapsed, "calls": calls, "bad_blocks": 0,
                          "first_bad_offset": None, "clat_samples": calls,
                          "clat_min_ns": 10, "clat_max_ns": 10, "clat_sum_ns": elapsed,
                          "clat_bins": {"10": calls}, "errno": 0, "errno_name": None,
                          "error": None}) + "\n"
        recs.append({"type": "sample", "case": case, "rep": i, "rc": 0, "stdout": out,
                     "stderr": "", "kmsg": []})
        _seq(share / "profile" / f"seq-{i + 1:04d}.tsv", total, blocks)
    (share / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    doc = {"results": [{"case": case, "path": "dio.null",
                        "params": {"op": "read", "bs": 4096, "size": 1048576,
                                   "backend": "brd"}}]}
    return doc, share


def test_profile_of_consistent_samples(tmp_path):
    block = [(0xffffffffc0000400, 30, 6, 6000, 0, 0)]
    doc, share = _share(tmp_path, [((6000, 9, 100, 100, 0, 0), block, 1000, 100)] * 2)
    s = profile.build(doc, [share], tmp_path / "out")
    assert s["ok"], s["problems"]
    case = s["cases"]["dio.null/op=read/bs=4k/size=1m/backend=brd"]
    assert case["windows"] == 200 and case["clock_insns_per_window"] == 50
    assert profile.check(s)["ok"]


def test_profile_checks_fail_on_broken_counts(tmp_path):
    block = [(0xffffffffc0000400, 30, 6, 6000, 0, 0)]
    doc, share = _share(tmp_path, [((6000, 9, 100, 100, 0, 1), block, 1000, 100),
                                   ((6000, 9, 100, 99, 1, 0), block, 1000, 100),
                                   ((9000, 9, 100, 100, 0, 0), block, 1000, 100)])
    s = profile.build(doc, [share], tmp_path / "out")
    text = " | ".join(s["problems"])
    assert not s["ok"] and not profile.check(s)["ok"]
    assert "rep 1: 1 window(s) opened and never closed" in text
    assert "rep 2: 1 window end(s) with no start" in text
    assert "varies by" in text          # 50 vs 80 instructions per window


def test_window_bounds_follow_the_tools_clock():
    """A window of a tool whose clock is a system call may hold ~2,000
    instructions beyond its figure; a kernel-timed one may not; fio's is
    checked for being closed only."""
    counts = raw.Counts(in_insns=101_906, out_insns=0, starts=1, ends=1,
                        unmatched_ends=0, unclosed=0)
    figures = {("c", 0): (100_000, None)}
    user = profile.bounds_of("c", profile.Tool("kdio-membench", None))
    kernel = profile.bounds_of("c", profile.Tool("kdio-dio", None))
    assert profile._sample_problems("c", 0, counts, figures, user) == ([], 1906)
    problems, _ = profile._sample_problems("c", 0, counts, figures, kernel)
    assert problems and "+1906.0 per window, outside 0 to 97" in problems[0]   # 96 + 1e-5
    # the same window with 1,852 executions of instructions crossing a page
    # end (which icount may leave out of the figure) passes
    crossing = raw.Counts(101_906, 0, 1, 1, 0, 0, spans=1852)
    assert profile._sample_problems("c", 0, crossing, figures, kernel) == ([], 1906)
    # samples whose crossings differ may differ by as much, and no more
    assert not profile._consistency("c", [52, 57.2], kernel[1], crossings=[0.1, 5.3])[1]
    assert profile._consistency("c", [52, 57.2], kernel[1], crossings=[0.1, 0.1])[1]
    fio_tool = profile.Tool("fio", None)
    assert profile._sample_problems("c", 0, counts, figures,
                                    profile.bounds_of("c", fio_tool)) == ([], None)
    unclosed = raw.Counts(1, 0, 1, 0, 0, 1)
    assert "never closed" in profile._sample_problems("c", 0, unclosed, figures, None)[0][0]
    assert profile._consistency("c", [1906, 1952], user[1]) == (46, [])
    assert profile._consistency("c", [1906, 1906 + 65_536], user[1])[1]   # a window too many
    assert profile._consistency("c", [1906, 1914], kernel[1])[1]
    # a spread of 2.2 per 1 MiB bvec write window (233k instructions) is
    # within 2e-5 of it; the same on a 1,000-instruction window is not
    assert not profile._consistency("c", [53.0, 55.2], kernel[1], window=233_000)[1]
    assert profile._consistency("c", [53.0, 55.2], kernel[1], window=1_000)[1]


def test_busy_interval_windows_hold_several_calls_and_their_reaping():
    """dio.bvec-async's window is a busy interval: 8 calls in one window,
    1,638 instructions beyond the figure (the reaping), pass; a window more
    than its calls, or an excess beyond INTERVAL_MAX, fail; the same counts
    for a one-window-per-call path fail."""
    tool = profile.Tool("kdio-dio", None)
    interval = profile.bounds_of("dio.bvec-async/op=read/qd=8", tool)
    plain = profile.bounds_of("dio.bvec/op=read", tool)
    counts = raw.Counts(in_insns=101_638, out_insns=0, starts=1, ends=1,
                        unmatched_ends=0, unclosed=0)
    figures = {("c", 0): (100_000, 8)}
    assert profile._sample_problems("c", 0, counts, figures, interval) == ([], 1638)
    problems, _ = profile._sample_problems("c", 0, counts, figures, plain)
    assert "1 window(s) for 8 timed call(s)" in problems[0] and len(problems) == 2
    too_many = raw.Counts(101_638, 0, 9, 9, 0, 0)
    assert "9 window(s) for 8 timed call(s) (at most one per call)" in profile._sample_problems(
        "c", 0, too_many, figures, interval)[0][0]
    far = raw.Counts(110_000, 0, 1, 1, 0, 0)
    assert "outside 0 to" in profile._sample_problems("c", 0, far, figures, interval)[0][0]


def test_per_io_takes_fio_at_the_margin_and_the_overhead_apart():
    """fio's window holds its job's start: at two sizes, the margin leaves it
    out. A path's copy and overhead per I/O, and its ratios to fio."""
    def case(path, size, insns, copy, median):
        params = {"op": "read", "bs": 65536, "size": size, "backend": "brd"}
        cid = f"{path}/size={size}"
        return ({"case": cid, "path": path, "params": params, "unit": "insn/byte",
                 "summary": {"median": median}},
                cid, {"windows": 2, "samples": 2, "in_insns": insns, "rep_bytes": 0,
                      "layers": {"copy": copy, "block": insns - copy}})
    cases = [case("fio.psync", 8 << 20, 2 * 128 * 20000 + 500_000, 2 * 128 * 8000, 1.0),
             case("fio.psync", 32 << 20, 2 * 512 * 20000 + 500_000, 2 * 512 * 8000, 0.5),
             case("dio.bvec", 32 << 20, 2 * 512 * 14000, 2 * 512 * 8000, 0.4)]
    doc = {"results": [c[0] for c in cases]}
    summary = {"cases": {c[1]: c[2] for c in cases}}
    rows = {r["case"].split("/")[0]: r for r in report_profile.per_io(doc, summary)}
    assert set(rows) == {"fio.psync", "dio.bvec"}            # one fio row: the margin
    fio_row, bvec = rows["fio.psync"], rows["dio.bvec"]
    assert fio_row["margin"] and fio_row["per_io"]["insns"] == 20000    # the 500,000 gone
    assert bvec["per_io"]["overhead"] == 6000 and bvec["reference"] == "fio.psync"
    assert bvec["overhead_ratio"] == 0.5 and bvec["figure_ratio"] == 0.8
    assert "(at the margin of two sizes)" in report_profile.render_per_io(
        list(rows.values()))


def test_fio_jobs_are_bracketed_in_a_writable_folder():
    argv = ["/usr/bin/fio", "--name=a", "--rw=read", "--name=b", "--rw=write"]
    got = fio.with_marks(argv, "/k/kdio-mark", "/run/scratch")
    assert got[:3] == ["env", "-C", "/run/scratch"] and profile._binary(got) == "/usr/bin/fio"
    assert got.count("--exec_prerun=/k/kdio-mark -m start") == 2
    i = got.index("--name=b")
    assert got[i + 1:i + 3] == ["--exec_prerun=/k/kdio-mark -m start",
                                "--exec_postrun=/k/kdio-mark end"]
    batch = fio.with_marks(argv, "/k/kdio-mark", "/s", case_marks=True)
    assert batch.count("--exec_prerun=/k/kdio-mark case && /k/kdio-mark -m start") == 2


def test_a_suite_file_names_its_runs_by_its_stem():
    assert cli._suite_label("/work/mine/prof.toml") == "prof"
    assert cli._suite_label("ci") == "ci"


def _profile_dir(path, rows, samples=1):
    path.mkdir(parents=True)
    profile.write_rows(path / "c.tsv", rows)
    entry = {"file": "c.tsv", "samples": samples, "windows": samples,
             "in_insns": sum(r.insns for r in rows)}
    (path / "profile.json").write_text(json.dumps({"cases": {"c": entry}, "ok": True,
                                                   "problems": []}))
    return path


def test_a_trimmed_baseline_profile_explains_against_a_whole_one(tmp_path):
    """A committed baseline keeps the functions that hold 99.9 % of each
    case and one [other] row; a whole profile compared with it has the
    rest folded the same way, so a change in a kept function is named and
    one in the long tail is [other]'s."""
    R = profile.Row
    base = [R("hot", "vmlinux", "block", 1_000_000), R("warm", "brd", "block", 100_000)]
    base += [R(f"tail{i}", "vmlinux", "kernel", 10) for i in range(50)]
    src = _profile_dir(tmp_path / "whole", base)
    out = tmp_path / "trimmed"
    s = profile.trim(src, out)
    kept = profile.read_rows(out / "c.tsv")
    assert s["trimmed"] == profile.TRIM_SHARE and [r.symbol for r in kept] == ["hot", "warm",
                                                                               "[other]"]
    assert sum(r.insns for r in kept) == sum(r.insns for r in base)
    new = [R("hot", "vmlinux", "block", 1_010_000), R("warm", "brd", "block", 100_000)]
    new += [R(f"tail{i}", "vmlinux", "kernel", 10 + (i == 3) * 500) for i in range(50)]
    d = diff.explain(out, _profile_dir(tmp_path / "new", new), "c")
    assert [(c.symbol, c.delta) for c in d["changes"]] == [("hot", 10_000), ("[other]", 500)]
    assert d["explained"] == 1


# -- real runs -----------------------------------------------------------------



def _run(out, run_id, profile_on="on", params=()):
    doc, run_dir = bench.run(bench.Options(suite=SUITE, results_dir=out, run_id=run_id,
                                           profile=profile_on, module_params=params, jobs=1),
                             log=print)
    return doc, run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile")
    return {"profiled": _run(out, "profiled", profile_on="stacks"),
            "plain": _run(out, "plain", profile_on=""),
            "work": _run(out, "work", params=("kdio_dio.work_loops=800",))}


@pytest.mark.integration
def test_profiled_run_passes_its_checks(runs, capsys):
    doc, run_dir = runs["profiled"]
    assert doc["status"] == "ok", doc["failure"]
    check = next(c for c in doc["checks"] if c["name"] == "profile")
    assert check["ok"], check["detail"]
    summary = json.loads((run_dir / "profile/profile.json").read_text())
    assert set(summary["cases"]) == {r["case"] for r in doc["results"]}
    for r in doc["results"]:
        entry = summary["cases"][r["case"]]
        calls = sum(r["metrics"].get("calls") or [0])
        if r["path"] == "dio.bvec-async":     # busy intervals: up to qd calls in one
            assert calls // 4 <= entry["windows"] < calls, (entry["windows"], calls)
        elif r["path"].startswith("dio."):
            assert entry["windows"] == calls
        elif r["path"] == "fio.psync":  # one job per sample, not compared with its figure
            assert entry["windows"] == 3 and entry["clock_insns_per_window"] is None
            continue
        else:   # one timed loop per sample; crypto's -V passes open none
            assert entry["windows"] == len(r["metrics"]["elapsed_ns"]) == 3, r["case"]
        bound = {"base.memcpy": profile.USER_CLOCK_MAX,
                 "dio.bvec-async": profile.INTERVAL_MAX}.get(r["path"], profile.CLOCK_MAX)
        assert 0 < entry["clock_insns_per_window"] <= bound, r["case"]
    fio_rows = profile.read_rows(run_dir / "profile" / summary["cases"][
        "fio.psync/op=read/bs=64k/size=8m/backend=brd"]["file"])
    named = [r for r in fio_rows if r.module == "fio" and not r.symbol.startswith("[")]
    assert named and all(r.layer == "user" for r in named)   # fio's own, by its map
    assert any(r.module == "kdio-mark" for r in fio_rows)     # the markers' processes
    memcpy = profile.read_rows(run_dir / "profile" / summary["cases"][
        "base.memcpy/msg=64k/count=50"]["file"])
    assert memcpy[0].module == "kdio-membench" and memcpy[0].symbol.endswith("[rep]")
    copied = 3 * 50 * 64 * 1024     # glibc's rep movsb moves all but the tail it stores by vector
    assert copied * 0.99 < memcpy[0].rep_bytes <= copied
    crypto = summary["cases"]["crypto.zerocopy/alg=cbc/driver=aesni/key=128/msg=1424/count=50/qd=1"]
    assert next(iter(crypto["layers"])) == "crypto"
    vmmap = summary["cases"]["dio.vmmap/op=read/bs=64k/size=8m/backend=brd"]
    moved = 3 * 8 * 1024 * 1024
    assert vmmap["rep_bytes"] >= moved and vmmap["layers"]["copy"] > 0
    assert vmmap["layers"]["pinning"] > 0
    assert cli.main(["profile", str(run_dir), "vmmap"]) == 0
    out = capsys.readouterr().out
    assert "by layer:" in out and "[rep]" in out and "profile checks: ok" in out
    assert "loads and" in out and "call stacks:" in out


@pytest.mark.integration
def test_loads_stores_and_stacks_of_a_profiled_run(runs, capsys):
    """Each rep movs iteration is one load and one store: brd's copy
    function has at least as many of each as its iterations, and memcpy's
    loads and stores are its iterations to 1 %. The stacks hold every
    instruction of the windows (build's check), vm_mmap's under kdio's
    ioctl and its run function, the copy under brd's, memcpy's under main
    and the binary's IFUNC stub. The plugin's host memory is in the
    context, and the report draws a flame graph per path."""
    doc, run_dir = runs["profiled"]
    notes = doc["context"]["profile"]["plugin_notes"]
    assert doc["context"]["profile"]["stacks"] and notes[0]["held_bytes"] > 0
    assert notes[0]["read_filter_counts"] in ("loads", "stores") and notes[0]["stack_nodes"] > 0
    summary = json.loads((run_dir / "profile/profile.json").read_text())
    vmmap = summary["cases"]["dio.vmmap/op=read/bs=64k/size=8m/backend=brd"]
    rows = {r.symbol: r for r in profile.read_rows(run_dir / "profile" / vmmap["file"])}
    copy, body = rows["brd_do_bvec [rep]"], rows["brd_do_bvec"]
    assert body.loads >= copy.rep_iters > 0 and body.stores >= copy.rep_iters
    memcpy = summary["cases"]["base.memcpy/msg=64k/count=50"]
    iters = sum(r.rep_iters for r in profile.read_rows(run_dir / "profile" / memcpy["file"]))
    assert iters <= memcpy["loads"] <= 1.01 * iters and iters <= memcpy["stores"] <= 1.01 * iters
    folded = profile.read_folded(run_dir / "profile" / vmmap["stacks"])
    assert sum(folded.values()) == vmmap["in_insns"]
    under_run = sum(n for k, n in folded.items() if "dio_vmmap_run" in k
                    and k.index("kdio_dio_ioctl") < k.index("dio_vmmap_run"))
    assert under_run >= 0.9 * vmmap["in_insns"], under_run
    assert any(k[-1] == "brd_do_bvec" and "brd_submit_bio" in k for k in folded)
    mem_folded = profile.read_folded(run_dir / "profile" / memcpy["stacks"])
    top = max(mem_folded, key=mem_folded.get)     # main's call of memcpy through its IFUNC stub
    assert top[-3:-1] == ("main", "[plt]"), top
    assert cli.main(["plots", str(run_dir)]) == 0
    capsys.readouterr()
    page = (run_dir / "report.html").read_text()
    assert "<h3>Flame graphs</h3>" in page and page.count("<iframe") == len(summary["cases"])


@pytest.mark.integration
def test_profiler_does_not_perturb_the_figures(runs):
    """dio.null's windows, whose counted figure is the same in every boot to
    within one virtual ns per rep (the clock's quantum: a rep of 128 calls
    reads 7936 or, rarely, 7937), count the same to the guest with the plugin
    loaded and without. (The paths that move data are no such proof: their
    64 KiB figures differ between any two boots, profiled or not, by up to
    0.6 % when a timer tick lands in a window.)"""
    prof, plain = runs["profiled"][0], runs["plain"][0]
    assert "profile" in prof["context"] and "profile" not in plain["context"]
    null = [(a, b) for a, b in zip(prof["results"], plain["results"]) if a["path"] == "dio.null"]
    assert null
    for a, b in null:
        assert a["case"] == b["case"]
        got, plain_ns = a["metrics"]["elapsed_ns"], b["metrics"]["elapsed_ns"]
        assert len(got) == len(plain_ns) > 0
        assert max(abs(x - y) for x, y in zip(got, plain_ns)) <= 1, (a["case"], got, plain_ns)


@pytest.mark.integration
def test_a_regression_is_attributed_to_the_function_that_spins(runs, capsys):
    """work_loops=800 adds an empty loop to every timed call (kdio_dio_spin,
    inlined into kdio_dio_inject_delay): the differential profile puts at
    least 90 % of each case's change on it, and kdio compare shows it for
    every flagged case."""
    base, new = runs["profiled"][1], runs["work"][1]
    dio_cases = [r["case"] for r in runs["profiled"][0]["results"] if r["path"].startswith("dio.")]
    assert len(dio_cases) == 4
    for case in dio_cases:
        d = diff.explain(diff.home(base), diff.home(new), case)
        top = d["changes"][0]
        assert top.module == "kdio_dio" and "inject_delay" in top.symbol, (case, top)
        assert top.delta >= 0.9 * d["delta"] > 0, (case, top.delta, d["delta"])
    code = cli.main(["compare", str(base / "result.json"), str(new / "result.json"),
                     "--alpha", "0.2", "--threshold", "1"])   # 3 against 3: p = 0.1 at best
    out = capsys.readouterr().out
    assert code == 1 and "where dio.bvec/op=read" in out and "kdio_dio_inject_delay" in out
    assert "account for" in out


@pytest.mark.integration
@pytest.mark.parametrize("knob, words", [("1", "with no start"), ("2", "never closed")])
def test_a_missing_marker_fails_the_run(tmp_path, knob, words):
    doc, _ = _run(tmp_path, f"drop{knob}", params=(f"kdio_dio.drop_marks={knob}",))
    check = next(c for c in doc["checks"] if c["name"] == "profile")
    assert not check["ok"] and words in check["detail"]
    assert "dio." in check["detail"]                  # the case is named
    assert doc["status"] == "failed" and "check profile failed" in doc["failure"]["reason"]


@pytest.mark.integration
def test_plugin_of_another_api_version_is_refused(tmp_path):
    subprocess.run(["make", "-C", str(build.TOP / "plugin"), f"BUILD={tmp_path}",
                    "EXTRA_CFLAGS=-DKDIO_PLUGIN_API=99"], check=True, capture_output=True)
    with pytest.raises(ProfileError, match=r"QEMU 7\.2.*requires API version 99") as e:
        profiler.probe(tmp_path / "kdio_profile.so")
    assert "--profile" in e.value.hint
    profiler.probe(build.build_plugin(log=print))     # kdio's own loads


def test_profile_refused_in_wall_mode(tmp_path):
    with pytest.raises(ConfigError, match="--profile counts instructions"):
        bench.request(bench.Options(suite="smoke", results_dir=tmp_path, profile="on"),
                      log=lambda m: None)


def test_where_a_runs_profile_is(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text("{}")
    assert diff.home(run) == run / "profile"
    assert diff.home(run / "result.json") == run / "profile"
    assert diff.home(tmp_path / "baselines/ci.json") == tmp_path / "baselines/ci-profile"
    assert diff.load(tmp_path / "baselines/ci-profile") is None


def test_a_missing_profile_says_how_to_get_one(tmp_path, capsys):
    """A flagged case whose baseline has no profile: the committed one's
    advice is to record a trimmed copy, a run's is to run it profiled."""
    result = {"regressions": ["c"], "improvements": [], "cases": [{"case": "c"}]}
    cli._explain(tmp_path / "ci-profile", tmp_path / "run" / "profile", result)
    out = capsys.readouterr().out
    assert f"kdio profile RUN --baseline-copy {tmp_path / 'ci-profile'}" in out
    assert f"no profile in {tmp_path / 'run' / 'profile'} (run it with --profile" in out
