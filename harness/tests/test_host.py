"""Host mode without a real machine: a fake sysfs/proc tree in tmp_path and
fake commands (wipefs, blkid, insmod, rmmod, modprobe) for the device
rules, the module checks, the plan's write audit, the cleanup on a signal
or a failure, and the passthrough command line and its refusals."""

import gzip
import types
from pathlib import Path

import pytest

from kdio.model import config
from kdio.results import results
from kdio.run import host, hostdev, hostmods
from kdio.vm import passthrough, qemu
from kdio.run.hostdev import HostError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIG_61 = "CONFIG_SMP=y\nCONFIG_PREEMPT_BUILD=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n"
CONFIG_RT = "CONFIG_SMP=y\nCONFIG_PREEMPT_RT=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n"
VERMAGIC_61 = "6.1.0-56-amd64 SMP preempt mod_unload modversions "


class FakeMachine:
    """A sysfs/proc tree with block devices, and the commands host mode runs."""

    def __init__(self, root):
        self.root, self.calls, self.signatures = root, [], {}
        self.nodes = {}  # /dev path -> (maj, min)
        self.fail = {}   # program -> (rc, stderr)
        (root / "proc/self").mkdir(parents=True)
        (root / "proc/self/mounts").write_text("proc /proc proc rw 0 0\n")
        (root / "proc/swaps").write_text("Filename Type Size Used Priority\n")
        (root / "sys/dev/block").mkdir(parents=True)
        (root / "sys/module").mkdir(parents=True)

    def disk(self, name, rdev, model=None, path="pci0000:00/0000:00:04.0/nvme/nvme0",
             parts=(), queue=None):
        dev = self.root / "sys/devices" / path / name
        (dev / "queue").mkdir(parents=True)
        (dev / "holders").mkdir()
        (dev / "dev").write_text(f"{rdev[0]}:{rdev[1]}\n")
        (dev / "size").write_text("2097152\n")
        for key, value in {"logical_block_size": "512", "physical_block_size": "4096",
                           "rotational": "0", "nr_requests": "1023",
                           "scheduler": "[none] mq-deadline", **(queue or {})}.items():
            (dev / "queue" / key).write_text(value + "\n")
        if model:
            (dev / "device").mkdir()
            (dev / "device/model").write_text(model + "\n")
        self._link(name, dev, rdev)
        for i, part in enumerate(parts, 1):
            p = dev / part
            (p / "holders").mkdir(parents=True)
            (p / "partition").write_text(f"{i}\n")
            (p / "dev").write_text(f"{rdev[0]}:{rdev[1] + i}\n")
            (p / "size").write_text("1000\n")
            self._link(part, p, (rdev[0], rdev[1] + i))
        return dev

    def _link(self, name, dev, rdev):
        cls = self.root / "sys/class/block"
        cls.mkdir(parents=True, exist_ok=True)
        (cls / name).symlink_to(dev)
        (self.root / "sys/dev/block" / f"{rdev[0]}:{rdev[1]}").symlink_to(dev)
        self.nodes[f"/dev/{name}"] = rdev

    def mount(self, source, where, fstype="ext4"):
        with open(self.root / "proc/self/mounts", "a") as f:
            f.write(f"{source} {where} {fstype} rw 0 0\n")

    def run(self, argv, **kw):
        self.calls.append(list(argv))
        prog = argv[0]
        if prog in self.fail:
            rc, err = self.fail[prog]
            return types.SimpleNamespace(returncode=rc, stdout="", stderr=err)
        out, rc = "", 0
        if prog == "wipefs":
            out = "".join(f"{t} {o}\n" for t, o in self.signatures.get(argv[-1], []))
        elif prog == "blkid":
            rc = 2
        elif prog == "insmod":
            (self.root / "sys/module" / Path(argv[1]).stem).mkdir()
        elif prog == "modprobe":
            (self.root / "sys/module/brd/parameters").mkdir(parents=True)
            size = next(a for a in argv if a.startswith("rd_size=")).split("=")[1]
            (self.root / "sys/module/brd/parameters/rd_size").write_text(size + "\n")
            self.nodes["/dev/ram0"] = (1, 0)
        elif prog == "rmmod":
            import shutil
            shutil.rmtree(self.root / "sys/module" / argv[1])
        return types.SimpleNamespace(returncode=rc, stdout=out, stderr="")

    def system(self):
        return hostdev.System(sysfs=self.root / "sys", proc=self.root / "proc", run=self.run,
                              block_rdev=lambda p: self.nodes.get(p),
                              file_dev=lambda p: (259, 0))


@pytest.fixture
def machine(tmp_path):
    m = FakeMachine(tmp_path)
    m.disk("nvme0n1", (259, 0), model="Samsung SSD 980 PRO 1TB", parts=("nvme0n1p1",))
    m.disk("nvme1n1", (259, 8), model="WD Black SN850", queue={"scheduler": "none [mq-deadline]"})
    return m


# -- root -------------------------------------------------------------------

def test_refuses_without_root():
    with pytest.raises(HostError) as e:
        host.check_root(1000)
    assert "needs root" in str(e.value) and "insmod" in str(e.value) and "sudo" in e.value.hint
    host.check_root(0)


# -- devices ----------------------------------------------------------------

def test_device_blank_needs_the_flag(machine):
    s = machine.system()
    with pytest.raises(HostError) as e:
        hostdev.check_device(s, "/dev/nvme1n1", None)
    assert "from the first byte" in str(e.value)
    assert e.value.hint == ("if its data may be destroyed, add --destroy-data-on /dev/nvme1n1 "
                            "(the same device)")
    assert hostdev.check_device(s, "/dev/nvme1n1", "/dev/nvme1n1") == "nvme1n1"


def test_device_flag_naming_another_device(machine):
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/dev/nvme1n1", "/dev/nvme0n1")
    assert "--destroy-data-on /dev/nvme0n1 is another device" in e.value.hint


def test_device_with_a_signature(machine):
    machine.signatures["/dev/nvme1n1"] = [("ext4", "0x438")]
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/dev/nvme1n1", None)
    assert "it holds ext4 at 0x438" in str(e.value)
    assert ["wipefs", "--no-act", "--noheadings", "--output", "TYPE,OFFSET",
            "/dev/nvme1n1"] in machine.calls
    # the owner agrees: the signature is no longer a reason
    assert hostdev.check_device(machine.system(), "/dev/nvme1n1", "/dev/nvme1n1")


def test_device_with_partitions(machine):
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/dev/nvme0n1", None)
    assert "partition(s) nvme0n1p1" in str(e.value)


@pytest.mark.parametrize("setup, words", [
    (lambda m: m.mount("/dev/nvme0n1p1", "/home"), "/dev/nvme0n1p1 is mounted on /home (ext4)"),
    (lambda m: (m.root / "proc/swaps").write_text("Filename\n/dev/nvme0n1p1 partition 1 0 -2\n"),
     "/dev/nvme0n1p1 is in use as swap"),
    (lambda m: (m.root / "sys/class/block/nvme0n1p1/holders/dm-0").mkdir(),
     "nvme0n1p1 is held by dm-0"),
])
def test_device_in_use_is_refused_even_with_the_flag(machine, setup, words):
    setup(machine)
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/dev/nvme0n1", "/dev/nvme0n1")
    assert words in str(e.value) and "even with --destroy-data-on" in e.value.hint


def test_not_a_block_device_and_unprobeable(machine):
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/tmp/file", "/tmp/file")
    assert "not a block device" in str(e.value)
    machine.fail["wipefs"] = (127, "wipefs: not found")
    with pytest.raises(HostError) as e:
        hostdev.check_device(machine.system(), "/dev/nvme1n1", "/dev/nvme1n1")
    assert "cannot probe /dev/nvme1n1" in str(e.value) and "util-linux" in e.value.hint


def test_device_info_from_sysfs(machine):
    info = hostdev.device_info(machine.system(), "nvme1n1")
    assert info == {"name": "nvme1n1", "disk": "nvme1n1", "model": "WD Black SN850",
                    "transport": "nvme", "size_bytes": 2097152 * 512, "queue_depth": 1023,
                    "nr_requests": 1023, "scheduler": "mq-deadline", "logical_block_size": 512,
                    "physical_block_size": 4096, "rotational": False}
    # a partition reports its disk's queue
    part = hostdev.device_info(machine.system(), "nvme0n1p1")
    assert part["disk"] == "nvme0n1" and part["model"] == "Samsung SSD 980 PRO 1TB"
    assert part["size_bytes"] == 1000 * 512


def test_dir_info(machine, tmp_path):
    machine.mount("/dev/nvme0n1p1", "/mnt")
    machine.mount("/dev/nvme1n1", "/mnt/data", "xfs")
    info = hostdev.dir_info(machine.system(), Path("/mnt/data/kdio"))
    assert (info["mount"], info["fstype"], info["source"]) == ("/mnt/data", "xfs", "/dev/nvme1n1")
    assert info["device"]["name"] == "nvme0n1"  # what file_dev says (the fake: 259:0)


def test_check_dir(tmp_path):
    assert hostdev.check_dir(tmp_path) == tmp_path.resolve()
    with pytest.raises(HostError, match="is not a folder"):
        hostdev.check_dir(tmp_path / "missing")


# -- modules ----------------------------------------------------------------

def fake_ko(path, vermagic=VERMAGIC_61):
    path.write_bytes(b"\x7fELF\x00junk\x00license=GPL\x00vermagic=" + vermagic.encode()
                     + b"\x00name=x\x00")
    return path


def test_expected_vermagic_from_config():
    cfg = hostmods.read_config(CONFIG_61 + "# CONFIG_X is not set\n")
    assert cfg["CONFIG_X"] == "n"
    assert hostmods.expected_vermagic("6.1.0-56-amd64", cfg) == VERMAGIC_61.strip()
    assert (hostmods.expected_vermagic("6.1.0-56-rt-amd64", hostmods.read_config(CONFIG_RT))
            == "6.1.0-56-rt-amd64 SMP preempt_rt mod_unload modversions")


def test_check_modules(tmp_path):
    cfg = hostmods.read_config(CONFIG_61)
    good = fake_ko(tmp_path / "kdio_dio.ko")
    assert hostmods.modinfo_field(good, "vermagic") == VERMAGIC_61
    hostmods.check_modules([good], "6.1.0-56-amd64", cfg, dict(cfg))
    with pytest.raises(HostError) as e:
        hostmods.check_modules([good], "6.1.0-57-amd64", cfg)
    assert "built for another kernel" in str(e.value) and "--kdir" in e.value.hint
    rt = fake_ko(tmp_path / "rt.ko", "6.1.0-56-amd64 SMP preempt_rt mod_unload modversions ")
    with pytest.raises(HostError, match="preempt_rt"):
        hostmods.check_modules([rt], "6.1.0-56-amd64", cfg)
    bare = tmp_path / "bare.ko"
    bare.write_bytes(b"\x7fELF\x00license=GPL\x00")
    with pytest.raises(HostError, match="vermagic None"):
        hostmods.check_modules([bare], "6.1.0-56-amd64", cfg)


def test_check_modules_config(tmp_path):
    cfg = hostmods.read_config(CONFIG_61 + "CONFIG_HZ=250\n")
    ko = fake_ko(tmp_path / "kdio_dio.ko")
    built = dict(cfg, CONFIG_HZ="1000", CONFIG_BUILD_SALT='"x"', CONFIG_MODULE_SIG_ALL="y")
    with pytest.raises(HostError) as e:
        hostmods.check_modules([ko], "6.1.0-56-amd64", cfg, built)
    assert "in 1 option(s): CONFIG_HZ 1000 in the build, 250 running" in str(e.value)
    del built["CONFIG_HZ"]
    with pytest.raises(HostError, match="CONFIG_HZ n in the build, 250 running"):
        hostmods.check_modules([ko], "6.1.0-56-amd64", cfg, built)
    hostmods.check_modules([ko], "6.1.0-56-amd64", cfg, dict(built, CONFIG_HZ="250"))


def test_running_config(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "boot").mkdir()
    with pytest.raises(HostError) as e:
        hostmods.running_config("r", None, tmp_path / "proc", tmp_path / "boot")
    assert "--kernel-config FILE" in e.value.hint
    (tmp_path / "boot/config-r").write_text(CONFIG_61)
    assert hostmods.running_config("r", None, tmp_path / "proc", tmp_path / "boot")[1] == CONFIG_61
    (tmp_path / "proc/config.gz").write_bytes(gzip.compress(CONFIG_RT.encode()))
    assert hostmods.running_config("r", None, tmp_path / "proc", tmp_path / "boot")[1] == CONFIG_RT


def test_brd_already_loaded_is_refused(machine):
    (machine.root / "sys/module/brd").mkdir()
    with pytest.raises(HostError, match="brd is already loaded"):
        hostmods.load_brd(machine.system(), 1024, hostmods.Loaded([]))


def test_brd_loaded_from_a_module_root(machine):
    loaded = hostmods.Loaded([])
    hostmods.load_brd(machine.system(), 9216, loaded, "/root", "6.1.0-56-amd64")
    assert machine.calls[-1] == ["modprobe", "-d", "/root", "-S", "6.1.0-56-amd64", "brd",
                                 "rd_nr=1", "rd_size=9216"]
    assert loaded.modules == ["brd"]


def test_headers_tree_finds_common_beside(tmp_path):
    flavour = tmp_path / "usr/src/linux-headers-6.1.0-56-amd64"
    flavour.mkdir(parents=True)
    (tmp_path / "usr/src/linux-headers-6.1.0-56-common").mkdir()
    (flavour / "Makefile").write_text("include /nonexistent/linux-headers-6.1.0-56-common/Makefile\n")
    tree = host.headers_tree(flavour, "6.1.0-56-amd64")
    assert tree.headers_common_dir == tmp_path / "usr/src/linux-headers-6.1.0-56-common"
    assert tree.build_name == "host-6.1.0-56-amd64"
    (flavour / "include/config").mkdir(parents=True)
    (flavour / "include/config/kernel.release").write_text("6.1.0-57-amd64\n")
    assert host.headers_tree(flavour, "6.1.0-56-amd64").build_name == "host-6.1.0-57-amd64"
    with pytest.raises(HostError, match="no kernel headers"):
        host.headers_tree(tmp_path, "r")


# -- suite and plan ---------------------------------------------------------

def _suite():
    return config.load_suite(FIXTURES / "suites/host.toml")


def test_check_suite(tmp_path):
    suite = _suite()
    host.check_suite(suite, host.Options(dir="/d", device="/dev/x"))
    with pytest.raises(HostError, match="no --device"):
        host.check_suite(suite, host.Options(dir="/d"))
    with pytest.raises(HostError, match="no --dir"):
        host.check_suite(suite, host.Options(device="/dev/x"))
    with pytest.raises(HostError, match="counted"):
        host.check_suite(config.load_suite("dio-counted"), host.Options(dir="/d"))
    other = tmp_path / "other.toml"
    other.write_text((FIXTURES / "suites/host.toml").read_text().replace('"blk"]', '"ext4-brd"]')
                     .replace('timeout_s = 300', 'timeout_s = 300\nmemory_mib = 2048'))
    with pytest.raises(HostError, match="ext4-brd, which host mode does not provide"):
        host.check_suite(config.load_suite(other), host.Options(dir="/d", device="/dev/x"))


def _host_plan(tmp_path, device="/dev/nvme1n1"):
    suite = _suite()
    env = host.host_env(suite, host.Options(device=device), "/t", tmp_path)
    return host.host_plan(suite, env, "r", (), tmp_path, [device, "/dev/ram0"], lambda m: None)


def test_host_plan_targets_dir_and_device(tmp_path):
    the_plan, left_out = _host_plan(tmp_path)
    assert left_out == {"badinput": host.GUEST_ONLY_CHECKS["badinput"]}
    assert [c["name"] for c in the_plan["checks"]] == ["data-brd", "data-ext4", "data-blk"]
    argv = [" ".join(c["argv"]) for c in the_plan["cases"]]
    assert any(f"-f {tmp_path}/kdio.dat" in a for a in argv)
    assert any("-f /dev/nvme1n1 " in a for a in argv)
    assert any("--filename=/dev/nvme1n1" in a and "--offset=4194304" in a for a in argv)
    assert not any("/dev/vdb" in a or "/run/kdio/scratch" in a for a in argv)


def test_audit_refuses_a_write_outside_dir(tmp_path):
    the_plan, _ = _host_plan(tmp_path)
    host.audit_writes(the_plan, tmp_path, ["/dev/nvme1n1", "/dev/ram0"])
    the_plan["cases"][0]["argv_by_rep"][0] = ["kdio-dio", "-f", "/etc/passwd"]
    with pytest.raises(HostError, match="would write to /etc/passwd"):
        host.audit_writes(the_plan, tmp_path, ["/dev/nvme1n1", "/dev/ram0"])
    the_plan["cases"][0]["argv_by_rep"][0] = ["fio", f"--filename={tmp_path}/../x"]
    with pytest.raises(HostError, match="outside"):
        host.audit_writes(the_plan, tmp_path, ["/dev/nvme1n1"])
    # a device it was not given
    with pytest.raises(HostError, match="/dev/nvme1n1"):
        host.audit_writes(_host_plan(tmp_path)[0], tmp_path, ["/dev/ram0"])


# -- the run's cleanup ------------------------------------------------------

class FakeProc:
    def __init__(self, rc):
        self.rc, self.pid, self.returncode = rc, 0, None

    def poll(self):
        self.returncode = self.rc
        return self.rc


@pytest.fixture
def fake_run(machine, tmp_path, monkeypatch):
    """host.run with the machine's checks done, and a fake runner."""
    kos = [fake_ko(tmp_path / f"{m}.ko") for m in ("kdio_crypto", "kdio_dio", "kdio_xfer")]
    scratch = tmp_path / "dir"
    scratch.mkdir()
    monkeypatch.setattr(host.doctor, "preflight", lambda features, what: None)
    monkeypatch.setattr(host, "check_machine", lambda req, s, log: (scratch, kos, "/boot/config"))
    monkeypatch.setattr(host, "backend_devices", lambda *a: {})
    opts = host.Options(suite=str(FIXTURES / "suites/host.toml"), results_dir=tmp_path / "res",
                        run_id="r", dir=str(scratch), device="/dev/nvme1n1",
                        destroy_data_on="/dev/nvme1n1", tools_from="/t")

    def go(runner):
        monkeypatch.setattr(host, "start_runner", runner)
        return host.run(opts, log=print, system=machine.system(), euid=lambda: 0)
    return go, machine, tmp_path / "res/r"


def _loaded(machine):
    return sorted(p.name for p in (machine.root / "sys/module").iterdir())


def test_interrupt_unloads_everything(fake_run):
    go, machine, run_dir = fake_run

    def interrupted(*a):
        assert _loaded(machine) == ["brd", "kdio_crypto", "kdio_dio", "kdio_xfer"]
        raise KeyboardInterrupt("signal 15")
    with pytest.raises(KeyboardInterrupt):
        go(interrupted)
    assert _loaded(machine) == []
    assert [c[1] for c in machine.calls if c[0] == "rmmod"] == ["kdio_xfer", "kdio_dio",
                                                                "kdio_crypto", "brd"]
    doc = results.load(run_dir / "result.json")
    assert doc["status"] == "failed" and doc["failure"]["reason"] == "interrupted (signal 15)"
    results.validate(doc)


def test_failed_runner_unloads_and_says_so(fake_run):
    go, machine, run_dir = fake_run
    doc, _ = go(lambda *a: (FakeProc(1), types.SimpleNamespace(join=lambda timeout: None), []))
    assert _loaded(machine) == []
    assert doc["status"] == "failed"
    assert doc["failure"]["reason"] == "the runner exited with status 1"
    assert doc["context"]["target"] == "host" and doc["context"]["accelerator"] == "none"


def test_failed_insmod_unloads_what_was_loaded(fake_run):
    go, machine, run_dir = fake_run
    real = machine.run

    def run(argv, **kw):
        if argv[0] == "insmod" and "kdio_dio" in argv[1]:
            return types.SimpleNamespace(returncode=1, stdout="",
                                         stderr="insmod: ERROR: Invalid module format")
        return real(argv, **kw)
    machine.run = run
    with pytest.raises(HostError, match="insmod kdio_dio.ko failed: .*Invalid module format"):
        go(lambda *a: pytest.fail("the runner must not start"))
    assert _loaded(machine) == []
    assert results.load(run_dir / "result.json")["status"] == "failed"


def test_module_left_loaded_fails_the_run(fake_run, monkeypatch):
    go, machine, run_dir = fake_run
    real = machine.run
    monkeypatch.setattr(hostmods.time, "sleep", lambda s: None)

    def run(argv, **kw):
        if argv[:2] == ["rmmod", "kdio_dio"]:
            return types.SimpleNamespace(returncode=1, stdout="", stderr="Module is in use")
        return real(argv, **kw)
    machine.run = run
    doc, _ = go(lambda *a: (FakeProc(0), types.SimpleNamespace(join=lambda timeout: None), []))
    assert doc["status"] == "failed"
    assert doc["failure"]["reason"].startswith("kdio's modules are still loaded after the run: "
                                               "kdio_dio")


# -- passthrough ------------------------------------------------------------

def pci_tree(root, bdf="0000:03:00.0", group="7", driver="vfio-pci", others=()):
    devs = root / "sys/bus/pci/devices"
    devs.mkdir(parents=True, exist_ok=True)
    members = root / "sys/kernel/iommu_groups" / (group or "none") / "devices"
    members.mkdir(parents=True, exist_ok=True)
    for b, drv in [(bdf, driver), *others]:
        d = root / "sys/devices/pci0000:00" / b
        d.mkdir(parents=True)
        if drv:
            (root / "sys/bus/pci/drivers" / drv).mkdir(parents=True, exist_ok=True)
            (d / "driver").symlink_to(root / "sys/bus/pci/drivers" / drv)
        if group:
            (d / "iommu_group").symlink_to(root / "sys/kernel/iommu_groups" / group)
            (members / b).symlink_to(d)
        (devs / b).symlink_to(d)
    (root / "dev/vfio").mkdir(parents=True, exist_ok=True)
    (root / "dev/vfio" / (group or "none")).touch()
    return root / "sys", root / "dev/vfio"


def test_passthrough_command_line(tmp_path):
    sysfs, vfio = pci_tree(tmp_path)
    devs = passthrough.devices(["0000:03:00.0"], "kvm", "probe boot succeeded", sysfs, vfio)
    assert devs == (("-device", "vfio-pci,host=0000:03:00.0"),)
    argv = qemu.argv(qemu.QemuConfig(kernel="k", initrd="i", append="", accel="kvm",
                                     extra_devices=devs))
    i = argv.index("vfio-pci,host=0000:03:00.0")
    assert argv[i - 1] == "-device" and "q35,accel=kvm" in argv


def test_passthrough_refused_under_tcg(tmp_path):
    sysfs, vfio = pci_tree(tmp_path)
    with pytest.raises(passthrough.PassthroughError) as e:
        passthrough.check("0000:03:00.0", "tcg", "probe boot failed: using TCG", sysfs, vfio)
    assert "missing KVM (the guest runs under tcg: probe boot failed" in str(e.value)
    assert "IOMMU" not in str(e.value)


def test_passthrough_refused_without_iommu_group(tmp_path):
    sysfs, vfio = pci_tree(tmp_path, group=None)
    with pytest.raises(passthrough.PassthroughError) as e:
        passthrough.check("0000:03:00.0", "kvm", "", sysfs, vfio)
    assert "missing an IOMMU group for 0000:03:00.0" in str(e.value)
    assert "intel_iommu=on" in e.value.hint
    with pytest.raises(passthrough.PassthroughError) as e:
        passthrough.check("0000:03:00.0", "tcg", "KDIO_ACCEL=tcg", sysfs, vfio)
    assert "missing KVM" in str(e.value) and "and an IOMMU group" in str(e.value)


def test_passthrough_group_not_bound(tmp_path):
    sysfs, vfio = pci_tree(tmp_path, driver="qat_4xxx",
                           others=(("0000:03:00.1", "igb"), ("0000:00:01.0", "pcieport")))
    with pytest.raises(passthrough.PassthroughError) as e:
        passthrough.check("0000:03:00.0", "kvm", "", sysfs, vfio)
    assert "0000:03:00.0 bound to qat_4xxx, 0000:03:00.1 bound to igb" in str(e.value)
    assert "pcieport" not in str(e.value)
    assert "echo 0000:03:00.1 > /sys/bus/pci/drivers/igb/unbind" in e.value.hint


def test_passthrough_bad_address(tmp_path):
    with pytest.raises(passthrough.PassthroughError, match="not a PCI address"):
        passthrough.check("03:00.0", "kvm", "", tmp_path)
    with pytest.raises(passthrough.PassthroughError, match="no PCI device 0000:04:00.0"):
        passthrough.check("0000:04:00.0", "kvm", "", tmp_path)


def test_guest_only_options_are_refused_in_host_mode(capsys):
    from kdio import cli
    assert cli.main(["bench", "--target", "host", "--module", "x.ko"]) == 2
    err = capsys.readouterr().err
    assert "--module do(es) not apply to --target host" in err and "what to do" in err
