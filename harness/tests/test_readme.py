"""The README's tables of tools, suites and kernels name exactly what
exists: a tool, suite or kernel added without a row, or a row left behind
by one that was removed or renamed, fails here."""

import re
import tomllib

from kdio import build

README = build.TOP / "README.md"
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| (?P<second>[^|]+?) \|")


def table(text, heading):
    """{name: second column} of the table under '### heading'."""
    section = text.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]
    return {m["name"]: m["second"].strip() for m in map(ROW.match, section.splitlines()) if m}


def tools():
    """{tool: folder} from each userspace folder's PROGS."""
    out = {}
    for mk in sorted((build.TOP / "userspace").glob("*/Makefile")):
        m = re.search(r"^PROGS\s*:=\s*(.+)$", mk.read_text(), re.M)
        out.update(dict.fromkeys(m[1].split(), mk.parent.name))
    return out


def _tomls(folder):
    return [tomllib.loads(p.read_text()) for p in sorted((build.TOP / "harness" / folder).glob("*.toml"))]


def suites():
    return {d["name"]: d.get("measure", "wall") for d in _tomls("suites")}


def kernels():
    return {d["name"] for d in _tomls("kernels")}


def differences(listed, existing):
    """What the README lists that does not exist, and what exists unlisted."""
    return sorted(set(listed) - set(existing)), sorted(set(existing) - set(listed))


def test_the_readme_lists_every_tool_in_its_folder():
    listed, real = table(README.read_text(), "Tools"), tools()
    assert len(real) >= 11
    assert differences(listed, real) == ([], [])
    assert listed == real


def test_the_readme_lists_every_suite_with_its_measure():
    listed, real = table(README.read_text(), "Suites"), suites()
    assert len(real) >= 12
    assert differences(listed, real) == ([], [])
    assert listed == real


def test_the_readme_lists_every_kernel():
    listed = table(README.read_text(), "Kernels")
    assert len(kernels()) >= 3
    assert differences(listed, kernels()) == ([], [])


def test_a_missing_row_and_a_stale_row_are_both_found():
    text = README.read_text()
    text = text.replace("| `kdio-fuzz` | checks |", "| `kdio-fuzzer` | checks |")
    text = text.replace("| `xfer-counted` | counted |", "| `xfer-counted` | wall |")
    assert differences(table(text, "Tools"), tools()) == (["kdio-fuzzer"], ["kdio-fuzz"])
    assert table(text, "Suites") != suites()
