"""Host mode proven inside a kdio guest, which plays the host: one boot of
the generic 6.1 guest runs `kdio bench --target host` in its chroot of the
host root, on brd, a folder on the ext4 scratch disk (vda) and a raw
virtio-blk disk (vdb) given with --destroy-data-on; before that, every
refusal (an ext4 signature on vdc, a mounted vda, a device without the
flag or with another device's, no root, a module built for another
kernel, a kernel config that differs), and after it, a run interrupted
with SIGTERM. Modules are built on the host against the guest kernel's
headers (a module build in a TCG guest is slow) and checked for vermagic
and config in the guest before they are loaded, as on a real machine."""

import dataclasses
import json
import time
from pathlib import Path

import pytest

from kdio.kernel import build, kernel
from kdio.model import config
from kdio.results import results
from kdio.run import bench
from kdio.vm import disk, initramfs, qemu, vm

pytestmark = pytest.mark.integration

HARNESS = Path(__file__).resolve().parent.parent
SUITE = HARNESS / "tests/fixtures/suites/host.toml"
OUT = "/run/kdio/out"          # the writable share, as the guest sees it
SCRATCH = "/run/kdio/scratch"  # vda, mounted by the guest's /init


def _kdio(args):
    return ["/bin/sh", "-c", f"cd {HARNESS} && exec /usr/bin/python3 -m kdio bench "
            f"--target host {args} 2>&1"]


def _loaded_step(name):
    """Which kdio modules (and brd) are loaded: printed, never failing."""
    return {"name": name, "argv": ["/bin/sh", "-c",
                                   "grep -E '^(kdio_[a-z]+|brd) ' /proc/modules | cut -d' ' -f1; "
                                   "true"]}


INTERRUPT = """
{kdio} > {out}/intr.log 2>&1 &
pid=$!
n=0
until grep -q '"type": "sample"' {out}/results/intr/host/records.jsonl 2>/dev/null; do
    n=$((n + 1))
    if [ $n -gt 600 ]; then echo "no sample after 60 s"; kill -KILL $pid; exit 1; fi
    sleep 0.1
done
grep -E '^kdio_dio ' /proc/modules | cut -d' ' -f1
kill -TERM $pid
wait $pid
echo "exit=$?"
"""

REFUSALS = (  # name, arguments after the common ones, effective uid
    ("ext4 signature", "--device /dev/vdc", None),
    ("mounted", "--device /dev/vda --destroy-data-on /dev/vda", None),
    ("no flag", "--device /dev/vdb", None),
    ("other device", "--device /dev/vdb --destroy-data-on /dev/vdc", None),
    ("not root", "--device /dev/vdb --destroy-data-on /dev/vdb", 65534),
    ("vermagic", f"--modules-from {OUT}/badko --device /dev/vdb --destroy-data-on /dev/vdb",
     None),
    ("config", f"--kernel-config {OUT}/config-hz --device /dev/vdb --destroy-data-on /dev/vdb",
     None),
)


def _refusals(common, good_modules):
    """The refusals, run in one process by tests/host_refusals.py."""
    out = []
    for name, args, uid in REFUSALS:
        mods = "" if "--modules-from" in args else f"--modules-from {good_modules}"
        argv = ["bench", "--target", "host", *f"{common} {mods} {args}".split()]
        out.append({"name": name, "argv": argv, **({"uid": uid} if uid is not None else {})})
    return out


def _plan(tree, art, base):
    common = f"{base} --modules-from {art.modules[0].parent}"
    run = f"{common} --device /dev/vdb --destroy-data-on /dev/vdb --no-plots"
    setup = [
        {"name": "make the folder", "argv": ["mkdir", "-p", f"{SCRATCH}/hostdir"]},
        {"name": "refusals", "timeout_s": 240,
         "argv": ["/usr/bin/python3", str(HARNESS / "tests/host_refusals.py"),
                  f"{OUT}/refusals.json"]},
        _loaded_step("loaded after refusals"),
        {"name": "run", "timeout_s": 300, "argv": _kdio(f"{run} --run-id main")},
        _loaded_step("loaded after run"),
        {"name": "interrupt", "timeout_s": 240, "argv": [
            "/bin/sh", "-c", INTERRUPT.format(kdio=_kdio(f"{run} --run-id intr")[2], out=OUT)]},
        _loaded_step("loaded after interrupt"),
    ]
    return {"run_id": "host-proof", "suite": "host", "repetitions": 0, "setup": setup,
            "cases": [], "checks": []}


def _prepare_share(share, tree, art):
    """A copy of the modules with another release in their vermagic, and the
    kernel's config with CONFIG_HZ changed: what the guest must refuse."""
    (share / "badko").mkdir(parents=True)
    release = tree.spec.release.encode()
    other = release.replace(b"-56-", b"-99-")
    assert len(other) == len(release) and other != release
    for ko in art.modules:
        data = ko.read_bytes()
        assert b"vermagic=" + release in data
        (share / "badko" / ko.name).write_bytes(data.replace(b"vermagic=" + release,
                                                             b"vermagic=" + other))
    cfg = (tree.root / "boot" / f"config-{tree.spec.release}").read_text()
    assert "\nCONFIG_HZ=250\n" in cfg
    (share / "config-hz").write_text(cfg.replace("\nCONFIG_HZ=250\n", "\nCONFIG_HZ=1000\n"))
    (share / "results").mkdir()


def _boot(tmp_path, share):
    kspec = config.load_kernel("debian-6.1")
    tree = kernel.fetch(kspec)
    art = build.build_all(tree)
    _prepare_share(share, tree, art)
    common = (f"--suite {SUITE} --results-dir {OUT}/results --dir {SCRATCH}/hostdir "
              f"--kdir {tree.headers_dir} "
              f"--tools-from {art.tools_dir} --module-root {tree.root} "
              f"--kernel-config {tree.root}/boot/config-{kspec.release}")
    results.write_atomic(share / "plan.json", json.dumps(_plan(tree, art, common)))
    results.write_atomic(share / "refusals.json",
                         json.dumps(_refusals(common, art.modules[0].parent)))
    mods = [(p, "") for p in kernel.module_load_order(tree, kspec.guest_modules)]
    initrd = initramfs.build(tmp_path / "initrd.cpio", mods)
    disks = [disk.make_ext4(tmp_path / "vda.img", 128), disk.make_raw(tmp_path / "vdb.img", 16),
             disk.make_ext4(tmp_path / "vdc.img", 16)]
    cfg = qemu.QemuConfig(kernel=str(tree.vmlinux), initrd=str(initrd),
                          append=f"console=ttyS0 quiet panic=-1 oops=panic "
                                 f"kdio_runner={bench.RUNNER} kdio_plan={OUT}/plan.json",
                          cpus=2, memory_mib=1024, out_dir=str(share),
                          disks=tuple(map(str, disks)), disk_cache="writeback")
    accel, _ = vm.choose_accel(cfg, kernel.cache_dir() / "accel-probe.json")
    t0 = time.monotonic()
    out = vm.run(qemu.argv(dataclasses.replace(cfg, accel=accel)), tmp_path / "console.log",
                 540)
    print(f"guest run: {time.monotonic() - t0:.0f} s")
    return out


@pytest.fixture(scope="module")
def proof(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("host")
    share = tmp / "share"
    share.mkdir()
    out = _boot(tmp, share)
    steps = {r["name"]: r for r in results.read_records(share / "records.jsonl")
             if r.get("type") == "setup"}
    for name, r in steps.items():
        print(f"--- {name}: rc {r['rc']} ({r['wall_s']:.0f} s)\n{r['stdout'][-3000:]}")
    assert "kdio: poweroff runner-exit=0" in out.console, out.console[-3000:]
    return steps, share


def _refusals_done(steps):
    step = steps["refusals"]
    assert step["rc"] == 0, step["stderr"]
    return {r["name"]: r for r in map(json.loads, step["stdout"].splitlines())}


def _refused(r, *words):
    assert r["rc"] == 2, r["output"]
    assert "kdio: error:" in r["output"] and "kdio: what to do:" in r["output"]
    for w in words:
        assert w in r["output"], r["output"]


def test_refusals(proof):
    steps, _ = proof
    refused = _refusals_done(steps)
    assert sorted(refused) == sorted(name for name, _, _ in REFUSALS)
    _refused(refused["ext4 signature"], "/dev/vdc", "it holds ext4 at 0x438",
             "--destroy-data-on /dev/vdc")
    _refused(refused["mounted"], "/dev/vda is mounted on /run/kdio/scratch",
             "even with --destroy-data-on")
    _refused(refused["no flag"], "kdio writes to it from the first byte",
             "--destroy-data-on /dev/vdb")
    _refused(refused["other device"], "--destroy-data-on /dev/vdc is another device")
    _refused(refused["not root"], "host mode needs root")
    _refused(refused["vermagic"], "built for another kernel", "6.1.0-99-amd64")
    _refused(refused["config"], "CONFIG_HZ 250 in the build, 1000 running")
    assert steps["loaded after refusals"]["stdout"].strip() == ""
    # no refusal started a run: the only run folders are the two runs'
    assert sorted(p.name for p in (proof[1] / "results").iterdir()) == ["intr", "main"]


def test_run_on_every_backend(proof):
    steps, share = proof
    run = steps["run"]
    assert run["rc"] == 0, run["stdout"]
    assert steps["loaded after run"]["stdout"].strip() == ""
    doc = results.load(share / "results/main/result.json")
    results.validate(doc)
    assert doc["status"] == "ok"
    ctx = doc["context"]
    assert ctx["target"] == "host" and ctx["accelerator"] == "none"
    assert ctx["kernel"]["release"] == "6.1.0-56-amd64"
    assert ctx["host"]["checks_left_out"].keys() == {"badinput"}
    assert ctx["devices"]["blk"]["name"] == "vdb" and ctx["devices"]["blk"]["transport"] == "virtio"
    assert ctx["devices"]["brd"]["name"] == "ram0"
    assert ctx["devices"]["ext4"]["fstype"] == "ext4"
    assert ctx["devices"]["ext4"]["device"]["name"] == "vda"
    assert ctx["devices"]["blk"]["logical_block_size"] == 512
    assert {r["params"]["backend"] for r in doc["results"]} == {"brd", "ext4", "blk"}
    assert all(r["status"] == "ok" and len(r["samples"]) == 1 for r in doc["results"])
    assert ctx["devices"]["brd"]["transport"] == "virtual"
    assert ctx["devices"]["brd"]["size_bytes"] == 9 << 20
    assert [c["name"] for c in doc["checks"]] == ["data-brd", "data-ext4", "data-blk"]
    assert all(c["ok"] for c in doc["checks"])
    assert "loaded brd" in run["stdout"]
    assert "unloaded kdio_xfer, kdio_dio, kdio_crypto, brd" in run["stdout"]
    assert not list(Path(share / "results/main").glob("report.*"))  # --no-plots


def test_interrupt_unloads(proof):
    steps, share = proof
    intr = steps["interrupt"]
    assert intr["rc"] == 0, intr["stdout"]
    assert "kdio_dio" in intr["stdout"]          # loaded while it ran
    assert "exit=130" in intr["stdout"]
    assert steps["loaded after interrupt"]["stdout"].strip() == ""
    doc = results.load(share / "results/intr/result.json")
    assert doc["status"] == "failed" and doc["failure"]["reason"].startswith("interrupted")
    assert sum(len(r["samples"]) for r in doc["results"]) >= 1
