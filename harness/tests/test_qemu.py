from kdio.vm import qemu


def cfg(**kw):
    base = dict(kernel="/k/vmlinux", initrd="/k/initrd", append="console=ttyS0 quiet")
    base.update(kw)
    return qemu.QemuConfig(**base)


def opt(args, flag):
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def test_tcg_boots_elf_vmlinux():
    args = qemu.argv(cfg())
    assert args[0] == "qemu-system-x86_64"
    assert opt(args, "-machine") == ["q35,accel=tcg"] and opt(args, "-cpu") == ["max"]
    assert opt(args, "-kernel") == ["/k/vmlinux"] and opt(args, "-append") == ["console=ttyS0 quiet"]
    assert "-no-reboot" in args and opt(args, "-serial") == ["stdio"]


def test_kvm_uses_host_cpu():
    args = qemu.argv(cfg(accel="kvm", cpus=4, memory_mib=2048))
    assert opt(args, "-cpu") == ["host"] and opt(args, "-smp") == ["4"] and opt(args, "-m") == ["2048"]


def test_shares_and_disks():
    args = qemu.argv(cfg(out_dir="/r/run1/guest", disks=("/c/a.img", "/c/b.img"),
                         disk_cache="writeback"))
    fsdevs = opt(args, "-fsdev")
    assert fsdevs[0].startswith("local,id=hostroot,path=/,") and "readonly=on" in fsdevs[0]
    assert fsdevs[1] == "local,id=kdioout,path=/r/run1/guest,security_model=none"
    drives = opt(args, "-drive")
    assert drives[0].startswith("file=/c/a.img,format=raw") and "cache=writeback" in drives[0]
    assert len(drives) == 2


def test_probe_config_has_no_shares():
    args = qemu.argv(cfg(share_host_root=False))
    assert "-fsdev" not in args and "-drive" not in args


def test_crypto_device():
    args = qemu.argv(cfg(extra_devices=qemu.CRYPTO_DEVICE))
    assert opt(args, "-object") == ["cryptodev-backend-builtin,id=crypto0"]
    assert "virtio-crypto-pci,cryptodev=crypto0" in opt(args, "-device")
