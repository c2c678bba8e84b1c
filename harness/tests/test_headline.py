"""The headline a report and the terminal open with (kdio.report.headline):
ratios marked significant only when they are, the checks, and what looks
wrong; each with a case that must not be marked (the negative controls)."""

import copy

import pytest

from kdio import where
from kdio.model import config, stats
from kdio.report import headline, report
from kdio.results import results


@pytest.fixture
def smoke(fixtures):
    suite = config.load_suite("smoke")
    return {"schema_version": 1, "run_id": "smoke", "context": {"suite": {"name": "smoke"}},
            "results": results.build_results(suite, results.read_records(
                fixtures / "records-smoke.jsonl"))}


def _set(doc, case_part, samples):
    for r in doc["results"]:
        if case_part in r["case"]:
            r["samples"] = samples
            r["summary"] = stats.summary(samples)


def test_a_wall_ratio_is_significant_only_when_the_samples_do_not_overlap(smoke):
    [line] = headline.ratio_lines(smoke)
    assert "storage: throughput / fio.psync" in line and "1 significant, 3 not" in line
    apart = copy.deepcopy(smoke)   # every kdio case far above its fio reference
    for r in apart["results"]:
        if r["path"].startswith("dio."):
            r["samples"] = [v * 100 for v in r["samples"]]
            r["summary"] = stats.summary(r["samples"])
    assert "4 significant, 0 not" in headline.ratio_lines(apart)[0]


def test_counted_ratios_are_judged_by_the_gate():
    doc = results.load(where.TOP / "ci/baselines/ci.json")
    lines = headline.ratio_lines(doc)
    assert any("crypto: cost / aesni" in x and "4 significant, 0 not" in x for x in lines)
    same = copy.deepcopy(doc)   # generic's figures made AES-NI's: no ratio apart from 1
    aes = {r["case"].replace("driver=aesni", "driver=generic"): r["samples"]
           for r in same["results"] if "driver=aesni" in r["case"]}
    for r in same["results"]:
        if r["case"] in aes:
            r["samples"] = list(aes[r["case"]])
            r["summary"] = stats.summary(r["samples"])
    assert any("crypto: cost / aesni" in x and "0 significant, 4 not" in x
               for x in headline.ratio_lines(same))


def test_what_looks_wrong_is_named_and_nothing_else(smoke):
    assert headline.suspicious(smoke) == []
    odd = copy.deepcopy(smoke)
    _set(odd, "dio.vmmap/op=write", [1e6, 1e8, 5e8])
    _set(odd, "dio.vmmap/op=read", [1e8])
    found = headline.suspicious(odd)
    assert len(found) == 4 and any("cv 1" in x for x in found)    # each op's two sizes
    assert sum("one sample only" in x for x in found) == 2


def test_the_report_opens_with_the_headline_then_the_plots(smoke, tmp_path):
    smoke["context"] = results.load(where.TOP / "ci/baselines/ci.json")["context"]
    smoke["context"]["measure"] = {"mode": "wall"}
    smoke["status"], smoke["failure"], smoke["checks"] = "ok", None, [
        {"name": "data", "ok": False, "detail": "1 bad block"}]
    text = report.markdown(smoke, [], tmp_path)
    head = text[text.index("## What the run found"):text.index("## Plots")]
    assert "- 12 of 12 case(s) ok" in head and "checks: 0 of 1 ok; FAILED: data" in head
    page = report.html_page(smoke, [], tmp_path)
    assert page.index("id='headline'") < page.index("<h2>Plots</h2>") < page.index("Results")
