"""Attribute kernel warnings and crashes to modules.

A report starts at a trigger line (WARNING:, BUG:, Oops, general protection
fault, ...) and runs to its end marker or the next trigger. It is ours when
one of its lines names a kdio module in brackets, as RIP and call-trace
lines do ("kdio_dio_run+0x12/0x80 [kdio_dio]"). Reports from the platform
(e.g. the virtio-crypto RSA self-test warning) are kept as notes, not errors.
"""

import re
from dataclasses import dataclass

TRIGGER = re.compile(r"(WARNING: |BUG: |Oops|general protection fault|kernel BUG at|"
                     r"UBSAN: |KASAN: |unreferenced object|Kernel panic|"
                     r"unable to handle|list_(add|del) corruption|refcount_t: )")
END = re.compile(r"---\[ end (trace|Kernel panic)")
OUR_MODULE = re.compile(r"\[(kdio_\w+)\]|\b(kdio_\w+)\.ko\b")


@dataclass(frozen=True)
class Report:
    first_line: str
    modules: tuple     # our modules named in the report

    @property
    def ours(self):
        return bool(self.modules)


def reports(lines):
    """Split kernel log lines into warning/crash reports."""
    found, current, names = [], None, []
    for line in lines:
        if TRIGGER.search(line):
            if current is not None:
                found.append(Report(current, tuple(dict.fromkeys(names))))
            current, names = line.strip(), []
        if current is None:
            continue
        for m in OUR_MODULE.finditer(line):
            if not line.lstrip().startswith("Modules linked in"):
                names.append(m.group(1) or m.group(2))
        if END.search(line):
            found.append(Report(current, tuple(dict.fromkeys(names))))
            current, names = None, []
    if current is not None:
        found.append(Report(current, tuple(dict.fromkeys(names))))
    return found


def ours(lines):
    """The reports that name one of our modules."""
    return [r for r in reports(lines) if r.ours]
