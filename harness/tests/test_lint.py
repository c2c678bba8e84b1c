"""make lint inside make test: the modules pass sparse and W=1 on each
Debian kernel kdio builds for, every shell script passes shellcheck and
the harness pyflakes, with no finding. Each linter is also shown to find
a planted defect, so a clean result means clean code, not a linter that
did not run."""

import shutil

import pytest

from kdio.kernel import build, kernel
from kdio.model import config
from kdio.run import lint

KERNELS = ("debian-6.1", "debian-6.12")


def test_the_shell_scripts_are_found_and_pass_shellcheck():
    scripts = lint.shell_scripts()
    names = {p.relative_to(build.TOP).as_posix() for p in scripts}
    assert {"ci/bootstrap.sh", ".ci/run", "harness/kdio/guest/init"} <= names
    assert [str(f) for f in lint.shellcheck(scripts)] == []


def test_shellcheck_finds_a_planted_defect(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("#!/bin/sh\nrm -rf $1/tmp\n")
    assert lint.shell_scripts(tmp_path) == [bad]
    found = lint.shellcheck([bad])
    assert found and "SC2086" in found[0].text


def test_the_harness_passes_pyflakes():
    files = lint.python_files()
    assert len(files) > 50 and build.TOP / "harness" / "kdio" / "run" / "lint.py" in files
    assert [str(f) for f in lint.pyflakes(files)] == []


def test_pyflakes_finds_a_planted_defect(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\nprint(undefined_name)\n")
    found = [f.text for f in lint.pyflakes([bad])]
    assert any("'os' imported but unused" in t for t in found)
    assert any("undefined name 'undefined_name'" in t for t in found)


def test_module_findings_keep_kdio_files_and_kbuild_warnings_only(tmp_path):
    out = tmp_path.resolve()
    lines = [f"{out}/dio/main.c:12:5: warning: symbol 'x' was not declared. Should it be static?",
             "/usr/src/linux-headers/include/linux/foo.h:3:1: warning: from the kernel's header",
             f"/usr/src/common/scripts/Makefile.build:234: {out}/Kbuild: a.o is added to "
             "multiple modules: m1 m2",
             "WARNING: modpost: missing MODULE_LICENSE() in kdio_x.o",
             "  CC [M]  dio/main.o"]
    found = [f.text for f in lint.module_findings(lines, out)]
    assert found == ["modules/dio/main.c:12:5: warning: symbol 'x' was not declared. "
                     "Should it be static?", lines[2], lines[3]]


@pytest.fixture(scope="module", params=KERNELS)
def tree(request):
    return kernel.fetch(config.load_kernel(request.param), log=lambda m: None)


@pytest.mark.integration
def test_the_modules_pass_sparse_and_w1(tree):
    assert [str(f) for f in lint.modules(tree)] == []


@pytest.mark.integration
def test_module_lint_finds_a_planted_defect(tree, tmp_path):
    """A copy of modules/ with a function that sparse calls undeclared and
    a variable W=1 calls set but not used."""
    src = tmp_path / "modules"
    shutil.copytree(build.TOP / "modules", src)
    with open(src / "dio" / "null.c", "a") as f:
        f.write("\nint kdio_lint_planted(void)\n{\n\tint unused;\n\n\tunused = 1;\n\treturn 0;\n}\n")
    found = [f.text for f in lint.modules(tree, src)]
    assert any("dio/null.c" in t and "kdio_lint_planted" in t and "static" in t for t in found)
    assert any("dio/null.c" in t and "unused" in t for t in found)


@pytest.mark.integration
def test_a_module_lint_that_cannot_run_is_a_finding(tree, tmp_path):
    """A make lint that checks nothing (here: its target lost its recipe, so
    make has nothing to do and exits 0) is not a clean result."""
    src = tmp_path / "modules"
    shutil.copytree(build.TOP / "modules", src)
    mk = src / "Makefile"
    mk.write_text(mk.read_text().replace("\nlint: check-dirs", "\nlint-gone: check-dirs"))
    found = [f.text for f in lint.modules(tree, src)]
    assert len(found) == 1 and "make lint ran sparse on no file" in found[0]
    assert "Nothing to be done for 'lint'" in found[0]
