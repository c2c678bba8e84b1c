"""Crash-safe runs, with real guests: QEMU killed mid-suite, the guest
kernel panicking mid-suite (test-only module parameter), and the host's
results folder filling up. Each run is marked failed with its reason, the
console log is kept, every record measured before the fault is in
result.json, and no result file is ever half-written."""

import json
import subprocess
import threading
import time

import pytest

from kdio.results import results
from kdio.run import bench

pytestmark = pytest.mark.integration


def run_in_thread(opts):
    box = {}

    def target():
        try:
            box["doc"], box["dir"] = bench.run(opts, log=print)
        except Exception as e:  # handed to the test
            box["error"] = e
    t = threading.Thread(target=target)
    t.start()
    return t, box


def wait_for_samples(records, n, timeout=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if sum(1 for r in results.read_records(records) if r.get("type") == "sample") >= n:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} samples after {timeout} s")


def test_qemu_killed_mid_suite(tmp_path):
    opts = bench.Options(suite="smoke", results_dir=tmp_path, run_id="killed")
    thread, box = run_in_thread(opts)
    share = tmp_path / "killed" / "guest"
    wait_for_samples(share / "records.jsonl", 4)
    subprocess.run(["pkill", "-9", "-f", f"path={share},"], check=True)
    thread.join(120)
    doc = box["doc"]
    assert doc["status"] == "failed"
    assert "QEMU killed or crashed" in doc["failure"]["reason"]
    saved = results.load(tmp_path / "killed" / "result.json")
    assert sum(len(r["samples"]) for r in saved["results"]) >= 4
    assert "kdio: case" in (tmp_path / "killed" / "console.log").read_text()


def test_guest_panic_mid_suite(tmp_path):
    doc, run_dir = bench.run(bench.Options(suite="smoke", results_dir=tmp_path, run_id="panic",
                                           module_params=("kdio_dio.panic_after_calls=600",)),
                             log=print)
    assert doc["status"] == "failed"
    assert doc["failure"]["reason"].startswith("guest kernel panic: kdio_dio: panic_after_calls")
    assert doc["failure"]["last_case"].startswith("dio.")
    saved = results.load(run_dir / "result.json")
    measured = [r for r in saved["results"] if r["samples"]]
    assert measured and any(len(r["samples"]) < 3 for r in saved["results"])
    assert "Kernel panic" in (run_dir / "console.log").read_text()


@pytest.fixture
def tiny_results_dir(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    # make test runs as root: a tmpfs that cannot be mounted is a failure, not a skip
    assert r.returncode == 0, f"cannot mount a tmpfs: {r.stderr.strip()}"
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_results_folder_full(tiny_results_dir):
    with pytest.raises(results.ResultsWriteError) as e:
        bench.run(bench.Options(suite="smoke", results_dir=tiny_results_dir, run_id="full"),
                  log=print)
    assert "No space left" in str(e.value)
    run_dir = tiny_results_dir / "full"
    assert (run_dir / "console.log").exists()
    # written while it still fitted, and left whole when the next write did not
    json.loads((run_dir / "result.json").read_text())
    assert not list(run_dir.glob(".*.tmp"))
