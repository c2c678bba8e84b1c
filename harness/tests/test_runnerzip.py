"""The guest runner zip: guestrun as __main__ with the interpreter's own
.pyc files of the stdlib modules it imports, which the runner then imports
from the zip, not from the (9p) standard library."""

import json
import subprocess
import sys
import zipfile

from kdio.run import bench
from kdio.vm import runnerzip


def test_the_zip_holds_the_runner_and_its_imports(tmp_path):
    z = zipfile.ZipFile(runnerzip.build(tmp_path / "runner.zip", bench.RUNNER))
    names = set(z.namelist())
    assert z.read("__main__.py") == bench.RUNNER.read_bytes()
    assert {"json/__init__.pyc", "json/decoder.pyc", "subprocess.pyc", "re/__init__.pyc"} <= names
    assert "platform.pyc" not in names and not any("site" in n for n in names)


def test_the_runner_runs_from_the_zip_and_imports_from_it(tmp_path):
    zipped = runnerzip.build(tmp_path / "runner.zip", bench.RUNNER)
    (tmp_path / "plan.json").write_text(json.dumps({"repetitions": 1, "cases": [],
                                                    "setup": [], "checks": []}))
    r = subprocess.run([runnerzip.GUEST_PYTHON, "-I", "-S", "-v", str(zipped),
                        str(tmp_path / "plan.json")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-500:]
    assert "kdio: runner done" in r.stdout
    from_zip = {line.split("'")[1] for line in r.stderr.splitlines()
                if line.startswith("import '") and "zipimporter" in line}
    assert {"json", "json.decoder", "subprocess", "re"} <= from_zip


def test_a_runner_that_does_not_start_is_a_build_error(tmp_path):
    import pytest
    from kdio.errors import BuildError
    bad = tmp_path / "bad.py"
    bad.write_text("import no_such_module_kdio\n")
    with pytest.raises(BuildError):
        runnerzip.build(tmp_path / "runner.zip", bad, python=sys.executable)
