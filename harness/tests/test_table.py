from kdio.model import config
from kdio.report import table
from kdio.results import results


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


def result(path, value, baseline=False, **params):
    p = {"op": "write", "bs": 65536, "size": 1 << 26, **params}
    return {"case": path + str(sorted(p.items())), "path": path, "params": p, "unit": "bytes/s",
            "baseline": baseline, "status": "ok", "errno": None, "message": None,
            "summary": {"n": 3, "median": value, "min": value, "max": value, "cv": 0.0}}


def test_async_ratio_is_to_io_uring_at_the_same_queue_depth():
    doc = {"results": [result("fio.psync", 100e6, True),
                       result("fio.io_uring", 200e6, True, qd=16),
                       result("fio.io_uring", 100e6, True, qd=1),
                       result("dio.bvec-async", 300e6, qd=16),
                       result("dio.bvec", 150e6, backend="blk")]}
    rows = table.rows(doc)
    assert rows[3]["fio.io_uring"] == "1.50x" and rows[3]["fio.psync"] == "3.00x"
    # no baseline on the blk backend in this run: no ratio rather than a wrong one
    assert rows[4]["fio.psync"] == "-" and rows[4]["fio.io_uring"] == "-"


def test_expected_error_shows_its_errno():
    r = result("dio.kvec-kmalloc", 0)
    r.update(status="expected-error", errno="EFAULT", summary=None, message="Bad address")
    row = table.rows({"results": [r]})[0]
    assert row["value"] == "EFAULT (expected)" and row["fio.psync"] == "-"


def crypto_result(path, driver, value, ops, **params):
    p = {"alg": "cbc-aes", "key": 128, "msg": 1424, "qd": 1, "driver": driver, **params}
    return {"case": f"{path}/{driver}/{sorted(p.items())}", "path": path, "params": p,
            "unit": "bytes/s", "baseline": path.startswith("base."), "status": "ok",
            "errno": None, "message": None, "metrics": {"ops_per_s": [ops, ops + 10, ops - 10]},
            "summary": {"n": 3, "median": value, "min": value, "max": value, "cv": 0.0}}


def test_crypto_rows_show_ops_and_ratios_to_aesni_and_afalg():
    doc = {"results": [crypto_result("crypto.zerocopy", "aesni", 80e6, 56000),
                       crypto_result("crypto.zerocopy", "virtio", 8e6, 5600),
                       crypto_result("crypto.bounce", "virtio", 6e6, 4200),
                       crypto_result("base.afalg", "virtio", 4e6, 2800),
                       crypto_result("crypto.zerocopy", "virtio", 400e6, 6100, msg=65536, qd=8),
                       crypto_result("crypto.bounce", "aesni", 40e6, 28000)]}
    ratios, metrics = table.columns(doc)
    assert ratios == ["aesni", "base.afalg"] and [m.title for m in metrics] == ["ops/s"]
    rows = table.rows(doc)
    assert [r["ops/s"] for r in rows] == ["56000", "5600", "4200", "2800", "6100", "28000"]
    assert rows[1]["aesni"] == "0.10x" and rows[1]["base.afalg"] == "2.00x"
    # an AES-NI case is its own match, never its own reference
    assert rows[0]["aesni"] == "-"
    # each path against AES-NI on the same path
    assert rows[2]["aesni"] == "0.15x" and rows[2]["base.afalg"] == "1.50x"
    # no AES-NI or AF_ALG case at 64 KiB qd 8 in this document: no ratio
    assert rows[4]["aesni"] == "-" and rows[4]["base.afalg"] == "-"
    assert "ops/s" in table.render(doc).splitlines()[0]


def test_a_message_shared_by_many_cases_is_one_note():
    doc = {"results": [crypto_result("crypto.zerocopy", "virtio", 8e6, 5600, msg=m)
                       for m in (64, 256, 1424, 4096)]}
    for r in doc["results"]:
        r["message"] = "driver virtio_crypto_aes_cbc"
    odd = crypto_result("crypto.bounce", "aesni", 0, 0)
    odd.update(status="error", message="EIO from the device")
    doc["results"].append(odd)
    assert table.notes(doc) == [
        "4 cases (path=crypto.zerocopy alg=cbc-aes key=128 qd=1 driver=virtio): "
        "driver virtio_crypto_aes_cbc",
        f"{odd['case']}: EIO from the device"]
    assert table.notes(doc, with_status=True)[1].endswith(": error: EIO from the device")
    assert table.render(doc).splitlines()[-2].startswith("  4 cases (")
