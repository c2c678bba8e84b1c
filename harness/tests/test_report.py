"""Reports generated from a recorded result document."""


from kdio.model import config
from kdio.report import plot, report
from kdio.results import results
from kdio.run import bench
from kdio.vm import vm


def finished_doc(fixtures, tmp_path, console="console-good.log", records="records-smoke.jsonl"):
    suite = config.load_suite("smoke")
    recs = results.read_records(fixtures / records)
    ctx = {"kdio_git_sha": "abc", "kernel": {"name": "debian-6.1", "release": "6.1.0-56-amd64",
                                             "version": "6.1.192-2"},
           "qemu_version": "7.2", "accelerator": "tcg", "guest": {"cpus": 2, "memory_mib": 1024},
           "host_cpu": "cpu", "date": "2026-11-22", "command_line": "kdio bench",
           "suite": {"name": "smoke"}}
    doc = {"schema_version": 1, "run_id": "r1", "status": "running", "failure": None,
           "context": ctx, "results": results.build_results(suite, recs)}
    outcome = vm.VmOutcome(0, False, 1.0, (fixtures / console).read_text())
    return bench.finish(doc["run_id"], suite, doc["context"], outcome, recs, tmp_path)


def test_markdown_has_context_table_and_plots(fixtures, tmp_path):
    doc = finished_doc(fixtures, tmp_path)
    drawn = plot.draw_all(doc, tmp_path / "plots")
    md, page = report.write(doc, drawn, tmp_path)
    text = md.read_text()
    assert "6.1.0-56-amd64 (6.1.192-2)" in text and "Run finished" in text
    results_part, latency_part = text.split("## Latency")
    assert results_part.count("| dio.vmmap/") == 4
    # the latency table: kdio's and fio's rows side by side, p50 to max
    assert latency_part.count("| dio.vmmap/") == 4 and latency_part.count("| fio.psync/") == 4
    assert "| case | status | I/Os | clat_p50 | clat_p90 | clat_p99 | clat_p99.9 | clat_max |" \
        in latency_part
    assert "![throughput-write-ext4-qd1](plots/throughput-write-ext4-qd1.png)" in text
    html = page.read_text()
    assert html.count("<img src='plots/") == 4 and "<table>" in html
    assert "<h2>Latency</h2>" in html and "<th>clat_p99.9</th>" in html


def test_failed_run_says_why(fixtures, tmp_path):
    doc = finished_doc(fixtures, tmp_path, "console-panic.log", "records-panic.jsonl")
    text = report.markdown(doc, [], tmp_path)
    assert "RUN FAILED: guest kernel panic: sysrq triggered crash (during crash/sysrq)" in text
    assert "skipped: not run" in text


def chromium(*args):
    import subprocess
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", "--disable-quic",
                           "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=120)


def test_html_report_loads_every_plot_in_a_browser(fixtures, tmp_path):
    doc = finished_doc(fixtures, tmp_path)
    drawn = plot.draw_all(doc, tmp_path / "plots")
    _, page = report.write(doc, drawn, tmp_path)
    r = chromium(f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri())
    assert 'data-images-loaded="4/4"' in r.stdout, r.stderr[-500:]
    (tmp_path / "plots" / "throughput-read-ext4-qd1.png").unlink()
    r = chromium(f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri())
    assert 'data-images-loaded="3/4"' in r.stdout
