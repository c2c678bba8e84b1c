"""Change points in stored series (kdio.report.trend): a 1 % step in a
counted series is found at the step and nowhere else; a flat noisy series,
a ramp, a single odd run and a wall-clock series with a step inside its
noise give none (the negative controls); kdio trend over a store marks it."""

import copy
import json
import random
import shutil

import pytest

from kdio import cli, where
from kdio.report import trend
from kdio.results import results
from kdio.store import store


def _noisy(level, n, rel, rng):
    return [level * (1 + rng.uniform(-rel, rel)) for _ in range(n)]


def test_a_one_percent_step_in_a_counted_series_is_one_change_point_at_the_step():
    rng = random.Random(1)
    values = _noisy(1000.0, 10, 0.001, rng) + _noisy(1010.0, 8, 0.001, rng)
    [step] = trend.change_points(values, "insn/byte", trend.COUNTED)
    assert step.index == 10
    assert step.change == pytest.approx(-0.01, abs=0.002)     # a cost up 1 %: worse


def test_two_steps_are_both_found():
    rng = random.Random(2)
    values = (_noisy(100.0, 6, 0.001, rng) + _noisy(102.0, 6, 0.001, rng)
              + _noisy(101.0, 6, 0.001, rng))
    assert [s.index for s in trend.change_points(values, "insn/byte", trend.COUNTED)] == [6, 12]


@pytest.mark.parametrize("name, values, rule", [
    ("flat counted, 0.1 % noise", _noisy(1000.0, 40, 0.001, random.Random(3)), trend.COUNTED),
    ("a ramp of 0.1 % a run", [1000.0 * (1.001 ** i) for i in range(30)], trend.COUNTED),
    ("one odd run", [1000.0] * 10 + [1050.0] + [1000.0] * 10, trend.COUNTED),
    ("flat wall, 30 % noise", _noisy(1e9, 40, 0.3, random.Random(4)), trend.WALL),
    ("a 5 % wall step in 30 % noise",
     _noisy(1e9, 15, 0.3, random.Random(5)) + _noisy(1.05e9, 15, 0.3, random.Random(6)),
     trend.WALL),
])
def test_no_change_point_where_there_is_no_step(name, values, rule):
    assert trend.change_points(values, "insn/byte", rule) == [], name


def test_a_large_wall_step_is_found():
    rng = random.Random(7)
    values = _noisy(1e9, 6, 0.05, rng) + _noisy(2e9, 6, 0.05, rng)
    [step] = trend.change_points(values, "bytes/s", trend.WALL)
    assert step.index == 6 and step.change > 0.5          # throughput up: better


def _nights(n, scale):
    """n nightly runs made of the committed counted baseline: run id
    night-<i>, a date a day apart, each sample times scale(i, case)."""
    base = results.load(where.TOP / "ci/baselines/ci.json")
    for i in range(n):
        doc = copy.deepcopy(base)
        doc["run_id"] = f"night-{i}"
        doc["context"]["date"] = f"2026-12-0{i + 1}T02:00:00+00:00"
        for r in doc["results"]:
            r["samples"] = [v * scale(i, r["case"]) for v in r["samples"]]
        yield doc


def test_kdio_trend_marks_the_step_of_a_stored_series(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    with store.Store(db) as s:
        for doc in _nights(8, lambda i, case: (
                1.01 if i >= 5 and case.startswith("dio.bvec/op=write") else 1.0)
                * (1 + 0.0005 * ((i * 7) % 3))):
            s.add(doc)
    assert cli.main(["trend", "--store", str(db), "--case", "dio.bvec/", "--suite", "ci"]) == 0
    out = capsys.readouterr().out
    assert out.count("<- change -1.") == 2, out                # brd and ext4-brd writes
    assert "4 series, 2 change point(s)" in out
    assert "<- change" not in out.split("dio.bvec/op=read")[1].split("\n\n")[0]
    assert cli.main(["trend", "--store", str(db), "--case", "no-such-case"]) == 2


def test_the_dashboard_marks_the_step_links_the_runs_and_renders_in_a_browser(tmp_path):
    from kdio.report import dashboard
    from test_report import chromium, console_messages
    db = tmp_path / "s.sqlite"
    with store.Store(db) as s:
        for doc in _nights(6, lambda i, case: 1.02 if i >= 3 and case.startswith("dio.null")
                           else 1.0):
            run = tmp_path / "results" / doc["run_id"]
            run.mkdir(parents=True)
            (run / "report.html").write_text("<p>report</p>")
            s.add(doc, source=str(run / "result.json"))
    # the runs on either side of the step profiled: the committed baseline's
    # profile, with dio_null_run's count raised in the later one
    for night, extra in (("night-2", 0), ("night-3", 100760)):
        _profile_with(tmp_path / "results" / night / "profile", extra)
    out = tmp_path / "dash" / "dashboard.html"
    assert cli.main(["dashboard", "--store", str(db), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.count("<line class='change'") == 1                  # dio.null's step only
    assert "between <a href='../results/night-2/report.html'>night-2</a> and " in text
    assert "where: <a class='where' href='dashboard-where/1.html'>" in text
    where = (out.parent / "dashboard-where/1.html").read_text()
    assert "<td>dio_null_run</td><td>kdio_dio</td><td>kdio</td><td>163,840</td><td>183,992</td>" \
        "<td>+20,152</td>" in where, where                         # 100,760 over 5 samples
    assert text.index("dio.null") < text.index("dio.vmmap")         # the changed series first
    logging = ("--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'p'}")
    r = chromium(*logging, "--dump-dom", out.as_uri())
    assert console_messages(r.stderr) == [] and "28 series, 1 change point(s)" in r.stdout
    shot = tmp_path / "dash" / "dashboard.png"
    chromium(f"--user-data-dir={tmp_path / 'p'}", "--window-size=1000,1400",
             f"--screenshot={shot}", out.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG")
    # the negative control: the series of the same runs without a step mark nothing
    with store.Store(db) as s:
        flat = dashboard.page(trend.trends(s.series(case="dio.vmmap")), tmp_path)
    assert "dio.vmmap" in flat and "class='change'" not in flat
    # negative controls of the link: the same profile on both sides names no
    # function; a run not profiled gets no link, and says so
    _profile_with(tmp_path / "results" / "night-3" / "profile", 0)
    assert cli.main(["dashboard", "--store", str(db), "--out", str(out)]) == 0
    where = (out.parent / "dashboard-where/1.html").read_text()
    assert "<p id='none'>no function's count changed</p>" in where
    assert "dio_null_run" not in where
    shutil.rmtree(tmp_path / "results" / "night-2" / "profile")
    assert cli.main(["dashboard", "--store", str(db), "--out", str(out)]) == 0
    text = out.read_text()
    assert "where: not known (a run of the two was not profiled)" in text
    assert "class='where'" not in text


def _profile_with(pdir, extra):
    """pdir: the committed baseline's profile, with extra instructions in
    dio.null's dio_null_run."""
    shutil.rmtree(pdir, ignore_errors=True)
    shutil.copytree(where.TOP / "ci/baselines/ci-profile", pdir)
    summary = json.loads((pdir / "profile.json").read_text())
    entry = summary["cases"]["dio.null/op=write/bs=4k/size=32m/backend=brd"]
    entry["in_insns"] += extra
    (pdir / "profile.json").write_text(json.dumps(summary))
    tsv = pdir / entry["file"]
    tsv.write_text("".join(
        line.replace(line.split("\t")[3], str(int(line.split("\t")[3]) + extra), 1)
        if line.startswith("dio_null_run\t") else line
        for line in tsv.read_text().splitlines(keepends=True)))


def test_by_kernel_a_step_between_kernels_run_on_alternate_nights(tmp_path, capsys):
    """Two kernels, run on alternate nights, the newer one 2 % dearer on
    dio.null: by date the series zigzags (no step: its sides' ranges
    overlap, the negative control); by kernel it is one step, between them."""
    db = tmp_path / "s.sqlite"
    with store.Store(db) as s:
        for i, doc in enumerate(_nights(8, lambda i, case: 1.02 if i % 2 and
                                        case.startswith("dio.null") else 1.0)):
            doc["context"]["kernel"]["release"] = "6.1.0-100-amd64" if i % 2 else \
                "6.1.0-56-amd64"
            s.add(doc)
    assert cli.main(["trend", "--store", str(db), "--case", "dio.null"]) == 0
    assert "0 change point(s)" in capsys.readouterr().out
    assert cli.main(["trend", "--store", str(db), "--case", "dio.null", "--by", "kernel"]) == 0
    out = capsys.readouterr().out
    assert "1 series, 1 change point(s)" in out and out.count("<- change -2.00 %") == 1, out
    rows = [line.split() for line in out.splitlines() if line.startswith("  2026")]
    assert [r[2] for r in rows] == ["6.1.0-56-amd64"] * 4 + ["6.1.0-100-amd64"] * 4
    assert ["<-" in r for r in rows] == [False] * 4 + [True] + [False] * 3   # at the new kernel
    page = tmp_path / "d.html"
    assert cli.main(["dashboard", "--store", str(db), "--case", "dio.null", "--by", "kernel",
                     "--out", str(page)]) == 0
    text = page.read_text()
    assert "by kernel, from 6.1.0-56-amd64 to 6.1.0-100-amd64" in text
    assert text.count("<line class='change'") == 1
