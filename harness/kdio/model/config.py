"""Suites and kernels are data files (TOML); this module loads and checks them.

A suite names the measured paths and the parameter matrix to sweep; a kernel
file names the Debian packages of one guest kernel. Both become frozen
dataclasses; nothing else in the harness reads the files.
"""

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kdio import where
from kdio.model import measure as measures
from kdio.errors import ConfigError
from kdio.model.sizes import format_size, parse_size

HARNESS_DIR = where.HARNESS
SUITES_DIR = where.SUITES
KERNELS_DIR = where.KERNELS


@dataclass(frozen=True)
class KernelSpec:
    name: str
    release: str
    version: str
    image: str
    headers: str
    headers_common: str
    kbuild: str
    guest_modules: tuple

    @property
    def packages(self):
        return (self.image, self.headers, self.headers_common, self.kbuild)


@dataclass(frozen=True)
class VmSpec:
    cpus: int = 2
    memory_mib: int = 1024
    disk_mib: int = 512
    timeout_s: int = 900
    crypto: bool = False        # attach a virtio-crypto device, load crypto drivers


@dataclass(frozen=True)
class Case:
    """One measured configuration: a path and its parameters."""
    suite: str
    path: str
    params: tuple  # ((name, value), ...) in a stable order

    @property
    def param_dict(self):
        return dict(self.params)

    @property
    def case_id(self):
        parts = [self.path]
        for key, value in self.params:
            shown = format_size(value) if key in ("bs", "size", "msg") else value
            parts.append(f"{key}={shown}")
        return "/".join(parts)


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    repetitions: int
    file_size: int
    vm: VmSpec
    cases: tuple = field(default_factory=tuple)
    checks: tuple = ()
    gate: dict = field(default_factory=dict)   # regression-gate settings, if any
    measure: measures.Measure = measures.WALL   # resolved once, when the suite is loaded
    # Test only: extra arguments of a check's tool, {check: [arg, ...]}, for
    # negative controls (e.g. kdio-badinput -W CHECK expects a wrong errno).
    check_args: dict = field(default_factory=dict)
    # Crypto drivers of the user's declared CPU-only (countable_drivers = [...],
    # or --countable-driver): counted once the guest confirms (measure)
    countable_drivers: tuple = ()


def _load_toml(path, kind):
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"no {kind} file {path}",
                          f"choose one of: {', '.join(_names(path.parent))}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}", f"fix the TOML syntax of this {kind} file") from None


def _names(directory):
    return sorted(p.stem for p in Path(directory).glob("*.toml"))


def _require(data, key, kind, path, typ):
    if key not in data:
        raise ConfigError(f"{path}: missing '{key}'", f"add '{key}' to this {kind} file")
    value = data[key]
    if not isinstance(value, typ):
        raise ConfigError(f"{path}: '{key}' must be {typ.__name__}, not {value!r}",
                          f"fix '{key}' in this {kind} file")
    return value


def resolve(name_or_path, directory):
    """A bare name means <directory>/<name>.toml; anything else is a path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in str(name_or_path):
        return p
    return Path(directory) / f"{name_or_path}.toml"


def load_kernel(name_or_path):
    path = resolve(name_or_path, KERNELS_DIR)
    data = _load_toml(path, "kernel")
    keys = ("name", "release", "version", "image", "headers", "headers_common", "kbuild")
    values = {k: _require(data, k, "kernel", path, str) for k in keys}
    modules = tuple(_require(data, "guest_modules", "kernel", path, list))
    return KernelSpec(guest_modules=modules, **values)


def _expand_matrix(suite_name, entry, path):
    paths = _require(entry, "paths", "suite", path, list)
    axes = {k: v if isinstance(v, list) else [v] for k, v in entry.items() if k != "paths"}
    for key in ("bs", "size", "msg"):
        if key in axes:
            axes[key] = [parse_size(v) for v in axes[key]]
    keys = list(axes)
    for combo in itertools.product(*(axes[k] for k in keys)):
        params = tuple(zip(keys, combo))
        for p in paths:
            yield Case(suite=suite_name, path=p, params=params)


def _check_args(data, checks, path):
    """[check_args] (test only): a list of strings per check the suite runs."""
    args = data.get("check_args", {})
    if not isinstance(args, dict):
        raise ConfigError(f"{path}: check_args must be a table",
                          "write [check_args] with one list of strings per check")
    for name, value in args.items():
        if name not in checks:
            raise ConfigError(f"{path}: check_args names '{name}', which is not in checks",
                              f"use one of the suite's checks: {', '.join(checks) or 'none'}")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: check_args.{name} must be a list of strings",
                              f'write {name} = ["-W", "wrong-abi"]')
    return {k: tuple(v) for k, v in args.items()}


def _countable_drivers(data, path):
    names = data.get("countable_drivers", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{path}: countable_drivers must be a list of driver names",
                          'write countable_drivers = ["my-cbc-aes"]')
    return tuple(names)


def load_suite(name_or_path):
    path = resolve(name_or_path, SUITES_DIR)
    data = _load_toml(path, "suite")
    name = _require(data, "name", "suite", path, str)
    reps = _require(data, "repetitions", "suite", path, int)
    if reps < 1:
        raise ConfigError(f"{path}: repetitions must be >= 1", "set repetitions = 3 or more")
    try:
        vm = VmSpec(**data.get("vm", {}))
    except TypeError as e:
        raise ConfigError(f"{path}: [vm]: {e}",
                          "use only cpus, memory_mib, disk_mib, timeout_s and crypto "
                          "in [vm]") from None
    cases = []
    for entry in _require(data, "matrix", "suite", path, list):
        cases.extend(_expand_matrix(name, entry, path))
    ids = [c.case_id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: cases listed twice: {', '.join(dupes)}",
                          "remove the overlap between matrix entries")
    mode = data.get("measure", "wall")
    if mode not in ("wall", "counted"):
        raise ConfigError(f"{path}: measure must be \"wall\" or \"counted\", not {mode!r}",
                          "set measure = \"wall\" (time) or \"counted\" (instructions)")
    checks = tuple(data.get("checks", []))
    return Suite(name=name, description=data.get("description", ""), repetitions=reps,
                 file_size=parse_size(data.get("file_size", "64m")), vm=vm, cases=tuple(cases),
                 checks=checks, gate=dict(data.get("gate", {})), measure=measures.get(mode),
                 check_args=_check_args(data, checks, path),
                 countable_drivers=_countable_drivers(data, path))


COUNTED_GATE_SUITE = "ci"


def gate_settings(suite=None):
    """A suite's [gate] judgement settings (its baseline left out), else the
    counted gate's: suite ci's, which a counted A/B is judged by when it
    names no settings of its own."""
    gate = dict((suite and suite.gate) or load_suite(COUNTED_GATE_SUITE).gate)
    gate.pop("baseline", None)
    return gate
