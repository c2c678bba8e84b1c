"""Reports generated from a recorded result document."""


from kdio.model import config
from kdio.report import plot, report
from kdio.report import profile as profile_report
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


def console_messages(stderr):
    """The page's console messages in chromium's log (--enable-logging)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_the_report_in_a_browser_opens_with_its_headline_and_no_console_message(fixtures,
                                                                                  tmp_path):
    doc = finished_doc(fixtures, tmp_path)
    drawn = plot.draw_all(doc, tmp_path / "plots")
    _, page = report.write(doc, drawn, tmp_path)
    logging = ("--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}")
    r = chromium(*logging, "--dump-dom", page.as_uri())
    assert console_messages(r.stderr) == [], console_messages(r.stderr)
    assert "<section id=\"headline\"><h2>What the run found</h2>" in r.stdout
    assert "12 of 12 case(s) ok" in r.stdout and 'data-images-loaded="4/4"' in r.stdout
    shot = tmp_path / "report.png"
    chromium(f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
             f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20000
    # negative control: a page whose script fails is caught by the same check
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("</body>", "<script>no_such()</script></body>"))
    r = chromium(*logging, "--dump-dom", broken.as_uri())
    assert any("no_such is not defined" in m for m in console_messages(r.stderr))


def _summary(ok=True):
    layers = {"copy": 600, "block": 300, "kernel": 100}
    return {"ok": ok, "problems": [] if ok else ["x rep 1: 1 window(s) opened and never closed"],
            "cases": {
                "dio.vmmap/op=read/bs=1m/size=32m/backend=brd": {
                    "windows": 10, "in_insns": 1000, "layers": layers, "samples": 1},
                "dio.vmmap/op=write/bs=1m/size=8m/backend=brd": {
                    "windows": 10, "in_insns": 1000, "layers": layers, "samples": 1},
                "xfer.read/msg=4k/count=100": {"windows": 0, "in_insns": 0, "layers": {},
                                               "samples": 1}}}


def test_a_profiled_runs_report_says_where_the_cost_goes(fixtures, tmp_path):
    """The layer table (shares per case), gnuplot's stacked bars, and the
    paths with no window named; a run without a profile has no section."""
    doc = finished_doc(fixtures, tmp_path)
    drawn = profile_report.draw_layers(_summary(), tmp_path / "plots")
    assert [p.name for p in drawn] == ["where-the-cost-goes.png", "where-the-cost-goes.svg"]
    assert all(p.stat().st_size > 1000 for p in drawn)
    text = report.markdown(doc, drawn, tmp_path, _summary())
    section = text[text.index("## Where the cost goes"):]
    assert text.index("## What the run found") < text.index("## Plots") < \
        text.index("## Results") < text.index("## Where the cost goes")
    assert "| case | insns/window | copy % | block % | kernel % |" in section
    # the labels keep what differs between cases (op, size), not what all share
    assert "| dio.vmmap/op=read/size=32m | 100 | 60.0 | 30.0 | 10.0 |" in section
    assert "| dio.vmmap/op=write/size=8m | 100 | 60.0 | 30.0 | 10.0 |" in section
    assert "![where-the-cost-goes](plots/where-the-cost-goes.png)" in section
    assert "nothing to attribute): xfer.read/msg=4k/count=100" in section
    assert "where-the-cost-goes" not in text[text.index("## Plots"):text.index("## The run")]
    page = report.html_page(doc, drawn, tmp_path, _summary(ok=False))
    assert "<h2>Where the cost goes</h2>" in page and "its checks FAILED: x rep 1" in page
    assert "<img src='plots/where-the-cost-goes.svg'" in page
    assert "Where the cost goes" not in report.markdown(doc, [], tmp_path)
    assert profile_report.draw_layers({"cases": {}}, tmp_path / "none") == []
