from kdio import config, results, table


def smoke_doc(fixtures):
    suite = config.load_suite("smoke")
    return {"results": results.build_results(suite, results.read_records(
        fixtures / "records-smoke.jsonl"))}


def test_ratio_is_to_fio_at_same_op_and_bs(fixtures):
    doc = smoke_doc(fixtures)
    rows = {r["case"]: r for r in table.rows(doc)}
    by_case = {r["case"]: r for r in doc["results"]}
    case = "dio.vmmap/op=write/bs=1m/size=8m"
    expected = by_case[case]["summary"]["median"] / by_case["fio.psync/op=write/bs=1m/size=8m"]["summary"]["median"]
    assert rows[case]["fio.psync"] == f"{expected:.2f}x"
    assert rows["fio.psync/op=write/bs=1m/size=8m"]["fio.psync"] == "-"
    assert rows["dio.null/op=write/bs=1m/size=8m"]["value"].endswith("ns/call")


def test_render_has_every_case_and_a_header(fixtures):
    text = table.render(smoke_doc(fixtures))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["case", "status", "median"]
    assert len(lines) == 1 + 12
    assert "MB/s" in text and "±" in text
