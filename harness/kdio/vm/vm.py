"""Run QEMU: print the exact command, tee the console to a log, enforce a
timeout, and let the caller poll for results while the guest runs.

The accelerator is chosen by a probe boot, never by /dev/kvm's presence:
on some hosts /dev/kvm exists but cannot boot a stock kernel.
"""

import json
import os
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from kdio.vm import qemu
from kdio.errors import VmError

PROBE_TIMEOUT_S = 8
PROBE_OK = "kdio: poweroff probe-ok"


@dataclass(frozen=True)
class VmOutcome:
    returncode: int          # QEMU's exit status (negative: killed by signal)
    timed_out: bool
    elapsed_s: float
    console: str             # the whole console text
    ready_s: float = None    # wall seconds from QEMU's start to the guest's "guest ready"


READY = "kdio: guest ready"


def _pump(stream, log_file, on_line, lines, ready=None):
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        if ready is not None and "t" not in ready and READY in line:
            ready["t"] = time.monotonic()
        log_file.write(line)
        log_file.flush()
        lines.append(line)
        if on_line:
            on_line(line.rstrip("\r\n"))


def run(argv, console_path, timeout_s, on_line=None, poll=None, log=print, interval=0.5):
    """Run argv (a QEMU command line) to the end or the timeout."""
    log("+ " + shlex.join(str(a) for a in argv))
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    except OSError as e:
        raise VmError(f"cannot start {argv[0]}: {e.strerror}",
                      "install qemu-system-x86 (make test does)") from None
    lines, timed_out, t0 = [], False, time.monotonic()
    with open(console_path, "w", encoding="utf-8") as log_file:
        ready = {}
        pump = threading.Thread(target=_pump, args=(proc.stdout, log_file, on_line, lines, ready),
                                daemon=True)
        pump.start()
        try:
            while proc.poll() is None:
                if time.monotonic() - t0 > timeout_s:
                    timed_out = True
                    proc.kill()
                    break
                if poll:
                    poll()
                time.sleep(interval)
        except BaseException:  # Ctrl-C, SIGTERM: the guest goes with us
            proc.kill()
            proc.wait()
            raise
        proc.wait()
        pump.join(timeout=5)
    if poll:
        poll()
    return VmOutcome(proc.returncode, timed_out, time.monotonic() - t0, "".join(lines),
                     round(ready["t"] - t0, 2) if "t" in ready else None)


def _probe_key(cfg):
    ver = qemu_version()
    return f"{os.uname().release}|{ver}|{Path(cfg.kernel).resolve()}"


def choose_accel(cfg, cache_file, log=print):
    """'kvm' if a short KVM probe boot of cfg's kernel reaches /init, else 'tcg'.

    KDIO_ACCEL=kvm|tcg skips the probe. The answer is cached per host kernel,
    QEMU version and guest kernel.
    """
    forced = os.environ.get("KDIO_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced, f"KDIO_ACCEL={forced}"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    cache = Path(cache_file)
    known = json.loads(cache.read_text()) if cache.exists() else {}
    key = _probe_key(cfg)
    if key in known:
        return known[key], "cached probe"
    log(f"probing KVM with a {PROBE_TIMEOUT_S} s test boot")
    probe = replace(cfg, accel="kvm", cpus=1, append=cfg.append + " kdio_mode=probe",
                    out_dir="", share_host_root=False, disks=(), extra_devices=())
    out = run(qemu.argv(probe), cache.with_suffix(".console"), PROBE_TIMEOUT_S, log=log)
    accel = "kvm" if PROBE_OK in out.console else "tcg"
    known[key] = accel
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(known, indent=1))
    return accel, "probe boot " + ("succeeded" if accel == "kvm" else "failed: using TCG")


def qemu_version():
    try:
        out = subprocess.run([qemu.QEMU, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return None
    first = out.splitlines()[0] if out else ""
    return first.replace("QEMU emulator version ", "").strip() or None
