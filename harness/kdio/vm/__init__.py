"""The guest machine: QEMU's argv, the VM runner, disks, the initramfs, the runner zip, PCI passthrough."""
