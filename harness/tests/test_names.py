"""The measured dio methods and xfer channels are named once, in the C
headers' X() lists: the tools' own lists (kdio-dio -L, kdio-xfer -L,
built from those lists) and the harness's (kdio.model.names, and the paths made
from it) must agree, and the comparison must see a name gone missing."""

import subprocess

import pytest

from kdio.kernel import build
from kdio.model import names
from kdio.paths import paths


@pytest.fixture(scope="module")
def tools():
    out, warnings = build.build_tools(log=lambda m: None)
    assert warnings == []
    return out


def listed(tool):
    r = subprocess.run([str(tool), "-L"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


@pytest.mark.parametrize("tool, harness", [("kdio-dio", names.DIO_METHODS),
                                           ("kdio-xfer", names.XFER_CHANNELS)])
def test_tool_and_harness_agree(tools, tool, harness):
    got = listed(tools / tool)
    assert names.disagreement(got, harness) is None
    # negative controls: one name missing on either side, or two swapped
    assert names.disagreement(got, harness[:-1]) == \
        f"the tool lacks [] and has ['{harness[-1]}'] the harness does not"
    assert names.disagreement(got[1:], harness) == \
        f"the tool lacks ['{harness[0]}'] and has [] the harness does not"
    assert "another order" in names.disagreement([got[1], got[0], *got[2:]], harness)


def test_every_name_is_a_path():
    for m in names.DIO_METHODS:
        assert paths.PATHS[f"dio.{m}"].name == f"dio.{m}"
    for c in names.XFER_CHANNELS:
        assert paths.PATHS[f"xfer.{c}"].family == "channel"
    assert [p for p in paths.PATHS if p.startswith("dio.")] == \
        [f"dio.{m}" for m in names.DIO_METHODS]
    assert [p for p in paths.PATHS if p.startswith("xfer.")] == \
        [f"xfer.{c}" for c in names.XFER_CHANNELS]


def test_the_lists_as_written():
    assert names.DIO_METHODS[:2] == ("null", "vmmap")
    assert "bvec-async" in names.DIO_METHODS and "relay-mmap" in names.XFER_CHANNELS
    assert paths.PATHS["dio.bvec-async"].queued
    assert paths.PATHS["dio.kvec-kmalloc"].expect_errno == "EFAULT"


def test_parser_reads_only_the_list():
    text = ('#define KDIO_DIO_METHODS(X)\t\\\n'
            '\tX(NULL, null, "null")\t/* X(no, "comment") */ \\\n'
            '\tX(A_B, a_b, "a-b")\n'
            'X(OTHER, other, "not-in-the-list")\n')
    assert names.x_list(text, "KDIO_DIO_METHODS") == ("null", "a-b")
    with pytest.raises(names.NamesError):
        names.x_list(text, "KDIO_XFER_CONSUMERS")
