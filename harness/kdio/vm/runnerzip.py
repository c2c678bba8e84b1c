"""The guest runner as one zip: guestrun.py as __main__.py beside the
compiled standard-library modules it imports, taken from the guest's own
interpreter (/usr/bin/python3 of the host root the guest shares).

Under TCG every module python imports from the 9p share is a chain of
cold lookups and reads: json, os and subprocess took 4.9 s of a loaded
guest's boot. From a zip in the guest's tmpfs they are one file read. The
bytes are the interpreter's own .pyc files, so the same code runs; a module
missing from the zip is imported from the share as before.
"""

import subprocess
import zipfile
from pathlib import Path

from kdio.errors import BuildError

GUEST_PYTHON = "/usr/bin/python3"
# Run by GUEST_PYTHON: run the runner's top level (its imports, not its
# main) and name each stdlib source module's .pyc, one "zip name<TAB>pyc"
# a line; the lister imports nothing of its own, so the list is the runner's.
_LIST = """
import os, sys
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), {"__name__": "kdio_list"})
std, tag = os.path.dirname(os.__file__) + "/", sys.implementation.cache_tag
for name, mod in sorted(sys.modules.items()):
    spec = getattr(mod, "__spec__", None)
    origin = getattr(spec, "origin", None) or ""
    if origin.startswith(std) and origin.endswith(".py") and "-packages/" not in origin:
        pkg = spec.submodule_search_locations is not None
        head, base = os.path.split(origin)
        pyc = f"{head}/__pycache__/{base[:-3]}.{tag}.pyc"
        print(name.replace(".", "/") + ("/__init__.pyc" if pkg else ".pyc") + "\t" + pyc)
"""


def stdlib_pycs(runner, python=GUEST_PYTHON):
    """[(name in the zip, .pyc path)] of the stdlib modules runner imports."""
    r = subprocess.run([python, "-I", "-S", "-c", _LIST, str(runner)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise BuildError(f"cannot list the guest runner's imports with {python}: "
                         f"{r.stderr.strip()[-300:]}", f"check that {python} runs {runner}")
    return [(arc, Path(pyc)) for arc, pyc in
            (line.split("\t") for line in r.stdout.splitlines() if line)]


def build(out, runner, python=GUEST_PYTHON):
    """Write the runner zip to out; return its path."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.write(runner, "__main__.py")
        for arc, pyc in stdlib_pycs(runner, python):
            if pyc.exists():  # no cached .pyc: the guest imports it from the share
                z.write(pyc, arc)
    return Path(out)
