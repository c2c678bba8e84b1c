"""kdio.where is the one module that computes a path from its own location:
a file moved is one line there, not a parents[n] in each module."""

import re

from kdio import where


def anchored(text):
    """Lines computing a path from the module's own file."""
    return [line for line in text.splitlines()
            if re.search(r"\bPath\(__file__\)|os\.path\.\w+\(__file__\)", line)]


def test_only_where_computes_paths_from_its_own_file():
    modules = sorted(where.PACKAGE.rglob("*.py"))
    assert len(modules) > 40
    found = {str(m.relative_to(where.PACKAGE)): anchored(m.read_text()) for m in modules
             if m.name != "where.py"}
    assert {k: v for k, v in found.items() if v} == {}
    assert anchored(where.PACKAGE.joinpath("where.py").read_text())


def test_the_check_sees_an_anchor():
    assert anchored('TOP = Path(__file__).resolve().parents[2]')
    assert anchored('d = os.path.dirname(__file__)')
    assert not anchored('std = os.path.dirname(os.__file__)')


def test_every_named_place_exists():
    for name in ("TOP", "HARNESS", "PACKAGE", "SUITES", "KERNELS", "GUEST", "KCONFIG_FRAGMENT",
                 "SCHEMA", "GUEST_RUNNER", "IPSEC_GUEST", "HOST_JOB", "CI", "PACKAGES"):
        assert getattr(where, name).exists(), name


def test_the_cache_follows_kdio_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("KDIO_CACHE", str(tmp_path))
    assert where.cache() == tmp_path
    monkeypatch.delenv("KDIO_CACHE")
    assert where.cache() == where.TOP / ".cache"
