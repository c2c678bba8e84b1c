"""Guest addresses made into function names: the kernel's and its
modules' from the guest's /proc/kallsyms, saved in the same boot (KASLR
moves them every boot), text symbols only. A user-space address is
"[user]"; a kernel address no symbol covers is "[unknown]"."""

import bisect
from dataclasses import dataclass

KERNEL_START = 0xffff800000000000   # x86-64: the kernel's half of the address space
USER = ("[user]", "user space")
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Symbol:
    name: str
    module: str       # "vmlinux", a module's name, or "user space"
    start: int


class Symbols:
    """Lookup of kallsyms text lines ("addr t name [module]")."""

    def __init__(self, text):
        rows = []
        for line in text.splitlines():
            f = line.split()
            if len(f) >= 3 and f[1] in "tT":
                module = f[3].strip("[]") if len(f) > 3 else "vmlinux"
                rows.append((int(f[0], 16), f[2], module))
        rows.sort()
        self.starts = [r[0] for r in rows]
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def lookup(self, addr):
        """The Symbol addr is in: the last symbol at or below it (its end
        is the next one's start); user space and uncovered addresses by
        name only."""
        if addr < KERNEL_START:
            return Symbol(USER[0], USER[1], 0)
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or self.starts[i] == 0:
            return Symbol(UNKNOWN, "unknown", 0)
        start, name, module = self.rows[i]
        return Symbol(name, module, start)
