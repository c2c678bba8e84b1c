"""A run's configuration beyond its kernel build: parameters added to the
guest kernel's command line (--append) and sysctls set in the guest before
the first case (--sysctl), each made into a setup step that fails the run,
with its name, unless the setting took effect.

The kernel does not refuse a command-line parameter it does not know: an
undotted one is passed to init (and listed in the log's "Unknown kernel
command line parameters" line), a dotted one (module.param) is dropped
without a word, and a loadable module's is applied only by modprobe, which
the guest does not run. So every parameter is checked against that line,
a dotted one is read back from /sys/module, and the parameters whose
effect kdio knows how to read (READBACKS) are read back from where the
kernel shows it. A parameter kdio can neither find unknown nor read back
is refused rather than recorded as set.

Pure functions and data: the steps are shell run in the guest; a step that
fails "refuses" the run: the runner measures nothing after the setup.
"""

import re
import shlex
from dataclasses import dataclass

from kdio.errors import ConfigError

NAME = re.compile(r"[A-Za-z0-9_][\w.-]*")
VALUE = re.compile(r"[\w.,:+/=-]*")
SYSCTL_KEY = re.compile(r"[a-z0-9_][\w.-]*")
SYSCTL_VALUE = re.compile(r"[\w.,:+/ \t-]+")
# Parameters the guest's command line already has (kdio.run.bench): the
# runner's, the console's, and what makes a failure end the boot.
KDIO_OWN = ("console", "quiet", "panic", "oops", "cryptomgr.notests")
UNKNOWN_LINE = "Unknown kernel command line parameters"


@dataclass(frozen=True)
class Readback:
    """Where a parameter's effect shows: shell that prints it (one word),
    what it prints for each value the parameter takes, and, for messages,
    what it reads."""
    shell: str
    expect: dict
    source: str


def _log_word(pattern):
    """Shell printing the last word the kernel log's pattern (a sed
    expression with one group) captures."""
    return f"dmesg | sed -n 's/{pattern}/\\1/p' | tail -n 1"


_ON_OFF = {"0": "off", "1": "on", "n": "off", "y": "on", "off": "off", "on": "on"}
READBACKS = {
    "mitigations": Readback(
        "if grep -qs '^Mitigation' /sys/devices/system/cpu/vulnerabilities/*; then echo auto; "
        "else echo off; fi",
        {"off": "off", "auto": "auto", "auto,nosmt": "auto"},
        "/sys/devices/system/cpu/vulnerabilities/ (off: no line says Mitigation)"),
    "preempt": Readback(
        r"sed -n 's/.*(\([a-z]*\)).*/\1/p' /sys/kernel/debug/sched/preempt 2>/dev/null",
        {m: m for m in ("none", "voluntary", "full")},
        "/sys/kernel/debug/sched/preempt (a kernel without dynamic preemption has none)"),
    "init_on_alloc": Readback(_log_word(r".*mem auto-init:.*heap alloc:\([a-z]*\).*"), _ON_OFF,
                              "the kernel log's 'mem auto-init' line (heap alloc)"),
    "init_on_free": Readback(_log_word(r".*mem auto-init:.*heap free:\([a-z]*\).*"), _ON_OFF,
                             "the kernel log's 'mem auto-init' line (heap free)"),
    "iommu.strict": Readback(_log_word(r".*DMA domain TLB invalidation policy: \([a-z]*\) .*"),
                             {"0": "lazy", "1": "strict"},
                             "the kernel log's 'DMA domain TLB invalidation policy' line"),
}


def split_kernel_param(item):
    """(name, value or None) of "name=value" or "name", refused unless
    plain (no quotes or spaces: the command line has no quoting kdio
    passes on) and not one kdio sets itself."""
    name, eq, value = item.partition("=")
    if not NAME.fullmatch(name) or not VALUE.fullmatch(value) or (eq and not value):
        raise ConfigError(f"bad kernel parameter {item!r}",
                          "write NAME or NAME=VALUE, without quotes or spaces, one per "
                          "--append word (e.g. --append 'mitigations=off init_on_alloc=0')")
    if name in KDIO_OWN or name.startswith("kdio_"):
        raise ConfigError(f"kernel parameter {name} is kdio's own: the guest's command line "
                          "already sets it", f"leave {name} out of --append")
    readback = READBACKS.get(name)
    if readback and value.lower() not in readback.expect:
        raise ConfigError(f"kdio reads back {name} as one of: {', '.join(readback.expect)}; "
                          f"{value!r} is not one of them", f"give {name}= one of those")
    return name, value if eq else None


def split_sysctl(item):
    """(key, value) of "key=value", refused unless plain."""
    key, _, value = item.partition("=")
    if not SYSCTL_KEY.fullmatch(key) or not SYSCTL_VALUE.fullmatch(value):
        raise ConfigError(f"bad sysctl {item!r}",
                          "write KEY=VALUE as sysctl -w takes it, e.g. vm.dirty_ratio=10")
    return key, value


def words(values):
    """Every word of the --append values given (each may hold several)."""
    return tuple(w for v in values for w in shlex.split(v))


def kernel_params(values):
    """The --append words, each checked (split_kernel_param), no name twice."""
    items = words(values)
    names = [split_kernel_param(i)[0] for i in items]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"kernel parameter(s) given twice: {', '.join(twice)}",
                          "give each parameter once")
    return items


def sysctls(values):
    """The --sysctl KEY=VALUE items, each checked, no key twice."""
    keys = [split_sysctl(v)[0] for v in values]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(f"sysctl(s) given twice: {', '.join(twice)}", "give each key once")
    return tuple(values)


def _fail(msg):
    return f'echo {shlex.quote(msg)}"$why" >&2; exit 1'


def how_checked(item):
    """What the guest's check of one kernel parameter reads, in words (the
    context records it beside the parameter)."""
    name, value = split_kernel_param(item)
    how = [f"not in the kernel log's '{UNKNOWN_LINE}'"]
    if name in READBACKS:
        how.append(f"read back from {READBACKS[name].source}")
    elif "." in name:
        mod, _, param = name.partition(".")
        how.append(f"read back from /sys/module/{mod}/parameters/{param}")
    return "; ".join(how)


def kernel_param_steps(items):
    """A setup step per kernel parameter that fails, saying why, unless the
    kernel knew it and (where kdio can read it) it took its value."""
    steps = []
    for item in items:
        name, value = split_kernel_param(item)
        q = shlex.quote(item)
        lines = [
            f"tr ' ' '\\n' </proc/cmdline | grep -qxF -- {q} || {{ why=''; "
            + _fail(f"{item} is not on the guest's command line (/proc/cmdline)") + "; }",
            f"u=$(dmesg | grep -F '{UNKNOWN_LINE}')",
            '[ -n "$u" ] || { why=\'\'; ' + _fail(
                f"cannot check {item}: the kernel log has no '{UNKNOWN_LINE}' line (kdio's own "
                "parameters are always in it; the log may have wrapped)") + "; }",
            f"if echo \"$u\" | tr ' \"' '\\n\\n' | grep -qxF -- {q}; then why=''; "
            + _fail(f"the kernel does not know {name}: it passed {item} to init as an unknown "
                    "parameter") + "; fi",
        ]
        readback = READBACKS.get(name)
        if readback:
            want = readback.expect[value.lower()]
            lines += [f"v=$({readback.shell})",
                      f'[ "$v" = {want} ] || {{ why=" reads ${{v:-nothing}}, not {want}"; '
                      + _fail(f"{item} did not take effect: {readback.source}") + "; }"]
        elif "." in name:
            mod, _, param = name.partition(".")
            f = f"/sys/module/{mod}/parameters/{param}"
            lines += [
                f"[ -r {f} ] || {{ why=''; " + _fail(
                    f"cannot tell whether {item} took effect: the kernel drops an unknown "
                    f"dotted parameter without a word, and {f} does not exist (a loadable "
                    "module's parameter is applied by modprobe only, which the guest does "
                    "not run: for kdio's modules use --module-param)") + "; }",
                f'v=$(cat {f}); case "$v" in {_sysfs_pattern(value)}) ;; *) why=" reads $v"; '
                + _fail(f"{item} did not take effect: {f}") + ";; esac"]
        steps.append({"name": f"check kernel parameter {item}", "refuses": True,
                      "argv": ["/bin/sh", "-c", "\n".join(lines)]})
    return steps


def _sysfs_pattern(value):
    """The case pattern a module parameter's sysfs file matches when it
    holds value (a bool reads Y or N whatever it was given as)."""
    v = (value or "").lower()
    if v in ("1", "y", "on", "true", ""):
        return f"{shlex.quote(value or 'Y')}|Y"
    if v in ("0", "n", "off", "false"):
        return f"{shlex.quote(value)}|N"
    return shlex.quote(value)


def sysctl_steps(items):
    """A setup step per sysctl that sets it and fails, saying why, unless
    it reads back the value given (blanks compared as one space)."""
    steps = []
    for item in items:
        key, value = split_sysctl(item)
        want = " ".join(value.split())
        script = "\n".join([
            f"sysctl -n {key} >/dev/null 2>&1 || {{ why=''; "
            + _fail(f"this kernel has no sysctl {key}") + "; }",
            f"out=$(sysctl -w {shlex.quote(item)} 2>&1) || {{ why=\": $out; it is "
            f"$(sysctl -n {key})\"; " + _fail(f"the kernel refused sysctl {item}") + "; }",
            f"v=$(sysctl -n {key} | tr -s ' \\t' '  ')",
            f'[ "$v" = {shlex.quote(want)} ] || {{ why=" (it reads $v)"; '
            + _fail(f"sysctl {key} did not keep {value}") + "; }",
        ])
        steps.append({"name": f"set sysctl {item}", "refuses": True,
                      "argv": ["/bin/sh", "-c", script]})
    return steps


def context(items, sysctl_items):
    """What a run's context records of its configuration: each kernel
    parameter with how it was checked, each sysctl as set and read back."""
    return {"append": {i: how_checked(i) for i in items},
            "sysctl": dict(split_sysctl(s) for s in sysctl_items)}
