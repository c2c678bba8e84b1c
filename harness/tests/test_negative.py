"""Negative controls, with real guests: every correctness check of kdio is
shown to fail when what it checks is wrong. Test-only module parameters
break the modules (kdio_dio.drop_writes: writes report success and move no
data; kdio_xfer.corrupt_every: a channel message leaves corrupt;
kdio_crypto.corrupt_output: a byte of every crypto output is flipped) and
test-only tool flags (the suite's check_args) make one right outcome count
as wrong (kdio-badinput -W: a wrong expected errno for one row; kdio-fuzz
-U: a documented errno counted as undocumented)."""

from pathlib import Path

import pytest

from kdio import cli
from kdio.results import ktap, results
from kdio.run import bench

pytestmark = pytest.mark.integration

NEGATIVE_SUITE = str(Path(__file__).resolve().parent / "fixtures" / "suites" / "negative.toml")


@pytest.fixture(scope="module")
def dropped_run(tmp_path_factory):
    """The smoke suite through the CLI with every module write dropped; the
    document bench.run returned to it, and the CLI's exit code."""
    out = tmp_path_factory.mktemp("results")
    seen, real_run = {}, bench.run

    def spy(opts, log=print):
        seen["doc"], seen["dir"] = real_run(opts, log)
        return seen["doc"], seen["dir"]
    bench.run = spy
    try:
        rc = cli.main(["bench", "--suite", "smoke", "--run-id", "drop-writes",
                       "--results-dir", str(out), "--module-param", "kdio_dio.drop_writes=1"])
    finally:
        bench.run = real_run
    return rc, seen["doc"], seen["dir"]


def test_lost_writes_fail_the_data_check_and_the_run(dropped_run, summary):
    rc, doc, run_dir = dropped_run
    assert rc == 1
    assert doc["status"] == "failed"
    assert doc["context"]["module_params"] == ["kdio_dio.drop_writes=1"]
    checks = {c["name"]: c for c in doc["checks"]}
    assert not checks["data-ext4"]["ok"], checks["data-ext4"]["detail"]
    assert "8/8 bad blocks" in checks["data-ext4"]["detail"]   # 8 MiB in 1 MiB blocks
    assert doc["failure"]["reason"].startswith("check data-ext4 failed")
    saved = results.load(run_dir / "result.json")
    assert saved["status"] == "failed"
    summary.append(f"drop_writes=1: data-ext4 {checks['data-ext4']['detail']}; "
                   f"exit {rc}")


def test_lost_writes_look_ok_to_the_writer_and_fail_every_verified_read(dropped_run):
    _, doc, _ = dropped_run
    by_path = {}
    for r in doc["results"]:
        by_path.setdefault((r["path"], r["params"]["op"]), []).append(r)
    writes, reads = by_path[("dio.vmmap", "write")], by_path[("dio.vmmap", "read")]
    assert len(writes) == 2 and len(reads) == 2
    assert all(r["status"] == "ok" for r in writes)      # the write said it wrote
    for r in reads:
        assert r["status"] == "error" and r["errno"] == "EILSEQ", (r["case"], r["message"])
        assert all(n > 0 for n in r["metrics"]["bad_blocks"])


@pytest.fixture(scope="module")
def negative_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    params = ("kdio_xfer.corrupt_every=10", "kdio_crypto.corrupt_output=1")
    return bench.run(bench.Options(suite=NEGATIVE_SUITE, results_dir=out, run_id="negative",
                                   module_params=params), log=print)


def test_a_corrupt_channel_message_is_an_eilseq_error(negative_run, summary):
    doc, _ = negative_run
    xfer = [r for r in doc["results"] if r["path"].startswith("xfer.")]
    assert len(xfer) == 2
    for r in xfer:
        assert r["status"] == "error" and r["errno"] == "EILSEQ", (r["case"], r["message"])
        assert r["metrics"]["bad"] == [10]     # 100 messages, every 10th corrupt
    summary.append("corrupt_every=10: " + "; ".join(f"{r['case']}: {r['message']}"
                                                    for r in xfer))


def test_a_flipped_crypto_output_fails_verification(negative_run, summary):
    doc, _ = negative_run
    crypto = [r for r in doc["results"] if r["path"].startswith("crypto.")]
    assert len(crypto) == 4
    for r in crypto:
        assert r["status"] == "error", (r["case"], r["message"])
        assert r["metrics"]["verified"] == [0]
    summary.append(f"corrupt_output=1: {len(crypto)}/4 crypto cases in error "
                   f"({crypto[0]['errno']}: {crypto[0]['message']})")


# The crypto tool's rows that move data (round trips, GCM tag checks) fail
# too in this boot: kdio_crypto.corrupt_output is on.
CORRUPTED_ROWS = {"badinput": (), "xfer-badinput": (), "crypto-badinput": ("round-trip-", "gcm-")}


@pytest.mark.parametrize("name, row", [("badinput", "wrong-abi"),
                                       ("xfer-badinput", "setup-wrong-abi"),
                                       ("crypto-badinput", "wrong-abi")])
def test_a_wrong_bad_input_expectation_fails_the_check(negative_run, summary, name, row):
    doc, run_dir = negative_run
    check = next(c for c in doc["checks"] if c["name"] == name)
    assert not check["ok"] and row in check["detail"], check["detail"]
    lines = ktap.leaves(check_report(run_dir, name))
    wrong = {ln.name: ln for ln in lines if not ln.ok}
    assert wrong[row].fields["expected"] == "EDOM"
    assert wrong[row].fields["got"] not in (None, "0", "EDOM")
    corrupted = CORRUPTED_ROWS[name]
    others = [n for n in wrong if n != row]
    assert all(n.startswith(corrupted) for n in others) if corrupted else others == [], others
    assert bool(others) == bool(corrupted)
    assert len(lines) > len(wrong)
    summary.append(f"{name} -W {row}: {len(lines) - len(wrong)}/{len(lines)} ok; {row}: "
                   f"expected {wrong[row].fields['expected']}, got {wrong[row].fields['got']}"
                   + (f"; {len(others)} data rows broken by corrupt_output" if others else ""))


def test_an_undocumented_errno_fails_the_fuzz_check(negative_run, summary):
    doc, run_dir = negative_run
    check = next(c for c in doc["checks"] if c["name"] == "fuzz")
    assert not check["ok"], check["detail"]
    total = check_report(run_dir, "fuzz").results
    assert len(total) == 1 and total[-1].name == "kdio-fuzz"
    assert int(total[-1].fields["undocumented"]) > 0 and total[-1].ok is False
    assert doc["status"] == "failed"
    summary.append(f"fuzz -U EINVAL: {total[-1].fields['undocumented']} undocumented; "
                   f"{check['detail']}")


def check_report(run_dir, name):
    """The parsed KTAP output of check name in the run's raw records."""
    records = results.read_records(run_dir / "guest" / "records.jsonl")
    raw = next(r for r in records if r.get("type") == "check" and r["name"] == name)
    assert raw["output"] == "ktap"
    return ktap.parse(raw["stdout"])
