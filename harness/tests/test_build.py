"""The modules build warning-free against every kernel of the matrix
(headers downloaded into the cache on first use)."""

import pytest

from kdio.kernel import build, kernel
from kdio.model import config

pytestmark = pytest.mark.integration


KERNELS = sorted(p.stem for p in config.KERNELS_DIR.glob("*.toml"))


def test_the_matrix_has_6_1_6_12_and_rt():
    assert {"debian-6.1", "debian-6.12", "debian-6.1-rt"} <= set(KERNELS)


@pytest.mark.parametrize("name", KERNELS)
def test_modules_build_without_warnings(name):
    tree = kernel.fetch(config.load_kernel(name), log=lambda m: None)
    kos, warnings = build.build_modules(tree, log=lambda m: None)
    assert "kdio_dio.ko" in [k.name for k in kos]
    assert warnings == []
    # built for that kernel: the vermagic names its release
    assert tree.spec.release.encode() in kos[0].read_bytes()


def test_module_load_order_puts_dependencies_first():
    tree = kernel.fetch(config.load_kernel("debian-6.1"), log=lambda m: None)
    names = [p.name for p in kernel.module_load_order(tree, ["9p"])]
    assert names.index("9pnet.ko") < names.index("9p.ko")
    assert len(names) == len(set(names))
