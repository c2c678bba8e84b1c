"""The modules build warning-free against the default guest kernel's headers
(downloaded into the cache on first use)."""

import pytest

from kdio import build, config, kernel

pytestmark = pytest.mark.integration


def test_modules_build_without_warnings():
    tree = kernel.fetch(config.load_kernel("debian-6.1"), log=lambda m: None)
    kos, warnings = build.build_modules(tree, log=lambda m: None)
    assert [k.name for k in kos] == ["kdio_dio.ko"]
    assert warnings == []
    # built for that kernel: the vermagic names its release
    assert tree.spec.release.encode() in kos[0].read_bytes()


def test_module_load_order_puts_dependencies_first():
    tree = kernel.fetch(config.load_kernel("debian-6.1"), log=lambda m: None)
    names = [p.name for p in kernel.module_load_order(tree, ["9p"])]
    assert names.index("9pnet.ko") < names.index("9p.ko")
    assert len(names) == len(set(names))
