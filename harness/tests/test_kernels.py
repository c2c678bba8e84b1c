"""The cross-kernel table and plot from recorded results."""

import copy

from kdio.model import config
from kdio.report import kernels
from kdio.results import results


def docs(fixtures):
    suite = config.load_suite("smoke")
    a = {"context": {"kernel": {"name": "debian-6.1"}},
         "results": results.build_results(suite, results.read_records(fixtures / "records-smoke.jsonl"))}
    b = copy.deepcopy(a)
    b["context"]["kernel"]["name"] = "debian-6.12"
    for r in b["results"]:
        if r["summary"]:
            r["summary"]["median"] *= 2
    return [a, b]


def test_table_lines_up_cases_and_ratios(fixtures):
    head, body = kernels.rows(docs(fixtures))
    assert head == ["case", "unit", "debian-6.1", "debian-6.12", "debian-6.12/debian-6.1"]
    assert len(body) == 12 and all(row[-1] == "2.00x" for row in body)
    assert "debian-6.12/debian-6.1" in kernels.render(docs(fixtures), markdown=True)


def test_plot(fixtures, tmp_path):
    drawn = kernels.plot(docs(fixtures), tmp_path)
    assert drawn[0].read_bytes().startswith(b"\x89PNG")
    assert len((tmp_path / "kernels.dat").read_text().splitlines()) == 8  # throughput cases
