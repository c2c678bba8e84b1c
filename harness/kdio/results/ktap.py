"""KTAP, the kernel's test output format (Documentation/dev-tools/ktap.rst),
as kdio's bad-input tools and fuzzer print it, parsed strictly.

A document is a "KTAP version 1" line, a "1..N" plan, then N result lines
"ok|not ok NUMBER DESCRIPTION[ # DIRECTIVE|DATA]" numbered from 1, with "#"
diagnostic lines before the result they are about. A nested test's lines
(its own version line, plan and results) are indented deeper than its
parent's, and its parent's result line follows them.

What kdio puts after the "#" of a result: a directive (SKIP, TODO, XFAIL,
TIMEOUT, ERROR) and its reason, or space-separated key=value fields
(`expected=EINVAL got=EINVAL`, `calls=5000 hangs=0`), read into
Result.fields.

The tools print nothing else on their standard output, so anything that is
not one of these lines, a missing header or plan, a plan the results do not
match, or results out of order raises KtapError: a check whose output
cannot be read fails, it is never taken for a pass.
"""

import re
from dataclasses import dataclass, field

from kdio.errors import KdioError

VERSION = "KTAP version 1"
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")
_PLAN = re.compile(r"1\.\.(\d+)$")
_RESULT = re.compile(r"(not ok|ok) (\d+)(?: ([^#]*))?(?:# ?(.*))?$")


class KtapError(KdioError):
    """Output that is not the KTAP kdio's tools print."""


@dataclass(frozen=True)
class Result:
    ok: bool
    number: int
    name: str
    directive: str = None   # one of DIRECTIVES, or None
    reason: str = ""        # the text after the directive
    data: str = ""          # everything after the "#", as written
    fields: dict = field(default_factory=dict)   # its key=value pairs
    diagnostics: tuple = ()  # the "#" lines just before it, "#" dropped
    subtests: "Report" = None

    @property
    def skipped(self):
        return self.directive == "SKIP"

    @property
    def passed(self):
        """ok, and neither skipped nor marked otherwise by a directive."""
        return self.ok and self.directive is None


@dataclass(frozen=True)
class Report:
    plan: int
    results: tuple
    diagnostics: tuple = ()  # "#" lines after the last result


@dataclass(frozen=True)
class _Line:
    number: int
    indent: int
    text: str


def _fail(line, what):
    where = f"line {line.number}" if line else "end of output"
    raise KtapError(f"{where}: {what}",
                    "the tool's standard output must be KTAP only: run it by hand "
                    "and look at what it printed")


def _lines(text):
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        body = raw.lstrip(" ")
        out.append(_Line(n, len(raw) - len(body), body.rstrip()))
    return out


def _result(line, match, diagnostics, subtests):
    ok, number, desc, data = match.groups()
    data = (data or "").strip()
    words = data.split(None, 1)
    directive = words[0] if words and words[0] in DIRECTIVES else None
    fields = {} if directive else dict(w.split("=", 1) for w in data.split() if "=" in w)
    return Result(ok=ok == "ok", number=int(number), name=(desc or "").strip(),
                  directive=directive, reason=words[1] if directive and len(words) > 1 else "",
                  data=data, fields=fields, diagnostics=tuple(diagnostics), subtests=subtests)


def _header(lines, pos, indent):
    """The plan of the block whose version line is at pos."""
    first = lines[pos] if pos < len(lines) else None
    if not first or first.indent != indent or first.text != VERSION:
        _fail(first, f"no '{VERSION}' header (got {first.text!r})" if first
              else f"no '{VERSION}' header: the output is empty")
    plan = lines[pos + 1] if pos + 1 < len(lines) else None
    match = _PLAN.match(plan.text) if plan and plan.indent == indent else None
    if not match:
        _fail(plan, "no '1..N' plan after the version line"
              + (f" (got {plan.text!r})" if plan else ""))
    return int(match.group(1))


def _block(lines, pos, indent):
    """The test block at pos (its version line) and the position after it."""
    plan = _header(lines, pos, indent)
    results, diagnostics, sub = [], [], None
    pos += 2
    while pos < len(lines) and lines[pos].indent >= indent:
        line = lines[pos]
        if line.indent > indent:
            if sub is not None or line.text != VERSION:
                _fail(line, f"indented line outside a subtest: {line.text!r}")
            sub, pos = _block(lines, pos, line.indent)
            continue
        pos += 1
        if line.text.startswith("#"):
            diagnostics.append(line.text[1:].strip())
            continue
        match = _RESULT.match(line.text)
        if not match:
            _fail(line, f"not a KTAP line: {line.text!r}")
        result = _result(line, match, diagnostics, sub)
        if result.number != len(results) + 1:
            _fail(line, f"result numbered {result.number} where {len(results) + 1} was due")
        results.append(result)
        diagnostics, sub = [], None
    if sub is not None:
        _fail(lines[pos - 1], "a subtest has no result line of its own after it")
    if len(results) != plan:
        _fail(lines[pos - 1], f"the plan says 1..{plan} but {len(results)} result(s) follow")
    return Report(plan=plan, results=tuple(results), diagnostics=tuple(diagnostics)), pos


def parse(text):
    """The Report of a whole KTAP document; KtapError if it is not one."""
    lines = _lines(text or "")
    report, pos = _block(lines, 0, 0)
    if pos < len(lines):
        _fail(lines[pos], f"more output after the last result: {lines[pos].text!r}")
    return report


def walk(report):
    """Every result, parents after their subtests."""
    for r in report.results:
        if r.subtests:
            yield from walk(r.subtests)
        yield r


def leaves(report):
    """The results that have no subtests: the tests themselves."""
    return [r for r in walk(report) if not r.subtests]


def failures(report):
    """The results that failed (not ok, whatever the directive), a parent
    only when none of its subtests did: the ones that say why."""
    def failed_below(r):
        return r.subtests and any(not s.ok for s in walk(r.subtests))
    return [r for r in walk(report) if not r.ok and not failed_below(r)]
