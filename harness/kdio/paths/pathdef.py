"""What a measured path is, for every module that declares paths: the
guest's environment a path's argv is made in (GuestEnv), the sample its
parser returns (Sample), the path itself (MeasuredPath, like fio's struct
ioengine_ops), the helpers every parser uses, and the crypto drivers' names.
It imports nothing that knows a path, so paths.py and ipsec.py both build
on it and neither imports the other's way back.
"""

import dataclasses
import errno
import json
from dataclasses import dataclass, field

from kdio.errors import KdioError
from kdio.model import backends, family

# The units a path's figure may be in.
UNITS = ("bytes/s", "ns/call", "ops/s")


class PathError(KdioError):
    """A measured path declared incomplete: refused when the registry is built."""


@dataclass(frozen=True)
class GuestEnv:
    """Where things are inside the guest's chroot of the host root."""
    tools_dir: str
    file_size: int
    scratch: str = backends.SCRATCH
    seed: int = 1
    counted: bool = False       # the run measures instructions (kdio.model.measure)
    devices: tuple = ()         # ((backend, block device), ...) over the backends' own (host mode)

    def tool(self, name):
        return f"{self.tools_dir}/{name}"

    def backend_target(self, backend, owner):
        """owner's region ('kdio' or 'fio') on backend; in host mode on the
        device given for it."""
        device = dict(self.devices).get(backend.name)
        if device:
            backend = dataclasses.replace(backend, device=device)
        return backend.target(owner, self.file_size, self.scratch)

    def target(self, params, owner):
        """owner's region ('kdio' or 'fio') on the case's backend."""
        return self.backend_target(backends.BACKENDS[family.STORAGE.value(params, "backend")],
                                   owner)


@dataclass(frozen=True)
class Sample:
    value: float = None       # the primary figure, in the path's unit
    metrics: dict = None      # secondary figures by name
    status: str = "ok"        # ok | expected-error | error
    errno: str = None
    message: str = None
    io: dict = None           # storage: the run in the shape of one direction of a fio job


@dataclass(frozen=True)
class MeasuredPath:
    name: str
    unit: str
    baseline: bool
    argv: object    # (case params dict, GuestEnv) -> list
    parse: object   # (raw record, case params dict) -> Sample
    queued: bool = False        # takes a queue depth qd > 1
    expect_errno: str = None    # the errno this path is known to end with
    family: str = field(kw_only=True)   # the kind of case (kdio.model.family.FAMILIES)
    # What runs in its counted window besides the kernel: kdio's own code
    # (its modules and tools, built by the host's gcc and binutils) and the
    # user space of the guest's root (kdio.report.compare: a change of
    # version there is not a change of the kernel)
    built: bool = field(default=True, kw_only=True)
    user_code: tuple = field(default=(), kw_only=True)  # "glibc", "fio", "libaio", "liburing"

    def __post_init__(self):
        family.get(self.family)  # UnknownFamily: refused where the path is declared

    @property
    def storage(self):
        """Does I/O on a backend (and so needs its regions laid out)."""
        return family.of_path(self).uses_backend


def last_json(stdout):
    """The last line of stdout that is a JSON object, parsed (None if none is)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def failed(raw, what):
    """The error Sample of a tool that timed out or exited non-zero."""
    if raw.get("timed_out"):
        return Sample(status="error", errno="ETIMEDOUT", message=f"{what} timed out in the guest")
    tail = (raw.get("stderr") or raw.get("stdout") or "").strip().splitlines()[-1:]
    return Sample(status="error", message=f"{what} exited {raw.get('rc')}: {' '.join(tail)}")


# Crypto drivers by short name and algorithm, always requested by driver
# name (virtio-crypto's priority 150 loses to AES-NI's 400 otherwise).
CRYPTO_DRIVERS = {
    ("cbc", "virtio"): "virtio_crypto_aes_cbc",
    ("cbc", "aesni"): "cbc-aes-aesni",
    ("cbc", "generic"): "cbc(aes-generic)",
    ("gcm", "aesni"): "rfc4106-gcm-aesni",
    ("gcm", "generic"): "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))",
}


def crypto_driver(p):
    """The cra_driver_name a crypto or IPsec case's params request: kdio's
    short names (CRYPTO_DRIVERS), or a user's driver as given."""
    return CRYPTO_DRIVERS.get((p["alg"], p["driver"]), p["driver"])


def check_path(path):
    """Refuse a path that is not complete, as fio's check_engine_ops()
    refuses an engine: a name kind.what, a known unit, an argv and a
    parser that can be called, an expected errno that is one. (Its family
    is checked when the MeasuredPath is made.)"""
    lacks = []
    kind, _, what = path.name.partition(".")
    if not kind or not what:
        lacks.append("a name of the form kind.what")
    if path.unit not in UNITS:
        lacks.append(f"a unit of {', '.join(UNITS)} (not {path.unit!r})")
    if not callable(path.argv):
        lacks.append("an argv(params, env) to call")
    if not callable(path.parse):
        lacks.append("a parse(raw, params) to call")
    if path.expect_errno is not None and path.expect_errno not in errno.errorcode.values():
        lacks.append(f"an errno name as its expected errno (not {path.expect_errno!r})")
    if lacks:
        raise PathError(f"path {path.name!r} lacks {'; '.join(lacks)}",
                        "complete its MeasuredPath in harness/kdio/paths/")
