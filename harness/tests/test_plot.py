"""Plots drawn with the real gnuplot from recorded results."""

import pytest

from kdio.model import config
from kdio.report import plot
from kdio.results import results


@pytest.fixture
def smoke_doc(fixtures):
    suite = config.load_suite("smoke")
    return {"run_id": "r", "context": {"suite": {"name": "smoke"}},
            "results": results.build_results(suite, results.read_records(
                fixtures / "records-smoke.jsonl"))}


def test_groups_hold_medians_and_ranges(smoke_doc):
    groups = plot.throughput_groups(smoke_doc)
    assert set(groups) == {("write", "ext4", 1), ("read", "ext4", 1)}
    points = groups[("write", "ext4", 1)]["dio.vmmap"]
    assert [p[0] for p in points] == [65536, 1 << 20]
    assert all(lo <= med <= hi for _, med, lo, hi in points)
    assert "dio.null" not in groups[("write", "ext4", 1)]  # ns/call is not throughput


def test_ratios_are_to_psync(smoke_doc):
    ratios, base = plot.ratio_groups(smoke_doc)
    assert base[("read", "ext4", 1)] == "fio.psync"
    assert "fio.psync" not in ratios[("read", "ext4", 1)]
    by_case = {r["case"]: r["summary"]["median"] for r in smoke_doc["results"]}
    want = by_case["dio.vmmap/op=read/bs=1m/size=8m"] / by_case["fio.psync/op=read/bs=1m/size=8m"]
    assert dict(ratios[("read", "ext4", 1)]["dio.vmmap"])[1 << 20] == pytest.approx(want)


def test_draw_all_writes_png_and_svg(smoke_doc, tmp_path):
    drawn = plot.draw_all(smoke_doc, tmp_path)
    assert len(drawn) == 8
    for p in drawn:
        data = p.read_bytes()
        assert data.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in data
    gp = (tmp_path / "throughput-write-ext4-qd1.gp").read_text()
    assert "dt 2" in gp and "yerrorlines" in gp  # baselines dashed, error bars drawn


def test_counted_runs_plot_cost_and_cost_ratios(fixtures, tmp_path):
    import dataclasses
    from kdio.model import measure
    suite = dataclasses.replace(config.load_suite("smoke"), measure=measure.COUNTED)
    doc = {"run_id": "r", "context": {"suite": {"name": "smoke"},
                                      "measure": measure.COUNTED.context()},
           "results": results.build_results(suite, results.read_records(
               fixtures / "records-smoke.jsonl"))}
    drawn = plot.draw_all(doc, tmp_path)
    names = {p.stem for p in drawn}
    assert "cost-write-ext4-qd1" in names and not any(n.startswith("throughput") for n in names)
    gp = (tmp_path / "cost-write-ext4-qd1.gp").read_text()
    assert "guest instructions per byte (counted, lower is better)" in gp
    assert "cost ratio to fio.psync" in (tmp_path / "ratio-write-ext4-qd1.gp").read_text()


def test_a_decade_or_more_gets_a_log_axis_and_ratios_one_centred_on_1():
    narrow = {"a": [(4096, 100.0, 90.0, 110.0)], "b": [(65536, 500.0, 450.0, 550.0)]}
    wide = {"a": [(4096, 100.0, 90.0, 110.0)], "b": [(65536, 5000.0, 4500.0, 5500.0)]}
    assert plot._y_axis(narrow, None, False) == "set yrange [0:*]"     # the negative control
    assert plot._y_axis(wide, None, False) == "set logscale y"
    ratios = {"dio.vmmap": [(4096, 0.5), (65536, 2.0)]}
    axis = plot._y_axis(ratios, "fio.psync", False)
    low, high = (float(x) for x in axis.split("[")[1].rstrip("]").split(":"))
    assert axis.startswith("set logscale y") and low * high == pytest.approx(1.0)
    assert low < 0.5 and high > 2.0
