"""Run `kdio bench` command lines in one process (each start of python in a
TCG guest costs tens of seconds) and print, per command line, one JSON line
with its name, exit status and what it printed. A command line given with
"uid" runs with that effective user id (the not-root refusal).

    python3 tests/host_refusals.py FILE.json   # [{"name", "argv", "uid"?}, ...]
"""

import contextlib
import io
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kdio import cli  # noqa: E402


def run_one(item):
    out = io.StringIO()
    if "uid" in item:
        os.seteuid(item["uid"])
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = cli.main(item["argv"])
    except SystemExit as e:  # argparse
        rc = e.code
    finally:
        if "uid" in item:
            os.seteuid(0)
    return {"name": item["name"], "rc": rc, "output": out.getvalue()}


def main(path):
    for item in json.loads(Path(path).read_text()):
        print(json.dumps(run_one(item)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
