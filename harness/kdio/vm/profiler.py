"""The profiler's QEMU side: kdio's TCG plugin (plugin/kdio_profile.c),
checked to load in this QEMU before a run depends on it, and the -plugin
argument that gives it the folder to write its counts into.

QEMU loads a plugin only if it supports the plugin API version the plugin
declares (kdio's: version 1, QEMU 7.2's current one). The probe loads it
in a QEMU with no machine, which quits at once, so a refusal comes with
QEMU's own words before any guest boots.
"""

import subprocess
import tempfile

from kdio.errors import ProfileError
from kdio.vm import qemu, vm

PROBE_TIMEOUT_S = 60


def probe(plugin_so):
    """Raise ProfileError, with QEMU's version and message, unless this
    QEMU loads plugin_so."""
    with tempfile.TemporaryDirectory(prefix="kdio-probe-") as out:
        try:
            r = subprocess.run([qemu.QEMU, "-machine", "none", "-nodefaults", "-display",
                                "none", "-monitor", "stdio", "-plugin", argument(plugin_so, out)],
                               input="quit\n", capture_output=True, text=True,
                               timeout=PROBE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ProfileError(f"could not start {qemu.QEMU} to check the profiler's plugin: {e}",
                               "install qemu-system-x86 (make test-deps)") from e
    if r.returncode != 0:
        said = " ".join(r.stderr.split()) or f"exit status {r.returncode}"
        raise ProfileError(f"QEMU {vm.qemu_version() or '(version unknown)'} does not load "
                           f"kdio's profiler plugin (TCG plugin API version 1): {said}",
                           "use a QEMU that supports plugin API version 1 (Debian 12's "
                           "qemu-system-x86 7.2 does), or run without --profile")


def argument(plugin_so, out_dir, stacks=False):
    """The value of QEMU's -plugin for plugin_so writing into out_dir, with
    call stacks if asked for."""
    return f"{plugin_so},out={out_dir}" + (",stacks=on" if stacks else "")
