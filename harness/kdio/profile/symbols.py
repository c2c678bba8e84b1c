"""Guest addresses made into function names: the kernel's and its
modules' from the guest's /proc/kallsyms, saved in the same boot (KASLR
moves them every boot), text symbols only; a kdio tool's from its own
binary (static and not position-independent: its addresses are the same in
every run). Any other user-space address is "[user]"; a kernel address no
symbol covers is "[unknown]"."""

import bisect
import subprocess
from dataclasses import dataclass
from pathlib import Path

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

    def lookup(self, addr, user=None):
        """The Symbol addr is in: the last symbol at or below it (its end
        is the next one's start); a user-space address in user (a tool's
        ToolSymbols) if given; else user space and uncovered addresses by
        name only."""
        if addr < KERNEL_START:
            found = user.lookup(addr) if user else None
            return found or Symbol(USER[0], USER[1], 0)
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or self.starts[i] == 0:
            return Symbol(UNKNOWN, "unknown", 0)
        start, name, module = self.rows[i]
        return Symbol(name, module, start)


def _is_fixed_executable(path):
    """An ELF executable of type EXEC (not position-independent)."""
    try:
        with open(path, "rb") as f:
            head = f.read(18)
    except OSError:
        return False
    return head[:4] == b"\x7fELF" and int.from_bytes(head[16:18], "little") == 2


PLT = "[plt]"


def _plt_sections(path):
    """(start, "[plt]") of the binary's PLT sections (a static binary's
    IFUNC stubs, through which it calls memcpy), which nm names nothing."""
    r = subprocess.run(["readelf", "-SW", str(path)], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 3 and f[1] in (".plt", ".iplt", ".plt.sec", ".plt.got"):
            out.append((int(f[3], 16), PLT))
    return out


class ToolSymbols:
    """A static, fixed-address executable's functions (nm), so its
    user-space addresses are named in every run; None from load() for any
    other binary (fio: position-independent and dynamic)."""

    def __init__(self, path, rows):
        self.name, self.rows = Path(path).name, rows
        self.starts = [r[0] for r in rows]
        self.end = rows[-1][0] + 4096 if rows else 0

    @classmethod
    def load(cls, path):
        if not _is_fixed_executable(path):
            return None
        r = subprocess.run(["nm", "-n", "--defined-only", str(path)], capture_output=True,
                           text=True)
        rows = []
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "tTwW":
                rows.append((int(f[0], 16), f[2]))
        rows += _plt_sections(path)
        rows.sort()
        return cls(path, rows) if rows else None

    def lookup(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.end:
            return None
        return Symbol(self.rows[i][1], self.name, self.rows[i][0])


def _dynamic_symbols(path):
    """[(value, size, name)] of a shared object's or PIE's function symbols:
    its own table if it has one, else its dynamic one (a stripped binary's
    exported functions), sorted."""
    rows = []
    for flags in (["--defined-only"], ["-D", "--defined-only"]):
        r = subprocess.run(["nm", "-S", "-n", *flags, str(path)], capture_output=True,
                           text=True)
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) == 4 and f[2] in "tTwWi":
                rows.append((int(f[0], 16), int(f[1], 16), f[3].split("@")[0]))
        if rows:
            break
    return sorted(rows)


class MapsSymbols:
    """User-space addresses of one process named by its memory map
    (/proc/PID/maps, saved in the guest by kdio-mark -m): the mapped file an
    address is in (fio, libc.so.6; the guest's root is the host's, so the
    same files are here) and, where its symbol table covers the address,
    the function; else "[<file>]". A map's lines: start-end perms offset
    dev inode path."""

    _files = {}     # path: [(value, size, name)], shared by every map

    def __init__(self, text):
        self.maps = []
        for line in text.splitlines():
            f = line.split(None, 5)
            if len(f) == 6 and "x" in f[1] and f[5].startswith("/"):
                start, end = (int(x, 16) for x in f[0].split("-"))
                self.maps.append((start, end, int(f[2], 16), f[5]))
        self.maps.sort()
        self.starts = [m[0] for m in self.maps]

    def lookup(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.maps[i][1]:
            return None
        start, _, offset, path = self.maps[i]
        name = Path(path).name
        if path not in self._files:
            self._files[path] = _dynamic_symbols(path) if Path(path).exists() else []
        rows = self._files[path]
        # a text segment's addresses less its load base are its file's symbol values
        # (ld lays a segment out at its file offset from the base)
        value = addr - (start - offset)
        j = bisect.bisect_right(rows, (value, float("inf"), "")) - 1
        if j >= 0 and rows[j][0] <= value < rows[j][0] + max(rows[j][1], 1):
            return Symbol(rows[j][2], name, start - offset + rows[j][0])
        return Symbol(f"[{name}]", name, start)


class Chain:
    """The first of several user-space lookups that names an address."""

    def __init__(self, *lookups):
        self.lookups = [x for x in lookups if x is not None]

    def lookup(self, addr):
        for x in self.lookups:
            found = x.lookup(addr)
            if found:
                return found
        return None
