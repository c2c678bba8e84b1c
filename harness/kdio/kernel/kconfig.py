"""Kernel configuration: the options kdio needs, as data, and the checks of
a .config against them.

The options are in harness/kconfig/fragment.toml, each with the value kdio
sets, the values a tree may have instead, and who needs it (the guest, our
modules, a backend, a path, the crypto device). This module reads that file
and .config files, works out which options a suite needs, lists those a
.config lacks, and writes the fragment in .config syntax. No I/O beyond
reading those two files.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kdio import where
from kdio.paths import paths
from kdio.errors import ConfigError, KconfigError

FRAGMENT_FILE = where.KCONFIG_FRAGMENT
EVERY_BOOT = ("guest", "kdio modules")
_SET = re.compile(r"^(CONFIG_\w+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_\w+) is not set$")
_SETTING = re.compile(r'^((?:CONFIG_)?[A-Z0-9_]+)=([ymn]|-?\d+|0x[0-9a-fA-F]+|"[^"]*")$')


@dataclass(frozen=True)
class Requirement:
    """One option: name=value, needed by someone (see fragment.toml)."""
    name: str
    value: str
    needed_by: str
    accept: tuple = ()      # values a tree may have instead; () means value only
    set_by: str = None      # the line that turns on a symbol with no prompt
    why: str = ""

    @property
    def line(self):
        """The line a .config needs for this option ("n": the not-set line)."""
        if self.value == "n":
            return f"# {self.name} is not set"
        return self.set_by or f"{self.name}={self.value}"

    def satisfied_by(self, config):
        return config.get(self.name, "n") in (self.accept or (self.value,))


@dataclass(frozen=True)
class Fragment:
    options: tuple          # Requirements, in the file's order
    guest_modules: tuple    # a tree's modules /init loads first


@dataclass(frozen=True)
class Lack:
    """An option line a .config does not have, who needs it, what it has."""
    line: str
    name: str
    needed_by: str          # everyone who needs it, comma-separated
    actual: str = None      # None: not set

    def describe(self):
        now = "not set" if self.actual is None else f"now {self.name}={self.actual}"
        return f"{self.line} needed by {self.needed_by} ({now})"


def _requirement(entry, path):
    try:
        req = Requirement(**{k: tuple(v) if k == "accept" else v for k, v in entry.items()})
    except TypeError as e:
        raise ConfigError(f"{path}: [[option]] {entry.get('name', '?')}: {e}",
                          "use only name, value, accept, needed_by, set_by and why") from None
    if not req.name.startswith("CONFIG_") or not isinstance(req.value, str):
        raise ConfigError(f"{path}: option {req.name!r} = {req.value!r} is not a kernel option",
                          'write name = "CONFIG_..." and value = "y" (or "m", or a string)')
    return req


def load_fragment(path=FRAGMENT_FILE):
    """The Fragment in fragment.toml (or another file of the same form)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}", "restore harness/kconfig/fragment.toml "
                          "from git, or fix its TOML syntax") from None
    options = tuple(_requirement(e, path) for e in data.get("option", []))
    if not options:
        raise ConfigError(f"{path}: no [[option]] entries", "list the options kdio needs")
    return Fragment(options=options, guest_modules=tuple(data.get("guest_modules", ())))


def parse_config(text):
    """{CONFIG_NAME: value} of a .config; '# CONFIG_X is not set' and
    absent options are both absent. Values keep their quotes ("str")."""
    config = {}
    for line in text.splitlines():
        m = _SET.match(line.strip())
        if m:
            config[m.group(1)] = m.group(2)
        elif _UNSET.match(line.strip()):
            config.pop(_UNSET.match(line.strip()).group(1), None)
    return config


def read_config(path):
    try:
        return parse_config(Path(path).read_text(errors="replace"))
    except OSError as e:
        raise KconfigError(f"cannot read {path}: {e.strerror}",
                           "give a kernel tree that has been configured (make olddefconfig)"
                           ) from None


def needs_of(suite):
    """Who needs options when suite runs: every boot, plus its backends,
    paths and the crypto device."""
    needs = set(EVERY_BOOT)
    needs |= {f"backend {b.name}" for b in paths.used_backends(suite)}
    needs |= {f"path {c.path}" for c in suite.cases}
    if suite.vm.crypto:
        needs.add("crypto device")
    return frozenset(needs)


def lacking(config, options, needs=None):
    """The Lacks of config among options (those needed by needs, or all),
    one per option line, in the fragment's order."""
    unmet = {}
    for req in options:
        if (needs is None or req.needed_by in needs) and not req.satisfied_by(config):
            unmet.setdefault((req.name, req.line), []).append(req.needed_by)
    return [Lack(line=line, name=name, needed_by=", ".join(dict.fromkeys(who)),
                 actual=config.get(name)) for (name, line), who in unmet.items()]


def check_tree_config(config, fragment, suite, config_path):
    """Raise KconfigError naming every option suite needs that config lacks."""
    lacks = lacking(config, fragment.options, needs_of(suite))
    if not lacks:
        return
    listed = "\n  ".join(lack.describe() for lack in lacks)
    raise KconfigError(
        f"{config_path} lacks {len(lacks)} option(s) suite {suite.name} needs:\n  {listed}",
        f"add the lines above to {config_path}, run 'make olddefconfig' and rebuild the "
        f"tree (make vmlinux modules); 'kdio kernel config' prints every option kdio needs, "
        f"and 'kdio kernel build SRC' builds a tree that has them")


def parse_settings(settings):
    """Requirements for `kdio kernel build --set` lines: CONFIG_X=y|m|n or a
    number or a quoted string (the CONFIG_ may be left off). "n" means not set."""
    reqs = []
    for text in settings:
        m = _SETTING.match(text.strip())
        if not m:
            raise KconfigError(f"--set {text!r} is not an option setting",
                               'write --set CONFIG_NAME=VALUE, VALUE y, m, n, a number or '
                               'a "quoted string", e.g. --set CONFIG_CRYPTO_STATS=y')
        name = m.group(1) if m.group(1).startswith("CONFIG_") else "CONFIG_" + m.group(1)
        reqs.append(Requirement(name=name, value=m.group(2), needed_by="--set"))
    return tuple(reqs)


def check_settings(settings, fragment):
    """Refuse a --set that undoes an option kdio's fragment needs."""
    for req in settings:
        clash = [f for f in fragment.options
                 if f.name == req.name and req.value not in (f.accept or (f.value,))]
        if clash:
            raise KconfigError(
                f"--set {req.name}={req.value} undoes kdio's fragment: {clash[0].line} is "
                f"needed by {clash[0].needed_by}",
                "a kernel kdio boots needs that option; drop this --set, or set another value "
                f"it accepts ({', '.join(clash[0].accept or (clash[0].value,))})")


def check_merged(config, fragment, config_path, settings=()):
    """After a merge: raise KconfigError naming every fragment option the
    merged config lost (an option whose dependencies are not met is dropped),
    then every --set setting that did not take effect."""
    lacks = lacking(config, fragment.options)
    if not lacks:
        _check_settings_took(config, settings, config_path)
        return
    listed = "\n  ".join(lack.describe() for lack in lacks)
    raise KconfigError(
        f"{len(lacks)} option(s) of kdio's fragment did not survive the merge into "
        f"{config_path}:\n  {listed}",
        "a dependency of each is off in the base: add that dependency to "
        "harness/kconfig/fragment.toml (make menuconfig, then '/' and the option's name "
        "shows what it depends on), or choose a larger --base")


def _now(config, name):
    return f"{name}={config[name]}" if name in config else "not set"


def _check_settings_took(config, settings, config_path):
    lost = [req for req in settings if not req.satisfied_by(config)]
    if not lost:
        return
    listed = "\n  ".join(f"{r.name}={r.value} (now {_now(config, r.name)})" for r in lost)
    raise KconfigError(
        f"{len(lost)} --set setting(s) did not take effect in {config_path}:\n  {listed}",
        "olddefconfig drops an option whose dependencies are off and keeps one another "
        "option selects; no such symbol is dropped too: check the name, then set its "
        "dependencies as well (make menuconfig, '/' and the name shows them)")


def fragment_lines(fragment):
    """The fragment's .config lines alone, in order, each once: what a
    build depends on (the comments are not)."""
    return list(dict.fromkeys(req.line for req in fragment.options))


def render(fragment):
    """The fragment as .config lines, each after a comment on who needs it."""
    lines = ["# kdio's kernel config fragment (from harness/kconfig/fragment.toml):",
             "# merge it into a base config, e.g.",
             "#   scripts/kconfig/merge_config.sh -m .config kdio.config && make olddefconfig"]
    by_line = {}
    for req in fragment.options:
        by_line.setdefault(req.line, []).append(req)
    for line, reqs in by_line.items():
        needed = ", ".join(dict.fromkeys(r.needed_by for r in reqs))
        why = next((r.why for r in reqs if r.why), "")
        lines.append(f"# needed by {needed}" + (f": {why}" if why else ""))
        lines.append(line)
    return "\n".join(lines) + "\n"
