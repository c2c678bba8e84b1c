"""Read a guest console log: did the run finish, and if not, why.

The guest's /init and runner print lines starting "kdio:"; the kernel prints
panics and oopses. This module turns a console text into a verdict.
"""

import re
from dataclasses import dataclass

from kdio.results import dmesg

PREFIX = "kdio: "
CASE_START = re.compile(r"kdio: case (\d+)/(\d+) start (\S+) rep (\d+)")
POWEROFF = re.compile(r"kdio: poweroff (.*)")
PANIC = re.compile(r"Kernel panic - not syncing: (.*)")
USER_MODULE = re.compile(r"kdio: user module (\S+) (loaded|failed: (.*))")


@dataclass(frozen=True)
class Verdict:
    finished: bool          # the runner reached its end and exited 0
    reason: str             # why not, in a sentence; "" when finished
    last_case: str          # the case running at the end, if any
    guest_release: str
    our_reports: tuple      # first lines of kernel reports naming our modules


def kdio_lines(text):
    return [ln[ln.index(PREFIX):] for ln in text.splitlines() if PREFIX in ln]


def _poweroff_reason(state):
    if state.startswith("runner-exit="):
        code = state.split("=", 1)[1]
        return "" if code == "0" else f"the guest runner exited with status {code}"
    if state.startswith("failed:"):
        return f"guest init failed at {state[len('failed:'):].strip()}"
    return f"guest stopped: {state}"


def read(text, timed_out=False):
    """The verdict on one console log."""
    last_case, release, poweroff = "", "", None
    for line in kdio_lines(text):
        if m := CASE_START.match(line):
            last_case = m.group(3)
        elif m := POWEROFF.match(line):
            poweroff = m.group(1).strip()
        elif line.startswith("kdio: init "):
            release = line.split()[-1]
    panic = PANIC.search(text)
    ours = tuple(r.first_line for r in dmesg.ours(text.splitlines()))
    if panic:
        reason = f"guest kernel panic: {panic.group(1).strip()}"
    elif timed_out:
        reason = "the guest did not finish before the timeout (hang or too much work)"
    elif poweroff is None:
        reason = "the console ends before the guest powered off (QEMU killed or crashed)"
    else:
        reason = _poweroff_reason(poweroff)
    return Verdict(finished=not reason, reason=reason, last_case=last_case,
                   guest_release=release, our_reports=ours)


def user_modules(text):
    """[{module, loaded, message}] for each user's module the guest's /init
    tried to load, from its "kdio: user module ..." lines."""
    out = []
    for line in kdio_lines(text):
        if m := USER_MODULE.match(line):
            name = m.group(1)[:-3] if m.group(1).endswith(".ko") else m.group(1)
            out.append({"module": name, "loaded": m.group(2) == "loaded",
                        "message": (m.group(3) or "").strip() or None})
    return out
