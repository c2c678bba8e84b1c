"""What each stage of a run is asked to do, resolved once, as kunit.py's
requests are (KunitConfigRequest within KunitBuildRequest, then exec and
parse): the suite loaded with its measure, the kernel opened, the run's id
and folder, its time limit and its split. A stage takes the request it
needs and looks nothing up by name again.

The user's words are kdio.run.bench.Options and kdio.run.host.Options
(what the command line gives); bench.request() and host.request() turn
them into these, refusing what cannot run before anything is built.
"""

from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class BuildRequest:
    """What a guest's build needs: the kernel to build against and what
    to build for it."""
    suite: object            # config.Suite, loaded; suite.measure is the Measure
    kernel: object           # config.KernelSpec or builttree.TreeSpec, opened
    user_modules: tuple      # the user's module folders or .ko files, loaded first
    module_params: tuple     # "module.param=value", for kdio's modules only
    profile: str             # the profiler: "on", "stacks" (with call stacks) or "" (off)


@dataclass(frozen=True)
class ExecRequest:
    """What every target needs to run a suite and keep its results."""
    suite: object
    module_params: tuple
    run_id: str
    run_dir: Path
    timeout_s: int           # --timeout, else the suite's own


@dataclass(frozen=True)
class GuestRequest(ExecRequest, BuildRequest):
    """A run in QEMU: one guest, or the suite split across several."""
    passthrough: tuple       # host PCI addresses given to the guest (vfio-pci)
    split: dict              # {"jobs", "reason", "warning"}: kdio.plan.shard.choose
    append: tuple = ()       # kernel command-line words added (kdio.plan.tuning)
    sysctls: tuple = ()      # "key=value" set in the guest before the first case


@dataclass(frozen=True, kw_only=True)
class HostFlags:
    """Host mode's own flags: where on this machine, and with what."""
    dir: str = None              # ext4 backend (and the checks' scratch): a folder
    device: str = None           # blk backend: a raw block device
    destroy_data_on: str = None  # must name device for kdio to write to it
    kdir: str = None             # headers to build against (default: the running kernel's)
    modules_from: str = None     # prebuilt .ko files instead of a build
    tools_from: str = None       # prebuilt userspace tools instead of a build
    module_root: str = None      # a root holding lib/modules/<release> (for brd)
    kernel_config: str = None    # the running kernel's config, if not in /proc or /boot


@dataclass(frozen=True, kw_only=True)
class HostRequest(ExecRequest, HostFlags):
    """A run on this machine's kernel and devices (kdio.run.host)."""


def host_flags(opts):
    """The HostFlags of opts (kdio.run.host.Options), as keyword arguments."""
    return {f.name: getattr(opts, f.name) for f in fields(HostFlags)}
