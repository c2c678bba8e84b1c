"""IPsec ESP: the verdict on recorded guest records (good, on the wrong
driver, broken counters, mismatched keys), the guest case's parsers and
commands, the plan, table, plots and report; then a real boot of the
ipsec-smoke suite (integration)."""

import json
import time
from pathlib import Path

import pytest

from kdio.guest import ipsecguest
from kdio.model import config, measure
from kdio.paths import ipsec, pathdef, paths
from kdio.report import ipsec as ipsec_report
from kdio.plan import plan
from kdio.report import report, table
from kdio.results import results
from kdio.run import bench
from kdio.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "ipsec"
P_UDP = {"alg": "cbc", "mode": "transport", "driver": "virtio", "proto": "udp", "len": 1400,
         "time": 2}
P_BAD = {**P_UDP, "driver": "aesni"}    # the badkeys record ran on AES-NI


def record(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def raw_of(out, rc=0):
    return {"rc": rc, "stdout": json.dumps(out) + "\n", "stderr": ""}


def test_good_xfrm_record_is_a_figure_on_the_pinned_driver():
    out = record("xfrm")
    s = ipsec.judge(out, P_UDP)
    assert s.status == "ok", s.message
    assert s.message == "driver virtio_crypto_aes_cbc"
    assert s.value == pytest.approx(out["iperf"]["received_bytes"] / out["iperf"]["seconds"])
    got = out["iperf"]["seen_packets"] - out["iperf"]["lost_packets"]
    assert s.metrics["pps"] == pytest.approx(got / out["iperf"]["seconds"])
    assert 0 < s.metrics["lost_pct"] < 100 and s.metrics["esp_packets"] >= got


def test_ike_record_is_judged_the_same_way():
    s = ipsec.judge(record("ike"), P_UDP)
    assert s.status == "ok" and s.message == "driver virtio_crypto_aes_cbc"


def test_sas_on_another_driver_are_an_error_not_a_figure():
    out = record("xfrm")
    out["refcnt_after"] = {"cbc-aes-aesni": 5, "virtio_crypto_aes_cbc": 1}
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and s.value is None
    assert "cbc-aes-aesni +4" in s.message and "not on virtio_crypto_aes_cbc" in s.message


def test_sas_split_between_drivers_are_an_error():
    out = record("xfrm")
    out["refcnt_after"] = {"cbc-aes-aesni": 2, "virtio_crypto_aes_cbc": 5}
    assert ipsec.judge(out, P_UDP).status == "error"


def test_no_reference_taken_at_all_is_an_error():
    out = record("xfrm")
    out["refcnt_after"] = dict(out["refcnt_before"])
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and "no driver" in s.message


def test_an_xfrm_stat_error_makes_the_case_an_error():
    out = record("xfrm")
    out["counters_after"][1]["xfrm_errors"] = {"XfrmInNoStates": 2}
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and s.errno == "EPROTO"
    assert "kdio-b/XfrmInNoStates=2" in s.message


def test_an_esp_packet_lost_between_the_sas_is_an_error():
    out = record("xfrm")
    sa = next(s for s in out["counters_after"][1]["states"] if s["src"] == "10.77.0.1")
    sa["packets"] -= 1
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and "arrived authenticated" in s.message


def test_veth_drops_account_for_missing_esp_packets():
    out = record("xfrm")
    sa = next(s for s in out["counters_after"][1]["states"] if s["src"] == "10.77.0.1")
    sa["packets"] -= 3
    out["counters_after"][1]["veth_rx_dropped"] = 3
    assert ipsec.judge(out, P_UDP).status == "ok"


def test_traffic_that_bypassed_the_sa_is_an_error():
    out = record("xfrm")
    for ns in out["counters_after"]:
        for sa in ns["states"]:
            if sa["src"] == "10.77.0.1":
                sa["packets"] = 10
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and "bypassed ESP" in s.message


def test_iperf_ends_that_disagree_are_an_error():
    out = record("xfrm")
    out["iperf"]["received_bytes"] += 1400
    s = ipsec.judge(out, P_UDP)
    assert s.status == "error" and "UDP counts disagree" in s.message
    out = record("xfrm")
    out["iperf"]["received_bytes"] = out["iperf"]["sent_bytes"] + 1
    assert "more than" in ipsec.judge(out, P_UDP).message


def test_mismatched_keys_fail_integrity_and_are_the_expected_error():
    out = record("badkeys")
    s = ipsec.judge(out, P_BAD)
    assert s.status == "error" and s.errno == "EBADMSG"
    assert "XfrmInStateProtoError" in s.message
    case = config.Case(suite="t", path="ipsec.badkeys", params=tuple(P_BAD.items()))
    r = results.case_result(case, [raw_of(out)], 1)
    assert r["status"] == "expected-error" and r["errno"] == "EBADMSG"


def test_the_negative_control_passing_is_an_error():
    case = config.Case(suite="t", path="ipsec.badkeys", params=tuple(P_UDP.items()))
    r = results.case_result(case, [raw_of(record("xfrm"))], 1)
    assert r["status"] == "error" and "mismatched keys" in r["message"]


def test_the_same_failure_on_a_normal_case_is_an_error():
    case = config.Case(suite="t", path="ipsec.xfrm", params=tuple(P_BAD.items()))
    r = results.case_result(case, [raw_of(record("badkeys"))], 1)
    assert r["status"] == "error" and r["errno"] == "EBADMSG"


def test_no_such_driver_is_skipped_with_the_tools_reason():
    out = {"tool": "ipsec-case", "sa": "xfrm", "errno": "ENOENT",
           "error": "no crypto driver named x; /proc/crypto lists them"}
    s = ipsec.parse(raw_of(out), P_UDP)
    assert s.status == "skipped" and "no crypto driver named x" in s.message


def test_output_that_is_not_a_case_record_is_an_error():
    s = ipsec.parse({"rc": 1, "stdout": "", "stderr": "Traceback: boom"}, P_UDP)
    assert s.status == "error" and "boom" in s.message


def test_baseline_without_ipsec():
    s = ipsec.judge(record("none"), P_UDP)
    assert s.status == "ok" and s.message is None and s.value > 0


# --- the guest side ---------------------------------------------------------------

PROC_CRYPTO = """name         : cbc(aes)
driver       : virtio_crypto_aes_cbc
module       : virtio_crypto
priority     : 401
refcnt       : 5
selftest     : passed

name         : cbc(aes)
driver       : cbc-aes-aesni
module       : aesni_intel
priority     : 400
refcnt       : 1

name         : aes
driver       : aes-generic
refcnt       : 1
"""

XFRM_STATE = """src 10.77.0.1 dst 10.77.0.2
	proto esp spi 0x00000100(256) reqid 1(0x00000001) mode transport
	replay-window 0 seq 0x00000000 flag  (0x00000000)
	auth-trunc hmac(sha256) 0x2222 (256 bits) 128
	enc cbc(aes) 0x1111(128 bits)
	lifetime config:
	  limit: soft (INF)(bytes), hard (INF)(bytes)
	lifetime current:
	  2591751(bytes), 1858(packets)
	  add 2026-12-01 15:25:01 use 2026-12-01 15:25:02
	stats:
	  replay-window 0 replay 0 failed 3
"""


def test_proc_crypto_refcounts_by_driver(tmp_path):
    f = tmp_path / "crypto"
    f.write_text(PROC_CRYPTO)
    entries = ipsecguest.proc_crypto(str(f))
    assert ipsecguest.refcounts("cbc(aes)", entries) == {"virtio_crypto_aes_cbc": 5,
                                                          "cbc-aes-aesni": 1}


def test_xfrm_state_parse():
    (s,) = ipsecguest.xfrm_states(XFRM_STATE)
    assert s == {"src": "10.77.0.1", "dst": "10.77.0.2", "spi": 256, "bytes": 2591751,
                 "packets": 1858, "failed": 3, "algs": ["hmac(sha256)", "cbc(aes)"]}


def test_proc_net_dev_drops():
    text = ("Inter-|   Receive\n face |bytes\n"
            " kdio-va: 100 2 0 7 0 0 0 0 200 3 0 9 0 0 0 0\n")
    assert ipsecguest.dev_drops(text, "kdio-va") == (7, 9)


def test_xfrm_commands_mismatch_only_the_inbound_keys():
    good = ipsecguest.xfrm_commands(0, "cbc", "tunnel", 128, False).splitlines()
    bad = ipsecguest.xfrm_commands(0, "cbc", "tunnel", 128, True).splitlines()
    assert good[0] == bad[0] and good[1] != bad[1] and good[2:] == bad[2:]
    assert "mode tunnel" in good[0] and "enc 'cbc(aes)'" in good[0]
    assert "spi 256" in good[0] and "spi 512" in good[1]
    gcm = ipsecguest.xfrm_commands(1, "gcm", "transport", 128, False)
    assert "aead 'rfc4106(gcm(aes))'" in gcm and "src 10.77.0.2 dst 10.77.0.1" in gcm


def test_swanctl_conf_names_the_esp_proposal():
    conf = ipsecguest.swanctl_conf(0, "gcm", "tunnel", 128)
    assert "esp_proposals = aes128gcm16" in conf and "mode = tunnel" in conf
    assert "local_addrs = 10.77.0.1" in conf and "remote_addrs = 10.77.0.2" in conf


def test_badinput_table_fails_a_row_that_expects_a_wrong_exit(monkeypatch, capsys):
    class R:
        def __init__(self, rc, err):
            self.returncode, self.stderr, self.stdout = rc, err, ""
    answers = {"unknown-driver": (3, "no crypto driver named kdio-no-such-driver; "
                                     "/proc/crypto lists them")}
    rows = ipsecguest.badinput_rows("T")
    by_argv = {tuple(a): answers.get(n, (rc, " ".join(w))) for n, a, rc, w in rows}
    monkeypatch.setattr(ipsecguest, "sh", lambda argv, check=True: R(*by_argv[tuple(argv)]))
    args = ipsecguest.parse_args(["badinput", "--cryptoprio", "T"])
    ipsecguest.run_badinput(args)
    good = capsys.readouterr().out
    assert "not ok" not in good and f"1..{len(rows)}" in good
    args = ipsecguest.parse_args(["badinput", "--cryptoprio", "T", "--wrong-row",
                                  "unknown-driver"])
    ipsecguest.run_badinput(args)
    assert "not ok 1 unknown-driver" in capsys.readouterr().out


# --- host side: sizes, plan, table, plots, report ------------------------------------

def test_esp_message_sizes():
    assert [ipsec_report.esp_message("cbc", "udp", n) for n in (64, 512, 1400)] == [80, 528, 1424]
    assert [ipsec_report.esp_message("gcm", "udp", n) for n in (64, 512, 1400)] == [76, 524, 1412]
    assert ipsec_report.esp_message("cbc", "tcp", 0) == 1424


def test_suites_list_the_crypto_sizes_the_report_looks_for():
    suite = config.load_suite("ipsec")
    msgs = {(c.param_dict["alg"], c.param_dict["msg"]) for c in suite.cases
            if c.path == "crypto.zerocopy"}
    for c in suite.cases:
        p = c.param_dict
        if c.path in ("ipsec.xfrm", "ipsec.ike") and p["mode"] == "transport":
            assert (p["alg"], ipsec_report.esp_message(p["alg"], p["proto"], p["len"])) in msgs


def test_plan_runs_the_guest_case_with_the_driver_name():
    suite = config.load_suite("ipsec-smoke")
    env = pathdef.GuestEnv(tools_dir="/t", file_size=suite.file_size)
    doc = plan.build(suite, env, "r")
    argv = next(c["argv"] for c in doc["cases"] if c["case"].startswith("ipsec.xfrm/"))
    assert argv[:3] == ["/usr/bin/python3", str(ipsec.GUEST), "case"]
    assert argv[argv.index("--driver") + 1] == "virtio_crypto_aes_cbc"
    assert argv[argv.index("--cryptoprio") + 1] == "/t/kdio-cryptoprio"
    bad = next(c["argv"] for c in doc["cases"] if c["case"].startswith("ipsec.badkeys/"))
    assert bad[bad.index("--keys") + 1] == "mismatched"
    assert [c["name"] for c in doc["checks"]] == ["ipsec-badinput"]


def test_counted_mode_refuses_ipsec_cases():
    from dataclasses import replace
    suite = replace(config.load_suite("ipsec-smoke"), measure=measure.COUNTED)
    with pytest.raises(ConfigError) as e:
        plan.check_cases(suite)
    assert "iperf3" in str(e.value)


def result(path, driver, value, **extra):
    p = {**P_UDP, "driver": driver, **extra}
    if path == "ipsec.none":
        p = {k: p[k] for k in ("proto", "len", "time")}
    if driver is None:
        p.pop("driver", None)
    return {"suite": "t", "case": f"{path}/{driver}/{p.get('len')}", "path": path,
            "params": p, "unit": "bytes/s", "baseline": path == "ipsec.none",
            "samples": [value], "summary": {"n": 1, "median": value, "min": value,
                                            "max": value, "cv": 0.0},
            "metrics": {"mbit_s": [value * 8 / 1e6], "pps": [value / 1400],
                        "lost_pct": [1.0]},
            "status": "ok", "errno": None, "message": None}


def crypto_result(driver, msg, ops):
    r = result("crypto.zerocopy", driver, ops * msg)
    r["params"] = {"alg": "cbc", "driver": driver, "key": 128, "msg": msg, "count": 500,
                   "qd": 1}
    r["metrics"] = {"ops_per_s": [ops]}
    return r


def doc_with(rs):
    return {"run_id": "r", "status": "ok", "failure": None, "results": rs,
            "context": {"suite": {"name": "ipsec"}, "measure": {"mode": "wall"}}}


DOC = doc_with([result("ipsec.xfrm", "virtio", 2e6), result("ipsec.xfrm", "aesni", 1e6),
                result("ipsec.xfrm", "virtio", 1e5, len=64),
                result("ipsec.xfrm", "aesni", 4e5, len=64),
                result("ipsec.none", None, 8e6), result("ipsec.none", None, 1e6, len=64),
                crypto_result("virtio", 1424, 100), crypto_result("aesni", 1424, 20000),
                crypto_result("virtio", 80, 100), crypto_result("aesni", 80, 30000)])


def test_table_has_the_traffic_columns_and_ratios():
    text = table.render(DOC)
    head = text.splitlines()[0]
    for col in ("Mbit/s", "pkt/s", "loss", "vs aesni", "vs ipsec.none"):
        assert col in head
    row = next(line for line in text.splitlines() if line.startswith("ipsec.xfrm/virtio/1400"))
    assert "2.00x" in row and "0.25x" in row and "16.0" in row


def test_plot_groups_draw_the_baseline_in_each_algorithms_plot():
    groups = ipsec_report.plot_groups(DOC)
    series = groups["cbc", 1]
    assert set(series) == {"ipsec.xfrm transport virtio", "ipsec.xfrm transport aesni",
                           "ipsec.none (no IPsec)"}
    assert series["ipsec.xfrm transport virtio"][0] == (64, 0.8, 0.8, 0.8)


def test_a_ratio_within_tcgs_noise_is_no_win():
    assert [ipsec_report._outcome(x) for x in (1.25, 1.1, 0.9, 0.8, None)] == [
        "win", "tie", "tie", "loss", None]


def test_report_says_where_the_device_won_and_whether_the_raw_figure_said_so(tmp_path):
    lines = ipsec_report.report_lines(DOC)
    text = "\n".join(lines)
    assert "emulated" in text and "natively" in text
    assert "Of 2 comparisons, virtio-crypto beat AES-NI" in text
    assert "in 1: ipsec.xfrm transport UDP 1400 B (2x)" in text and "lost in 1" in text
    assert "named the same winner in 1 of 2" in text
    md = report.markdown(DOC, [], tmp_path)
    assert "## IPsec ESP" in md


def test_a_users_driver_is_pinned_by_its_own_name():
    env = pathdef.GuestEnv(tools_dir="/t", file_size=1 << 20)
    argv = paths.PATHS["ipsec.xfrm"].argv({**P_UDP, "driver": "mydrv-cbc-aes"}, env)
    assert argv[argv.index("--driver") + 1] == "mydrv-cbc-aes"


# --- a real boot --------------------------------------------------------------------

@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ipsec")
    t0 = time.monotonic()
    doc, run_dir = bench.run(bench.Options(suite="ipsec-smoke", results_dir=out,
                                           run_id="ipsec"), log=print)
    return doc, run_dir, time.monotonic() - t0


def by_path(doc, path):
    return [r for r in doc["results"] if r["path"] == path]


@pytest.mark.integration
def test_smoke_sas_on_each_pinned_driver(smoke_run):
    doc, _, _ = smoke_run
    assert doc["status"] == "ok", doc["failure"]
    assert len(doc["results"]) == len(config.load_suite("ipsec-smoke").cases)
    for path in ("ipsec.xfrm", "ipsec.ike"):
        for r in by_path(doc, path):
            assert r["status"] == "ok", (r["case"], r["message"])
            want = pathdef.CRYPTO_DRIVERS[("cbc", r["params"]["driver"])]
            assert r["message"] == f"driver {want}"
            assert r["summary"]["median"] > 0


@pytest.mark.integration
def test_smoke_negative_control_and_baselines(smoke_run):
    doc, _, _ = smoke_run
    (bad,) = by_path(doc, "ipsec.badkeys")
    assert bad["status"] == "expected-error" and bad["errno"] == "EBADMSG", bad["message"]
    assert "XfrmInStateProtoError" in bad["message"]
    (none,) = by_path(doc, "ipsec.none")
    assert none["status"] == "ok", none["message"]
    for r in by_path(doc, "crypto.zerocopy"):
        assert r["status"] == "ok" and r["metrics"]["verified"] == [1]


@pytest.mark.integration
def test_smoke_cryptoprio_refusals(smoke_run, summary):
    doc, run_dir, wall = smoke_run
    check = next(c for c in doc["checks"] if c["name"] == "ipsec-badinput")
    assert check["ok"], check["detail"]
    summary.append(f"ipsec: {len(doc['results'])} cases, negative control EBADMSG, "
                   f"refusals {check['detail']}, wall {wall:.0f} s")


@pytest.mark.integration
def test_sas_pinned_to_another_driver_than_the_label_are_an_error(tmp_path):
    """The driver check's negative control, in a real guest."""
    suite = Path(__file__).parent / "fixtures" / "suites" / "ipsec-mispinned.toml"
    doc, _ = bench.run(bench.Options(suite=str(suite), results_dir=tmp_path,
                                     run_id="mispinned"), log=print)
    (r,) = doc["results"]
    assert r["status"] == "error" and r["summary"] is None, r["message"]
    assert "cbc-aes-aesni +4" in r["message"] and "not on virtio_crypto_aes_cbc" in r["message"]
