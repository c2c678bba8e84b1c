"""The linters kdio's own code passes with no finding (make lint).

- the modules: sparse (kbuild's C=1) and kbuild's W=1 warnings, built
  against a kernel's headers (modules/Makefile's lint target);
- every shell script in the tree (found by its #! line, so a new one is
  linted without being listed): shellcheck;
- the harness: pyflakes.

Each linter's findings are its own output lines, so a finding reads as the
linter printed it, with file and line.
"""

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kdio.kernel import build

SKIP_DIRS = {".git", ".cache", "build", "results", "__pycache__"}
SHELLS = re.compile(rb"^#!\s*/(usr/)?bin/(env\s+)?(ba|da)?sh\b")
# What kbuild prints for a finding: file:line:col: warning|error: text
COMPILER = re.compile(r"^(?P<file>[^\s:]+):\d+(:\d+)?: (warning|error): ")
# What make prints for a kbuild $(warning ...): Makefile.build:234: text
MAKE_WARNING = re.compile(r"^\S*Makefile[.\w]*:\d+: ")


@dataclass(frozen=True)
class Finding:
    linter: str
    text: str

    def __str__(self):
        return f"{self.linter}: {self.text}"


def _walk(root):
    for p in sorted(root.iterdir()):
        if p.is_dir():
            if p.name not in SKIP_DIRS and not p.is_symlink():
                yield from _walk(p)
        elif p.is_file():
            yield p


def shell_scripts(root=build.TOP):
    """Every file under root whose first line runs sh, bash or dash."""
    out = []
    for p in _walk(root):
        with open(p, "rb") as f:
            if SHELLS.match(f.readline()):
                out.append(p)
    return out


def python_files(root=build.TOP / "harness"):
    return [p for p in _walk(root) if p.suffix == ".py"]


def _lines(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.returncode, [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]


def shellcheck(paths):
    if not paths:
        return []
    rc, lines = _lines(["shellcheck", "--format=gcc", *map(str, paths)])
    found = [Finding("shellcheck", ln) for ln in lines]
    if rc and not found:
        found.append(Finding("shellcheck", f"exited {rc} with no output"))
    return found


def pyflakes(paths):
    if not paths:
        return []
    rc, lines = _lines(["pyflakes3", *map(str, paths)])
    found = [Finding("pyflakes", ln) for ln in lines]
    if rc and not found:
        found.append(Finding("pyflakes", f"exited {rc} with no output"))
    return found


def module_findings(lines, build_dir):
    """The warnings and errors of a lint build that point into kdio's own
    sources (copied into build_dir), and any line saying make failed."""
    found = []
    for ln in lines:
        m = COMPILER.match(ln)
        if m and str(Path(m["file"]).resolve()).startswith(str(build_dir)):
            found.append(Finding("modules", ln.replace(str(build_dir) + "/", "modules/")))
        elif m is None and ("warning:" in ln.lower() or MAKE_WARNING.match(ln)
                            or re.search(r"\*\*\* .*Error \d+", ln)):
            found.append(Finding("modules", ln))
    return list(dict.fromkeys(found))     # make lint prints its findings twice


def modules(tree, src=build.TOP / "modules"):
    """sparse and W=1 on the modules, built against tree's headers in a
    scratch folder; the sources are not touched."""
    with tempfile.TemporaryDirectory(prefix="kdio-lint-") as tmp:
        out = Path(tmp).resolve()
        common = [f"KCOMMON={tree.headers_common_dir}"] if tree.headers_common_dir else []
        rc, lines = _lines(["make", "--no-print-directory", "-C", str(src), "lint",
                            f"KDIR={tree.headers_dir}", *common, f"BUILD={out / 'm'}"])
        found = module_findings(lines, out / "m-lint")
        if rc and not found:    # make failed in a way no line above names
            found.append(Finding("modules", f"make lint exited {rc}: "
                                 + " / ".join(lines[-3:] or ["no output"])))
        elif not any(ln.split()[:1] == ["CHECK"] for ln in lines):
            found.append(Finding("modules", "make lint ran sparse on no file: "
                                 + " / ".join(lines[-3:] or ["no output"])))
        return found


def everything(trees, log=print):
    found = []
    for tree in trees:
        log(f"lint: modules against {tree.spec.release} (sparse, W=1)")
        found += modules(tree)
    scripts = shell_scripts()
    log(f"lint: {len(scripts)} shell scripts (shellcheck)")
    found += shellcheck(scripts)
    py = python_files()
    log(f"lint: {len(py)} Python files (pyflakes)")
    found += pyflakes(py)
    return found
