"""The layout page's tables of tools, suites and kernels name exactly what
exists: a tool, suite or kernel added without a row, or a row left behind
by one that was removed or renamed, fails here. The README is a front page
whose every link, and every link between the docs/ pages, lands on a
heading that exists."""

import re
import tomllib

from kdio.kernel import build

README = build.TOP / "README.md"
DOCS = build.TOP / "docs"
LAYOUT = DOCS / "layout.md"
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| (?P<second>[^|]+?) \|")


def table(text, heading):
    """{name: second column} of the table under '## heading'."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n#", 1)[0]
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
    listed, real = table(LAYOUT.read_text(), "Tools"), tools()
    assert len(real) >= 11
    assert differences(listed, real) == ([], [])
    assert listed == real


def test_the_readme_lists_every_suite_with_its_measure():
    listed, real = table(LAYOUT.read_text(), "Suites"), suites()
    assert len(real) >= 12
    assert differences(listed, real) == ([], [])
    assert listed == real


def test_the_readme_lists_every_kernel():
    listed = table(LAYOUT.read_text(), "Kernels")
    assert len(kernels()) >= 3
    assert differences(listed, kernels()) == ([], [])


def test_a_missing_row_and_a_stale_row_are_both_found():
    text = LAYOUT.read_text()
    text = text.replace("| `kdio-fuzz` | checks |", "| `kdio-fuzzer` | checks |")
    text = text.replace("| `xfer-counted` | counted |", "| `xfer-counted` | wall |")
    assert differences(table(text, "Tools"), tools()) == (["kdio-fuzzer"], ["kdio-fuzz"])
    assert table(text, "Suites") != suites()


LINK = re.compile(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)")


def slug(heading):
    """GitHub's anchor of a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower()).replace(" ", "-")


def anchors(page):
    """The anchors of page's headings (outside code fences)."""
    out, fence = set(), False
    for line in page.read_text().splitlines():
        fence = fence != line.startswith("```")
        if not fence and line.startswith("#"):
            out.add(slug(line))
    return out


def broken_links(page):
    """(target, anchor) of each link in page to a local file or heading
    that does not exist."""
    bad = []
    for target, anchor in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        dest = (page.parent / target) if target else page
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in anchors(dest)):
            bad.append((target, anchor))
    return bad


def test_every_link_of_the_front_page_and_the_docs_lands():
    pages = [README, *sorted(DOCS.glob("*.md"))]
    assert len(pages) >= 12
    assert sum(len(LINK.findall(p.read_text())) for p in pages) >= 20
    assert {p.name: broken_links(p) for p in pages if broken_links(p)} == {}


def test_the_front_page_is_short_and_links_every_doc():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    assert "## The two commands" in text
    linked = {t for t, _ in LINK.findall(text)}
    assert {f"docs/{p.name}" for p in DOCS.glob("*.md")} <= linked


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "a.md").write_text("# A page\n\n[b](b.md#there) [c](c.md) [self](#a-page) "
                                   "[gone](#nowhere)\n")
    (tmp_path / "b.md").write_text("# Not there\n")
    assert broken_links(tmp_path / "a.md") == [("b.md", "there"), ("c.md", ""),
                                               ("", "nowhere")]
    assert slug("## Result schema (`result.json`, schema_version 1)") == \
        "result-schema-resultjson-schema_version-1"
